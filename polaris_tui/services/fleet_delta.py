"""Row builds that look only at the stations whose inputs changed (issue 13).

At 10,000 chargers a steady poll changes a few dozen stations, yet a build
that visits every station (``fleet_rules.rebuild``) is a Python pass over
10,000 of them: 100-200 ms a cycle. ``rebuild_changed`` finds the stations
whose row can differ from the last build's and builds those alone:

* a station the poll's parser handed back as a new object (unchanged items
  come back as the very objects of the last poll, ``wire_cache`` and
  ``page_memo``);
* a station whose open sessions, their meter notes, or the card and
  customer lookups are not the objects its row was built from;
* what changes with the clock alone: a heartbeat that goes stale (each
  station's moment is kept in a heap) and a session whose connector does
  not fit it (rule (a) counts its grace and shows "for N min").

Any other change — a station added, gone or moved, a station listed twice,
another inventory, other settings, a clock that went back — builds every
row (``rebuild``), as before. Kept rows keep their ``fetched_at``: the
build's own is ``Rebuilt.fetched_at``, stamped on rows as they are read
(``PollerState.row``), so a quiet cycle copies no row.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import compress

from polaris_tui.models import ChargeBox, ChargerRow, FleetCounts, InventoryCharger, Transaction
from polaris_tui.services.fleet_reuse import LinkInputs, Previous, SessionInputs
from polaris_tui.services.fleet_rules import (
    COUNT_FIELDS,
    FleetData,
    Rebuilt,
    StationRows,
    rebuild,
    same_row,
    sessions_by_box,
    tally,
)
from polaris_tui.services.settings import PollSettings
from polaris_tui.services.stuck_rules import CHARGING_LIKE, MeterNote

STALE_SLACK = 0.001
"""Seconds: a heartbeat this close to going stale is looked at again (float
rounding must never keep a row that turned stale)."""


@dataclass(frozen=True)
class Basis:
    """What a build saw, for the next build to tell what changed. Never
    changed after it is made (a threaded build may be thrown away)."""

    chargers: Sequence[ChargeBox]
    inventory: Sequence[InventoryCharger]
    poll: PollSettings
    now: datetime
    positions: Mapping[str, int]
    """Each station's place in ``chargers`` (the same while no station moves)."""
    stale_due: list[tuple[float, str]]
    """A heap: when each online station's heartbeat goes stale (POSIX seconds)."""
    clocked: frozenset[str]
    """Stations with a session whose connector does not fit it: judged anew each build."""
    links: LinkInputs | None
    active: Sequence[Transaction]
    by_box: Mapping[str, Sequence[Transaction]]
    """``active`` grouped by station (kept while the list holds the same objects)."""
    notes: Mapping[int, MeterNote]


@dataclass(frozen=True)
class Built:
    """A row build, its diff, and what the next build compares against."""

    result: Rebuilt
    basis: Basis | None
    fetched_at: datetime | None
    """The ``fetched_at`` of the build's SteVe rows (kept rows may carry an older one)."""
    full: bool = field(default=False)
    """Every station was visited (no basis, or a change the delta does not follow)."""


def _stale_at(box: ChargeBox, poll: PollSettings) -> float | None:
    if box.online is False or box.last_heartbeat is None:
        return None
    return box.last_heartbeat.timestamp() + poll.heartbeat_stale_seconds


def _reads_clock(box: ChargeBox, transactions: Sequence[Transaction]) -> bool:
    """Does a session's judgement depend on the clock (``stuck_rules.status_rule``)?"""
    for tx in transactions:
        for connector in box.connectors:
            if connector.connector_id != tx.connector_id:
                continue
            if connector.status and connector.status not in CHARGING_LIKE:
                return True
            break
    return False


def _fetched_at(data: FleetData) -> datetime | None:
    known = [t for t in (data.status_fetched_at, data.transactions_fetched_at) if t is not None]
    return min(known) if known else None


def _basis_of(result: Rebuilt, data: FleetData, now: datetime, poll: PollSettings) -> Basis | None:
    """The basis after a full build (None: a station listed twice, always built whole)."""
    if len(result.boxes) != len(data.chargers):
        return None
    by_box = sessions_by_box(data.active_transactions)
    limit = now.timestamp()
    due = [
        (at, key)
        for key, box in result.boxes.items()
        if (at := _stale_at(box, poll)) is not None and at > limit
    ]
    heapq.heapify(due)
    clocked = frozenset(
        key
        for key, txs in by_box.items()
        if key in result.boxes and _reads_clock(result.boxes[key], txs)
    )
    links = next(iter(result.sessions.values())).links if result.sessions else None
    return Basis(
        chargers=data.chargers,
        inventory=data.inventory,
        poll=poll,
        now=now,
        positions={key: index for index, key in enumerate(result.boxes)},
        stale_due=due,
        clocked=clocked,
        links=links,
        active=data.active_transactions,
        by_box=by_box,
        notes=data.meter_notes,
    )


def rebuild_all(
    old: dict[str, ChargerRow],
    data: FleetData,
    now: datetime,
    poll: PollSettings,
    built_from: Mapping[str, ChargeBox] | None = None,
    sessions_from: Mapping[str, SessionInputs] | None = None,
) -> Built:
    """Every station visited (``rebuild``), and the basis for the next build."""
    result = rebuild(old, data, now, poll, built_from, sessions_from)
    return Built(result, _basis_of(result, data, now, poll), _fetched_at(data), full=True)


