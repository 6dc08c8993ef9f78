"""Manager pages read again only where their rows changed (issue 13).

``page_memo`` keeps what each row's markup read as, but a poll still walked
the ~26,000 rows of a 10,000-charger fleet in Python (a memo lookup, a
grouping by station, a merge of the two pages per station): ~100 ms a
cycle beside the parse. Here a page's rows are compared with the last
poll's by position (their markups, as ``page_memo`` keys them) and only the
stations with a changed row are read, grouped and merged again; the rest
keep their models. Anything else that moved — rows added, removed or
reordered, a row that changed station, a skipped or empty row that is not
any more, a new epoch — falls back to the full reading, which is the
reference (``tests/unit/test_page_delta.py``).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import compress, count
from operator import ne
from typing import Any

from polaris_tui.models import ChargeBox
from polaris_tui.services.page_memo import RowMemo

SLACK_ROWS = 256
"""Rows a memo may hold beyond a quarter more than the page's before a full
pass prunes it: a pass over changed rows keeps the rows they replaced, so
between two full passes (about every 130 polls at 30 changed rows) the
memo grows by at most that quarter."""


def changed_rows(last: Sequence[str], markups: Sequence[str]) -> list[int] | None:
    """Positions whose markup differs from the last poll's; None: not the same rows."""
    if len(last) != len(markups):
        return None
    # In C: a str compares equal to itself without reading it.
    return list(compress(count(), map(ne, markups, last)))


def _resumable(memo: RowMemo[Any, Any], epoch: Hashable, markups: Sequence[str]) -> bool:
    return memo.read_in(epoch) and memo.size() <= len(markups) * 5 // 4 + SLACK_ROWS


# --------------------------------------------------------------------------
# The connector-status page: rows grouped into stations
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusLayout:
    """The connector-status page as last read: each row's markup, what it
    read as (a row tuple whose first item is the station id, None for a
    skipped row, the empty marker), its number in log messages, each
    station's place in ``boxes`` and its rows' positions."""

    markups: list[str]
    reads: list[Any]
    numbers: array[int]
    stations: dict[str, tuple[int, tuple[int, ...]]]
    boxes: list[ChargeBox]


def _station_of(read: Any, empty: object) -> str | None:
    return None if read is None or read is empty else str(read[0])


def status_again(
    memo: RowMemo[Any, ChargeBox],
    epoch: Hashable,
    markups: list[str],
    read_at: Callable[[int, int], Any],
    build: Callable[[tuple[Any, ...]], ChargeBox],
    empty: object,
) -> list[ChargeBox] | None:
    """The stations of the status page when only rows' contents changed
    since the last reading, or None (read it whole).

    ``read_at(position, number)`` reads one row; ``build(rows)`` makes a
    station of its rows (in page order)."""
    layout = memo.layout
    if not isinstance(layout, StatusLayout) or not _resumable(memo, epoch, markups):
        return None
    changed = changed_rows(layout.markups, markups)
    if changed is None:
        return None
    if not changed:
        return list(layout.boxes)
    reading = memo.resume(epoch)
    if reading is None:
        return None
    reads = list(layout.reads)
    touched: set[str] = set()
    for i in changed:
        old = layout.reads[i]
        new = reading.row(markups[i], partial(read_at, i, layout.numbers[i]))
        station = _station_of(new, empty)
        if (old is empty) != (new is empty) or station != _station_of(old, empty):
            return None  # numbering or grouping moved: read the page whole
        reads[i] = new
        if station is not None:
            touched.add(station)
    boxes = list(layout.boxes)
    for station in touched:
        index, positions = layout.stations[station]
        rows = tuple(reads[j] for j in positions)
        boxes[index] = reading.group(tuple(markups[j] for j in positions), partial(build, rows))
    memo.keep(reading, replace(layout, markups=markups, reads=reads, boxes=boxes))
    return boxes


def status_layout(
    markups: list[str], reads: list[Any], numbers: array[int], boxes: list[ChargeBox], empty: object
) -> StatusLayout:
    """The layout of a full reading (``boxes`` in first-row order of their stations)."""
    positions: dict[str, list[int]] = {}
    for i, read in enumerate(reads):
        station = _station_of(read, empty)
        if station is not None:
            positions.setdefault(station, []).append(i)
    stations = {
        station: (index, tuple(rows)) for index, (station, rows) in enumerate(positions.items())
    }
    return StatusLayout(markups, reads, numbers, stations, boxes)


