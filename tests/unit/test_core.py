"""PolarisServices: open order, interrupted rows at start, the event bus,
unmanaged chargers refused through the real wiring, and a close that always
closes everything.

SteVe and Lago are httpx mock transports that refuse every connection, so
these tests exercise a start during an outage without touching the network.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from polaris_tui.models import (
    ChargeBox,
    ConnectionState,
    InventoryCharger,
    OperationChanged,
    OperationStatus,
    Role,
    Snapshot,
    SourceName,
)
from polaris_tui.models.errors import StoreError, UnmanagedCharger
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from polaris_tui.services.settings import Settings
from polaris_tui.store import Store
from tests.unit.helpers import confirmed
from tests.waiting import eventually

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


DOWN = httpx.MockTransport(refuse)


def settings_for(tmp_path: Path, *, role: str = "admin") -> Settings:
    return Settings(
        steve={"url": "http://steve.test/steve", "api_password": "pw-steve"},
        lago={"url": "http://lago.test/lago", "api_key": "key-lago"},
        store={"path": tmp_path / "polaris.sqlite"},
        poll={"interval_seconds": 0.05, "lago_interval_seconds": 0.05, "max_backoff_seconds": 0.1},
        operator={
            "name": "ana",
            "admins": ["ana"] if role == "admin" else [],
            "default_role": "viewer",
        },
    )


async def open_services(settings: Settings) -> PolarisServices:
    return await PolarisServices.open(
        settings, clock=FixedClock(NOW), steve_transport=DOWN, lago_transport=DOWN
    )


async def test_open_builds_every_service_and_closes_cleanly(tmp_path: Path):
    services = await open_services(settings_for(tmp_path))
    try:
        assert services.operator.name == "ana" and services.operator.role == Role.ADMIN
        for name in ("store", "steve", "lago", "poller", "fleet", "operations", "cards", "scan"):
            assert getattr(services, name) is not None, name
        assert services.interrupted_at_start == []
        assert services.poller.running is False  # open() does not start polling
    finally:
        await services.close()
    assert services.closed
    with pytest.raises(StoreError):
        await services.store.recent_operations()
    await services.close()  # idempotent


async def test_rows_left_pending_by_a_dead_process_are_reported_at_start(tmp_path: Path):
    settings = settings_for(tmp_path)
    crashed = await Store.open(settings.store.path, clock=FixedClock(NOW))
    row = await crashed.insert_operation(
        charge_box_id="CP-BRAVO-02",
        operation="RemoteStopTransaction",
        params={"transactionId": 1001},
        requested_by="bo",
        dry_run=False,
        request_id="x",
    )
    await crashed.close()
    services = await open_services(settings)
    try:
        assert [e.id for e in services.interrupted_at_start] == [row.id]
        assert services.interrupted_at_start[0].status == OperationStatus.INTERRUPTED
    finally:
        await services.close()


async def test_the_last_snapshot_is_loaded_at_open(tmp_path: Path):
    settings = settings_for(tmp_path)
    seed = await Store.open(settings.store.path, clock=FixedClock(NOW))
    await seed.save_snapshot(
        Snapshot(chargers=[ChargeBox(charge_box_id="CP-ALPHA-01", online=True)], fetched_at=NOW)
    )
    await seed.close()
    services = await open_services(settings)
    try:
        assert [r.charge_box_id for r in services.fleet.rows()] == ["CP-ALPHA-01"]
        state = services.source_state(SourceName.STEVE)
        assert state.from_snapshot and state.last_ok == NOW
    finally:
        await services.close()


async def test_an_unopenable_store_leaves_nothing_open(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    settings = settings_for(tmp_path)
    settings.store.path = blocker / "polaris.sqlite"
    with pytest.raises(StoreError):
        await open_services(settings)


async def test_event_bus_delivers_and_unsubscribes(tmp_path: Path):
    services = await open_services(settings_for(tmp_path))
    try:
        got: list[object] = []

        def broken(event: object) -> None:
            raise RuntimeError("a bad subscriber")

        services.subscribe(broken)
        unsubscribe = services.subscribe(got.append)
        entry = await services.operations.submit(
            "CP-ALPHA-01",
            "TriggerMessage",
            {"triggerMessage": "Heartbeat"},
            dry_run=True,
            request_id="p1",
        )
        assert [e.entry.id for e in got if isinstance(e, OperationChanged)] == [entry.id]
        unsubscribe()
        unsubscribe()  # harmless twice
        await services.operations.submit(
            "CP-ALPHA-01",
            "TriggerMessage",
            {"triggerMessage": "Heartbeat"},
            dry_run=True,
            request_id="p2",
        )
        assert len([e for e in got if isinstance(e, OperationChanged)]) == 1
    finally:
        await services.close()


async def test_an_operation_during_an_outage_is_a_failed_row(tmp_path: Path):
    services = await open_services(settings_for(tmp_path))
    try:
        entry = await services.operations.submit(
            "CP-ALPHA-01",
            "RemoteStopTransaction",
            {"transactionId": 1001},
            confirmation=confirmed(
                services.operations, "CP-ALPHA-01", "RemoteStopTransaction", {"transactionId": 1001}
            ),
            dry_run=False,
            request_id="outage",
        )
        assert entry.status == OperationStatus.FAILED
        assert entry.error_title == "SteVe is unreachable"
        assert "pw-steve" not in (entry.error_message or "")
    finally:
        await services.close()


async def test_unmanaged_inventory_charger_is_refused_through_the_wiring(tmp_path: Path):
    settings = settings_for(tmp_path)
    seed = await Store.open(settings.store.path, clock=FixedClock(NOW))
    await seed.add_inventory(InventoryCharger(charge_box_id="LEGACY-GARAGE-99", managed=False))
    await seed.close()
    services = await open_services(settings)
    try:
        row = services.fleet.row("LEGACY-GARAGE-99")
        assert row is not None and row.managed is False
        with pytest.raises(UnmanagedCharger):
            await services.operations.submit(
                "LEGACY-GARAGE-99",
                "UnlockConnector",
                {"connectorId": 1},
                dry_run=True,
                request_id="u",
            )
        assert await services.operations.recent() == []
    finally:
        await services.close()


async def test_start_polls_and_close_stops_even_if_a_part_fails(tmp_path: Path, monkeypatch):
    services = await open_services(settings_for(tmp_path))
    await services.start()
    await services.start()  # idempotent
    assert services.poller.running

    # SteVe refuses connections: the poller says so.
    await eventually(
        lambda: services.source_state(SourceName.STEVE).state == ConnectionState.UNREACHABLE
    )
    assert services.source_state(SourceName.STEVE).state == ConnectionState.UNREACHABLE

    async def broken_stop() -> None:
        raise RuntimeError("poller refused to stop")

    real_stop = services.poller.stop
    monkeypatch.setattr(services.poller, "stop", broken_stop)
    await services.close()
    await real_stop()  # the test's own cleanup of the loops it started
    with pytest.raises(StoreError):  # the store was still closed
        await services.store.recent_operations()


async def test_a_viewer_gets_a_viewer_operator(tmp_path: Path):
    services = await open_services(settings_for(tmp_path, role="viewer"))
    try:
        assert services.operator.role == Role.VIEWER
        assert services.operations.operator.role == Role.VIEWER
    finally:
        await services.close()
