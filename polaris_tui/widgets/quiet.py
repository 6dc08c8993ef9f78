"""Repaint only what changed: set a widget's text or subtitle when it differs.

Textual repaints a ``Static`` on every ``update`` and a widget on every
``border_subtitle`` assignment, even with the same text. A subtitle on a
container repaints everything inside it (the whole fleet table: ~12 KB over
the terminal). Screens recompute their labels every second so ages never
lag; these helpers keep that recomputation off the wire when nothing changed,
and when one age in a panel moves, repaint only the characters that changed
(``partial_updates`` sends a dirty region alone, not the row up to it).
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.content import Content
from textual.geometry import Region
from textual.visual import visualize
from textual.widget import Widget
from textual.widgets import Static


def same_content(old: object, new: Content) -> bool:
    """Whether ``old`` (what a widget holds) draws exactly as ``new``: same text, same styles."""
    return isinstance(old, Content) and old.plain == new.plain and old.spans == new.spans


def set_subtitle(widget: Widget, subtitle: Content) -> bool:
    """Set ``widget``'s border subtitle unless it already reads the same, and
    repaint only the bottom border row it sits on; True if set."""
    drawn = widget.render_str(subtitle).expand_tabs(4).split()[0]
    if same_content(widget._border_subtitle, drawn):
        return False
    width, height = widget.outer_size
    if not widget.is_mounted or height < 1 or width < 1:
        widget.border_subtitle = subtitle  # not laid out yet: the first paint draws it
        return True
    # What Textual's ``border_subtitle`` setter stores, without its whole-widget
    # refresh (which repaints a container's children: the fleet table).
    old = widget._border_subtitle
    widget._border_subtitle = drawn
    left, top = widget.content_offset
    # Right-aligned and as long as before ("as of 07:27Z" -> "07:28Z"): only
    # the subtitle's end of the row changes (its title and corner around it).
    start = 0
    same_length = isinstance(old, Content) and old.cell_length == drawn.cell_length
    if same_length and widget.styles.border_subtitle_align == "right":
        start = max(0, width - drawn.cell_length - 4)
    widget.refresh(Region(start - left, height - 1 - top, width - start, 1))
    return True


def update_static(static: Static, content: Content) -> bool:
    """``static.update(content)`` unless it already shows the same; True if updated.

    When only some lines changed and every line wraps to as many rows as
    before, only those rows are repainted (up to their last changed column): ``Static.update`` repaints the whole
    widget and lays the screen out again, so one age ticking in a ten-line
    panel would rewrite all ten lines over the terminal."""
    old = static.content
    if same_content(old, content):
        return False
    regions = changed_regions(static, old, content)
    if regions is None:
        static.update(content)
        return True
    # What ``Static.update`` stores (its private fields, Textual is pinned),
    # without its whole-widget refresh and layout.
    static._Static__content = content  # type: ignore[attr-defined]
    static._Static__visual = visualize(static, content, markup=static._render_markup)  # type: ignore[attr-defined]
    for region in regions:
        static.refresh(region)
    return True


def changed_regions(static: Static, old: object, new: Content) -> list[Region] | None:
    """The regions (relative to the content) where ``new`` draws differently
    from ``old``, or None when the layout may change (a line wraps to more or
    fewer rows, lines were added or removed, the widget is not laid out):
    then the whole widget must be repainted."""
    width, height = static.size
    if not isinstance(old, Content) or not static.is_mounted or width < 1 or height < 1:
        return None
    if static.styles.width is not None and static.styles.width.is_auto:
        return None  # its width follows its text: a longer line is a new layout
    old_lines, new_lines = old.split("\n"), new.split("\n")
    if len(old_lines) != len(new_lines):
        return None
    left_aligned = static.styles.text_align in ("left", "start")
    regions: list[Region] = []
    y = 0
    for before, after in zip(old_lines, new_lines, strict=True):
        if same_content(before, after):
            y += len(before.wrap(width))
            continue
        old_rows, new_rows = before.wrap(width), after.wrap(width)
        if len(old_rows) != len(new_rows):
            return None
        for old_row, new_row in zip(old_rows, new_rows, strict=True):
            if not same_content(old_row, new_row):
                start, end = changed_span(old_row, new_row) if left_aligned else (0, width)
                end = max(start + 1, min(end, width))
                regions.append(Region(start, y, end - start, 1))
            y += 1
    # Our wrap must agree with what is on screen, or the rows are guesses.
    return regions if y == height else None


def changed_span(old: Content, new: Content) -> tuple[int, int]:
    """The columns [start, end) where one row of text changed: the whole row
    when the text changed width (what follows moved) or its styles changed,
    else from the first to the last differing character ("10s ago" ->
    "20s ago" is the "1"). ``partial_updates`` sends only that span."""
    a, b = old.plain, new.plain
    if old.cell_length != new.cell_length or old.spans != new.spans or len(a) != len(b):
        return 0, max(old.cell_length, new.cell_length)
    differ = [i for i in range(len(a)) if a[i] != b[i]]
    first, last = differ[0], differ[-1]
    start = min(cell_len(a[:first]), cell_len(b[:first]))
    return start, max(cell_len(a[: last + 1]), cell_len(b[: last + 1]))
