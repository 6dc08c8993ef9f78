"""``FakeServices``: the names of ``PolarisServices`` over hand-built models.

For screen tests of cases that are hard to stage on the stand-in: rows
built by ``make_row``, operations answered from a script (``FakeOperations``),
events published by the test (``change_rows``, ``publish_operation``).
The ``fake_app`` fixture (tests/functional/conftest.py) builds the App over it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from polaris_tui.models import (
    AuditEntry,
    CardMeta,
    CardRow,
    ChargerDetail,
    ChargerRow,
    ConnectionState,
    ConnectorStatus,
    FleetChanged,
    FleetCounts,
    LagoCustomer,
    Liveness,
    MeterValue,
    OpenSession,
    OperationChanged,
    OperationLogEntry,
    OperationStatus,
    Operator,
    Role,
    ServiceEvent,
    SourceName,
    SourceState,
    StopFollowup,
    Transaction,
)
from polaris_tui.models.confirmation import CloseReadiness, OperationPreview
from polaris_tui.models.errors import ConfirmationRequired, NotFound, StaleTransaction
from polaris_tui.models.identity import RefusedTags
from polaris_tui.models.live import LiveUpdatesDown
from polaris_tui.services.last_resort import billing_words
from polaris_tui.services.operation_preview import effect_of
from polaris_tui.services.settings import Settings

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
"""Same instant as the stand-in's ``FROZEN_NOW``."""


def make_row(
    charge_box_id: str,
    *,
    description: str | None = None,
    status: str = "Available",
    liveness: Liveness = Liveness.ONLINE,
    id_tag: str | None = None,
    stuck: bool = False,
    managed: bool = True,
    minutes: int = 30,
) -> ChargerRow:
    """A fleet row as the services would build it."""
    session = None
    if id_tag is not None:
        tx = Transaction(
            id=1000 + abs(hash(charge_box_id)) % 1000,
            charge_box_id=charge_box_id,
            connector_id=1,
            ocpp_id_tag=id_tag,
            start_timestamp=NOW - timedelta(minutes=minutes),
            start_value="1000",
        )
        session = OpenSession(transaction=tx, stuck=stuck)
    connectors = (
        [
            ConnectorStatus(
                charge_box_id=charge_box_id,
                connector_id=1,
                status=status if status not in ("Offline", "Unmanaged") else "Available",
                error_code="NoError",
                timestamp=NOW - timedelta(minutes=minutes),
            )
        ]
        if managed
        else []
    )
    return ChargerRow(
        charge_box_id=charge_box_id,
        description=description,
        status=status,
        status_since=NOW - timedelta(minutes=minutes),
        liveness=liveness if managed else Liveness.UNMANAGED,
        last_heartbeat=NOW - timedelta(seconds=30) if managed else None,
        connectors=connectors,
        open_session=session,
        stuck=stuck,
        managed=managed,
        fetched_at=NOW,
    )


class FakeFleet:
    def __init__(self, rows: Iterable[ChargerRow]) -> None:
        self.rows_by_id = {r.charge_box_id: r for r in rows}
        self.operations: Any = None

    def rows(self) -> list[ChargerRow]:
        return list(self.rows_by_id.values())

    def row(self, charge_box_id: str) -> ChargerRow | None:
        return self.rows_by_id.get(charge_box_id)

    def search_note(self, query: str) -> str:
        return f"No charger matches “{query}” (fake fleet)."

    def search(self, query: str) -> list[ChargerRow]:
        q = query.lower()
        return [
            r
            for r in self.rows_by_id.values()
            if q in r.charge_box_id.lower()
            or q in (r.description or "").lower()
            or (r.open_session is not None and q in r.open_session.transaction.ocpp_id_tag.lower())
        ]

    def search_keys(self, query: str) -> set[str] | None:
        if not query.strip():
            return None
        return {r.charge_box_id for r in self.search(query)}

    def counts(self) -> FleetCounts:
        rows = list(self.rows_by_id.values())
        return FleetCounts(
            total=len(rows),
            online=sum(r.liveness == Liveness.ONLINE for r in rows),
            offline=sum(r.liveness == Liveness.OFFLINE for r in rows),
            charging=sum(r.status == "Charging" for r in rows),
            faulted=sum(r.status == "Faulted" for r in rows),
            stuck=sum(r.stuck for r in rows),
        )

    async def detail(self, charge_box_id: str, *, fresh: bool = True) -> ChargerDetail:
        row = self.rows_by_id.get(charge_box_id)
        if row is None:
            raise NotFound(f"{charge_box_id} is not known to SteVe or the local inventory.")
        sessions = []
        if row.open_session is not None:
            session = row.open_session.model_copy()
            session.card = CardMeta(
                id_tag=session.transaction.ocpp_id_tag, display_name="Card name"
            )
            session.customer = LagoCustomer(
                lago_id="l1", external_id="cust-1", name="Customer One", email="one@example.com"
            )
            session.latest_meter = MeterValue(
                value_timestamp=NOW - timedelta(minutes=1), value="2500", unit="Wh"
            )
            session.energy_wh = 1500.0
            session.meter_advancing = not row.stuck
            sessions.append(session)
        recent = (
            await self.operations.recent(charge_box_id=charge_box_id) if self.operations else []
        )
        return ChargerDetail(row=row, sessions=sessions, fetched_at=NOW, recent_operations=recent)


