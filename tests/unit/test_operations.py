"""OperationService against a fake SteVe client and a real store file.

What is checked: the order of refusals (allowlist, unmanaged, role, params)
with nothing written; the row committed before SteVe is called (seen from a
separate SQLite connection); dry runs never reach SteVe; each SteVe answer
and each failure class recorded; one request per press; the RemoteStop
followup; the guarded database-only close.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from polaris_tui.models import (
    InventoryCharger,
    MeterValue,
    OperationChanged,
    OperationEnvelope,
    OperationStatus,
    Operator,
    Role,
    StopFollowup,
    Transaction,
)
from polaris_tui.models.errors import (
    ConfirmationRequired,
    DuplicateSubmit,
    InvalidParams,
    LastResortRefused,
    MalformedResponse,
    OperationNotAllowed,
    PermissionDenied,
    StationOffline,
    SteveAuthError,
    SteveNotFound,
    SteveRejected,
    SteveTimeout,
    SteveUnreachable,
    TransactionNotActive,
    UnmanagedCharger,
)
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.operations import (
    ALLOWED_OPERATIONS,
    FORBIDDEN_OPERATIONS,
    OPERATION_PARAMS,
    OperationService,
    validate_params,
)
from polaris_tui.services.settings import Settings
from polaris_tui.store import Store
from tests.fakes.steve import FakeSteve
from tests.pg import raw_rows, write_lock_free
from tests.unit.helpers import confirmed

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
CB = "CP-BRAVO-02"
ADMIN = Operator(name="ana", role=Role.ADMIN)
VIEWER = Operator(name="vic", role=Role.VIEWER)


def envelope(**kw: Any) -> OperationEnvelope:
    return OperationEnvelope.model_validate({"taskId": 7, "taskFinished": True, **kw})


def accepted(answer: Any = "Accepted") -> OperationEnvelope:
    return envelope(successResponses=[{"chargeBoxId": CB, "response": answer}])


def tx(pk: int = 1001, *, stopped: datetime | None = None, charge_box_id: str = CB) -> Transaction:
    return Transaction(
        id=pk,
        charge_box_id=charge_box_id,
        connector_id=1,
        ocpp_id_tag="CARD-STUCK",
        start_timestamp=NOW - timedelta(hours=3),
        start_value="1000",
        stop_timestamp=stopped,
        stop_value="2000" if stopped else None,
        stop_event_actor="station" if stopped else None,
    )


@pytest.fixture
async def store(store_url: str, clock: FixedClock):
    s = await Store.open(store_url, clock=clock)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def steve() -> FakeSteve:
    """SteVe accepts every operation; the session stays open until closed in its database."""
    fake = FakeSteve()
    fake.answer = accepted()
    fake.details = [tx()]
    fake.after_db_stop = lambda pk: tx(pk, stopped=NOW)
    return fake


@pytest.fixture
def events() -> list[Any]:
    return []


def make_service(steve, store, clock, events, *, operator=ADMIN, managed=True, followup=5.0):
    settings = Settings(poll={"stop_followup_seconds": followup})
    return OperationService(
        steve,
        store,
        clock,
        settings,
        operator,
        is_managed=lambda cb: managed,
        publish=events.append,
        watch_interval=0.01,
    )


@pytest.fixture
async def service(steve, store, clock, events):
    svc = make_service(steve, store, clock, events)
    try:
        yield svc
    finally:
        await svc.close()


async def stop(
    svc: OperationService, request_id: str = "press-1", *, dry_run: bool = False, tx_id: int = 1001
):
    return await svc.submit(
        CB,
        "RemoteStopTransaction",
        {"transactionId": tx_id},
        dry_run=dry_run,
        request_id=request_id,
        confirmation=confirmed(svc, CB, "RemoteStopTransaction", {"transactionId": tx_id}),
    )


# -- the allowlist and params models ---------------------------------------


def test_allowlist_is_exactly_the_issue_list():
    assert set(ALLOWED_OPERATIONS) == {
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "UnlockConnector",
        "ReserveNow",
        "CancelReservation",
        "TriggerMessage",
        "GetConfiguration",
        "GetCompositeSchedule",
        "GetDiagnostics",
        "GetLocalListVersion",
        "DataTransfer",
        "SetChargingProfile",
        "ChangeAvailability",
    }
    assert set(OPERATION_PARAMS) == set(ALLOWED_OPERATIONS)
    assert not set(FORBIDDEN_OPERATIONS) & set(ALLOWED_OPERATIONS)


@pytest.mark.parametrize("name", sorted(OPERATION_PARAMS))
def test_every_form_field_has_a_title_and_description(name):
    """The UI generates form fields from the schema: labels must be there."""
    model = OPERATION_PARAMS[name]
    schema = model.model_json_schema()
    assert model.__doc__ and schema.get("description")
    for field, spec in schema.get("properties", {}).items():
        assert spec.get("title"), (name, field)
        assert spec.get("description"), (name, field)
    assert "chargeBoxIdList" not in schema.get("properties", {})


def test_required_fields_are_visible_in_the_schema():
    assert OPERATION_PARAMS["RemoteStopTransaction"].model_json_schema()["required"] == [
        "transactionId"
    ]
    assert set(OPERATION_PARAMS["ReserveNow"].model_json_schema()["required"]) == {
        "connectorId",
        "expiry",
        "idTag",
    }
    assert (
        OPERATION_PARAMS["RemoteStartTransaction"].model_fields["connectorId"].is_required()
        is False
    )


@pytest.mark.parametrize(
    ("operation", "params", "field"),
    [
        ("RemoteStopTransaction", {}, "transactionId"),
        ("RemoteStopTransaction", {"transactionId": 0}, "transactionId"),
        ("RemoteStopTransaction", {"transactionId": "abc"}, "transactionId"),
        (
            "RemoteStopTransaction",
            {"transactionId": 5, "chargeBoxIdList": ["X"]},
            "chargeBoxIdList",
        ),
        ("UnlockConnector", {"connectorId": 0}, "connectorId"),
        ("RemoteStartTransaction", {"idTag": ""}, "idTag"),
        ("RemoteStartTransaction", {"idTag": "x" * 41}, "idTag"),
        ("RemoteStartTransaction", {"idTag": "bad tag[/]"}, "idTag"),
        ("RemoteStartTransaction", {"idTag": "CARD-HEALTHY", "connectorId": -1}, "connectorId"),
        (
            "ReserveNow",
            {"connectorId": 1, "idTag": "CARD-HEALTHY", "expiry": "2026-11-22T09:00:00Z"},
            "expiry",
        ),
        ("CancelReservation", {"reservationId": -1}, "reservationId"),
        ("TriggerMessage", {"triggerMessage": "Reset"}, "triggerMessage"),
        ("TriggerMessage", {"triggerMessage": "Heartbeat", "connectorId": 0}, "connectorId"),
        ("ChangeAvailability", {"availType": "Off"}, "availType"),
        ("GetCompositeSchedule", {"connectorId": 1, "durationInSeconds": 0}, "durationInSeconds"),
        ("GetDiagnostics", {"location": "ftp://x y"}, "location"),
        (
            "GetDiagnostics",
            {
                "location": "ftp://x",
                "start": "2026-11-22T09:00:00Z",
                "stop": "2026-11-22T08:00:00Z",
            },
            "stop",
        ),
        ("GetDiagnostics", {"location": "ftp://x", "start": "2026-11-23T09:00:00Z"}, "start"),
        ("DataTransfer", {"messageId": "m"}, "vendorId"),
        ("SetChargingProfile", {"connectorId": 1, "chargingProfilePk": 0}, "chargingProfilePk"),
    ],
)
def test_bad_params_are_field_errors(operation, params, field):
    with pytest.raises(InvalidParams) as info:
        validate_params(operation, params, now=NOW)
    assert field in info.value.field_errors, info.value.field_errors


def test_valid_params_become_steve_body_fields():
    body = validate_params(
        "ReserveNow",
        {"connectorId": 1, "idTag": " CARD-HEALTHY ", "expiry": "2026-11-22T11:00:00"},
        now=NOW,
    )
    assert body == {"connectorId": 1, "idTag": "CARD-HEALTHY", "expiry": "2026-11-22T11:00:00Z"}
    assert validate_params("GetLocalListVersion", None, now=NOW) == {}
    assert validate_params("ChangeAvailability", {"availType": "Inoperative"}, now=NOW) == {
        "availType": "Inoperative"
    }


# -- refusals: order, and nothing written ----------------------------------


@pytest.mark.parametrize("name", [*FORBIDDEN_OPERATIONS, "FormatDisk"])
async def test_operations_outside_the_allowlist_are_refused(name, service, steve, store):
    with pytest.raises(OperationNotAllowed, match="not allowed"):
        await service.submit(CB, name, {}, dry_run=False, request_id="p")
    assert steve.sent() == [] and await store.recent_operations() == []


async def test_forbidden_names_say_why(service):
    with pytest.raises(OperationNotAllowed) as info:
        await service.submit(CB, "Reset", {"type": "Hard"}, dry_run=True, request_id="p")
    assert "SteVe admin UI" in info.value.message


async def test_the_allowlist_is_checked_first(steve, store, clock, events):
    svc = make_service(steve, store, clock, events, operator=VIEWER, managed=False)
    with pytest.raises(OperationNotAllowed):
        await svc.submit(
            CB,
            "Reset",
            {},
            confirmation=confirmed(svc, CB, "Reset", {}),
            dry_run=False,
            request_id="p",
        )
    with pytest.raises(UnmanagedCharger):  # unmanaged before role
        await stop(svc)
    assert await store.recent_operations() == []


async def test_unmanaged_charger_from_the_fleet_is_refused(steve, store, clock, events):
    svc = make_service(steve, store, clock, events, managed=False)
    with pytest.raises(UnmanagedCharger, match="doesn't speak OCPP"):
        await stop(svc, dry_run=True)
    assert steve.sent() == [] and await store.recent_operations() == []


async def test_unmanaged_charger_from_the_inventory_is_refused(service, steve, store):
    await store.add_inventory(InventoryCharger(charge_box_id="LEGACY-GARAGE-99", managed=False))
    with pytest.raises(UnmanagedCharger):
        await service.submit(
            "LEGACY-GARAGE-99",
            "UnlockConnector",
            {"connectorId": 1},
            confirmation=confirmed(
                service, "LEGACY-GARAGE-99", "UnlockConnector", {"connectorId": 1}
            ),
            dry_run=False,
            request_id="p",
        )
    assert steve.sent() == [] and await store.recent_operations() == []


@pytest.mark.parametrize("dry_run", [True, False])
async def test_viewers_cannot_submit_anything(dry_run, steve, store, clock, events):
    svc = make_service(steve, store, clock, events, operator=VIEWER)
    with pytest.raises(PermissionDenied, match="viewer"):
        await stop(svc, dry_run=dry_run)
    with pytest.raises(PermissionDenied):  # role before params
        await svc.submit(
            CB, "RemoteStopTransaction", {"transactionId": -5}, dry_run=dry_run, request_id="q"
        )
    assert steve.sent() == [] and await store.recent_operations() == []


async def test_bad_params_write_nothing_and_send_nothing(service, steve, store, events):
    with pytest.raises(InvalidParams) as info:
        await service.submit(
            CB,
            "RemoteStopTransaction",
            {"transactionId": 0},
            confirmation=confirmed(service, CB, "RemoteStopTransaction", {"transactionId": 0}),
            dry_run=False,
            request_id="p",
        )
    assert "transactionId" in info.value.field_errors
    assert steve.sent() == [] and await store.recent_operations() == [] and events == []


async def test_an_empty_request_id_is_refused(service, store):
    with pytest.raises(InvalidParams):
        await stop(service, request_id="  ")
    assert await store.recent_operations() == []


# -- dry run, commit before send, outcomes -----------------------------------


async def test_dry_run_is_logged_and_never_reaches_steve(service, steve, store, events):
    entry = await stop(service, dry_run=True)
    assert entry.status == OperationStatus.DRY_RUN and entry.dry_run
    assert entry.params == {"transactionId": 1001} and entry.requested_by == "ana"
    assert steve.sent() == []
    assert [type(e) for e in events] == [OperationChanged]
    assert (await store.get_operation(entry.id)).status == OperationStatus.DRY_RUN


async def test_the_row_is_committed_before_steve_is_called(service, steve, store_url):
    seen: list[tuple] = []

    async def look(name, body):
        # A separate connection (as another process would) sees the committed row.
        seen.extend(
            await raw_rows(
                store_url,
                "SELECT operation, status, params, requested_by FROM charger_operation_log "
                "WHERE request_id = 'press-1'",
            )
        )
        # ... and no transaction is held across the HTTP call: another
        # connection can take the write lock at once.
        if await write_lock_free(store_url, "charger_operation_log"):
            seen.append("write lock free")

    steve.on_call = look
    entry = await stop(service)
    assert seen == [
        ("RemoteStopTransaction", "pending", '{"transactionId":1001}', "ana"),
        "write lock free",
    ]
    assert steve.sent() == [
        ("RemoteStopTransaction", {"transactionId": 1001, "chargeBoxIdList": [CB]})
    ]
    assert entry.status == OperationStatus.SUBMITTED


async def test_accepted_stop_is_submitted_with_task_and_answer(service, steve, events):
    entry = await stop(service)
    assert entry.status == OperationStatus.SUBMITTED and entry.task_id == 7
    assert entry.result["outcome"] == "accepted"
    assert entry.result["summary"].startswith("Station answered Accepted")
    assert "stopped" not in entry.result["summary"].lower()
    assert entry.result["successResponses"] == [{"chargeBoxId": CB, "response": "Accepted"}]
    assert entry.followup == StopFollowup.WATCHING
    statuses = [e.entry.status for e in events[:2]]
    assert statuses == [OperationStatus.PENDING, OperationStatus.SUBMITTED]


@pytest.mark.parametrize(
    ("answer", "outcome", "summary"),
    [
        (accepted("Rejected"), "rejected", "Station answered Rejected"),
        (
            accepted({"status": "UnknownVendorId", "data": None}),
            "rejected",
            "Station answered UnknownVendorId",
        ),
        (
            envelope(
                errorResponses=[
                    {"chargeBoxId": CB, "errorCode": "NotSupported", "errorDescription": "nope"}
                ]
            ),
            "call_error",
            "Station returned an error: NotSupported nope",
        ),
        (
            envelope(exceptions=[{"chargeBoxId": CB, "exceptionMessage": "No session context"}]),
            "exception",
            "SteVe could not deliver it to the station: No session context",
        ),
        (envelope(taskFinished=False), "no_answer", "did not answer within 30 s"),
    ],
)
async def test_station_answers_other_than_accepted_are_submitted_with_an_outcome(
    answer, outcome, summary, service, steve
):
    steve.answer = answer
    entry = await service.submit(
        CB,
        "TriggerMessage",
        {"triggerMessage": "StatusNotification"},
        confirmation=confirmed(
            service, CB, "TriggerMessage", {"triggerMessage": "StatusNotification"}
        ),
        dry_run=False,
        request_id="p",
    )
    assert entry.status == OperationStatus.SUBMITTED
    assert entry.result["outcome"] == outcome
    assert summary in entry.result["summary"]
    assert entry.followup is None


async def test_unlock_and_structured_answers_count_as_accepted(service, steve):
    steve.answer = accepted("Unlocked")
    entry = await service.submit(
        CB,
        "UnlockConnector",
        {"connectorId": 1},
        confirmation=confirmed(service, CB, "UnlockConnector", {"connectorId": 1}),
        dry_run=False,
        request_id="a",
    )
    assert (entry.result["outcome"], entry.result["summary"]) == (
        "accepted",
        "Station answered Unlocked",
    )
    steve.answer = accepted(3)
    entry = await service.submit(
        CB,
        "GetLocalListVersion",
        {},
        confirmation=confirmed(service, CB, "GetLocalListVersion", {}),
        dry_run=False,
        request_id="b",
    )
    assert entry.result["outcome"] == "accepted" and entry.result["station_answer"] == 3


@pytest.mark.parametrize(
    "error",
    [
        SteveUnreachable("connection refused"),
        SteveTimeout("no answer after 45 s"),
        SteveAuthError("Invalid password"),
        StationOffline("No stations are eligible for communication.", status=400),
        TransactionNotActive("This transaction is not active at this station.", status=400),
        SteveRejected("NullPointerException", status=500),
        MalformedResponse("not JSON"),
    ],
)
async def test_steve_failures_leave_a_failed_row_with_the_reason(
    error, service, steve, store, events
):
    steve.answer = error
    entry = await stop(service)
    assert entry.status == OperationStatus.FAILED
    assert entry.error_title == error.title and entry.error_message == error.message
    assert entry.result["error_message"] == error.message
    assert entry.task_id is None and entry.followup is None
    assert (await store.get_operation(entry.id)) == entry
    assert events[-1].entry.status == OperationStatus.FAILED
    assert len(steve.sent()) == 1  # never retried, never queued


async def test_an_unexpected_error_is_recorded_not_left_pending(steve, store, clock, events):
    settings = Settings(steve={"api_password": "s3cret-pw"})
    svc = OperationService(steve, store, clock, settings, ADMIN, lambda cb: True, events.append)
    steve.answer = RuntimeError("boom with s3cret-pw inside")
    entry = await stop(svc)
    assert entry.status == OperationStatus.FAILED and entry.error_title == "Unexpected error"
    assert "s3cret-pw" not in entry.error_message and "boom" in entry.error_message


# -- one request per press -----------------------------------------------


async def test_the_same_press_is_not_sent_twice(service, steve, store):
    await stop(service, request_id="press-9")
    with pytest.raises(DuplicateSubmit):
        await stop(service, request_id="press-9")
    assert len(steve.sent()) == 1 and len(await store.recent_operations()) == 1


async def test_an_identical_operation_in_flight_is_refused(service, steve, store):
    release = asyncio.Event()

    async def hold(name, body):
        await release.wait()

    steve.on_call = hold
    first = asyncio.create_task(stop(service, request_id="a"))
    while not steve.sent():
        await asyncio.sleep(0.01)
    with pytest.raises(DuplicateSubmit, match="still waiting"):
        await stop(service, request_id="b")
    release.set()
    assert (await first).status == OperationStatus.SUBMITTED
    assert len(steve.sent()) == 1 and len(await store.recent_operations()) == 1


async def test_cancelled_while_steve_has_it_marks_interrupted(service, steve, store):
    steve.on_call = lambda name, body: asyncio.sleep(30)
    task = asyncio.create_task(stop(service))
    while not steve.sent():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (row,) = await store.recent_operations()
    assert row.status == OperationStatus.INTERRUPTED and "not resent" in row.error_message


# -- RemoteStop followup -------------------------------------------------


async def test_followup_records_when_the_session_closed(service, steve, events):
    closed_at = NOW + timedelta(seconds=20)
    steve.details = [tx(), tx(), tx(stopped=closed_at)]
    entry = await stop(service)
    done = await asyncio.wait_for(service.watcher(entry.id), 5)
    assert done.followup == StopFollowup.CLOSED and done.followup_at == closed_at
    assert events[-1].entry.followup == StopFollowup.CLOSED


async def test_followup_flags_accepted_but_still_open(steve, store, clock, events):
    svc = make_service(steve, store, clock, events, followup=0.2)
    try:
        steve.details = [tx()]
        entry = await stop(svc)
        done = await asyncio.wait_for(svc.watcher(entry.id), 5)
        assert done.followup == StopFollowup.STILL_OPEN
        assert done.status == OperationStatus.SUBMITTED and done.result["outcome"] == "accepted"
        assert steve.detail_calls >= 2
    finally:
        await svc.close()


async def test_followup_deadline_follows_the_injected_clock(steve, store, clock, events):
    svc = make_service(steve, store, clock, events, followup=120)
    try:
        steve.details = [tx()]
        entry = await stop(svc)
        await asyncio.sleep(0.05)
        assert not svc.watcher(entry.id).done()
        clock.advance(121)
        done = await asyncio.wait_for(svc.watcher(entry.id), 5)
        assert done.followup == StopFollowup.STILL_OPEN and done.followup_at == clock.now()
    finally:
        await svc.close()


async def test_followup_keeps_going_through_steve_errors(service, steve):
    steve.details = [SteveUnreachable("down"), tx(stopped=NOW)]
    entry = await stop(service)
    done = await asyncio.wait_for(service.watcher(entry.id), 5)
    assert done.followup == StopFollowup.CLOSED


async def test_rejected_stop_is_not_watched(service, steve):
    steve.answer = accepted("Rejected")
    entry = await stop(service)
    assert entry.followup is None and service.watcher(entry.id) is None


async def test_a_watch_left_by_a_closed_process_is_resumed(tmp_path, steve, clock, events):
    path = tmp_path / "resume.sqlite"
    first_store = await Store.open(path, clock=clock)
    first = make_service(steve, first_store, clock, events, followup=60)
    steve.details = [tx()]
    entry = await stop(first)
    await first.close()  # watcher cancelled: the row stays "watching"
    await first_store.close()

    store = await Store.open(path, clock=clock)
    svc = make_service(steve, store, clock, events, followup=60)
    try:
        assert (await store.get_operation(entry.id)).followup == StopFollowup.WATCHING
        steve.details = [tx(stopped=NOW + timedelta(seconds=5))]
        assert await svc.resume_watchers() == [entry.id]
        done = await asyncio.wait_for(svc.watcher(entry.id), 5)
        assert done.followup == StopFollowup.CLOSED
    finally:
        await svc.close()
        await store.close()


# -- database-only close -------------------------------------------------


async def accepted_stop_still_open(store, tx_id: int = 1001):
    """The log as the runbook leaves it: a RemoteStop accepted, still open past the follow-up."""
    entry = await store.insert_operation(
        charge_box_id=CB,
        operation="RemoteStopTransaction",
        params={"transactionId": tx_id},
        requested_by="ana",
        dry_run=False,
        request_id=f"stop-{tx_id}",
    )
    await store.finish_operation(
        entry.id,
        OperationStatus.SUBMITTED,
        task_id=7,
        result={"outcome": "accepted", "summary": "Station answered Accepted"},
        followup=StopFollowup.WATCHING,
    )
    return await store.set_followup(entry.id, StopFollowup.STILL_OPEN, NOW)


def meter(minutes_ago: float, wh: str) -> MeterValue:
    return MeterValue(
        value_timestamp=NOW - timedelta(minutes=minutes_ago),
        value=wh,
        measurand="Energy.Active.Import.Register",
        unit="Wh",
    )


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
