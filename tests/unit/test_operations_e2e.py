"""The issue's "Done when", from plain pytest, over real HTTP against the stand-in.

* find a customer's charger by email, dry-run then submit a RemoteStop, see
  the session close and the log row reach its final state;
* the stuck-firmware fault ends in "accepted but still open", and the
  runbook's follow-up (UnlockConnector) then closes the session;
* an operation during an outage leaves a ``failed`` row with the reason
  (and is not queued: nothing reaches the station afterwards);
* the runbook's other failures: station offline, stale transactionId,
  unmanaged charger; and the guarded database-only close.

(Several processes sharing one store is ``test_store_multiprocess.py``.)
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from polaris_tui.demo import seed_demo_store
from polaris_tui.models import OperationStatus, StopFollowup
from polaris_tui.models.errors import LastResortRefused, StaleTransaction, UnmanagedCharger
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from polaris_tui.services.settings import Settings
from tests.conftest import FROZEN_NOW
from tests.unit.helpers import confirmed, sim_settings_for


def press() -> str:
    """A new request id, as the UI makes for every press."""
    return uuid.uuid4().hex


def sim_settings(sim, tmp_path: Path, *, followup: float = 15.0) -> Settings:
    return sim_settings_for(
        sim,
        tmp_path,
        poll={"stop_followup_seconds": followup},
        operator={"name": "ana", "admins": ["ana"]},
    )


async def open_services(sim, tmp_path: Path, **kw) -> PolarisServices:
    services = await PolarisServices.open(
        sim_settings(sim, tmp_path, **kw), clock=FixedClock(FROZEN_NOW)
    )
    services.operations.watch_interval = 0.1
    # As in demo mode: the local half of the demo fleet (card -> customer links).
    await seed_demo_store(services.store)
    await services.poller.reload_local()
    await services.poller.refresh_now()
    return services


def open_session_row(services: PolarisServices, email: str):
    rows = [r for r in services.fleet.search(email) if r.open_session is not None]
    assert len(rows) == 1, [r.charge_box_id for r in rows]
    return rows[0]


async def wait_closed(services: PolarisServices, tx_id: int, timeout: float = 10.0):
    for _ in range(int(timeout / 0.05)):
        details = await services.steve.transaction_details(tx_id)
        if details.transaction.stop_timestamp is not None:
            return details.transaction
        await asyncio.sleep(0.05)
    raise AssertionError(f"transaction {tx_id} never closed")


async def test_find_by_email_dry_run_then_stop_and_see_the_session_close(sim, tmp_path: Path):
    services = await open_services(sim, tmp_path)
    try:
        row = open_session_row(services, "ada@example.com")
        assert row.charge_box_id == "CP-ALPHA-01"
        session = row.open_session.transaction
        assert session.ocpp_id_tag == "CARD-HEALTHY"
        ops = services.operations

        dry = await ops.submit(
            row.charge_box_id,
            "RemoteStopTransaction",
            {"transactionId": session.id},
            dry_run=True,
            request_id=press(),
        )
        assert dry.status == OperationStatus.DRY_RUN and dry.task_id is None
        still = await services.steve.transaction_details(session.id)
        assert still.transaction.stop_timestamp is None  # the dry run never reached SteVe

        real = await ops.submit(
            row.charge_box_id,
            "RemoteStopTransaction",
            {"transactionId": session.id},
            confirmation=confirmed(
                ops, row.charge_box_id, "RemoteStopTransaction", {"transactionId": session.id}
            ),
            dry_run=False,
            request_id=press(),
        )
        assert real.status == OperationStatus.SUBMITTED
        assert real.task_id is not None
        assert real.result["outcome"] == "accepted" and real.result["station_answer"] == "Accepted"
        assert real.followup == StopFollowup.WATCHING

        final = await asyncio.wait_for(ops.watcher(real.id), 20)
        assert final.followup == StopFollowup.CLOSED and final.followup_at is not None
        closed = (await services.steve.transaction_details(session.id)).transaction
        assert closed.stop_timestamp is not None and closed.stop_event_actor == "station"

        await services.poller.refresh_now()
        assert services.fleet.row("CP-ALPHA-01").open_session is None
        log_rows = await ops.recent(charge_box_id="CP-ALPHA-01")
        assert [(e.id, e.status, e.requested_by) for e in log_rows] == [
            (real.id, OperationStatus.SUBMITTED, "ana"),
            (dry.id, OperationStatus.DRY_RUN, "ana"),
        ]
        assert log_rows[0].followup == StopFollowup.CLOSED
    finally:
        await services.close()


async def test_stuck_firmware_ends_in_accepted_but_still_open(sim, tmp_path: Path):
    services = await open_services(sim, tmp_path, followup=1.0)
    try:
        row = open_session_row(services, "grace@example.com")
        assert row.charge_box_id == "CP-BRAVO-02"
        session = row.open_session.transaction
        ops = services.operations

        stop = await ops.submit(
            "CP-BRAVO-02",
            "RemoteStopTransaction",
            {"transactionId": session.id},
            confirmation=confirmed(
                ops, "CP-BRAVO-02", "RemoteStopTransaction", {"transactionId": session.id}
            ),
            dry_run=False,
            request_id=press(),
        )
        assert stop.status == OperationStatus.SUBMITTED and stop.result["outcome"] == "accepted"
        final = await asyncio.wait_for(ops.watcher(stop.id), 20)
        assert final.followup == StopFollowup.STILL_OPEN
        assert (
            await services.steve.transaction_details(session.id)
        ).transaction.stop_timestamp is None

        # The runbook's next step: UnlockConnector nudges the firmware.
        unlock = await ops.submit(
            "CP-BRAVO-02",
            "UnlockConnector",
            {"connectorId": session.connector_id},
            confirmation=confirmed(
                ops, "CP-BRAVO-02", "UnlockConnector", {"connectorId": session.connector_id}
            ),
            dry_run=False,
            request_id=press(),
        )
        assert unlock.status == OperationStatus.SUBMITTED
        assert unlock.result["station_answer"] == "Unlocked"
        closed = await wait_closed(services, session.id)
        assert closed.stop_reason == "UnlockCommand"
        # The trail ends: the unlock follows the stop, and both reach the final state.
        assert unlock.follows == stop.id
        final_unlock = await asyncio.wait_for(ops.watcher(unlock.id), 20)
        assert final_unlock.followup == StopFollowup.CLOSED_AFTER_UNLOCK
        assert [(e.id, e.followup) for e in await ops.chain(stop.id)] == [
            (stop.id, StopFollowup.CLOSED_AFTER_UNLOCK),
            (unlock.id, StopFollowup.CLOSED_AFTER_UNLOCK),
        ]
    finally:
        await services.close()


async def test_an_operation_during_an_outage_is_failed_and_never_queued(sim, tmp_path: Path):
    services = await open_services(sim, tmp_path)
    try:
        session = open_session_row(services, "ada@example.com").open_session.transaction
        sim.fault("steve_down")
        entry = await services.operations.submit(
            "CP-ALPHA-01",
            "RemoteStopTransaction",
            {"transactionId": session.id},
            confirmation=confirmed(
                services.operations,
                "CP-ALPHA-01",
                "RemoteStopTransaction",
                {"transactionId": session.id},
            ),
            dry_run=False,
            request_id=press(),
        )
        assert entry.status == OperationStatus.FAILED
        assert entry.error_title == "SteVe is unreachable" and entry.error_message
        assert entry.result["error_title"] == "SteVe is unreachable"
        assert sim.steve_password not in entry.error_message

        sim.clear_fault("steve_down")
        await asyncio.sleep(0.5)
        details = await services.steve.transaction_details(session.id)
        assert details.transaction.stop_timestamp is None  # nothing was sent later
        (row,) = await services.operations.recent(charge_box_id="CP-ALPHA-01")
        assert row.status == OperationStatus.FAILED and row.completed_at is not None
    finally:
        await services.close()


async def test_offline_station_fails_with_steve_reason_and_a_stale_stop_is_refused(
    sim, tmp_path: Path
):
    services = await open_services(sim, tmp_path)
    try:
        offline = await services.operations.submit(
            "CP-CHARLIE-03",
            "UnlockConnector",
            {"connectorId": 1},
            confirmation=confirmed(
                services.operations, "CP-CHARLIE-03", "UnlockConnector", {"connectorId": 1}
            ),
            dry_run=False,
            request_id=press(),
        )
        assert offline.status == OperationStatus.FAILED
        assert offline.error_title == "Charger is offline"
        assert "No stations are eligible" in offline.error_message

        session = open_session_row(services, "ada@example.com").open_session.transaction
        stopped = await services.steve.list_transactions(type="STOPPED")
        stale = next(t for t in stopped if t.charge_box_id == "CP-ALPHA-01")
        # Stopped before any dialog, with what SteVe knows; nothing is written or sent.
        for attempt in (
            services.operations.prepare(
                "CP-ALPHA-01", "RemoteStopTransaction", {"transactionId": stale.id}
            ),
            services.operations.submit(
                "CP-ALPHA-01",
                "RemoteStopTransaction",
                {"transactionId": stale.id},
                confirmation=confirmed(
                    services.operations,
                    "CP-ALPHA-01",
                    "RemoteStopTransaction",
                    {"transactionId": stale.id},
                ),
                dry_run=False,
                request_id=press(),
            ),
        ):
            with pytest.raises(StaleTransaction, match=f"Transaction {stale.id} closed at"):
                await attempt
        assert [e.operation for e in await services.operations.recent()] == ["UnlockConnector"]
        still = await services.steve.transaction_details(session.id)
        assert still.transaction.stop_timestamp is None
    finally:
        await services.close()


async def test_unmanaged_charger_is_refused_before_anything_is_written(sim, tmp_path: Path):
    services = await open_services(sim, tmp_path)
    try:
        assert services.fleet.row("LEGACY-GARAGE-99").managed is False
        with pytest.raises(UnmanagedCharger):
            await services.operations.submit(
                "LEGACY-GARAGE-99",
                "RemoteStopTransaction",
                {"transactionId": 1},
                dry_run=True,
                request_id=press(),
            )
        assert await services.operations.recent() == []
    finally:
        await services.close()


async def test_database_only_close_of_the_zombie_session(sim, tmp_path: Path):
    services = await open_services(sim, tmp_path, followup=0.5)
    try:
        session = open_session_row(services, "grace@example.com").open_session.transaction
        ops = services.operations
        with pytest.raises(LastResortRefused, match="No RemoteStop"):
            await ops.close_in_database(
                "CP-BRAVO-02", session.id, request_id=press(), typed=str(session.id)
            )
        params = {"transactionId": session.id}
        stop = await ops.submit(
            "CP-BRAVO-02",
            "RemoteStopTransaction",
            params,
            confirmation=(await ops.prepare("CP-BRAVO-02", "RemoteStopTransaction", params)).token,
            dry_run=False,
            request_id=press(),
        )
        assert (await asyncio.wait_for(ops.watcher(stop.id), 20)).followup == (
            StopFollowup.STILL_OPEN
        )
        readiness = await ops.close_readiness("CP-BRAVO-02", session.id)
        assert readiness.allowed, readiness.missing  # the demo's stalled meter: flat for hours
        closed = await ops.close_in_database(
            "CP-BRAVO-02", session.id, request_id=press(), typed=str(session.id)
        )
        assert closed.operation == "DatabaseStopTransaction"
        assert closed.status == OperationStatus.SUBMITTED
        assert closed.result["outcome"] == "closed_in_database"
        assert closed.result["transaction"]["stopEventActor"] == "manual"
        tx = (await services.steve.transaction_details(session.id)).transaction
        assert tx.stop_timestamp is not None and tx.stop_event_actor == "manual"
        chain = await ops.chain(closed.id)
        assert [(e.operation, e.followup) for e in chain] == [
            ("RemoteStopTransaction", StopFollowup.CLOSED_IN_DATABASE),
            ("DatabaseStopTransaction", StopFollowup.CLOSED_IN_DATABASE),
        ]
        with pytest.raises(LastResortRefused, match="closed at"):
            await ops.close_in_database(
                "CP-BRAVO-02", session.id, request_id=press(), typed=str(session.id)
            )
    finally:
        await services.close()
