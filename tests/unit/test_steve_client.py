"""SteveClient against httpx.MockTransport, with bodies shaped as steve-api-docs.json says.

Covers: auth, paths and query encoding, error mapping (STEVE.md §1, §4),
retries for reads only, the operation timeout, size cap, malformed answers,
redaction, the chargeBoxes extension (both shapes) and the manager page login.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from polaris_tui.models import StatusSource
from polaris_tui.models.errors import (
    ConfigError,
    MalformedResponse,
    OperationNotAllowed,
    StationOffline,
    SteveAuthError,
    SteveNotFound,
    SteveRejected,
    SteveTimeout,
    SteveUnreachable,
    TransactionNotActive,
)
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.settings import SteveSettings
from polaris_tui.services.steve_client import SteveClient

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
BASE = "http://steve.test:8080/steve"
API_PW = "api-pw-Secret9"
WEB_PW = "web-pw-Secret7"

TAG = {
    "ocppTagPk": 7,
    "idTag": "CARD-HEALTHY",
    "parentIdTag": None,
    "parentOcppTagPk": None,
    "userPk": None,
    "expiryDate": None,
    "maxActiveTransactionCount": 1,
    "activeTransactionCount": 1,
    "inTransaction": True,
    "blocked": False,
    "note": None,
}
TX = {
    "id": 1001,
    "chargeBoxId": "CP-ALPHA-01",
    "chargeBoxPk": 1,
    "connectorId": 1,
    "ocppIdTag": "CARD-HEALTHY",
    "ocppTagPk": 7,
    "userId": None,
    "startTimestamp": "2026-11-22T09:30:00.000Z",
    "startValue": "1000",
    "stopTimestamp": None,
    "stopValue": None,
    "stopReason": None,
    "stopEventActor": None,
}
ENVELOPE = {
    "taskId": 3,
    "taskFinished": True,
    "successResponses": [{"chargeBoxId": "CP-ALPHA-01", "response": "Accepted"}],
    "errorResponses": [],
    "exceptions": [],
}


def api_error(status: int, message: str, path: str = "/steve/api/v1/x") -> httpx.Response:
    body = {
        "timestamp": "2026-11-22T10:00:00.000Z",
        "status": status,
        "error": httpx.codes.get_reason_phrase(status),
        "message": message,
        "path": "http://steve.test:8080" + path,
    }
    return httpx.Response(status, json=body)


class Recorder:
    """A MockTransport handler that records requests and answers from a script."""

    def __init__(self, handler):
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def make(handler, **settings) -> tuple[SteveClient, Recorder]:
    recorder = Recorder(handler)
    cfg = SteveSettings(url=BASE, api_password=API_PW, web_password=WEB_PW, **settings)
    client = SteveClient(
        cfg, transport=httpx.MockTransport(recorder), clock=FixedClock(NOW), retry_delays=(0, 0)
    )
    return client, recorder


# --------------------------------------------------------------------------- reads


async def test_list_tags_sends_basic_auth_and_filters():
    client, rec = make(lambda r: httpx.Response(200, json=[TAG]))
    tags = await client.list_tags(id_tag="CARD-HEALTHY", blocked=False, note=None)
    await client.close()
    assert tags[0].id_tag == "CARD-HEALTHY" and tags[0].ocpp_tag_pk == 7
    req = rec.requests[0]
    assert req.url.path == "/steve/api/v1/ocppTags"
    assert dict(req.url.params) == {"idTag": "CARD-HEALTHY", "blocked": "FALSE"}
    assert req.headers["authorization"] == httpx.BasicAuth("admin", API_PW)._auth_header


async def test_find_tag_exact_match_only():
    other = dict(TAG, idTag="CARD-HEALTHY-2", ocppTagPk=8)
    client, _ = make(lambda r: httpx.Response(200, json=[other]))
    assert await client.find_tag("CARD-HEALTHY") is None
    await client.close()


async def test_list_transactions_repeats_array_params_and_formats_dates():
    client, rec = make(lambda r: httpx.Response(200, json=[TX]))
    txs = await client.list_transactions(
        type="ACTIVE",
        charge_box_ids=["CP-A", "CP-B"],
        id_tags=["T1"],
        from_=datetime(2026, 11, 1, tzinfo=UTC),
        to=datetime(2026, 11, 22, 10, 0, 0, 123000, tzinfo=UTC),
    )
    await client.close()
    assert txs[0].id == 1001 and txs[0].active
    params = rec.requests[0].url.params
    assert params.get_list("chargeBoxId") == ["CP-A", "CP-B"]
    assert params["type"] == "ACTIVE" and params["periodType"] == "FROM_TO"
    assert (
        params["from"] == "2026-11-01T00:00:00.000Z" and params["to"] == "2026-11-22T10:00:00.123Z"
    )


async def test_transaction_details_with_meter_values():
    body = {
        "transaction": TX,
        "values": [
            {
                "valueTimestamp": "2026-11-22T09:31:00.000Z",
                "value": "1.2",
                "unit": "kWh",
                "measurand": "Energy.Active.Import.Register",
                "readingContext": None,
                "format": None,
                "location": None,
                "phase": None,
            },
        ],
    }
    client, rec = make(lambda r: httpx.Response(200, json=body))
    details = await client.transaction_details(1001)
    await client.close()
    assert details.values[0].wh == 1200
    assert rec.requests[0].url.params["energyValuesOnly"] == "true"


async def test_reads_retry_on_network_errors_and_gateway_errors():
    calls = {"n": 0}

    def handler(request):
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        if calls["n"] == 2:
            return httpx.Response(503)
        return httpx.Response(200, json=[TAG])

    client, _ = make(handler)
    assert len(await client.list_tags()) == 1
    await client.close()
    assert calls["n"] == 3


async def test_reads_give_up_after_three_attempts():
    def handler(request):
        raise httpx.ConnectError("connection refused", request=request)

    client, rec = make(handler)
    with pytest.raises(SteveUnreachable) as err:
        await client.list_tags()
    await client.close()
    assert len(rec.requests) == 3
    assert err.value.title == "SteVe is unreachable"


async def test_timeout_is_its_own_error():
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    client, _ = make(handler)
    with pytest.raises(SteveTimeout) as err:
        await client.list_transactions()
    await client.close()
    assert isinstance(err.value, SteveUnreachable)  # screens may treat both alike


@pytest.mark.parametrize(
    "status, message, error",
    [
        (401, "Invalid password", SteveAuthError),
        (403, "", SteveAuthError),
        (404, "Could not find this ocppTag", SteveNotFound),
        (422, "The idTag 'X' exists already.", SteveRejected),
        (500, "FK violation", SteveRejected),
        (400, "Error understanding the request", SteveRejected),
    ],
)
async def test_error_mapping(status, message, error):
    client, _ = make(lambda r: api_error(status, message))
    with pytest.raises(error) as err:
        await client.get_tag(7)
    await client.close()
    if message:
        assert message in err.value.message


async def test_401_without_password_says_so():
    recorder = Recorder(lambda r: httpx.Response(403))
    client = SteveClient(
        SteveSettings(url=BASE), transport=httpx.MockTransport(recorder), retry_delays=()
    )
    with pytest.raises(SteveAuthError, match="no API password"):
        await client.list_tags()
    await client.close()
    assert "authorization" not in recorder.requests[0].headers


@pytest.mark.parametrize(
    "body",
    [
        b"<html>login</html>",
        b'{"not": "a list"}',
        b'[{"idTag": 5}]',
        b"[" * 100000,
    ],
)
async def test_malformed_answers(body):
    client, _ = make(lambda r: httpx.Response(200, content=body))
    with pytest.raises(MalformedResponse):
        await client.list_tags()
    await client.close()


async def test_oversized_answer_is_refused():
    recorder = Recorder(lambda r: httpx.Response(200, content=b"[" + b" " * 5000 + b"]"))
    client = SteveClient(
        SteveSettings(url=BASE, api_password=API_PW),
        transport=httpx.MockTransport(recorder),
        retry_delays=(),
        max_body_bytes=1000,
    )
    with pytest.raises(MalformedResponse, match="larger than"):
        await client.list_tags()
    await client.close()


async def test_redirect_on_api_is_malformed_not_followed():
    client, rec = make(lambda r: httpx.Response(302, headers={"location": "http://sso/login"}))
    with pytest.raises(MalformedResponse, match="redirected"):
        await client.list_tags()
    await client.close()
    assert len(rec.requests) == 1


async def test_secrets_never_reach_error_text():
    message = f"bad auth for admin:{API_PW} web {WEB_PW}"
    client, _ = make(lambda r: api_error(500, message))
    with pytest.raises(SteveRejected) as err:
        await client.list_tags()
    await client.close()
    assert API_PW not in str(err.value) and WEB_PW not in str(err.value)

    def handler(request):
        raise httpx.ConnectError(f"cannot reach http://admin:{API_PW}@steve", request=request)

    client, _ = make(handler)
    with pytest.raises(SteveUnreachable) as err:
        await client.list_tags()
    await client.close()
    assert API_PW not in str(err.value)


async def test_missing_url_is_a_config_error():
    client = SteveClient(
        SteveSettings(), transport=httpx.MockTransport(lambda r: httpx.Response(200))
    )
    with pytest.raises(ConfigError):
        await client.list_tags()
    await client.close()


# --------------------------------------------------------------------------- writes


async def test_operation_is_sent_once_with_the_long_timeout():
    seen = {}

    def handler(request):
        seen["timeout"] = request.extensions["timeout"]
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json=ENVELOPE)

    client, rec = make(handler)
    envelope = await client.operation(
        "RemoteStopTransaction", {"chargeBoxIdList": ["CP-ALPHA-01"], "transactionId": 1001}
    )
    await client.close()
    assert envelope.task_id == 3 and envelope.success_responses[0].response == "Accepted"
    assert rec.requests[0].url.path == "/steve/api/v1/operations/RemoteStopTransaction"
    assert seen["timeout"]["read"] == 45.0 > 30
    # Sent once and never retried: the connection gets the time a laggy link
    # (SYN retries at 1, 3 and 7 s) or a loaded host needs, and so does the
    # wait for a pooled connection behind the poller's reads.
    assert seen["timeout"]["connect"] >= 10
    assert seen["timeout"]["pool"] >= 10
    assert seen["body"]["transactionId"] == 1001


async def test_operation_is_never_retried():
    def handler(request):
        raise httpx.ReadTimeout("station slow", request=request)

    client, rec = make(handler)
    with pytest.raises(SteveTimeout):
        await client.operation("UnlockConnector", {"chargeBoxIdList": ["X"], "connectorId": 1})
    await client.close()
    assert len(rec.requests) == 1

    client, rec = make(lambda r: httpx.Response(503))
    with pytest.raises(SteveRejected):
        await client.operation("UnlockConnector", {"chargeBoxIdList": ["X"], "connectorId": 1})
    await client.close()
    assert len(rec.requests) == 1


async def test_station_offline_and_stale_transaction():
    offline = (
        "No stations are eligible for communication. Ensure that the chargeBox IDs are correct "
        "and the stations are online."
    )
    client, _ = make(lambda r: api_error(400, offline))
    with pytest.raises(StationOffline) as err:
        await client.operation(
            "RemoteStopTransaction", {"chargeBoxIdList": ["CP-CHARLIE-03"], "transactionId": 1}
        )
    await client.close()
    assert err.value.title == "Charger is offline" and err.value.status == 400
    assert "No stations are eligible" in err.value.message

    client, _ = make(lambda r: api_error(400, "This transaction is not active at this station."))
    with pytest.raises(TransactionNotActive) as err:
        await client.operation(
            "RemoteStopTransaction", {"chargeBoxIdList": ["CP-BRAVO-02"], "transactionId": 9}
        )
    await client.close()
    assert err.value.message == "This transaction is not active at this station."


async def test_operation_name_cannot_inject_a_path():
    client, rec = make(lambda r: httpx.Response(200, json=ENVELOPE))
    with pytest.raises(OperationNotAllowed):
        await client.operation("../ocppTags/1", {})
    await client.close()
    assert rec.requests == []


async def test_tag_writes_and_put_fallback():
    def handler(request):
        if request.method == "POST":
            return httpx.Response(201, json=TAG)
        if request.method == "PUT":
            return httpx.Response(200, json={})  # a fork that answers {}
        if request.method == "DELETE":
            return httpx.Response(200, json=TAG)
        return httpx.Response(200, json=dict(TAG, note="re-read"))

    client, rec = make(handler)
    assert (await client.create_tag({"idTag": "CARD-HEALTHY"})).ocpp_tag_pk == 7
    expiry = datetime(2027, 1, 1, tzinfo=UTC)
    updated = await client.update_tag(
        7, {"idTag": "CARD-HEALTHY", "maxActiveTransactionCount": 0, "expiryDate": expiry}
    )
    assert updated.note == "re-read"
    await client.delete_tag(7)
    await client.close()
    put = rec.requests[1]
    assert json.loads(put.content) == {
        "idTag": "CARD-HEALTHY",
        "maxActiveTransactionCount": 0,
        "expiryDate": "2027-01-01T00:00:00.000Z",
    }
    assert [r.method for r in rec.requests] == ["POST", "PUT", "GET", "DELETE"]


async def test_stop_in_db_and_task():
    def handler(request):
        if request.method == "PATCH":
            return httpx.Response(200)
        if request.url.path.endswith("/tasks/3"):
            return httpx.Response(200, json=ENVELOPE)
        return api_error(404, "no such task")

    client, rec = make(handler)
    await client.stop_transaction_in_db(1001)
    assert (await client.task(3)).task_finished
    assert await client.task(4) is None
    await client.close()
    assert rec.requests[0].url.path == "/steve/api/v1/transactions/1001/stop"


# --------------------------------------------------------------------------- live status

EXT = [
    {
        "chargeBoxId": "CP-ALPHA-01",
        "chargeBoxPk": 1,
        "description": "Main St depot, bay 1",
        "ocppProtocol": "ocpp1.6J",
        "lastHeartbeatTimestamp": "2026-11-22T09:59:00.000Z",
        "online": True,
        "connectors": [
            {
                "connectorId": 1,
                "status": "Charging",
                "errorCode": "NoError",
                "timestamp": "2026-11-22T09:30:00.000Z",
                "info": None,
                "vendorErrorCode": None,
            }
        ],
    }
]
PLAIN = [
    {
        "chargeBoxId": "CP-ALPHA-01",
        "chargeBoxPk": 1,
        "description": "Main St",
        "ocppProtocol": "ocpp1.6J",
        "lastHeartbeatTimestamp": "Today at 09:58",
    }
]
SIGNIN = (
    '<form method="POST" action="/steve/manager/signin"><input type="text" name="username"/>'
    '<input type="password" name="password"/><input type="hidden" name="_csrf" value="csrf-1"/></form>'
)
STATUS_PAGE = (
    '<table class="res" id="connectorStatusTable"><thead><tr><th>ChargeBox ID</th><th>Connector ID</th>'
    "<th>Date/Time</th><th>Status</th><th>Error Code</th></tr></thead><tbody>"
    '<tr><td><a href="/steve/manager/chargepoints/details/1">CP-ALPHA-01</a></td><td>1</td>'
    '<td data-sort-value="1795341600000">Today at 09:20</td><td>Charging</td><td>NoError</td></tr>'
    '<tr><td><a href="/steve/manager/chargepoints/details/3">CP-CHARLIE-03</a>'
    '<a class="tooltip" href="#"><img src="/steve/static/images/offline-icon.svg"><span>disconnected</span></a>'
    '</td><td>1</td><td data-sort-value="1795330800000">Today at 07:00</td><td>Available</td><td>NoError</td></tr>'
    "</tbody></table>"
)
OVERVIEW_PAGE = (
    '<table class="res add-margin-bottom"><thead><tr><th>ChargeBox ID</th><th># of Attempts</th>'
    "<th>Last Attempt</th><th></th></tr></thead><tbody><tr><td>ROGUE-1</td><td>3</td><td></td><td></td></tr>"
    "</tbody></table>"
    '<table class="res action"><thead><tr><th>ChargeBox ID</th><th>Description</th><th>OCPP Protocol</th>'
    "<th>Last Heartbeat</th><th><form><input type='submit' value='Add New'></form></th></tr></thead><tbody>"
    '<tr><td><a href="/steve/manager/chargepoints/details/1">CP-ALPHA-01</a></td><td>Main St</td>'
    '<td>ocpp1.6J</td><td data-sort-value="1795341480000">Today at 09:58</td><td></td></tr>'
    '<tr><td><a href="/steve/manager/chargepoints/details/3">CP-CHARLIE-03</a></td><td>Airport</td>'
    '<td>ocpp1.6J</td><td data-sort-value="1795330800000">Today at 07:00</td><td></td></tr>'
    '<tr><td><a href="/steve/manager/chargepoints/details/4">CP-SOAP-04</a></td><td>Old SOAP box</td>'
    '<td>ocpp1.5S</td><td data-sort-value="">  </td><td></td></tr>'
    "</tbody></table>"
)


class FakeManager:
    """The manager UI: sign-in with _csrf and a session cookie; sessions can expire."""

    def __init__(self, *, extension=None, extension_status=200, overview=OVERVIEW_PAGE):
        self.extension = extension
        self.overview = overview
        self.extension_status = extension_status
        self.sessions: set[str] = set()
        self.logins = 0
        self.posted: list[dict] = []
        self.page_hits = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/steve/api/v1/chargeBoxes":
            if self.extension_status != 200:
                return api_error(self.extension_status, "Not Found")
            return httpx.Response(200, json=self.extension)
        if path == "/steve/manager/signin" and request.method == "GET":
            return httpx.Response(
                200, text=SIGNIN, headers={"set-cookie": "JSESSIONID=pre; Path=/steve"}
            )
        if path == "/steve/manager/signin" and request.method == "POST":
            form = dict(httpx.QueryParams(request.content.decode()))
            self.posted.append(form)
            if (
                form.get("password") != WEB_PW
                or form.get("_csrf") != "csrf-1"
                or "JSESSIONID=pre" not in request.headers.get("cookie", "")
            ):
                return httpx.Response(302, headers={"location": "/steve/manager/signin?error"})
            self.logins += 1
            sid = f"s{self.logins}"
            self.sessions.add(sid)
            return httpx.Response(
                302,
                headers={
                    "location": "/steve/manager/home",
                    "set-cookie": f"JSESSIONID={sid}; Path=/steve",
                },
            )
        if path == "/steve/manager/home/connectorStatus":
            self.page_hits += 1
            cookie = request.headers.get("cookie", "")
            if not any(f"JSESSIONID={s}" in cookie for s in self.sessions):
                return httpx.Response(
                    302, headers={"location": "http://steve.test:8080/steve/manager/signin"}
                )
            return httpx.Response(200, text=STATUS_PAGE)
        if path == "/steve/manager/chargepoints":
            cookie = request.headers.get("cookie", "")
            if not any(f"JSESSIONID={s}" in cookie for s in self.sessions):
                return httpx.Response(
                    302, headers={"location": "http://steve.test:8080/steve/manager/signin"}
                )
            return httpx.Response(200, text=self.overview)
        return api_error(404, "nothing here")


async def test_extension_shape_is_used_directly():
    fake = FakeManager(extension=EXT)
    client, rec = make(fake, status_source="chargeboxes-api")
    boxes = await client.live_status()
    await client.close()
    assert len(rec.requests) == 1
    box = boxes[0]
    assert box.online is True and box.source == StatusSource.CHARGEBOXES_API
    assert box.last_heartbeat == datetime(2026, 11, 22, 9, 59, tzinfo=UTC)
    assert (
        box.connectors[0].status == "Charging" and box.connectors[0].charge_box_id == "CP-ALPHA-01"
    )


async def test_plain_fork_shape_is_completed_from_the_manager_page():
    fake = FakeManager(extension=PLAIN)
    client, _ = make(fake, status_source="chargeboxes-api")
    boxes = await client.live_status()
    await client.close()
    by_id = {b.charge_box_id: b for b in boxes}
    alpha = by_id["CP-ALPHA-01"]
    assert alpha.description == "Main St"
    assert alpha.last_heartbeat == datetime(2026, 11, 22, 9, 58, tzinfo=UTC)
    assert alpha.connectors[0].status == "Charging" and alpha.source == StatusSource.MANAGER_PAGE
    assert by_id["CP-CHARLIE-03"].online is False  # only on the page: added


async def test_auto_falls_back_to_the_page_on_404_and_remembers():
    fake = FakeManager(extension_status=404)
    client, rec = make(fake)  # status_source="auto"
    first = await client.live_status()
    second = await client.live_status()
    await client.close()
    assert [b.charge_box_id for b in first] == ["CP-ALPHA-01", "CP-CHARLIE-03", "CP-SOAP-04"]
    assert first == second
    alpha, charlie, soap = first
    assert (
        alpha.online is True
        and alpha.description == "Main St"
        and alpha.connectors[0].status == "Charging"
    )
    assert alpha.last_heartbeat == datetime(2026, 11, 22, 9, 58, tzinfo=UTC)
    assert charlie.online is False
    assert (
        soap.online is None and soap.connectors == [] and soap.last_heartbeat is None
    )  # never reported
    ext_calls = [r for r in rec.requests if r.url.path.endswith("/chargeBoxes")]
    assert len(ext_calls) == 1  # remembered: not asked again
    assert fake.logins == 1  # the session cookie was kept
    assert client.status_source_in_use == StatusSource.MANAGER_PAGE
    login = fake.posted[0]
    assert login == {"username": "admin", "password": WEB_PW, "_csrf": "csrf-1"}
    # manager requests never carry the API's Basic auth
    page_requests = [r for r in rec.requests if "/manager/" in r.url.path]
    assert all("authorization" not in r.headers for r in page_requests)


async def test_page_source_without_a_readable_overview_uses_the_status_page(caplog):
    fake = FakeManager(overview="<html><body>new layout</body></html>")
    client, _ = make(fake, status_source="manager-page")
    boxes = await client.live_status()
    await client.close()
    assert [b.charge_box_id for b in boxes] == ["CP-ALPHA-01", "CP-CHARLIE-03"]
    assert boxes[0].online is None  # without the protocol, the page cannot tell
    assert "charge point overview" in caplog.text


async def test_expired_session_logs_in_again_once():
    fake = FakeManager()
    client, _ = make(fake, status_source="manager-page")
    await client.connector_status_page()
    fake.sessions.clear()  # SteVe restarted: the session is gone
    boxes = await client.connector_status_page()
    await client.close()
    assert fake.logins == 2 and len(boxes) == 2


async def test_refused_login_is_an_auth_error_without_the_password():
    fake = FakeManager()
    recorder = Recorder(fake)
    cfg = SteveSettings(
        url=BASE, api_password=API_PW, web_password="wrong-pw-123", status_source="manager-page"
    )
    client = SteveClient(cfg, transport=httpx.MockTransport(recorder), retry_delays=())
    with pytest.raises(SteveAuthError) as err:
        await client.live_status()
    await client.close()
    assert "wrong-pw-123" not in str(err.value)


async def test_page_without_password_is_config_error():
    client = SteveClient(
        SteveSettings(url=BASE, status_source="manager-page"),
        transport=httpx.MockTransport(FakeManager()),
    )
    with pytest.raises(ConfigError):
        await client.live_status()
    await client.close()


async def test_chargeboxes_api_source_does_not_fall_back():
    client, _ = make(FakeManager(extension_status=404), status_source="chargeboxes-api")
    with pytest.raises(SteveNotFound):
        await client.live_status()
    await client.close()


async def test_large_answers_parse_the_same_in_a_worker_thread():
    many = [dict(EXT[0], chargeBoxId=f"CP-SIM-{i:05d}", chargeBoxPk=i) for i in range(1500)]
    body = json.dumps(many).encode()
    assert len(body) > 256 * 1024  # takes the threaded path
    client, _ = make(lambda r: httpx.Response(200, content=body), status_source="chargeboxes-api")
    boxes = await client.live_status()
    await client.close()
    assert len(boxes) == 1500 and boxes[-1].charge_box_id == "CP-SIM-01499"
    assert boxes[0].connectors[0].status == "Charging"
    client, _ = make(
        lambda r: httpx.Response(200, content=body[:-10])
    )  # truncated: still a domain error
    with pytest.raises(MalformedResponse):
        await client.charge_boxes()
    await client.close()
