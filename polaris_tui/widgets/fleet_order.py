"""The fleet table's data model: which rows, in which order (no Textual here).

The virtual table draws only the rows on screen, so everything it must know
about the others lives here, and costs O(n) dictionary work per refresh, not
O(n) widgets or cells:

* ``apply`` takes the rows to show (the filter already applied) and finds the
  ones that changed by identity: the screen keeps unchanged rows as the same
  objects, so a poll that touched 50 chargers costs 10,000 ``is`` checks;
* each row's sort key is cached with the row it was computed from (also
  while a filter hides it), and the rows are re-sorted only when one of
  those keys or the set of rows changed;
* ``index_of`` (the cursor following its charger) is a lazily built dict.

Column widths are chosen here too (``fit_widths``): from each column's
maximum and the widest cell on screen, then narrowed, least useful column
first, until the table fits its width, so Stuck is never pushed off it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from polaris_tui.models import ChargerRow
from polaris_tui.widgets.fleet_cells import SORTS

SHRINK_ORDER: tuple[tuple[str, int], ...] = (
    ("description", 6),
    ("idtag", 6),
    ("connectors", 6),
    ("heartbeat", 6),
    ("id", 13),
    ("status", 8),
    ("since", 5),
    ("id", 8),
)
"""Columns narrowed when the screen is too small for all, first to last,
each down to the width given (the ID, what an operator reads a row by, kept
to 13 cells until the others gave what they can); the Stuck column never."""


class FleetOrder:
    """The rows the table shows, keyed by ChargeBox ID, and their display order."""

    def __init__(self) -> None:
        self.rows: dict[str, ChargerRow] = {}
        self.order: list[str] = []
        """ChargeBox IDs in display order."""
        self.sort_by = "attention"
        """Key of ``SORTS`` currently applied."""
        self.sort_reverse = False
        self._keys: dict[str, tuple[ChargerRow, Any]] = {}
        """key -> (the row its sort key was computed from, the sort key): kept
        while a filter hides the row, so clearing the filter costs no key."""
        self._index: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.order)

    def apply(self, rows: Iterable[ChargerRow]) -> tuple[bool, set[str]]:
        """Show ``rows`` from now on.

        Returns:
            (whether the set of rows shown changed, the keys whose row is a
            different object than when its sort key was computed).
        """
        new = {row.charge_box_id: row for row in rows}
        membership = new.keys() != self.rows.keys()
        keys = self._keys
        changed = {key for key, row in new.items() if (keys.get(key) or (None,))[0] is not row}
        sort_key = SORTS[self.sort_by]
        resort = membership
        for key in changed:
            value = sort_key(new[key])
            old = keys.get(key)
            if not resort and (old is None or old[1] != value):
                resort = True
            keys[key] = (new[key], value)
        if len(keys) > 2 * len(new) + 10_000:  # chargers gone from the fleet
            self._keys = {key: keys[key] for key in new}
        self.rows = new
        if resort:
            self._sort()
        return membership, changed

    def set_sort(self, sort_by: str, reverse: bool) -> None:
        """Sort by another column (every key computed again) or direction."""
        if sort_by != self.sort_by:
            sort_key = SORTS[sort_by]
            self._keys = {key: (row, sort_key(row)) for key, row in self.rows.items()}
        self.sort_by, self.sort_reverse = sort_by, reverse
        self._sort()

    def _sort(self) -> None:
        keys = self._keys
        self.order = sorted(self.rows, key=lambda key: keys[key][1], reverse=self.sort_reverse)
        self._index = None

    def index_of(self, key: str) -> int | None:
        """Position of ``key`` in the display order, or None if not shown."""
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self.order)}
        return self._index.get(key)


def fit_widths(
    natural: Sequence[int], keys: Sequence[str], available: int, padding: int = 2
) -> list[int]:
    """Column widths that fit ``available`` cells (with ``padding`` per column)
    when the ``SHRINK_ORDER`` columns can give enough; otherwise the narrowest
    they may be. ``natural`` is what each column would like."""
    widths = list(natural)
    excess = sum(widths) + padding * len(widths) - available
    position = {key: i for i, key in enumerate(keys)}
    for key, floor in SHRINK_ORDER:
        if excess <= 0:
            break
        i = position.get(key)
        if i is None or widths[i] <= floor:
            continue
        cut = min(excess, widths[i] - floor)
        widths[i] -= cut
        excess -= cut
    return widths