class FakePoller:
    fetched_at = NOW

    def __init__(self) -> None:
        self.refreshes = 0

    async def refresh_now(self) -> None:
        self.refreshes += 1

    async def first_poll(self) -> None:
        await self.refresh_now()


class NoCards:
    """The card service of a fleet-only fake: no cards (the palette lists none)."""

    async def cards(self, query: str | None = None) -> list[CardRow]:
        return []

    async def refused_tags(self) -> RefusedTags:
        return RefusedTags(available=False, note="no SteVe in this test")

    async def card(self, id_tag: str, **_: Any) -> Any:
        """A card page opened on a fleet-only fake says the card is not known."""
        raise NotFound(f"No card {id_tag} in this fake.")


class FakeOperations:
    """Records every call; ``script`` (results or exceptions) and ``gate`` shape the answers."""

    def __init__(self) -> None:
        self.entries: list[OperationLogEntry] = []
        self.calls: list[tuple[str, str, dict[str, Any], bool, str]] = []
        self.db_closes: list[tuple[str, int, str]] = []
        self.script: list[Any] = []
        """Next answers, in order: an ``OperationLogEntry`` field dict to merge, or an exception."""
        self.gate: asyncio.Event | None = None
        """When set, ``submit`` waits for it (a request in flight)."""
        self.other: Any = None
        """What ``concurrent`` answers: another operator's recent stop, or None."""
        self.overrides: list[bool] = []
        self.prepared: list[tuple[str, str, dict[str, Any]]] = []
        """Every preview asked for (a dialog follows each that succeeds)."""
        self.meter_advancing = False
        """What ``close_readiness`` says about the meter."""
        self.fleet: Any = None

    def _entry(
        self, charge_box_id: str, operation: str, params: dict[str, Any], dry_run: bool
    ) -> OperationLogEntry:
        entry = OperationLogEntry(
            id=len(self.entries) + 1,
            charge_box_id=charge_box_id,
            operation=operation,
            params=params,
            requested_by="tester",
            dry_run=dry_run,
            status=OperationStatus.DRY_RUN if dry_run else OperationStatus.SUBMITTED,
            task_id=None if dry_run else 7,
            result=None
            if dry_run
            else {"outcome": "accepted", "summary": "Station answered Accepted"},
            created_at=NOW,
        )
        if self.script:
            answer = self.script.pop(0)
            if isinstance(answer, BaseException):
                raise answer
            entry = entry.model_copy(update=answer)
        self.entries.insert(0, entry)
        return entry

    async def submit(
        self,
        charge_box_id: str,
        operation: str,
        params: dict[str, Any],
        *,
        dry_run: bool,
        request_id: str,
        confirmation: str | None = None,
        override_concurrent: bool = False,
    ) -> OperationLogEntry:
        if not dry_run and confirmation != self._token(charge_box_id, operation, params):
            # As the real service: a live send needs the confirmed preview's token.
            raise ConfirmationRequired(f"{operation} was not confirmed; nothing was sent.")
        self.calls.append((charge_box_id, operation, params, dry_run, request_id))
        self.overrides.append(override_concurrent)
        if self.gate is not None:
            await self.gate.wait()
        return self._entry(charge_box_id, operation, params, dry_run)

    async def concurrent(self, charge_box_id: str, params: dict[str, Any] | None) -> Any:
        return self.other

    @staticmethod
    def _token(charge_box_id: str, operation: str, params: dict[str, Any]) -> str:
        return f"{charge_box_id}|{operation}|{sorted(params.items())}"

    async def prepare(
        self, charge_box_id: str, operation: str, params: dict[str, Any]
    ) -> OperationPreview:
        """The real preview's wording over the fake fleet's rows."""
        self.prepared.append((charge_box_id, operation, dict(params)))
        row = self.fleet.row(charge_box_id) if self.fleet is not None else None
        session = row.open_session if row is not None else None
        connector = params.get("connectorId")
        id_tag = params.get("idTag")
        tx_id = params.get("transactionId") if operation == "RemoteStopTransaction" else None
        if tx_id is not None:
            if session is None or session.transaction.id != tx_id:
                raise StaleTransaction(
                    f"Transaction {tx_id} closed at 09:42 UTC (2026-11-22) by the station: "
                    "it is not the open session any more. Refresh the charger page. "
                    "Nothing was sent."
                )
            connector, id_tag = session.transaction.connector_id, session.transaction.ocpp_id_tag
        if operation == "UnlockConnector" and session is not None:
            if session.transaction.connector_id == connector:
                tx_id, id_tag = session.transaction.id, session.transaction.ocpp_id_tag
        effect, undo, default_no = effect_of(operation, params, connector, tx_id)
        return OperationPreview(
            charge_box_id=charge_box_id,
            operation=operation,
            params=params,
            connector_id=connector,
            id_tag=id_tag,
            card_name="Card name" if id_tag else None,
            customer="Ada Lovelace <ada@example.com>" if id_tag else None,
            transaction_id=tx_id,
            charger_state=(
                "The charger is offline: SteVe may not be able to deliver this."
                if row is not None and row.liveness == Liveness.OFFLINE
                else None
            ),
            effect=effect,
            undo=undo,
            default_no=default_no,
            concurrent=self.other.describe() if self.other is not None else None,
            token=self._token(charge_box_id, operation, params),
        )

    async def close_readiness(self, charge_box_id: str, transaction_id: int) -> CloseReadiness:
        """Allowed unless ``meter_advancing`` (a flat meter, a stop still open)."""
        stop = next((e for e in self.entries if e.operation == "RemoteStopTransaction"), None)
        missing = []
        if stop is None or stop.followup != StopFollowup.STILL_OPEN:
            missing.append("No RemoteStop still open past its follow-up.")
        if self.meter_advancing:
            missing.append("The meter is advancing: the car is still drawing.")
        return CloseReadiness(
            charge_box_id=charge_box_id,
            transaction_id=transaction_id,
            allowed=not missing,
            missing=missing,
            stop_op_id=stop.id if stop else None,
            connector_id=1,
            connector_status="Charging",
            connector_status_at=NOW - timedelta(minutes=50),
            meter_wh=1900.0,
            meter_at=NOW - timedelta(minutes=42),
            meter_advancing=self.meter_advancing,
            meter_flat_minutes=42.0,
            id_tag="CARD-A",
            customer="Ada Lovelace",
            billing=billing_words(None, transaction_id, None),
        )

    async def close_in_database(
        self, charge_box_id: str, transaction_id: int, *, request_id: str, typed: str = ""
    ) -> OperationLogEntry:
        if typed != str(transaction_id):
            raise ConfirmationRequired("Type the transaction id.")
        self.db_closes.append((charge_box_id, transaction_id, request_id))
        return self._entry(
            charge_box_id, "DatabaseStopTransaction", {"transactionId": transaction_id}, False
        )

    async def way_back(self, entry: OperationLogEntry) -> tuple[str, int] | None:
        if entry.followup is None or not entry.followup.closed:
            return None
        return ("CARD-A", 1)

    async def settle(self, charge_box_id: str) -> list[OperationLogEntry]:
        return []

    async def recent(self, **filters: Any) -> list[OperationLogEntry]:
        out = list(self.entries)
        for key, attr in (("charge_box_id", "charge_box_id"), ("requested_by", "requested_by")):
            if filters.get(key):
                out = [e for e in out if getattr(e, attr) == filters[key]]
        if filters.get("status"):
            out = [e for e in out if e.status.value == filters["status"]]
        return out


