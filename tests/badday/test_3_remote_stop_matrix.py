"""Bad day 3: every answer SteVe can give to a RemoteStopTransaction.

From the HTTP answer to what the operator reads: an ``httpx.MockTransport``
plays SteVe behind the real ``SteveClient``, the real ``OperationService``
records into a real store, and ``describe_entry`` is exactly what the charger
detail and the operation log show. For each answer: the row's final state,
the outcome, the words on screen, exactly one POST (never retried), and never
a claim that the session "stopped" (Accepted only means the station will try).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from polaris_tui.models import OperationStatus, Operator, Role, StopFollowup
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.operations import OperationService
from polaris_tui.services.settings import Settings
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.store import Store
from polaris_tui.widgets.operation_outcome import OFFLINE_TEXT, STALE_TX_TEXT, describe_entry
from tests.conftest import FROZEN_NOW
from tests.unit.helpers import confirmed

CB = "CP-BRAVO-02"
TX_ID = 1001
PASSWORD = "s3cr3t-steve-matrix"

OFFLINE_MESSAGE = (
    "No stations are eligible for communication. Ensure that the chargeBox IDs are correct "
    "and the stations are online."
)
NOT_ACTIVE_MESSAGE = "This transaction is not active at this station."


def envelope(**lists: Any) -> dict[str, Any]:
    body = {
        "taskId": 42,
        "taskFinished": True,
        "successResponses": [],
        "errorResponses": [],
        "exceptions": [],
    }
    body.update(lists)
    return body


def api_error(status: int, message: str) -> httpx.Response:
    """SteVe's ApiErrorResponse."""
    return httpx.Response(
        status,
        json={
            "timestamp": "2026-11-22T10:00:00.000Z",
            "status": status,
            "error": httpx.codes.get_reason_phrase(status),
            "message": message,
            "path": "/steve/api/v1/operations/RemoteStopTransaction",
        },
    )


def ok(body: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, json=body)


