"""Fleet rules: charger rows, counts and stuck sessions from the poller's data.

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
* **Meter knowledge** (``MeterNote``): the poller's bounded sampler reads
  the meter values (``GET /transactions/{pk}``) of at most
  ``poll.meter_samples_per_cycle`` open sessions per cycle — never-read
  first, then the least recently read — and the charger detail reads those of
  the charger it shows. A note keeps the newest energy value (time, Wh), when
  the reading last changed (``advanced_at``; the start value counts as a
  reading) and when it was read (``checked_at``). Notes of sessions that are
  no longer active are forgotten.
* **Stuck** — the same rule on rows and in the detail (the detail has just
  read the meter, the row uses the newest note). An open transaction is stuck
  when
  (a) its connector reports a status other than Charging/SuspendedEV/
      SuspendedEVSE (Available, Finishing, Faulted… with the transaction
      still open) and has done so for at least ``STATUS_GRACE_SECONDS`` (by
      the connector's timestamp; no timestamp counts as long enough) — judged
      against the clock now; or
  (b) its meter is not advancing: as of the last read (``checked_at``), the
      newest meter value was older than ``poll.stuck_after_minutes``, or
      there was no value at all since a start older than that, or values
      still arrived but the reading had not changed for that long.
  Not stuck: a session whose meter has not been read yet (unknown — the row
  says ``meter_checked_at = None``), a connector Polaris has no status for
  (rule (a) needs a status), and on rule (b) a SuspendedEV/SuspendedEVSE
  session: the car is plugged in and not drawing, which is what the status
  says (``meter_advancing`` still says the meter is flat).
  Rule (b) is judged as of the read, not against the clock now: on a large
  fleet the rotation can take longer than the threshold, and measuring an old
  read against now would mark every healthy session stuck between two reads.
  The row therefore carries ``meter_checked_at``: its stuck mark is as of then.
  (Earlier versions marked any session older than the threshold whose
  connector had not reported a change: every healthy long session.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypedDict

from polaris_tui.models import (
    CardMeta,
    ChargeBox,
    ChargerRow,
    ConnectorStatus,
    FleetCounts,
    InventoryCharger,
    LagoCustomer,
    Liveness,
    MeterValue,
    OcppTag,
    OpenSession,
    StatusSource,
    Transaction,
)
from polaris_tui.services.card_links import customer_id_of
from polaris_tui.services.settings import PollSettings

CHARGING_LIKE = frozenset({"Charging", "SuspendedEV", "SuspendedEVSE"})
"""Connector statuses that fit an open transaction."""
SUSPENDED = frozenset({"SuspendedEV", "SuspendedEVSE"})
"""A paused session: a flat meter is expected."""
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
STATUS_GRACE_SECONDS = 60.0
"""A connector may show Preparing/Finishing briefly around a start or stop."""


# --------------------------------------------------------------------------
# Inputs, and the pure functions that turn them into rows
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class MeterNote:
    """What one read of a session's meter values showed (sampler or detail)."""

    checked_at: datetime
    """When the values were read (the clock at the read)."""
    latest: MeterValue | None
    """The newest energy value (its time and Wh), None when there was none."""
    advanced_at: datetime | None
    """Time of the newest value that differed from the reading before it."""
    advancing: bool | None
    """Did the reading change within the threshold before ``checked_at``? None: no values."""

    @property
    def latest_at(self) -> datetime | None:
        return self.latest.value_timestamp if self.latest is not None else None

    @property
    def latest_wh(self) -> float | None:
        return self.latest.wh if self.latest is not None else None


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


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes} min"


def status_rule(tx: Transaction, connector: ConnectorStatus | None, now: datetime) -> str | None:
    """Rule (a): the connector no longer fits an open transaction. Returns the reason."""
    if connector is None or not connector.status or connector.status in CHARGING_LIKE:
        return None
    if connector.timestamp is not None:
        if (now - connector.timestamp).total_seconds() < STATUS_GRACE_SECONDS:
            return None
        since = f" for {_minutes(now - connector.timestamp)}"
    else:
        since = ""
    return (
        f"Connector {tx.connector_id} reports {connector.status}{since} "
        f"while transaction {tx.id} is still open"
    )


def _start_wh(tx: Transaction) -> float | None:
    try:
        return float(tx.start_value) if tx.start_value is not None else None
    except ValueError:
        return None


def read_meter(
    tx: Transaction, values: Sequence[MeterValue], checked_at: datetime, threshold: timedelta
) -> MeterNote:
    """Condense one read of a session's meter values (energy values only) into a note."""
    energy = sorted((v for v in values if v.wh is not None), key=lambda v: v.value_timestamp)
    latest = energy[-1] if energy else None
    advanced_at: datetime | None = None
    previous = _start_wh(tx)
    for value in energy:
        if previous is not None and value.wh != previous:
            advanced_at = value.value_timestamp
        previous = value.wh
    advancing = (
        None
        if latest is None
        else (advanced_at is not None and checked_at - advanced_at <= threshold)
    )
    return MeterNote(
        checked_at=checked_at, latest=latest, advanced_at=advanced_at, advancing=advancing
    )


