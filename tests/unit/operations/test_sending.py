"""Dry runs never reach SteVe; the row is committed before SteVe is called
(seen from a separate connection, on both backends); each SteVe answer and each
failure class is recorded; one request per press."""

from __future__ import annotations

import asyncio

import pytest

from polaris_tui.models import (
    OperationChanged,
    OperationStatus,
    StopFollowup,
)
from polaris_tui.models.errors import (
    DuplicateSubmit,
    MalformedResponse,
    StationOffline,
    SteveAuthError,
    SteveRejected,
    SteveTimeout,
    SteveUnreachable,
    TransactionNotActive,
)
from polaris_tui.services.operations import (
    OperationService,
)
from polaris_tui.services.settings import Settings
from tests.pg import raw_rows, write_lock_free
from tests.unit.helpers import confirmed
from tests.unit.operations.support import (
    ADMIN,
    CB,
    accepted,
    envelope,
    stop,
)

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
