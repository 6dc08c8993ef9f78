"""Drawing one line of the fleet table: the columns shown, cut to their widths.

Kept apart from the widget so the column rules and the line layout read in
one place: ``shown_columns`` (which columns a screen this wide has room
for: the lowest ``priority`` goes first, so at 80 columns ID, Status,
Heartbeat, Session idTag and Stuck stay), ``layout_widths`` (what each shown
column would like, from its maximum, its label and the widest cell seen on
screen, then fitted to the width) and ``cells_strip`` (one line of
segments, each cell cut with an ellipsis and padded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip

from polaris_tui.widgets.columns import fit, visible_columns
from polaris_tui.widgets.fleet_cells import COLUMNS
from polaris_tui.widgets.fleet_order import fit_widths

T = TypeVar("T")

FLEET_TABLE_CSS = """
FleetTable {
    background: $surface;
    color: $foreground;
    height: 1fr;
    &:focus {
        background-tint: $foreground 5%;
        & > .fleet-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    & > .fleet-table--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    & > .fleet-table--even-row {
        background: $surface-lighten-1 50%;
    }
    &:dark > .fleet-table--even-row {
        background: $surface-darken-1 40%;
    }
    & > .fleet-table--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
}
"""
"""The fleet table's look: zebra rows, a header, the cursor (focused or not)."""

PADDING = 1
"""Blank cells on each side of a cell."""
HEADER_HEIGHT = 1
"""The header line, always on top (it does not scroll away)."""


def cells_signature(cells: Sequence[Text]) -> tuple[tuple[str, str], ...]:
    """What a row shows: equal signatures draw the same line."""
    return tuple((cell.plain, str(cell.style)) for cell in cells)


def shown_columns(width: int) -> tuple[int, ...]:
    """Indices (in ``COLUMNS``) of the columns a table ``width`` cells wide shows.

    Measured at each column's maximum, not at the cells on screen, so the set
    depends on the width alone and does not change while scrolling."""
    return tuple(COLUMNS.index(column) for column in visible_columns(COLUMNS, width))


def pick(cells: Sequence[T], shown: Sequence[int]) -> list[T]:
    """The items of ``cells`` (one per column of ``COLUMNS``) that are shown."""
    return [cells[i] for i in shown]


def layout_widths(
    seen: Sequence[int],
    shown: Sequence[int],
    id_width: int,
    description_width: int,
    available: int,
) -> tuple[int, ...]:
    """The width of each shown column: its natural width, then narrowed
    (``fit_widths``) until the table fits ``available`` cells."""
    natural = pick(natural_widths(seen, id_width, description_width), shown)
    keys = [COLUMNS[i].key for i in shown]
    return tuple(fit_widths(natural, keys, available, 2 * PADDING))


def natural_widths(seen: Sequence[int], id_width: int, description_width: int) -> list[int]:
    """Each column's width before fitting the screen: the fixed description as
    given, the others as wide as their label and their widest cell seen on
    screen, never wider than their maximum (the ID: ``id_width``)."""
    widths = []
    for i, column in enumerate(COLUMNS):
        if column.fixed:
            widths.append(description_width)
            continue
        cap = id_width if column.key == "id" else column.max_width
        widths.append(max(len(column.label), min(cap, seen[i])))
    return widths


def cells_strip(
    console: Console, cells: Sequence[Text], widths: Sequence[int], style: Style
) -> Strip:
    """One table line: each cell cut to its width (ellipsis), padded, on ``style``."""
    pad = Segment(" " * PADDING)
    segments: list[Segment] = []
    for cell, width in zip(cells, widths, strict=True):
        text = fit(cell, width)
        segments.append(pad)
        # ``Text.render`` leaves out the text's own style (its spans only):
        # without it an alarm chip would lose its colours and its reverse.
        own = console.get_style(text.style) if text.style else None
        segments.extend(Segment.apply_style(text.render(console), own))
        if text.cell_len < width:
            segments.append(Segment(" " * (width - text.cell_len)))
        segments.append(pad)
    total = sum(widths) + 2 * PADDING * len(widths)
    # Runs of one style merged: each segment is sent with its own SGR codes,
    # so a repainted cell cost ~4 times its text (issue 13).
    return Strip(Segment.simplify(Segment.apply_style(segments, style)), total)


def cursor_strip(strip: Strip, cursor: Style) -> Strip:
    """``strip`` under the cursor: the cursor style over every segment except an
    alarm chip (a reversed segment, alarm_style.py), which keeps its fixed
    colours so Faulted or STUCK stays legible on the cursor row too."""
    segments = [
        segment
        if segment.style is not None and segment.style.reverse
        else Segment(segment.text, (segment.style or Style()) + cursor, segment.control)
        for segment in strip
    ]
    return Strip(Segment.simplify(segments), strip.cell_length)


def changed_cell_regions(
    old: Sequence[Text], new: Sequence[Text], widths: Sequence[int], scroll_x: int, y: int
) -> list[Region]:
    """Where on screen line ``y`` the cells that draw differently sit: a
    Heartbeat age that rolls over repaints that cell, not its line (~40 B
    instead of ~900). Cells are compared by text, style and spans."""
    regions: list[Region] = []
    left = -scroll_x
    for before, after, width in zip(old, new, widths, strict=True):
        span = width + 2 * PADDING
        same = (
            before.plain == after.plain
            and before.style == after.style
            and before.spans == after.spans
        )
        if not same and left + span > 0:
            regions.append(Region(max(left, 0), y, span + min(left, 0), 1))
        left += span
    return regions