def meter_rule(
    tx: Transaction, connector: ConnectorStatus | None, note: MeterNote | None, threshold: timedelta
) -> str | None:
    """Rule (b): the meter is not advancing, as of the note's read. Returns the reason."""
    if note is None:
        return None  # not read yet: unknown, not stuck
    if connector is not None and connector.status in SUSPENDED:
        return None  # a paused car: a flat meter is what the status says
    at = note.checked_at
    if note.latest is None:
        if at - tx.start_timestamp > threshold:
            return f"No meter value since the start {_minutes(at - tx.start_timestamp)} ago"
        return None
    if at - note.latest.value_timestamp > threshold:
        return f"Newest meter value is {_minutes(at - note.latest.value_timestamp)} old"
    flat_since = note.advanced_at or tx.start_timestamp
    if not note.advancing and at - flat_since > threshold:
        return f"Meter has not advanced for {_minutes(at - flat_since)}"
    return None


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


class MeterFields(TypedDict, total=False):
    """The ``OpenSession`` fields a meter note fills."""

    latest_meter: MeterValue | None
    energy_wh: float | None
    meter_advancing: bool | None
    meter_checked_at: datetime | None
    meter_advanced_at: datetime | None


def meter_fields(tx: Transaction, note: MeterNote | None) -> MeterFields:
    """The ``OpenSession`` fields a meter note fills (none without a note)."""
    if note is None:
        return {}
    start_wh = _start_wh(tx)
    latest_wh = note.latest_wh
    return {
        "latest_meter": note.latest,
        "energy_wh": latest_wh - start_wh
        if latest_wh is not None and start_wh is not None
        else None,
        "meter_advancing": note.advancing,
        "meter_checked_at": note.checked_at,
        "meter_advanced_at": note.advanced_at,
    }


def judge(
    tx: Transaction,
    connector: ConnectorStatus | None,
    note: MeterNote | None,
    now: datetime,
    threshold: timedelta,
) -> str | None:
    """The stuck reason by rules (a) then (b), or None."""
    return status_rule(tx, connector, now) or meter_rule(tx, connector, note, threshold)


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


def build_rows(data: FleetData, now: datetime, poll: PollSettings) -> list[ChargerRow]:
    """One row per SteVe station, then one per local inventory charger SteVe does not list.

    ``fetched_at`` of a row is the older of the live-status and the
    transaction fetch times (a row is only as fresh as its oldest part).
    """
    threshold = timedelta(minutes=poll.stuck_after_minutes)
    lookups = Lookups.of(data)
    by_box: dict[str, list[Transaction]] = {}
    for tx in data.active_transactions:
        by_box.setdefault(tx.charge_box_id, []).append(tx)
    inventory = {c.charge_box_id: c for c in data.inventory}
    fetched_at = _oldest(data.status_fetched_at, data.transactions_fetched_at)
    rows: list[ChargerRow] = []
    seen: set[str] = set()
    for box in data.chargers:
        if box.charge_box_id in seen:
            continue  # a station listed twice: first one wins
        seen.add(box.charge_box_id)
        sessions = [
            row_session(tx, box, lookups, now, threshold, data.meter_notes.get(tx.id))
            for tx in by_box.get(box.charge_box_id, ())
        ]
        status, since = rollup_status(box)
        local = inventory.get(box.charge_box_id)
        shown = pick_session(sessions)
        rows.append(
            ChargerRow(
                charge_box_id=box.charge_box_id,
                description=box.description or (local.description if local else None),
                status=status,
                status_since=since,
                liveness=liveness(box, now, poll.heartbeat_stale_seconds),
                last_heartbeat=box.last_heartbeat,
                connectors=box.connectors,
                open_session=shown,
                stuck=any(s.stuck for s in sessions),
                managed=True,
                meter_checked_at=shown.meter_checked_at if shown is not None else None,
                source=box.source,
                fetched_at=fetched_at,
            )
        )
    for local in data.inventory:
        if local.charge_box_id in seen:
            continue
        seen.add(local.charge_box_id)
        rows.append(
            ChargerRow(
                charge_box_id=local.charge_box_id,
                description=local.description,
                status="Unmanaged" if not local.managed else "Unknown",
                liveness=Liveness.UNMANAGED if not local.managed else Liveness.UNKNOWN,
                managed=local.managed,
                source=StatusSource.SNAPSHOT,
            )
        )
    return rows


def count_rows(rows: Iterable[ChargerRow]) -> FleetCounts:
    """Totals for the counts strip. ``online`` includes stale (still connected);
    ``faulted`` counts chargers with any Faulted connector."""
    total = online = offline = charging = faulted = stuck = 0
    for row in rows:
        total += 1
        if row.liveness in (Liveness.ONLINE, Liveness.STALE):
            online += 1
        elif row.liveness == Liveness.OFFLINE:
            offline += 1
        if row.status in CHARGING_LIKE:
            charging += 1
        if row.status == "Faulted" or any(c.status == "Faulted" for c in row.connectors):
            faulted += 1
        if row.stuck:
            stuck += 1
    return FleetCounts(
        total=total, online=online, offline=offline, charging=charging, faulted=faulted, stuck=stuck
    )


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


def rebuild(
    old: dict[str, ChargerRow], data: FleetData, now: datetime, poll: PollSettings
) -> Rebuilt:
    """Build rows and diff them by ChargeBox ID (pure: safe in a worker thread)."""
    new_rows = build_rows(data, now, poll)
    fresh: dict[str, ChargerRow] = {}
    changed: list[ChargerRow] = []
    for row in new_rows:
        fresh[row.charge_box_id] = row
        before = old.get(row.charge_box_id)
        if before is None or not same_row(before, row):
            changed.append(row)
    removed = [key for key in old if key not in fresh]
    return Rebuilt(fresh, changed, removed, count_rows(new_rows))


__all__ = [
    "CHARGING_LIKE",
    "FleetData",
    "Lookups",
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