# --------------------------------------------------------------------------
# The charge point overview: one station a row
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverviewLayout:
    """The overview page as last read: each row's markup, its station (None:
    skipped), and its place in ``boxes`` (-1: skipped or a repeated id)."""

    markups: list[str]
    made: list[ChargeBox | None]
    slots: array[int]
    boxes: list[ChargeBox]


def overview_again(
    memo: RowMemo[ChargeBox | None, ChargeBox],
    epoch: Hashable,
    markups: list[str],
    read_at: Callable[[int], ChargeBox | None],
) -> list[ChargeBox] | None:
    """The stations of the overview page when only rows' contents changed, or None."""
    layout = memo.layout
    if not isinstance(layout, OverviewLayout) or not _resumable(memo, epoch, markups):
        return None
    changed = changed_rows(layout.markups, markups)
    if changed is None:
        return None
    if not changed:
        return list(layout.boxes)
    reading = memo.resume(epoch)
    if reading is None:
        return None
    made = list(layout.made)
    boxes = list(layout.boxes)
    for i in changed:
        old = layout.made[i]
        new = reading.row(markups[i], partial(read_at, i))
        if (old is None) != (new is None) or (
            old is not None and new is not None and old.charge_box_id != new.charge_box_id
        ):
            return None
        made[i] = new
        slot = layout.slots[i]
        if new is not None and slot >= 0:
            boxes[slot] = new
    memo.keep(reading, replace(layout, markups=markups, made=made, boxes=boxes))
    return boxes


# --------------------------------------------------------------------------
# The merge of the two pages
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MergeLayout:
    """The last merge's inputs and output, and each station's place in it."""

    base: list[ChargeBox]
    status: list[ChargeBox]
    merged: list[ChargeBox]
    slots: dict[str, int]


def _moved(last: list[ChargeBox], now: list[ChargeBox]) -> list[int] | None:
    """Positions holding another object than last time; None when a station
    id moved or the list's length changed."""
    if len(last) != len(now):
        return None
    changed = [i for i, (a, b) in enumerate(zip(now, last, strict=True)) if a is not b]
    if any(now[i].charge_box_id != last[i].charge_box_id for i in changed):
        return None
    return changed


def merge_again(
    layout: MergeLayout | None,
    base: list[ChargeBox],
    status: list[ChargeBox],
    merge_one: Callable[[ChargeBox, ChargeBox], ChargeBox],
    found_before: Callable[[str], ChargeBox | None],
) -> list[ChargeBox] | None:
    """The merge when only some stations' models changed in either list, or None.

    ``merge_one(base, found)`` merges one station; ``found_before(id)`` is the
    status model last merged into that station (None: it had none)."""
    if layout is None:
        return None
    in_base = _moved(layout.base, base)
    in_status = _moved(layout.status, status)
    if in_base is None or in_status is None:
        return None
    if not in_base and not in_status:
        return layout.merged
    found_now = {status[k].charge_box_id: status[k] for k in in_status}
    merged = list(layout.merged)
    for station in {base[i].charge_box_id for i in in_base} | set(found_now):
        slot = layout.slots[station]
        if slot >= len(base):  # only on the status page: listed as it is
            merged[slot] = found_now.get(station, merged[slot])
            continue
        found = found_now[station] if station in found_now else found_before(station)
        merged[slot] = base[slot] if found is None else merge_one(base[slot], found)
    return merged


def merge_layout(
    base: list[ChargeBox], status: list[ChargeBox], merged: list[ChargeBox]
) -> MergeLayout | None:
    """The layout of a full merge; None when an id repeats in either list
    (the first or last one wins there: always merged whole)."""
    slots = {box.charge_box_id: i for i, box in enumerate(merged)}
    status_ids = {box.charge_box_id for box in status}
    if len(slots) != len(merged) or len(status_ids) != len(status):
        return None
    return MergeLayout(list(base), list(status), merged, slots)
