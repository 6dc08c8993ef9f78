"""The rows poll events changed since the fleet screen's last redraw.

An event is kept as it came: at 10,000 live chargers a poll changes ~2,000
rows, and folding them into a dict as each event arrives cost the UI thread
~2 ms a poll. They are merged at the redraw, in a worker thread when many.
"""

from __future__ import annotations

from collections.abc import Sequence

from polaris_tui.models import ChargerRow


class PendingRows:
    """Events' changed rows and removed keys, in arrival order."""

    def __init__(self) -> None:
        self._events: list[tuple[Sequence[ChargerRow], Sequence[str]]] = []
        self.size = 0
        """Rows and keys held (a merge may hold fewer)."""

    def add(self, changed: Sequence[ChargerRow], removed: Sequence[str]) -> None:
        self._events.append((changed, removed))
        self.size += len(changed) + len(removed)

    def take(self) -> list[tuple[Sequence[ChargerRow], Sequence[str]]]:
        """Every event held, oldest first; none held afterwards."""
        events, self._events, self.size = self._events, [], 0
        return events


def merged(
    events: Sequence[tuple[Sequence[ChargerRow], Sequence[str]]],
) -> tuple[list[ChargerRow], set[str]]:
    """The rows changed and the keys removed by ``events`` taken in order: a
    later event's row replaces an earlier one's, a removal cancels a change
    and a change cancels a removal. O(rows)."""
    if len(events) == 1:
        changed, removed = events[0]
        return list(changed), set(removed)
    rows: dict[str, ChargerRow] = {}
    gone: set[str] = set()
    for changed, removed in events:
        for key in removed:
            rows.pop(key, None)
            gone.add(key)
        for row in changed:
            rows[row.charge_box_id] = row
            gone.discard(row.charge_box_id)
    return list(rows.values()), gone