class FakeServices:
    """Just enough of ``PolarisServices`` for the screens, over hand-built rows."""

    def __init__(
        self, settings: Settings, clock: Any, rows: Iterable[ChargerRow], role: Role = Role.ADMIN
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.operator = Operator(name="tester", role=role)
        self.fleet = FakeFleet(rows)
        self.poller = FakePoller()
        self.operations = FakeOperations()
        self.fleet.operations = self.operations
        self.operations.fleet = self.fleet
        self.cards = NoCards()
        self.interrupted_at_start: list[OperationLogEntry] = []
        self.interrupted_audits_at_start: list[AuditEntry] = []
        self.live_updates_down: LiveUpdatesDown | None = None
        self.states = {
            SourceName.STEVE: SourceState(
                source=SourceName.STEVE, state=ConnectionState.LIVE, last_ok=NOW
            ),
            SourceName.LAGO: SourceState(
                source=SourceName.LAGO, state=ConnectionState.LIVE, last_ok=NOW
            ),
        }
        self.subscribers: list[Callable[[ServiceEvent], None]] = []
        self.closed = False

    def subscribe(self, callback: Callable[[ServiceEvent], None]) -> Callable[[], None]:
        self.subscribers.append(callback)
        return lambda: self.subscribers.remove(callback)

    def publish(self, event: ServiceEvent) -> None:
        for callback in list(self.subscribers):
            callback(event)

    def source_state(self, source: SourceName) -> SourceState:
        return self.states[source]

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self.closed = True

    # helpers for tests
    def change_rows(self, changed: Iterable[ChargerRow], removed: Iterable[str] = ()) -> None:
        changed = list(changed)
        removed = list(removed)
        for row in changed:
            self.fleet.rows_by_id[row.charge_box_id] = row
        for key in removed:
            self.fleet.rows_by_id.pop(key, None)
        self.publish(
            FleetChanged(
                changed=changed, removed=removed, counts=self.fleet.counts(), fetched_at=NOW
            )
        )

    def publish_operation(self, entry: OperationLogEntry) -> None:
        self.publish(OperationChanged(entry=entry))
