"""Fleet views: charger rows, counts, search, stuck sessions, charger detail.

Everything a screen shows about chargers is computed here from the poller's
data (never in a widget), so the rules are written once and tested without a
screen.

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
* **Stuck on rows** (poll data only, no per-charger request) — an open
  transaction is stuck when either
  (a) its connector reports a status other than Charging/SuspendedEV/
      SuspendedEVSE and has done so for at least ``STATUS_GRACE_SECONDS``
      (by the connector's timestamp; no timestamp counts as long enough), or
  (b) it started more than ``poll.stuck_after_minutes`` ago and its
      connector has reported no status change for that long either
      (connector timestamp), unless the charger detail looked at the meter
      within that window: then the meter verdict replaces (b).
  A connector Polaris has no status for triggers neither rule.
* **Stuck in the detail** (meter values of the open session): rule (a), or
  no meter value at all since a start older than the threshold, or a newest
  meter value older than the threshold, or — while the connector reports
  Charging (or nothing) — a meter reading that has not changed for the
  threshold. A SuspendedEV/EVSE session with a flat meter is not stuck: the
  car is plugged in and not drawing, which is what the status says.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from polaris_tui.models import (
    CardMeta,
    ChargeBox,
    ChargerDetail,
    ChargerRow,
    ConnectionState,
    ConnectorStatus,
    FleetCounts,
    InventoryCharger,
    LagoCustomer,
    Liveness,
    MeterValue,
    OcppTag,
    OpenSession,
    SourceName,
    StatusSource,
    Transaction,
)
from polaris_tui.services.clock import Clock
from polaris_tui.services.errors import InvalidParams, NotFound, PolarisError, StoreError
from polaris_tui.services.settings import PollSettings, Settings

if TYPE_CHECKING:  # type names only: the poller imports this module at runtime
    from polaris_tui.services.poller import LivePoller
    from polaris_tui.services.steve_client import SteveClient
    from polaris_tui.services.store import Store

log = logging.getLogger(__name__)

CHARGING_LIKE = frozenset({"Charging", "SuspendedEV", "SuspendedEVSE"})
"""Connector statuses that fit an open transaction."""
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
PARENT_DEPTH = 8
"""Longest parent chain followed when a card inherits its Lago link."""
DETAIL_LIMIT = 20
"""Recent operations / intercepts shown on the charger detail."""


# --------------------------------------------------------------------------
# Inputs, and the pure functions that turn them into rows
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class MeterNote:
    """What the charger detail last learnt from one session's meter values."""

    advancing: bool | None
    stuck: bool
    reason: str | None
    noted_at: datetime


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


def status_rule(
    tx: Transaction, connector: ConnectorStatus | None, now: datetime
) -> str | None:
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


def silence_rule(
    tx: Transaction, connector: ConnectorStatus | None, now: datetime, threshold: timedelta
) -> str | None:
    """Rule (b): a long session whose connector has said nothing for the threshold."""
    if connector is None or connector.timestamp is None:
        return None
    if now - tx.start_timestamp <= threshold or now - connector.timestamp <= threshold:
        return None
    return (
        f"Started {_minutes(now - tx.start_timestamp)} ago and connector {tx.connector_id} "
        f"has reported nothing for {_minutes(now - connector.timestamp)} (meter not checked)"
    )


def resolve_customer_id(
    id_tag: str, card_meta: dict[str, CardMeta], tags_by_id: dict[str, OcppTag]
) -> str | None:
    """The Lago customer of a card: its own link, else the nearest ancestor's."""
    seen: set[str] = set()
    current: str | None = id_tag
    for _ in range(PARENT_DEPTH + 1):
        if current is None or current in seen:
            return None
        seen.add(current)
        meta = card_meta.get(current)
        if meta is not None and meta.lago_customer_id:
            return meta.lago_customer_id
        tag = tags_by_id.get(current)
        current = tag.parent_id_tag if tag is not None else None
    return None


def _connector(box: ChargeBox | None, connector_id: int) -> ConnectorStatus | None:
    if box is None:
        return None
    for connector in box.connectors:
        if connector.connector_id == connector_id:
            return connector
    return None


@dataclass
class _Lookups:
    """Indexes built once per row build."""

    tags_by_id: dict[str, OcppTag]
    customers_by_id: dict[str, LagoCustomer]
    card_meta: dict[str, CardMeta]

    @classmethod
    def of(cls, data: FleetData) -> _Lookups:
        return cls(
            tags_by_id={t.id_tag: t for t in data.tags},
            customers_by_id={c.external_id: c for c in data.customers},
            card_meta=data.card_meta,
        )

    def customer(self, id_tag: str) -> LagoCustomer | None:
        ext = resolve_customer_id(id_tag, self.card_meta, self.tags_by_id)
        return self.customers_by_id.get(ext) if ext else None


