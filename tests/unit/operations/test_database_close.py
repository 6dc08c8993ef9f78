"""The guarded, audited database-only close of a zombie session."""

from __future__ import annotations

from datetime import timedelta

import pytest

from polaris_tui.models import (
    OperationStatus,
    StopFollowup,
)
from polaris_tui.models.errors import (
    ConfirmationRequired,
    DuplicateSubmit,
    InvalidParams,
    LastResortRefused,
    PermissionDenied,
    SteveNotFound,
    UnmanagedCharger,
)
from tests.unit.operations.support import (
    CB,
    NOW,
    VIEWER,
    accepted_stop_still_open,
    make_service,
    meter,
    tx,
)

# -- database-only close -------------------------------------------------


async def test_database_close_of_an_open_zombie(service, steve, store):
    stop_row = await accepted_stop_still_open(store)
    steve.details = [tx()]  # no meter value for 3 h: flat past the stuck threshold
    entry = await service.close_in_database(CB, 1001, request_id="db-1", typed="1001")
    assert entry.operation == "DatabaseStopTransaction" and entry.params == {"transactionId": 1001}
    assert entry.status == OperationStatus.SUBMITTED
    assert entry.result["outcome"] == "closed_in_database"
    assert "nothing was sent to the station" in entry.result["summary"]
    assert entry.result["transaction"]["stopTimestamp"] is not None
    assert steve.db_stops == [1001] and steve.sent() == []
    # The trail ends: the close and the stop it follows both say who closed it.
    assert entry.follows == stop_row.id and entry.followup == StopFollowup.CLOSED_IN_DATABASE
    stop_after = await store.get_operation(stop_row.id)
    assert stop_after.followup == StopFollowup.CLOSED_IN_DATABASE
    with pytest.raises((DuplicateSubmit, LastResortRefused)):  # the same press again
        await service.close_in_database(CB, 1001, request_id="db-1", typed="1001")
    assert steve.db_stops == [1001]


async def test_database_close_needs_the_typed_transaction_id(service, steve, store):
    await accepted_stop_still_open(store)
    for typed in ("", "1000", "yes"):
        with pytest.raises(ConfirmationRequired, match="Type the transaction id"):
            await service.close_in_database(CB, 1001, request_id=f"t-{typed}", typed=typed)
    assert steve.db_stops == [] and len(await store.recent_operations()) == 1


async def test_database_close_needs_an_accepted_stop_still_open(service, steve, store):
    steve.details = [tx()]
    with pytest.raises(LastResortRefused, match="No RemoteStop of transaction 1001"):
        await service.close_in_database(CB, 1001, request_id="n-1", typed="1001")
    stop_row = await accepted_stop_still_open(store)
    await store.set_followup(stop_row.id, StopFollowup.WATCHING, NOW)
    with pytest.raises(LastResortRefused, match="within its follow-up time"):
        await service.close_in_database(CB, 1001, request_id="n-2", typed="1001")
    assert steve.db_stops == [] and len(await store.recent_operations()) == 1


async def test_database_close_is_never_offered_while_the_meter_advances(service, steve, store):
    """Even after the stop and an unlock, a meter that moved 2 minutes ago refuses it."""
    stop_row = await accepted_stop_still_open(store)
    unlock = await store.insert_operation(
        charge_box_id=CB,
        operation="UnlockConnector",
        params={"connectorId": 1},
        requested_by="ana",
        dry_run=False,
        request_id="u-1",
        follows=stop_row.id,
    )
    await store.finish_operation(
        unlock.id, OperationStatus.SUBMITTED, result={"outcome": "accepted"}
    )
    steve.meters[1001] = [meter(30, "1500"), meter(2, "1900")]
    readiness = await service.close_readiness(CB, 1001)
    assert not readiness.allowed and readiness.meter_advancing is True
    assert readiness.unlock_op_id == unlock.id
    with pytest.raises(LastResortRefused, match="meter is advancing"):
        await service.close_in_database(CB, 1001, request_id="m-1", typed="1001")
    # Flat for 20 minutes (past the 15-minute threshold): allowed, with the facts.
    steve.meters[1001] = [meter(40, "1500"), meter(20, "1900"), meter(1, "1900")]
    readiness = await service.close_readiness(CB, 1001)
    assert readiness.allowed, readiness.missing
    assert readiness.meter_wh == 1900 and readiness.meter_advancing is False
    assert "steve_tx_1001_final" in readiness.billing
    assert steve.db_stops == []


async def test_database_close_without_unlock_needs_a_flat_meter(service, steve, store):
    await accepted_stop_still_open(store)
    # Moved 10 minutes ago (< the 15-minute threshold): the panel says "advancing".
    steve.meters[1001] = [meter(40, "1500"), meter(10, "1900")]
    readiness = await service.close_readiness(CB, 1001)
    assert not readiness.allowed and readiness.meter_advancing is True
    # A start 5 minutes ago with no meter value yet: not flat long enough, no unlock.
    steve.meters[1001] = []
    steve.details = [tx().model_copy(update={"start_timestamp": NOW - timedelta(minutes=5)})]
    readiness = await service.close_readiness(CB, 1001)
    assert not readiness.allowed
    assert any("Try UnlockConnector first" in m for m in readiness.missing)


async def test_database_close_refuses_unknown_wrong_charger_and_closed(service, steve, store):
    await accepted_stop_still_open(store)
    steve.details = [SteveNotFound("There is no transaction with id '1001'")]
    with pytest.raises(LastResortRefused, match="SteVe has no transaction 1001"):
        await service.close_in_database(CB, 1001, request_id="db-2", typed="1001")
    steve.details = [tx(charge_box_id="CP-ALPHA-01")]
    with pytest.raises(LastResortRefused, match="belongs to CP-ALPHA-01"):
        await service.close_in_database(CB, 1001, request_id="db-3", typed="1001")
    steve.details = [tx(stopped=NOW)]
    with pytest.raises(LastResortRefused, match="closed at 10:00 UTC"):
        await service.close_in_database(CB, 1001, request_id="db-4", typed="1001")
    assert steve.db_stops == [] and len(await store.recent_operations()) == 1


async def test_database_close_of_a_session_closed_meanwhile_is_a_failed_row(service, steve, store):
    """The guard passed, then the station closed it before the PATCH: recorded, not closed."""
    await accepted_stop_still_open(store)
    steve.details = [tx(), tx(stopped=NOW)]
    entry = await service.close_in_database(CB, 1001, request_id="db-6", typed="1001")
    assert entry.status == OperationStatus.FAILED and entry.error_title == "Already closed"
    assert steve.db_stops == []


async def test_database_close_records_steve_refusing(service, steve, store):
    await accepted_stop_still_open(store)
    steve.details = [tx()]
    steve.db_stop_error = SteveNotFound("There is no transaction with id '1001'")
    entry = await service.close_in_database(CB, 1001, request_id="db-5", typed="1001")
    assert entry.status == OperationStatus.FAILED and entry.error_title == "Unknown transaction"


async def test_database_close_is_admin_only_and_validated(steve, store, clock, events):
    viewer = make_service(steve, store, clock, events, operator=VIEWER)
    with pytest.raises(PermissionDenied):
        await viewer.close_in_database(CB, 1001, request_id="v")
    admin = make_service(steve, store, clock, events)
    with pytest.raises(InvalidParams):
        await admin.close_in_database(CB, 0, request_id="z")
    unmanaged = make_service(steve, store, clock, events, managed=False)
    with pytest.raises(UnmanagedCharger):
        await unmanaged.close_in_database(CB, 1001, request_id="u")
    assert await store.recent_operations() == []
