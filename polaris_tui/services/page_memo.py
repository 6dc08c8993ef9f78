"""What was read from a manager page last cycle, reused where it did not change.

At 10,000 chargers vanilla SteVe's two manager pages hold ~26,000 table
rows; between two polls a few dozen change. Reading every row's cells from
the parsed tree and building its pydantic models was most of a cycle.

Rows are keyed by their markup as Lexbor serializes it (``node.html``),
taken from the parsed tree, not cut from the page's bytes (``<tr`` may sit
in an attribute value): equal markup means equal cells, so the row reads as
before. The ``epoch`` is what a reading also depends on (the columns, the
UTC date for "Today at 09:58"): a new one forgets every row. Models made
from kept rows are the same objects as last cycle (the poller never changes
them in place), which also makes its row-reuse checks identity tests.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from polaris_tui.models import ChargeBox

R = TypeVar("R")
G = TypeVar("G")


class RowMemo(Generic[R, G]):
    """One page's rows (``R``, by markup) and groups of rows (``G``, by the
    rows they were made of) from the last ``Pass`` that was kept."""

    def __init__(self) -> None:
        self._epoch: Hashable = None
        self._rows: dict[str, R] = {}
        self._groups: dict[Hashable, G] = {}
        self.layout: object = None
        """What the last pass read, row by row, for a next pass that reads
        only the rows whose markup changed (``page_delta``); None: unknown."""
        self.cut: object = None
        """The last page as text, cut at its rows and checked against its
        full parse (``page_cut``), for a next page parsed by its changed
        rows only; None: read the next page whole."""
        self.cut_wait = 0
        """Full reads left before a page's cut is checked again (one failed)."""
        self.cut_reads = 0
        """Pages read by their cut (for tests: the cut is used, or not)."""

    def start(self, epoch: Hashable) -> RowPass[R, G]:
        """A new reading of the page. Passes never share a dict they write,
        so two readings in two threads cannot corrupt each other."""
        if epoch != self._epoch:
            return RowPass(epoch, {}, {})
        return RowPass(epoch, self._rows, self._groups)

    def resume(self, epoch: Hashable) -> RowPass[R, G] | None:
        """A reading that adds to the last one (it keeps every row and group
        the last pass had: a pass over the changed rows only), or None when
        it cannot: another epoch, or rows gone since piled up (a full pass
        drops them)."""
        if epoch != self._epoch or self.layout is None:
            return None
        done = RowPass(epoch, self._rows, self._groups)
        done.rows, done.groups = dict(self._rows), dict(self._groups)
        return done

    def read_in(self, epoch: Hashable) -> bool:
        """Whether the last pass read the page in this epoch (its rows still hold)."""
        return epoch == self._epoch

    def size(self) -> int:
        """Rows remembered (a full pass keeps only the rows it read)."""
        return len(self._rows)

    def keep(self, done: RowPass[R, G], layout: object = None) -> None:
        """Remember what ``done`` read (and only that: vanished rows drop),
        and the page's ``layout`` (``page_delta``)."""
        self._epoch, self._rows, self._groups = done.epoch, done.rows, done.groups
        self.layout = layout


class RowPass(Generic[R, G]):
    """One reading of a page against the last one's rows and groups."""

    def __init__(self, epoch: Hashable, rows: dict[str, R], groups: dict[Hashable, G]) -> None:
        self.epoch = epoch
        self._old_rows = rows
        self._old_groups = groups
        self.rows: dict[str, R] = {}
        self.groups: dict[Hashable, G] = {}
        self.read = 0
        """Rows read afresh (not found in the last pass)."""

    def row(self, markup: str, read: Callable[[], R]) -> R:
        """What ``read`` makes of the row, or what it made of the same markup."""
        if markup in self.rows:
            return self.rows[markup]
        if markup in self._old_rows:
            made = self._old_rows[markup]
        else:
            made = read()
            self.read += 1
        self.rows[markup] = made
        return made

    def group(self, key: Hashable, build: Callable[[], G]) -> G:
        """What ``build`` makes of a group of rows, or the last one made of equal rows."""
        made = self.groups.get(key)
        if made is None:
            made = self._old_groups.get(key)
            if made is None:
                made = build()
            self.groups[key] = made
        return made


class MergeMemo:
    """The last merge of each station: a station whose overview and status
    models are the very objects of the last merge keeps its merged model."""

    def __init__(self) -> None:
        self._merged: dict[str, tuple[ChargeBox, ChargeBox, ChargeBox]] = {}
        self.layout: Any = None
        """The last merge's inputs and output (``page_delta.MergeLayout``)."""

    def found(self, charge_box_id: str) -> ChargeBox | None:
        """The status model last merged into this station (None: none was)."""
        last = self._merged.get(charge_box_id)
        return None if last is None else last[1]

    def merged(
        self, base: ChargeBox, found: ChargeBox, merge: Callable[[ChargeBox, ChargeBox], ChargeBox]
    ) -> ChargeBox:
        last = self._merged.get(base.charge_box_id)
        if last is not None and last[0] is base and last[1] is found:
            return last[2]
        made = merge(base, found)
        self._merged[base.charge_box_id] = (base, found, made)
        return made

    def forget_except(self, ids: set[str]) -> None:
        """Drop stations no longer merged (a fleet that shrank)."""
        if len(self._merged) > len(ids):
            self._merged = {k: v for k, v in self._merged.items() if k in ids}
