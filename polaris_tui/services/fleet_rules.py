"""Fleet rules: charger rows and counts from the poller's data.

Pure functions only (no I/O, no service objects): the poller builds its rows
with them (in a worker thread) and ``FleetService`` its charger detail, so
the rules are written once and tested without a screen or a service.

Rules (each value says where it came from — ``source`` — and how old it is —
``fetched_at``, connector ``timestamp``):

* **Status roll-up** over all connectors (connector 0 included), highest
  first: Charging > SuspendedEV/SuspendedEVSE > Preparing > Finishing >
  Faulted > Unavailable > Reserved > Available. ``Offline`` when the station
  is known to be disconnected (``online is False``), ``Unknown`` with no
  connector data, ``Unmanaged`` for local inventory chargers outside SteVe.
* **Liveness**: ``offline`` if ``online is False``; otherwise ``stale`` if
  the last heartbeat is older than ``poll.heartbeat_stale_seconds``,
  ``online`` if it is newer; with no heartbeat, ``online`` when SteVe says the
  websocket is open and ``unknown`` when the source cannot tell (manager page
  without the offline marker); ``unmanaged`` for inventory chargers.
* **Card links**: a session's customer follows ``card_links`` (the card's own
  Lago link, else its nearest ancestor's).
* **Stuck** sessions and the meter notes they are judged on: the rules
  are in ``stuck_rules.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from polaris_tui.models import (
    CardMeta,
    ChargeBox,
    ChargerRow,
    ConnectorStatus,
    FleetCounts,
    InventoryCharger,
    LagoCustomer,
    Liveness,
    OcppTag,
    OpenSession,
    StatusSource,
    Transaction,
)
from polaris_tui.services.card_links import customer_id_of
from polaris_tui.services.fleet_reuse import LinkInputs, Previous, SessionInputs
from polaris_tui.services.settings import PollSettings
from polaris_tui.services.stuck_rules import (
    CHARGING_LIKE,
    MeterNote,
    judge,
    meter_fields,
    meter_rule,
    read_meter,
    status_rule,
)

STATUS_PRIORITY = (
    "Charging",
    "SuspendedEV",
    "SuspendedEVSE",
    "Preparing",
    "Finishing",
    "Faulted",
    "Unavailable",
    "Reserved",
    "Available",
)
_RANK = {status: rank for rank, status in enumerate(STATUS_PRIORITY)}


# --------------------------------------------------------------------------
# Inputs, and the pure functions that turn them into rows
# --------------------------------------------------------------------------


@dataclass
class FleetData:
    """Everything a row build needs (the poller's current data)."""

    chargers: Sequence[ChargeBox] = ()
    active_transactions: Sequence[Transaction] = ()
    tags: Sequence[OcppTag] = ()
    customers: Sequence[LagoCustomer] = ()
    card_meta: dict[str, CardMeta] = field(default_factory=dict)
    inventory: Sequence[InventoryCharger] = ()
    status_fetched_at: datetime | None = None
    transactions_fetched_at: datetime | None = None
    meter_notes: dict[int, MeterNote] = field(default_factory=dict)


def rollup_status(box: ChargeBox) -> tuple[str, datetime | None]:
    """The station's one-word status and since when (see the module rules)."""
    if box.online is False:
        return "Offline", box.last_heartbeat
    best: ConnectorStatus | None = None
    for connector in box.connectors:
        rank = _RANK.get(connector.status)
        if rank is None:
            continue
        if best is None or rank < _RANK[best.status]:
            best = connector
    if best is None:
        unknown = next((c for c in box.connectors if c.status), None)
        return (unknown.status, unknown.timestamp) if unknown else ("Unknown", None)
    return best.status, best.timestamp


def liveness(box: ChargeBox, now: datetime, stale_seconds: float) -> Liveness:
    """Online / stale / offline / unknown (see the module rules)."""
    if box.online is False:
        return Liveness.OFFLINE
    if box.last_heartbeat is not None:
        age = (now - box.last_heartbeat).total_seconds()
        return Liveness.STALE if age > stale_seconds else Liveness.ONLINE
    return Liveness.ONLINE if box.online else Liveness.UNKNOWN


def _connector(box: ChargeBox | None, connector_id: int) -> ConnectorStatus | None:
    if box is None:
        return None
    for connector in box.connectors:
        if connector.connector_id == connector_id:
            return connector
    return None


@dataclass
class Lookups:
    """Indexes built once per row build."""

    tags_by_id: dict[str, OcppTag]
    customers_by_id: dict[str, LagoCustomer]
    card_meta: dict[str, CardMeta]

    @classmethod
    def of(cls, data: FleetData) -> Lookups:
        return cls(
            tags_by_id={t.id_tag: t for t in data.tags},
            customers_by_id={c.external_id: c for c in data.customers},
            card_meta=data.card_meta,
        )

    def customer(self, id_tag: str) -> LagoCustomer | None:
        ext = customer_id_of(id_tag, self.card_meta, self.tags_by_id)
        return self.customers_by_id.get(ext) if ext else None


def row_session(
    tx: Transaction,
    box: ChargeBox | None,
    lookups: Lookups,
    now: datetime,
    threshold: timedelta,
    note: MeterNote | None,
) -> OpenSession:
    """An open session as Polaris knows it: poll data plus the newest meter note."""
    connector = _connector(box, tx.connector_id)
    reason = judge(tx, connector, note, now, threshold)
    return OpenSession(
        transaction=tx,
        card=lookups.card_meta.get(tx.ocpp_id_tag),
        customer=lookups.customer(tx.ocpp_id_tag),
        stuck=reason is not None,
        stuck_reason=reason,
        **meter_fields(tx, note),
    )


def pick_session(sessions: list[OpenSession]) -> OpenSession | None:
    """The session a row shows: a stuck one first, else the newest."""
    if not sessions:
        return None
    return max(sessions, key=lambda s: (s.stuck, s.transaction.start_timestamp, s.transaction.id))


def _oldest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return min(known) if known else None


def build_rows(
    data: FleetData,
    now: datetime,
    poll: PollSettings,
    previous: Previous | None = None,
    sessions_out: dict[str, SessionInputs] | None = None,
) -> list[ChargerRow]:
    """One row per SteVe station, then one per local inventory charger SteVe does not list.

    ``fetched_at`` of a row is the older of the live-status and the
    transaction fetch times (a row is only as fresh as its oldest part).
    ``previous``: the last build, whose unchanged rows are kept (``Previous``).
    ``sessions_out``: filled with what each row with sessions was built from
    (the next build's ``Previous.sessions``).
    """
    build = StationRows(data, now, poll, previous, sessions_out)
    rows: list[ChargerRow] = []
    seen: set[str] = set()
    for box in data.chargers:
        if box.charge_box_id in seen:
            continue  # a station listed twice: first one wins
        seen.add(box.charge_box_id)
        rows.append(build.row(box))
    for local in data.inventory:
        if local.charge_box_id in seen:
            continue
        seen.add(local.charge_box_id)
        rows.append(inventory_row(local))
    return rows


def inventory_row(local: InventoryCharger) -> ChargerRow:
    """The row of a local inventory charger SteVe does not list."""
    return ChargerRow(
        charge_box_id=local.charge_box_id,
        description=local.description,
        status="Unmanaged" if not local.managed else "Unknown",
        liveness=Liveness.UNMANAGED if not local.managed else Liveness.UNKNOWN,
        managed=local.managed,
        source=StatusSource.SNAPSHOT,
    )


def sessions_by_box(active: Iterable[Transaction]) -> dict[str, list[Transaction]]:
    """Open sessions grouped by station, in the order SteVe listed them."""
    by_box: dict[str, list[Transaction]] = {}
    for tx in active:
        by_box.setdefault(tx.charge_box_id, []).append(tx)
    return by_box


class StationRows:
    """Builds (or keeps, from ``previous``) the rows of SteVe stations, one at
    a time: ``build_rows`` for the whole fleet, ``fleet_delta`` for the
    stations whose inputs changed."""

    def __init__(
        self,
        data: FleetData,
        now: datetime,
        poll: PollSettings,
        previous: Previous | None = None,
        sessions_out: dict[str, SessionInputs] | None = None,
        by_box: Mapping[str, Sequence[Transaction]] | None = None,
    ) -> None:
        self.data = data
        self.now = now
        self.poll = poll
        self.previous = previous
        self.sessions_out = sessions_out
        self.threshold = timedelta(minutes=poll.stuck_after_minutes)
        links = LinkInputs(data.tags, data.card_meta, data.customers)
        self.links = previous.links_like(links) if previous is not None else links
        self.by_box = sessions_by_box(data.active_transactions) if by_box is None else by_box
        self.inventory = {c.charge_box_id: c for c in data.inventory}
        self.fetched_at = _oldest(data.status_fetched_at, data.transactions_fetched_at)
        self._lookups: Lookups | None = None

    @property
    def lookups(self) -> Lookups:
        """Card and customer indexes, made on the first row that needs them."""
        if self._lookups is None:
            self._lookups = Lookups.of(self.data)
        return self._lookups

    def row(self, box: ChargeBox) -> ChargerRow:
        """The row of one station: the previous one when nothing it shows changed."""
        now, data = self.now, self.data
        alive = liveness(box, now, self.poll.heartbeat_stale_seconds)
        open_here = self.by_box.get(box.charge_box_id, ())
        inputs: SessionInputs | None = None
        if open_here:
            notes = tuple(data.meter_notes.get(tx.id) for tx in open_here)
            inputs = SessionInputs(
                box,
                tuple(open_here),
                notes,
                tuple(
                    judge(tx, _connector(box, tx.connector_id), note, now, self.threshold)
                    for tx, note in zip(open_here, notes, strict=True)
                ),
                self.links,
            )
            if self.sessions_out is not None:
                self.sessions_out[box.charge_box_id] = inputs
        previous = self.previous
        if previous is None:
            kept = None
        elif inputs is None:
            kept = previous.row_for(box, alive, self.fetched_at)
        else:
            kept = previous.session_row_for(inputs, alive, self.fetched_at)
        if kept is not None:
            return kept
        sessions = [
            row_session(tx, box, self.lookups, now, self.threshold, data.meter_notes.get(tx.id))
            for tx in open_here
        ]
        status, since = rollup_status(box)
        local = self.inventory.get(box.charge_box_id)
        shown = pick_session(sessions)
        return ChargerRow(
            charge_box_id=box.charge_box_id,
            description=box.description or (local.description if local else None),
            status=status,
            status_since=since,
            liveness=alive,
            last_heartbeat=box.last_heartbeat,
            connectors=box.connectors,
            open_session=shown,
            stuck=any(s.stuck for s in sessions),
            managed=True,
            meter_checked_at=shown.meter_checked_at if shown is not None else None,
            source=box.source,
            fetched_at=self.fetched_at,
        )


def tally(row: ChargerRow) -> tuple[int, int, int, int, int, int]:
    """One row's share of each count, in ``FleetCounts``' field order
    (total, online, offline, charging, faulted, stuck)."""
    return (
        1,
        row.liveness in (Liveness.ONLINE, Liveness.STALE),
        row.liveness == Liveness.OFFLINE,
        row.status in CHARGING_LIKE,
        row.status == "Faulted" or any(c.status == "Faulted" for c in row.connectors),
        row.stuck,
    )


COUNT_FIELDS = ("total", "online", "offline", "charging", "faulted", "stuck")


def count_rows(rows: Iterable[ChargerRow]) -> FleetCounts:
    """Totals for the counts strip. ``online`` includes stale (still connected);
    ``faulted`` counts chargers with any Faulted connector."""
    sums = [0] * len(COUNT_FIELDS)
    for row in rows:
        for index, share in enumerate(tally(row)):
            sums[index] += share
    return FleetCounts(**dict(zip(COUNT_FIELDS, sums, strict=True)))


def same_row(a: ChargerRow, b: ChargerRow) -> bool:
    """Equal apart from ``fetched_at`` (which moves every cycle and is sent once
    per event instead): the key to publishing only rows that changed."""
    left = a.__dict__
    right = b.__dict__
    return all(left[k] == right[k] for k in left if k != "fetched_at")


@dataclass(frozen=True)
class Rebuilt:
    """A row build and its diff against the previous rows."""

    rows: dict[str, ChargerRow]
    changed: list[ChargerRow]
    removed: list[str]
    counts: FleetCounts
    boxes: dict[str, ChargeBox] = field(default_factory=dict)
    """The stations the rows were built from (the next build's ``built_from``)."""
    sessions: dict[str, SessionInputs] = field(default_factory=dict)
    """What rows with sessions were built from (the next build's ``sessions_from``)."""


def rebuild(
    old: dict[str, ChargerRow],
    data: FleetData,
    now: datetime,
    poll: PollSettings,
    built_from: Mapping[str, ChargeBox] | None = None,
    sessions_from: Mapping[str, SessionInputs] | None = None,
) -> Rebuilt:
    """Build rows and diff them by ChargeBox ID (pure: safe in a worker thread).
    ``built_from``: the stations ``old`` was built from (``Rebuilt.boxes``):
    rows of unchanged stations are kept instead of built again;
    ``sessions_from`` (``Rebuilt.sessions``) does the same for rows with sessions."""
    previous = Previous(built_from, old, sessions_from or {}) if built_from else None
    sessions: dict[str, SessionInputs] = {}
    new_rows = build_rows(data, now, poll, previous, sessions)
    boxes: dict[str, ChargeBox] = {}
    for box in data.chargers:
        boxes.setdefault(box.charge_box_id, box)
    fresh: dict[str, ChargerRow] = {}
    changed: list[ChargerRow] = []
    for row in new_rows:
        fresh[row.charge_box_id] = row
        before = old.get(row.charge_box_id)
        if before is not row and (before is None or not same_row(before, row)):
            changed.append(row)
    removed = [key for key in old if key not in fresh]
    return Rebuilt(fresh, changed, removed, count_rows(new_rows), boxes, sessions)


# MeterNote, read_meter and the two stuck rules are re-exported for the
# poller and its tests, which import them from here.
__all__ = [
    "CHARGING_LIKE",
    "FleetData",
    "Lookups",
    "LinkInputs",
    "Previous",
    "SessionInputs",
    "MeterNote",
    "Rebuilt",
    "build_rows",
    "count_rows",
    "judge",
    "liveness",
    "meter_fields",
    "meter_rule",
    "pick_session",
    "read_meter",
    "rebuild",
    "rollup_status",
    "row_session",
    "same_row",
    "status_rule",
]
