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

import bisect
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from polaris_tui.models import ChargerRow
from polaris_tui.release import release
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
    """Every row keyed by ChargeBox ID, the filter, and the display order.

    The whole fleet is kept sorted (``_sorted``, ascending by ``_keys``, each
    key ending with the ChargeBox ID so no two rows tie); the rows shown
    (``order``) are that list filtered by ``match``, reversed for a reverse
    sort. So a filter keystroke is one pass over a list of keys (no sort),
    and a poll that changed N rows moves those N keys (bisect) instead of
    sorting the fleet again.
    """

    def __init__(self) -> None:
        self.rows: dict[str, ChargerRow] = {}
        """Every row, whether the filter shows it or not."""
        self.order: list[str] = []
        """ChargeBox IDs shown, in display order."""
        self.sort_by = "attention"
        """Key of ``SORTS`` currently applied."""
        self.sort_reverse = False
        self.match: set[str] | None = None
        """The keys the filter lets through (None: no filter)."""
        self._keys: dict[str, tuple[Any, str]] = {}
        """key -> (sort key, ChargeBox ID) of the row in ``rows``."""
        self._sorted: list[str] = []
        """Every key, ascending by ``_keys``."""
        self._index: dict[str, int] | None = None
        self._version = 0
        """Counts changes to rows, keys and sort: a ``planned`` update from an
        older version is not adopted."""

    def __len__(self) -> int:
        return len(self.order)

    def replace(self, rows: Iterable[ChargerRow]) -> set[str]:
        """Every row from now on (the rows not given are gone).

        Returns:
            The keys whose row is a different object than before.
        """
        new = {row.charge_box_id: row for row in rows}
        old = self.rows
        changed = {key for key, row in new.items() if old.get(key) is not row}
        removed = [key for key in old if key not in new]
        self.update((new[key] for key in changed), removed)
        return changed

    def update(self, changed: Iterable[ChargerRow], removed: Iterable[str] = ()) -> bool:
        """Apply a poll's changed and removed rows: O(rows changed) keys
        computed, and each row whose sort key moved is moved by bisection
        (a full sort when many moved). Returns whether ``order`` changed."""
        ordered = _apply(self.rows, self._keys, self._sorted, SORTS[self.sort_by], changed, removed)
        self._version += 1
        if ordered is None:
            return False
        self._sorted = ordered
        self._filter()
        return True

    def planned(
        self, changed: Collection[ChargerRow], removed: Collection[str] = ()
    ) -> PlannedUpdate:
        """``update``'s result worked out on copies, this model untouched: safe
        in a worker thread while the UI thread draws from it (each copy is
        taken whole, under the GIL). ``adopt`` it on the UI thread."""
        version, sort_key = self._version, SORTS[self.sort_by]
        rows, keys, ordered = dict(self.rows), dict(self._keys), list(self._sorted)
        moved = _apply(rows, keys, ordered, sort_key, changed, removed)
        return PlannedUpdate(
            version, rows, keys, ordered if moved is None else moved, moved is not None
        )

    def adopt(self, plan: PlannedUpdate) -> bool:
        """Take a ``planned`` update, unless the model changed since it was
        planned (a sort, another update): the caller then applies the rows
        with ``update``. Returns whether it was taken."""
        if plan.version != self._version:
            return False
        # The replaced dicts hold the changed rows' old versions: freed off this thread.
        release(self.rows, self._keys, self._sorted, self.order)
        self.rows, self._keys, self._sorted = plan.rows, plan.keys, plan.ordered
        self._version += 1
        if plan.order_changed:
            self._filter()
        return True

    def set_filter(self, match: set[str] | None) -> None:
        """Show only the rows whose key is in ``match`` (None: every row)."""
        self.match = match
        self._filter()

    def set_sort(self, sort_by: str, reverse: bool) -> None:
        """Sort by another column (every key computed again) or direction."""
        if sort_by != self.sort_by:
            sort_key = SORTS[sort_by]
            self._keys = {key: (sort_key(row), key) for key, row in self.rows.items()}
            self.sort_by = sort_by
            self._sort()
            self._version += 1
        self.sort_reverse = reverse
        self._filter()

    def _sort(self) -> None:
        self._sorted = sorted(self.rows, key=self._keys.__getitem__)

    def _filter(self) -> None:
        match = self.match
        shown = self._sorted if match is None else [k for k in self._sorted if k in match]
        self.order = shown[::-1] if self.sort_reverse else list(shown)
        self._index = None

    def index_of(self, key: str) -> int | None:
        """Position of ``key`` in the display order, or None if not shown."""
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self.order)}
        return self._index.get(key)


@dataclass(frozen=True)
class PlannedUpdate:
    """An update worked out off the UI thread (``FleetOrder.planned``)."""

    version: int
    rows: dict[str, ChargerRow]
    keys: dict[str, tuple[Any, str]]
    ordered: list[str]
    order_changed: bool


def _apply(
    rows: dict[str, ChargerRow],
    keys: dict[str, tuple[Any, str]],
    ordered: list[str],
    sort_key: Callable[[ChargerRow], Any],
    changed: Iterable[ChargerRow],
    removed: Iterable[str],
) -> list[str] | None:
    """Apply changed and removed rows to ``rows``, ``keys`` and ``ordered`` in
    place. Returns None when no row moved in the order, else the ordered keys:
    ``ordered`` itself, or a new list when a full sort was cheaper."""
    moved: list[tuple[str, tuple[Any, str] | None]] = []
    for key in removed:
        if rows.pop(key, None) is not None:
            moved.append((key, keys.pop(key, None)))
    added: list[str] = []
    for row in changed:
        key = row.charge_box_id
        value = (sort_key(row), key)
        old = keys.get(key)
        rows[key] = row
        if old != value:
            keys[key] = value
            moved.append((key, old))
            added.append(key)
    if not moved:
        return None
    if len(moved) > 64 or not _move(keys, ordered, moved, added):
        return sorted(rows, key=keys.__getitem__)
    return ordered


def _move(
    keys: dict[str, tuple[Any, str]],
    ordered: list[str],
    moved: list[tuple[str, tuple[Any, str] | None]],
    added: list[str],
) -> bool:
    """Take the moved rows out of ``ordered`` (found by the keys they were
    placed with), then put each back at its new key's place. False when one
    was not where it should be (the caller then sorts afresh)."""
    placed_with = {key: old for key, old in moved if old is not None}

    def as_placed(key: str) -> tuple[Any, str]:
        old = placed_with.get(key)
        return keys[key] if old is None else old

    for key, old in placed_with.items():
        at = bisect.bisect_left(ordered, old, key=as_placed)
        if at >= len(ordered) or ordered[at] != key:
            return False
        del ordered[at]
    for key in added:
        bisect.insort(ordered, key, key=keys.__getitem__)
    return True


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
