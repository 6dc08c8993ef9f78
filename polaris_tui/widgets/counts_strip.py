"""The strip above the fleet table: online, offline, charging, faulted, stuck.

A one-line summary an operator reads before the table, with the age of the
data it counts. Numbers come from ``FleetCounts`` (computed by the services).
"""

from __future__ import annotations

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
            self.update(Content("Loading the fleet…"))
            return
        parts: list[Content | tuple[str, str] | str] = []

        def item(label: str, value: int, style: str) -> None:
            parts.append((f"{label} {value}", style if value else "dim"))
            parts.append("  ")

        item("Online", counts.online, "green")
        item("Offline", counts.offline, ALARM)
        item("Charging", counts.charging, "bold green")
        item("Faulted", counts.faulted, ALARM)
        item("Stuck", counts.stuck, ALARM)
        parts.append(f"Total {counts.total}  ")
        if shown is not None and matched is not None:
            if matched != counts.total or shown != matched:
                parts.append((f"showing {shown} of {matched}  ", "italic"))
        parts.append("│ ")
        parts.append(as_of(fetched_at, now, stale=stale))
        content = Content.assemble(*parts)
        key = (content.plain, tuple(content.spans))
        if key != getattr(self, "_shown_key", None):  # redrawn every second: repaint on change
            self._shown_key = key
            self.update(content)