def fails(status: int, message: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: api_error(status, message)


def raises(
    kind: type[httpx.TransportError], text: str
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise kind(text, request=request)

    return handler


def bad_gateway(request: httpx.Request) -> httpx.Response:
    html = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
    return httpx.Response(502, text=html, headers={"Content-Type": "text/html"})


@dataclass
class Case:
    """What one SteVe answer must end as."""

    answer: Callable[[httpx.Request], httpx.Response]
    status: OperationStatus
    outcome: str
    shown: list[str]
    """Phrases the operator must read (headline + detail)."""
    tone: str
    followup: StopFollowup | None = None
    title: str | None = None
    offer_refresh: bool = False
    not_shown: list[str] = field(default_factory=list)


CASES: dict[str, Case] = {
    "accepted": Case(
        ok(envelope(successResponses=[{"chargeBoxId": CB, "response": "Accepted"}])),
        OperationStatus.SUBMITTED,
        "accepted",
        [
            "submitted",
            "SteVe task 42",
            "Station answered Accepted",
            "Watching for the station's StopTransaction",
        ],
        "ok",
        followup=StopFollowup.WATCHING,
    ),
    "rejected": Case(
        ok(envelope(successResponses=[{"chargeBoxId": CB, "response": "Rejected"}])),
        OperationStatus.SUBMITTED,
        "rejected",
        ["submitted", "Station answered Rejected"],
        "warning",
    ),
    "task_unfinished_empty_lists": Case(
        ok(envelope(taskFinished=False)),
        OperationStatus.SUBMITTED,
        "no_answer",
        ["submitted", "did not answer within 30 s", "may still act"],
        "warning",
        followup=StopFollowup.WATCHING,
    ),
    "call_error": Case(
        ok(
            envelope(
                errorResponses=[
                    {
                        "chargeBoxId": CB,
                        "errorCode": "InternalError",
                        "errorDescription": "firmware crashed",
                        "errorDetails": None,
                    }
                ]
            )
        ),
        OperationStatus.SUBMITTED,
        "call_error",
        ["submitted", "Station returned an error: InternalError firmware crashed"],
        "warning",
    ),
    "exception": Case(
        ok(
            envelope(
                exceptions=[
                    {
                        "chargeBoxId": CB,
                        "exceptionMessage": f"No session context for chargeBoxId '{CB}'",
                    }
                ]
            )
        ),
        OperationStatus.SUBMITTED,
        "exception",
        ["submitted", "SteVe could not deliver it to the station", "No session context"],
        "warning",
    ),
    "400_not_active": Case(
        fails(400, NOT_ACTIVE_MESSAGE),
        OperationStatus.FAILED,
        "failed",
        ["failed", "Transaction no longer active", NOT_ACTIVE_MESSAGE, STALE_TX_TEXT],
        "error",
        title="Transaction no longer active",
        offer_refresh=True,
    ),
    "400_no_station_eligible": Case(
        fails(400, OFFLINE_MESSAGE),
        OperationStatus.FAILED,
        "failed",
        ["failed", "Charger is offline", OFFLINE_MESSAGE, OFFLINE_TEXT],
        "error",
        title="Charger is offline",
    ),
    "401": Case(
        fails(401, "Full authentication is required to access this resource"),
        OperationStatus.FAILED,
        "failed",
        ["failed", "SteVe refused the credentials", "Full authentication is required"],
        "error",
        title="SteVe refused the credentials",
    ),
    "500_with_steve_body": Case(
        fails(500, "Unexpected error: NullPointerException in ChargePointServiceClient"),
        OperationStatus.FAILED,
        "failed",
        ["failed", "SteVe refused the request", "NullPointerException in ChargePointServiceClient"],
        "error",
        title="SteVe refused the request",
    ),
    "502_html": Case(
        bad_gateway,
        OperationStatus.FAILED,
        "failed",
        ["failed", "HTTP 502 Bad Gateway"],
        "error",
        title="SteVe refused the request",
        not_shown=["<html", "nginx"],
    ),
    "connection_refused": Case(
        raises(httpx.ConnectError, "[Errno 111] Connection refused"),
        OperationStatus.FAILED,
        "failed",
        ["failed", "SteVe is unreachable", "was not delivered", "Connection refused"],
        "error",
        title="SteVe is unreachable",
    ),
    "read_timeout": Case(
        raises(httpx.ReadTimeout, "timed out"),
        OperationStatus.FAILED,
        "failed",
        ["failed", "SteVe did not answer in time", "may still act", "before you try again"],
        "error",
        title="SteVe did not answer in time",
        offer_refresh=True,
        not_shown=["not delivered"],
    ),
}


@pytest.fixture
async def store(tmp_path: Path):
    store = await Store.open(tmp_path / "polaris.sqlite", clock=FixedClock(FROZEN_NOW))
    try:
        yield store
    finally:
        await store.close()


def active_transaction(request: httpx.Request) -> httpx.Response:
    """GET /transactions/{id} for the followup watcher: still running."""
    return httpx.Response(
        200,
        json={
            "transaction": {
                "id": TX_ID,
                "chargeBoxId": CB,
                "connectorId": 1,
                "ocppIdTag": "CARD-STUCK",
                "startTimestamp": "2026-11-22T07:00:00.000Z",
                "startValue": "1000",
            },
            "values": [],
        },
    )


@pytest.mark.parametrize("name", list(CASES))
async def test_remote_stop_answer(name: str, store: Store) -> None:
    case = CASES[name]
    posts: list[httpx.Request] = []

    def steve(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request)
            return case.answer(request)
        return active_transaction(request)

    settings = Settings(
        steve={"url": "http://steve.test/steve", "api_password": PASSWORD},
        store={"path": store.path},
        poll={"stop_followup_seconds": 600},
    )
    client = SteveClient(
        settings.steve, transport=httpx.MockTransport(steve), secrets=settings.secrets()
    )
    events: list[Any] = []
    service = OperationService(
        client,
        store,
        FixedClock(FROZEN_NOW),
        settings,
        Operator(name="ana", role=Role.ADMIN),
        lambda charge_box_id: True,
        events.append,
        watch_interval=60,
    )
    try:
        entry = await service.submit(
            CB,
            "RemoteStopTransaction",
            {"transactionId": TX_ID},
            confirmation=confirmed(service, CB, "RemoteStopTransaction", {"transactionId": TX_ID}),
            dry_run=False,
            request_id=f"press-{name}",
        )
    finally:
        await service.close()
        await client.close()

    assert len(posts) == 1, "an operation POST is sent exactly once"
    assert json.loads(posts[0].content) == {"transactionId": TX_ID, "chargeBoxIdList": [CB]}
    assert entry.status == case.status
    assert entry.result is not None and entry.result["outcome"] == case.outcome
    assert entry.followup == case.followup
    assert (await store.get_operation(entry.id)) == entry, "the row in the store is the final state"
    if case.status == OperationStatus.FAILED:
        assert entry.error_title == case.title and entry.task_id is None
    else:
        assert entry.task_id == 42 and entry.error_title is None

    outcome = describe_entry(entry)
    shown = f"{outcome.headline}\n{outcome.detail}"
    for phrase in case.shown:
        assert phrase in shown, f"{phrase!r} not in {shown!r}"
    for phrase in case.not_shown:
        assert phrase not in shown
    assert outcome.tone == case.tone
    assert outcome.offer_refresh == case.offer_refresh
    assert not re.search(r"\bstopped\b", shown, re.IGNORECASE), shown
    assert PASSWORD not in shown and PASSWORD not in json.dumps(entry.model_dump(mode="json"))
    assert [e.entry.status for e in events][-1] == case.status, "the final state is published"


def test_the_matrix_covers_the_issue_list() -> None:
    """Issue 6 item 3 names twelve answers; each has its own case here."""
    assert len(CASES) == 12


async def test_a_connect_timeout_is_not_delivered_but_a_read_timeout_may_act(store: Store) -> None:
    """A connect timeout never reached SteVe ("not delivered"); a read timeout did
    (SteVe may have sent it on): the two must not read the same."""
    shown: dict[str, str] = {}
    for name, kind in (("connect", httpx.ConnectTimeout), ("read", httpx.ReadTimeout)):
        settings = Settings(
            steve={"url": "http://steve.test/steve", "api_password": PASSWORD},
            store={"path": store.path},
        )
        client = SteveClient(
            settings.steve, transport=httpx.MockTransport(raises(kind, "timed out"))
        )
        service = OperationService(
            client,
            store,
            FixedClock(FROZEN_NOW),
            settings,
            Operator(name="ana", role=Role.ADMIN),
            lambda charge_box_id: True,
            lambda event: None,
        )
        try:
            entry = await service.submit(
                CB,
                "RemoteStopTransaction",
                {"transactionId": TX_ID},
                confirmation=confirmed(
                    service, CB, "RemoteStopTransaction", {"transactionId": TX_ID}
                ),
                dry_run=False,
                request_id=name,
            )
        finally:
            await service.close()
            await client.close()
        assert entry.status == OperationStatus.FAILED
        outcome = describe_entry(entry)
        shown[name] = f"{outcome.headline}\n{outcome.detail}"
    assert "SteVe is unreachable" in shown["connect"] and "not delivered" in shown["connect"]
    assert "did not answer in time" in shown["read"] and "not delivered" not in shown["read"]