def row_session(
    tx: Transaction,
    box: ChargeBox | None,
    lookups: _Lookups,
    now: datetime,
    threshold: timedelta,
    note: MeterNote | None,
) -> OpenSession:
    """An open session as the fleet table knows it (poll data + any fresh meter note)."""
    connector = _connector(box, tx.connector_id)
    reason = status_rule(tx, connector, now)
    advancing = None
    if reason is None:
        if note is not None and now - note.noted_at <= threshold:
            advancing = note.advancing
            reason = note.reason if note.stuck else None
        else:
            reason = silence_rule(tx, connector, now, threshold)
    return OpenSession(
        transaction=tx,
        card=lookups.card_meta.get(tx.ocpp_id_tag),
        customer=lookups.customer(tx.ocpp_id_tag),
        meter_advancing=advancing,
        stuck=reason is not None,
        stuck_reason=reason,
    )


def _pick(sessions: list[OpenSession]) -> OpenSession | None:
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
    lookups = _Lookups.of(data)
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
        rows.append(
            ChargerRow(
                charge_box_id=box.charge_box_id,
                description=box.description or (local.description if local else None),
                status=status,
                status_since=since,
                liveness=liveness(box, now, poll.heartbeat_stale_seconds),
                last_heartbeat=box.last_heartbeat,
                connectors=box.connectors,
                open_session=_pick(sessions),
                stuck=any(s.stuck for s in sessions),
                managed=True,
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


# --------------------------------------------------------------------------
# Meter analysis for the detail view
# --------------------------------------------------------------------------


def analyse_session(
    session: OpenSession,
    values: Sequence[MeterValue] | None,
    connector: ConnectorStatus | None,
    now: datetime,
    threshold: timedelta,
) -> OpenSession:
    """Refine a session with its meter values (None: SteVe could not be asked).

    Sets ``latest_meter``, ``energy_wh``, ``meter_advancing`` (did the reading
    change within the threshold?) and ``stuck``/``stuck_reason`` by the
    detail rules in the module docstring.
    """
    tx = session.transaction
    if values is None:
        return session  # keep the row's verdict: nothing new is known
    energy = sorted((v for v in values if v.wh is not None), key=lambda v: v.value_timestamp)
    latest = energy[-1] if energy else None
    try:
        start_wh = float(tx.start_value) if tx.start_value is not None else None
    except ValueError:
        start_wh = None
    energy_wh = latest.wh - start_wh if latest is not None and start_wh is not None and latest.wh is not None else None
    last_change: datetime | None = None
    previous = start_wh
    for value in energy:
        if previous is not None and value.wh != previous:
            last_change = value.value_timestamp
        previous = value.wh
    advancing = None if latest is None else (last_change is not None and now - last_change <= threshold)
    status = connector.status if connector is not None else None

    reason = status_rule(tx, connector, now)
    if reason is None and latest is None and now - tx.start_timestamp > threshold:
        reason = f"No meter value since the start {_minutes(now - tx.start_timestamp)} ago"
    if reason is None and latest is not None and now - latest.value_timestamp > threshold:
        reason = f"Newest meter value is {_minutes(now - latest.value_timestamp)} old"
    if reason is None and advancing is False and status in (None, "Charging"):
        flat_since = last_change or tx.start_timestamp
        if now - flat_since > threshold:
            reason = f"Meter has not advanced for {_minutes(now - flat_since)}"
    return session.model_copy(
        update={
            "latest_meter": latest,
            "energy_wh": energy_wh,
            "meter_advancing": advancing,
            "stuck": reason is not None,
            "stuck_reason": reason,
        }
    )


# --------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------


class FleetService:
    """Charger rows, counts, search and detail for the screens.

    Args:
        poller: the live poller (its data and rows, snapshot included).
        store: the local store (operations, pairings, intercepts, inventory).
        steve: the SteVe client (the detail's per-charger requests).
        clock: "now".
        settings: thresholds (``poll``).
    """

    def __init__(
        self,
        poller: LivePoller,
        store: Store,
        steve: SteveClient,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self.poller = poller
        self.store = store
        self.steve = steve
        self.clock = clock
        self.settings = settings

    # -- sync views -----------------------------------------------------------

    def rows(self) -> list[ChargerRow]:
        """Every charger row (SteVe stations, then local-only ones)."""
        return self.poller.rows()

    def counts(self) -> FleetCounts:
        """Totals for the counts strip."""
        return self.poller.counts()

    def row(self, charge_box_id: str) -> ChargerRow | None:
        """One row, or None if neither SteVe nor the inventory knows the id."""
        return self.poller.row(charge_box_id)

    def search(self, query: str) -> list[ChargerRow]:
        """Rows matching ``query`` (case-insensitive substring) on ChargeBox ID,
        description, the idTag of any open session, or a customer's email or
        name (customer -> linked cards, inherited links included -> their open
        sessions -> chargers). An empty query returns every row."""
        needle = query.strip().casefold()
        rows = self.poller.rows()
        if not needle:
            return rows
        hits: set[str] = set()
        for tx in self.poller.active_transactions():
            if needle in tx.ocpp_id_tag.casefold():
                hits.add(tx.charge_box_id)
        customers = {
            c.external_id
            for c in self.poller.customers()
            if needle in (c.email or "").casefold() or needle in c.display_name.casefold()
        }
        if customers:
            card_meta = self.poller.card_meta()
            tags_by_id = {t.id_tag: t for t in self.poller.tags()}
            for tx in self.poller.active_transactions():
                if resolve_customer_id(tx.ocpp_id_tag, card_meta, tags_by_id) in customers:
                    hits.add(tx.charge_box_id)
        return [
            row
            for row in rows
            if row.charge_box_id in hits
            or needle in row.charge_box_id.casefold()
            or needle in (row.description or "").casefold()
        ]

    # -- detail ---------------------------------------------------------------

    async def detail(self, charge_box_id: str) -> ChargerDetail:
        """Everything the charger screen shows, with fresh sessions and meter values.

        Adds per-charger requests: the charger's active transactions and the
        details (meter values) of each. When SteVe is unreachable (or these
        requests fail), the poller's data is used and ``steve_state`` says so;
        that never raises.

        Raises:
            NotFound: neither SteVe nor the local inventory knows the id.
        """
        row = self.poller.row(charge_box_id)
        if row is None:
            raise NotFound(f"No charger {charge_box_id!r} in SteVe or the local inventory")
        state = self.poller.state(SourceName.STEVE)
        now = self.clock.now()
        threshold = timedelta(minutes=self.settings.poll.stuck_after_minutes)
        sessions: list[OpenSession] = []
        fetched_at = row.fetched_at
        failure: PolarisError | None = None
        if row.managed:
            box = self.poller.charger(charge_box_id)
            known = [tx for tx in self.poller.active_transactions() if tx.charge_box_id == charge_box_id]
            live = state.state != ConnectionState.UNREACHABLE
            transactions = known
            if live:
                try:
                    transactions = await self.steve.list_transactions(type="ACTIVE", charge_box_ids=[charge_box_id])
                    fetched_at = now
                except PolarisError as exc:
                    log.warning("charger detail %r: active transactions: %s", charge_box_id, exc)
                    failure = exc
                    live = False
            lookups = _Lookups.of(
                FleetData(tags=self.poller.tags(), customers=self.poller.customers(), card_meta=self.poller.card_meta())
            )
            for tx in transactions:
                base = row_session(tx, box, lookups, now, threshold, self.poller.meter_note(tx.id))
                values = None
                if live:
                    try:
                        values = (await self.steve.transaction_details(tx.id)).values
                    except PolarisError as exc:
                        log.warning("charger detail %r: transaction %d: %s", charge_box_id, tx.id, exc)
                        failure = failure or exc
                session = analyse_session(base, values, _connector(box, tx.connector_id), now, threshold)
                if values is not None:
                    self.poller.note_meter(
                        tx.id,
                        MeterNote(session.meter_advancing, session.stuck, session.stuck_reason, now),
                    )
                sessions.append(session)
            row = row.model_copy(
                update={
                    "open_session": _pick(sessions),
                    "stuck": any(s.stuck for s in sessions),
                    "fetched_at": fetched_at,
                }
            )
        if failure is not None:
            state = state.model_copy(
                update={
                    "state": ConnectionState.DEGRADED if state.state == ConnectionState.LIVE else state.state,
                    "error_title": failure.title,
                    "error_message": failure.message,
                }
            )
        operations, pairings, intercepts = [], [], []
        try:
            operations = await self.store.recent_operations(charge_box_id=charge_box_id, limit=DETAIL_LIMIT)
            pairings = await self.store.pairings(charge_box_id)
            intercepts = await self.store.scan_events(charge_box_id=charge_box_id, limit=DETAIL_LIMIT)
        except StoreError as exc:
            log.error("charger detail %r: local store: %s", charge_box_id, exc)
        return ChargerDetail(
            row=row,
            sessions=sessions,
            recent_operations=operations,
            pairings=pairings,
            intercepts=intercepts,
            fetched_at=fetched_at,
            steve_state=state,
        )

    async def register_unmanaged(self, charge_box_id: str, description: str | None) -> None:
        """Record a charger Polaris knows but SteVe does not (no OCPP, no operations).

        Raises:
            InvalidParams: empty id, or SteVe already lists this charger.
            StoreError: the store refused the write.
        """
        charge_box_id = charge_box_id.strip()
        if not charge_box_id:
            raise InvalidParams({"charge_box_id": "a ChargeBox ID is required"})
        if self.poller.charger(charge_box_id) is not None:
            raise InvalidParams({"charge_box_id": "SteVe already manages this charger"})
        await self.store.add_inventory(
            InventoryCharger(charge_box_id=charge_box_id, description=description, managed=False)
        )
        await self.poller.reload_local()


__all__ = [
    "FleetData",
    "FleetService",
    "MeterNote",
    "analyse_session",
    "build_rows",
    "count_rows",
    "liveness",
    "rollup_status",
    "same_row",
]