def _same_objects(a: Sequence[object], b: Sequence[object]) -> bool:
    return a is b or (len(a) == len(b) and all(map(operator.is_, a, b)))


def _changed_stations(
    basis: Basis,
    data: FleetData,
    now: datetime,
    poll: PollSettings,
    boxes: dict[str, ChargeBox],
    sessions_from: Mapping[str, SessionInputs],
) -> tuple[set[str], Mapping[str, Sequence[Transaction]]] | None:
    """The stations whose row may differ from the last build's, and the open
    sessions by station; ``boxes`` is updated with the poll's new station
    objects. None: build every row."""
    if now < basis.now or poll != basis.poll:
        return None
    if data.inventory is not basis.inventory and data.inventory != basis.inventory:
        return None
    dirty: set[str] = set()
    new, old = data.chargers, basis.chargers
    if new is not old:
        if len(new) != len(old):
            return None
        for at in compress(range(len(new)), map(operator.is_not, new, old)):
            key = new[at].charge_box_id
            if key != old[at].charge_box_id:
                return None  # a station added, gone or moved
            dirty.add(key)
            boxes[key] = new[at]
    links = LinkInputs(data.tags, data.card_meta, data.customers)
    same_links = basis.links is not None and links.same_as(basis.links)
    notes = data.meter_notes
    active = data.active_transactions
    if _same_objects(active, basis.active):
        # The same sessions: only those with a new meter note, or all of them
        # when the card or customer lookups changed.
        by_box = basis.by_box
        if not same_links:
            dirty.update(by_box)
        else:
            last = basis.notes
            renoted = [k for k, note in notes.items() if last.get(k) is not note]
            renoted += [k for k in last if k not in notes]
            if renoted:
                station_of = {tx.id: tx.charge_box_id for tx in active}
                dirty.update(station_of[k] for k in renoted if k in station_of)
    else:
        by_box = sessions_by_box(active)
        for key, open_here in by_box.items():
            before = sessions_from.get(key)
            if (
                not same_links
                or before is None
                or not _same_objects(before.transactions, open_here)
                or any(
                    notes.get(tx.id) is not note
                    for tx, note in zip(open_here, before.notes, strict=True)
                )
            ):
                dirty.add(key)
        dirty.update(key for key in sessions_from if key not in by_box)
    dirty.update(basis.clocked)
    return dirty, by_box


def rebuild_changed(
    old: dict[str, ChargerRow],
    data: FleetData,
    now: datetime,
    poll: PollSettings,
    built_from: Mapping[str, ChargeBox] | None,
    sessions_from: Mapping[str, SessionInputs] | None,
    basis: Basis | None,
    counts: FleetCounts,
) -> Built:
    """Build the rows of the stations that changed since ``basis``'s build
    (``old``, ``built_from``, ``sessions_from`` and ``counts`` are that
    build's), keep every other row as it is; or every row when the change
    is not one the delta follows. Pure: safe in a worker thread."""
    if basis is None or built_from is None or sessions_from is None:
        return rebuild_all(old, data, now, poll, built_from, sessions_from)
    boxes = dict(built_from)
    found = _changed_stations(basis, data, now, poll, boxes, sessions_from)
    if found is None:
        return rebuild_all(old, data, now, poll, built_from, sessions_from)
    dirty, by_box = found
    due = list(basis.stale_due)
    limit = now.timestamp() + STALE_SLACK
    while due and due[0][0] <= limit:
        dirty.add(heapq.heappop(due)[1])
    positions = basis.positions
    stations = sorted((key for key in dirty if key in boxes), key=positions.__getitem__)
    sessions_out: dict[str, SessionInputs] = {}
    build = StationRows(
        data, now, poll, Previous(built_from, old, sessions_from), sessions_out, by_box
    )
    rows = dict(old)
    sessions = dict(sessions_from)
    sums = [getattr(counts, name) for name in COUNT_FIELDS]
    changed: list[ChargerRow] = []
    clocked = set(basis.clocked)
    limit = now.timestamp()
    for key in stations:
        box = boxes[key]
        row = build.row(box)
        before = rows[key]
        if before is not row:
            if not same_row(before, row):
                changed.append(row)
            for index, (gone, came) in enumerate(zip(tally(before), tally(row), strict=True)):
                sums[index] += came - gone
            rows[key] = row
        sessions.pop(key, None)
        clocked.discard(key)
        open_here = by_box.get(key, ())
        if open_here and _reads_clock(box, open_here):
            clocked.add(key)
        at = _stale_at(box, poll)
        if at is not None and at > limit:
            heapq.heappush(due, (at, key))
    sessions.update(sessions_out)
    result = Rebuilt(
        rows,
        changed,
        [],
        FleetCounts(**dict(zip(COUNT_FIELDS, sums, strict=True))),
        boxes,
        sessions,
    )
    next_basis = replace(
        basis,
        chargers=data.chargers,
        inventory=data.inventory,
        now=now,
        stale_due=due,
        clocked=frozenset(clocked),
        links=build.links if sessions else None,
        active=data.active_transactions,
        by_box=by_box,
        notes=data.meter_notes,
    )
    return Built(result, next_basis, _fetched_at(data))
