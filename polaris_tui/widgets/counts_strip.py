"""The strip above the fleet table: online, offline, charging, faulted, stuck.

A one-line summary an operator reads before the table, with the age of the
data it counts. Numbers come from ``FleetCounts`` (computed by the services).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.content import Content
from textual.widgets import Static

from polaris_tui.models import FleetCounts
from polaris_tui.widgets.alarm_style import ALARM
from polaris_tui.widgets.freshness import as_of


class CountsStrip(Static):
    """Fleet totals with the data's age; red accents when something needs attention."""

    DEFAULT_CSS = """
    CountsStrip { height: auto; padding: 0 1; }
    """

    _build: Callable[[str, bool], Content] | None = None
    """The strip for a gap and with or without its age: the last data shown."""
    _shown_key: tuple[object, ...] | None = None

    def show_counts(
        self,
        counts: FleetCounts | None,
        fetched_at: datetime | None,
        now: datetime,
        *,
        stale: bool = False,
        shown: int | None = None,
        matched: int | None = None,
    ) -> None:
        """Redraw the strip.

        Args:
            counts: fleet totals, or None before the first data.
            fetched_at: when the counted data was fetched.
            now: the app clock's now.
            stale: SteVe is unreachable: these are snapshot numbers.
            shown: rows in the table (when the table caps or filters).
            matched: rows that matched the filter.
        """
        if counts is None:
            self._shown_key = None
            self._build = None
            self.update(Content("Loading the fleet…"))
            return

        def build(gap: str, with_age: bool) -> Content:
            return _assemble(counts, fetched_at, now, stale, shown, matched, gap, with_age)

        self._build = build
        self._show_fitted()

    def on_resize(self) -> None:
        self._show_fitted()

    def _show_fitted(self) -> None:
        """Draw the strip on one line: tighter gaps when narrow, then without
        the "as of" (the table's border shows it too), rather than wrapping
        and costing the table a row. A stale snapshot keeps its "as of"."""
        build = self._build
        if build is None:
            return
        width = self.content_size.width
        for gap, with_age in (("  ", True), (" ", True), (" ", False)):
            content = build(gap, with_age)
            if width <= 0 or content.cell_length <= width:
                break
        key = (content.plain, tuple(content.spans))
        if key != self._shown_key:  # redrawn every second: repaint on change
            self._shown_key = key
            # Still one line: a repaint of the strip, not a layout of the whole
            # screen (~8 ms at 10,000 chargers, once a second and every poll).
            one_line = 0 < content.cell_length <= width and self.size.height == 1
            self.update(content, layout=not one_line)


def _assemble(
    counts: FleetCounts,
    fetched_at: datetime | None,
    now: datetime,
    stale: bool,
    shown: int | None,
    matched: int | None,
    gap: str,
    with_age: bool,
) -> Content:
    parts: list[Content | tuple[str, str] | str] = []

    def item(label: str, value: int, style: str) -> None:
        parts.append((f"{label} {value}", style if value else "dim"))
        parts.append(gap)

    item("Online", counts.online, "green")
    item("Offline", counts.offline, ALARM)
    item("Charging", counts.charging, "bold green")
    item("Faulted", counts.faulted, ALARM)
    item("Stuck", counts.stuck, ALARM)
    parts.append(f"Total {counts.total}{gap}")
    if shown is not None and matched is not None:
        if matched != counts.total or shown != matched:
            parts.append((f"showing {shown} of {matched}{gap}", "italic"))
    if with_age or stale:
        parts.append("│ ")
        parts.append(as_of(fetched_at, now, stale=stale))
    return Content.assemble(*parts)
