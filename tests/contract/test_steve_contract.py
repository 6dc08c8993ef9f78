"""Every stand-in SteVe endpoint, success and error, against steve-api-docs.json.

Each case sends a real HTTP request to a fresh stand-in (``sim`` fixture) and
validates the status code and body against the response schema the spec gives
for that status (OpenAPI 3.1, formats checked). Messages are checked where
STEVE.md quotes SteVe's exact text, because clients map errors on them.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from tests.conftest import FROZEN_NOW
from tests.contract.spec_tools import steve_spec, validate_schema, validate_steve

NOT_ELIGIBLE = (
    "No stations are eligible for communication. Ensure that the chargeBox IDs are correct "
    "and the stations are online."
)
TAG_NOT_ELIGIBLE = "Requested OCPP Tag is not eligible for this operation. Ensure that the OCPP Tag is registered and active."


@pytest.fixture
def api(sim) -> httpx.Client:
    with httpx.Client(
        base_url=sim.steve_api, auth=(sim.steve_user, sim.steve_password), timeout=60
    ) as client:
        yield client


def check(resp: httpx.Response, method: str, spec_path: str, status: int) -> Any:
    """Assert the status, validate the body against the spec, return the body."""
    assert resp.status_code == status, f"{method} {spec_path}: {resp.status_code} {resp.text[:300]}"
    body = resp.json()
    validate_steve(method, spec_path, status, body)
    if status >= 400:
        assert body["status"] == status
        assert body["path"] == str(resp.request.url.copy_with(query=None))
    return body


# ------------------------------------------------------------------ ocppTags

TAGS = "/api/v1/ocppTags"
TAG = "/api/v1/ocppTags/{ocppTagPk}"


@pytest.mark.parametrize(
    "params, expect",
    [
        ({}, None),
        ({"blocked": "TRUE"}, {"CARD-BLOCKED", "FLEET-PARENT"}),
        ({"expired": "TRUE"}, {"CARD-EXPIRED"}),
        ({"inTransaction": "TRUE"}, {"CARD-HEALTHY", "CARD-STUCK", "ACME-01"}),
        ({"parentIdTag": "ACME-META"}, {"ACME-01", "ACME-02"}),
        ({"idTag": "CARD-KIOSK"}, {"CARD-KIOSK"}),
        ({"note": "meta-card"}, {"ACME-META", "FLEET-PARENT"}),
        (
            {"userFilter": "OnlyTagsWithUser"},
            {"CARD-HEALTHY", "CARD-STUCK", "ACME-META", "ACME-01", "ACME-02"},
        ),
        ({"ocppTagPk": "4"}, {"CARD-EXPIRED"}),
        ({"idTag": "  CARD-KIOSK  "}, {"CARD-KIOSK"}),
    ],
)
def test_list_tags(api, params, expect):
    body = check(api.get("/ocppTags", params=params), "GET", TAGS, 200)
    ids = {t["idTag"] for t in body}
    if expect is None:
        assert len(ids) == 15 and "CARD-NEW-0001" not in ids
    else:
        assert ids == expect


@pytest.mark.parametrize(
    "params", [{"blocked": "FALSE1"}, {"userFilter": "Everyone"}, {"ocppTagPk": "x"}]
)
def test_list_tags_bad_query_is_400(api, params):
    body = check(api.get("/ocppTags", params=params), "GET", TAGS, 400)
    assert body["message"] == "Error understanding the request"


def test_wrong_password_is_401_and_no_credentials_403(sim):
    wrong = httpx.get(sim.steve_api + "/ocppTags", auth=(sim.steve_user, "nope"))
    assert check(wrong, "GET", TAGS, 401)["message"] == "Invalid password"
    stranger = httpx.get(sim.steve_api + "/ocppTags", auth=("mallory", "x"))
    assert "does not exist" in check(stranger, "GET", TAGS, 401)["message"]
    bare = httpx.get(sim.steve_api + "/ocppTags")
    assert bare.status_code == 403 and "message" not in bare.json()


def test_get_tag_200_400_404(api):
    tag = check(api.get("/ocppTags/6"), "GET", TAG, 200)
    assert (
        tag["idTag"] == "FLEET-CHILD-1"
        and tag["parentIdTag"] == "FLEET-PARENT"
        and tag["parentOcppTagPk"] == 5
    )
    check(api.get("/ocppTags/abc"), "GET", TAG, 400)
    assert (
        check(api.get("/ocppTags/999"), "GET", TAG, 404)["message"] == "Could not find this ocppTag"
    )


def test_create_tag_201_and_errors(api):
    created = check(
        api.post("/ocppTags", json={"idTag": "NEW-CARD-1", "note": "x"}), "POST", TAGS, 201
    )
    assert created["maxActiveTransactionCount"] == 1 and created["blocked"] is False
    dup = check(api.post("/ocppTags", json={"idTag": "NEW-CARD-1"}), "POST", TAGS, 422)
    assert (
        dup["message"] == "The idTag 'NEW-CARD-1' exists already."
        and dup["error"] == "Unprocessable Entity"
    )
    # SteVe's quirk: an unknown parent shares the duplicate branch.
    orphan = check(
        api.post("/ocppTags", json={"idTag": "NEW-CARD-2", "parentIdTag": "NOPE"}),
        "POST",
        TAGS,
        422,
    )
    assert orphan["message"] == "The idTag 'NEW-CARD-2' exists already."
    for bad in (
        {"idTag": ""},
        {"idTag": "has space"},
        {"idTag": "X" * 21},
        {"note": "no id"},
        {"idTag": "PAST-1", "expiryDate": "2020-01-01T00:00:00.000Z"},
    ):
        assert (
            check(api.post("/ocppTags", json=bad), "POST", TAGS, 400)["message"]
            == "Error understanding the request"
        )
    broken = api.post(
        "/ocppTags", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    check(broken, "POST", TAGS, 500)


def test_put_replaces_every_field(api):
    """PITFALLS: an omitted maxActiveTransactionCount becomes 1 (unblocks), an omitted expiry is cleared."""
    blocked = check(api.get("/ocppTags/3"), "GET", TAG, 200)
    assert blocked["blocked"] is True and blocked["note"]
    after = check(api.put("/ocppTags/3", json={"idTag": "ignored-on-put"}), "PUT", TAG, 200)
    assert after["idTag"] == "CARD-BLOCKED"
    assert after["maxActiveTransactionCount"] == 1 and after["blocked"] is False
    assert after["note"] is None and after["expiryDate"] is None and after["parentIdTag"] is None
    child = check(
        api.put("/ocppTags/9", json={"idTag": "ACME-01", "maxActiveTransactionCount": 0}),
        "PUT",
        TAG,
        200,
    )
    assert child["parentIdTag"] is None and child["blocked"] is True


def test_put_errors(api):
    assert check(api.put("/ocppTags/999", json={"idTag": "A"}), "PUT", TAG, 404)["message"] == (
        "Could not find this ocppTag"
    )
    # An expired tag cannot be re-sent with its past expiry (@Future).
    past = check(api.get("/ocppTags/4"), "GET", TAG, 200)["expiryDate"]
    check(
        api.put("/ocppTags/4", json={"idTag": "CARD-EXPIRED", "expiryDate": past}), "PUT", TAG, 400
    )
    check(
        api.put("/ocppTags/4", json={"idTag": "CARD-EXPIRED", "parentIdTag": "NOPE"}),
        "PUT",
        TAG,
        500,
    )
    check(api.put("/ocppTags/x", json={"idTag": "A"}), "PUT", TAG, 400)


def test_delete_tag(api):
    gone = check(api.delete("/ocppTags/11"), "DELETE", TAG, 200)
    assert gone["idTag"] == "CARD-UNLINKED"
    check(api.delete("/ocppTags/11"), "DELETE", TAG, 404)
    check(api.delete("/ocppTags/5"), "DELETE", TAG, 500)  # FLEET-PARENT is a parent (FK)


def test_expire_tag(api):
    body = check(api.patch("/ocppTags/1/expire"), "PATCH", TAG + "/expire", 200)
    assert body["expiryDate"] == "2026-11-22T10:00:00.000Z"
    check(api.patch("/ocppTags/999/expire"), "PATCH", TAG + "/expire", 404)


# -------------------------------------------------------------- transactions

TXS = "/api/v1/transactions"
TX = "/api/v1/transactions/{transactionPk}"


@pytest.mark.parametrize(
    "params, expect",
    [
        ({"type": "ACTIVE"}, [1015, 1014, 1013]),
        ({"type": "ACTIVE", "chargeBoxId": "CP-BRAVO-02"}, [1013]),
        ({"ocppIdTag": ["CARD-HEALTHY", "CARD-STUCK"], "type": "STOPPED"}, [1010, 1008, 1004]),
        ({"transactionPk": ["1001", "1002"]}, [1002, 1001]),
        ({"periodType": "TODAY"}, [1015, 1014, 1013, 1012, 1011]),
        (
            {"periodType": "FROM_TO", "from": "2026-11-21", "to": "2026-11-22T06:00"},
            [1012, 1011, 1010, 1009, 1008],
        ),
        ({"periodType": "LAST_10", "connectorId": "2"}, [1012, 1009, 1008, 1003]),
        ({}, list(range(1015, 1000, -1))),
    ],
)
def test_list_transactions(api, params, expect):
    body = check(api.get("/transactions", params=params), "GET", TXS, 200)
    assert [t["id"] for t in body] == expect
    for tx in body:
        assert (
            (tx["stopTimestamp"] is None)
            == (tx["stopValue"] is None)
            == (tx["stopEventActor"] is None)
        )


@pytest.mark.parametrize(
    "params, message",
    [
        ({"type": "OPEN"}, "Error understanding the request"),
        ({"periodType": "TODAYZZZ"}, "Error understanding the request"),
        ({"periodType": "FROM_TO", "from": "2026-11-21"}, "Error understanding the request"),
        (
            {"periodType": "FROM_TO", "from": "2026-11-22", "to": "2026-11-21"},
            "Error understanding the request",
        ),
        (
            {"periodType": "FROM_TO", "from": "2026-11-21 00:00", "to": "2026-11-22"},
            "Error understanding the request",
        ),
        ({"chargeBoxId": "a/b"}, "Error understanding the request"),
        ({"ocppIdTag": "bad tag"}, "Error understanding the request"),
        ({"userId": "0"}, "Error understanding the request"),
        ({"returnCSV": "true"}, "returnCSV=true is not supported for API calls"),
    ],
)
def test_list_transactions_400(api, params, message):
    assert check(api.get("/transactions", params=params), "GET", TXS, 400)["message"] == message


def test_transactions_401(sim):
    check(httpx.get(sim.steve_api + "/transactions", auth=("admin", "x")), "GET", TXS, 401)


def test_transaction_details(api):
    energy = check(api.get("/transactions/1015"), "GET", TX, 200)
    allv = check(
        api.get("/transactions/1015", params={"energyValuesOnly": "false"}), "GET", TX, 200
    )
    assert energy["transaction"]["stopTimestamp"] is None
    assert {v["measurand"] for v in energy["values"]} == {"Energy.Active.Import.Register"}
    assert "Power.Active.Import" in {v["measurand"] for v in allv["values"]}
    stamps = [v["valueTimestamp"] for v in allv["values"]]
    assert stamps == sorted(stamps) and stamps[-1] == "2026-11-22T10:00:00.000Z"
    stuck = check(api.get("/transactions/1013"), "GET", TX, 200)
    assert (
        stuck["values"][-1]["valueTimestamp"] == "2026-11-22T09:35:00.000Z"
    )  # meter stalled 25 min ago
    assert (
        check(api.get("/transactions/77"), "GET", TX, 404)["message"]
        == "There is no transaction with id '77'"
    )
    check(api.get("/transactions/1015", params={"energyValuesOnly": "maybe"}), "GET", TX, 400)


def test_patch_stop_is_database_only(api, sim):
    resp = api.patch("/transactions/1015/stop")
    assert resp.status_code == 200 and resp.content == b""
    tx = check(api.get("/transactions/1015"), "GET", TX, 200)["transaction"]
    assert tx["stopEventActor"] == "manual" and tx["stopTimestamp"] == "2026-11-22T10:00:00.000Z"
    assert (
        tx["stopValue"]
        == check(api.get("/transactions/1015"), "GET", TX, 200)["values"][-1]["value"]
    )
    # Nothing reached the station: it still believes the session runs.
    alpha = next(c for c in sim.control("GET", "/chargers") if c["chargeBoxId"] == "CP-ALPHA-01")
    assert (
        alpha["connectors"][0]["transactionId"] == 1015
        and alpha["connectors"][0]["status"] == "Charging"
    )
    assert api.patch("/transactions/1015/stop").status_code == 200  # already stopped: no-op
    stop404 = api.patch("/transactions/5/stop")
    assert stop404.status_code == 404
    validate_steve("PATCH", TX + "/stop", 404, stop404.json())


# ---------------------------------------------------------------- operations

OPS = "/api/v1/operations/"

FUTURE = "2026-11-22T12:00:00.000Z"
PAST = "2026-11-22T08:00:00.000Z"

SUCCESS_CASES = [
    (
        "RemoteStartTransaction",
        {"chargeBoxIdList": ["CP-DELTA-04"], "idTag": "CARD-KIOSK", "connectorId": 1},
        "Accepted",
    ),
    (
        "RemoteStartTransaction",
        {"chargeBoxIdList": ["CP-ECHO-05"], "idTag": "CARD-KIOSK", "connectorId": 1},
        "Rejected",
    ),
    (
        "RemoteStopTransaction",
        {"chargeBoxIdList": ["CP-ALPHA-01"], "transactionId": 1015},
        "Accepted",
    ),
    ("UnlockConnector", {"chargeBoxIdList": ["CP-DELTA-04"], "connectorId": 2}, "Unlocked"),
    (
        "ReserveNow",
        {
            "chargeBoxIdList": ["CP-GOLF-07"],
            "connectorId": 1,
            "expiry": FUTURE,
            "idTag": "CARD-KIOSK",
        },
        "Accepted",
    ),
    (
        "ReserveNow",
        {
            "chargeBoxIdList": ["CP-ECHO-05"],
            "connectorId": 1,
            "expiry": FUTURE,
            "idTag": "CARD-KIOSK",
        },
        "Faulted",
    ),
    (
        "TriggerMessage",
        {"chargeBoxIdList": ["CP-ALPHA-01", "CP-DELTA-04"], "triggerMessage": "StatusNotification"},
        "Accepted",
    ),
    (
        "GetConfiguration",
        {
            "chargeBoxIdList": ["CP-ALPHA-01"],
            "confKeyList": ["HeartbeatInterval"],
            "commaSeparatedCustomConfKeys": "VendorThing",
        },
        None,
    ),
    (
        "ChangeAvailability",
        {"chargeBoxIdList": ["CP-DELTA-04"], "availType": "Inoperative", "connectorId": 2},
        "Accepted",
    ),
    (
        "ChangeAvailability",
        {"chargeBoxIdList": ["CP-ALPHA-01"], "availType": "Inoperative"},
        "Scheduled",
    ),
    (
        "DataTransfer",
        {"chargeBoxIdList": ["CP-ALPHA-01"], "vendorId": "Polaris-Sim", "data": "ping"},
        None,
    ),
    ("DataTransfer", {"chargeBoxIdList": ["CP-ALPHA-01"], "vendorId": "Other"}, None),
    ("GetLocalListVersion", {"chargeBoxIdList": ["CP-ALPHA-01", "CP-GOLF-07"]}, 0),
    (
        "GetCompositeSchedule",
        {
            "chargeBoxIdList": ["CP-ALPHA-01"],
            "connectorId": 1,
            "durationInSeconds": 3600,
            "chargingRateUnit": "W",
        },
        None,
    ),
    (
        "GetDiagnostics",
        {
            "chargeBoxIdList": ["CP-ALPHA-01"],
            "location": "ftp://diag.example/up",
            "retries": 1,
            "retryInterval": 30,
            "start": "2026-11-21T00:00:00.000Z",
            "stop": PAST,
        },
        None,
    ),
    (
        "SetChargingProfile",
        {
            "chargeBoxIdList": ["CP-ALPHA-01"],
            "connectorId": 1,
            "chargingProfilePk": 1,
            "transactionId": 1015,
        },
        "Accepted",
    ),
    ("Reset", {"chargeBoxIdList": ["CP-GOLF-07"], "resetType": "Soft"}, "Accepted"),
    ("ClearCache", {"chargeBoxIdList": ["CP-GOLF-07"]}, "Accepted"),
    (
        "ChangeConfiguration",
        {
            "chargeBoxIdList": ["CP-GOLF-07"],
            "keyType": "PREDEFINED",
            "confKey": "HeartbeatInterval",
            "value": "120",
        },
        "Accepted",
    ),
    (
        "ClearChargingProfile",
        {"chargeBoxIdList": ["CP-GOLF-07"], "filterType": "OtherParameters"},
        "Accepted",
    ),
    (
        "SendLocalList",
        {
            "chargeBoxIdList": ["CP-GOLF-07"],
            "listVersion": 3,
            "updateType": "Full",
            "sendEmptyListWhenFull": False,
        },
        "Accepted",
    ),
]


@pytest.mark.parametrize(
    "name, body, answer", SUCCESS_CASES, ids=[f"{c[0]}-{n}" for n, c in enumerate(SUCCESS_CASES)]
)
def test_operation_envelope(api, name, body, answer):
    env = check(api.post(f"/operations/{name}", json=body), "POST", OPS + name, 200)
    assert env["taskFinished"] is True and env["errorResponses"] == [] and env["exceptions"] == []
    assert [s["chargeBoxId"] for s in env["successResponses"]] == body["chargeBoxIdList"]
    if answer is not None:
        assert {s["response"] for s in env["successResponses"]} == {answer}
    task = api.get(f"/operations/tasks/{env['taskId']}")
    assert task.status_code == 200 and task.json() == env
    schema = steve_spec()["paths"][OPS + name]["post"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    validate_schema(steve_spec(), schema["$ref"].rsplit("/", 1)[1], task.json())


def test_get_configuration_and_composite_shapes(api):
    env = check(
        api.post(
            "/operations/GetConfiguration",
            json={
                "chargeBoxIdList": ["CP-ALPHA-01"],
                "confKeyList": ["HeartbeatInterval", "NoSuchKey"],
            },
        ),
        "POST",
        OPS + "GetConfiguration",
        200,
    )
    answer = env["successResponses"][0]["response"]
    assert answer == {
        "configurationKeys": [{"key": "HeartbeatInterval", "value": "60", "readonly": False}],
        "unknownKeys": ["NoSuchKey"],
    }
    env = check(
        api.post(
            "/operations/GetCompositeSchedule",
            json={"chargeBoxIdList": ["CP-ALPHA-01"], "connectorId": 1, "durationInSeconds": 60},
        ),
        "POST",
        OPS + "GetCompositeSchedule",
        200,
    )
    assert env["successResponses"][0]["response"]["status"] == "Accepted"


ERROR_CASES = [
    # (operation, body, status, message or None)
    (
        "RemoteStopTransaction",
        {"chargeBoxIdList": ["CP-CHARLIE-03"], "transactionId": 1},
        400,
        NOT_ELIGIBLE,
    ),
    (
        "RemoteStopTransaction",
        {"chargeBoxIdList": ["NOPE-1"], "transactionId": 1},
        400,
        NOT_ELIGIBLE,
    ),
    ("GetLocalListVersion", {"chargeBoxIdList": ["CP-CHARLIE-03", "NOPE-1"]}, 400, NOT_ELIGIBLE),
    (
        "RemoteStopTransaction",
        {"chargeBoxIdList": ["CP-ALPHA-01"], "transactionId": 1013},
        400,
        "This transaction is not active at this station.",
    ),
    (
        "RemoteStopTransaction",
        {"chargeBoxIdList": ["CP-ALPHA-01"], "transactionId": 1010},
        400,
        "This transaction is not active at this station.",
    ),
    (
        "RemoteStopTransaction",
        {"chargeBoxIdList": ["CP-ALPHA-01", "CP-DELTA-04"], "transactionId": 1015},
        400,
        "Error understanding the request",
    ),
    (
        "RemoteStopTransaction",
        {"chargeBoxIdList": [], "transactionId": 1015},
        400,
        "Error understanding the request",
    ),
    (
        "RemoteStopTransaction",
        {"chargeBoxIdList": ["CP-ALPHA-01"]},
        400,
        "Error understanding the request",
    ),
    (
        "RemoteStartTransaction",
        {"chargeBoxIdList": ["CP-DELTA-04"], "idTag": "CARD-BLOCKED"},
        400,
        TAG_NOT_ELIGIBLE,
    ),
    (
        "RemoteStartTransaction",
        {"chargeBoxIdList": ["CP-DELTA-04"], "idTag": "CARD-EXPIRED"},
        400,
        TAG_NOT_ELIGIBLE,
    ),
    (
        "RemoteStartTransaction",
        {"chargeBoxIdList": ["CP-DELTA-04"], "idTag": "CARD-NEW-0001"},
        400,
        TAG_NOT_ELIGIBLE,
    ),
    (
        "RemoteStartTransaction",
        {"chargeBoxIdList": ["CP-DELTA-04"], "idTag": "CARD-HEALTHY"},
        400,
        TAG_NOT_ELIGIBLE,
    ),
    (
        "RemoteStartTransaction",
        {"chargeBoxIdList": ["CP-DELTA-04"], "idTag": "CARD-KIOSK", "chargingProfilePk": 9},
        400,
        "chargingProfilePk is unknown.",
    ),
    (
        "ReserveNow",
        {
            "chargeBoxIdList": ["CP-GOLF-07"],
            "connectorId": 1,
            "expiry": PAST,
            "idTag": "CARD-KIOSK",
        },
        400,
        "Error understanding the request",
    ),
    (
        "CancelReservation",
        {"chargeBoxIdList": ["CP-GOLF-07"], "reservationId": 42},
        400,
        "This reservation is not active at this station.",
    ),
    (
        "UnlockConnector",
        {"chargeBoxIdList": ["CP-DELTA-04"], "connectorId": 0},
        400,
        "Error understanding the request",
    ),
    (
        "SetChargingProfile",
        {
            "chargeBoxIdList": ["CP-ALPHA-01"],
            "connectorId": 1,
            "chargingProfilePk": 1,
            "transactionId": 1013,
        },
        400,
        "This transaction is not active at this station.",
    ),
    (
        "GetDiagnostics",
        {"chargeBoxIdList": ["CP-ALPHA-01"], "location": "has space"},
        400,
        "Error understanding the request",
    ),
    ("TriggerMessage", {"chargeBoxIdList": ["CP-ALPHA-01"], "triggerMessage": "Reboot"}, 500, None),
    ("ChangeAvailability", {"chargeBoxIdList": ["CP-ALPHA-01"], "availType": "Off"}, 500, None),
    (
        "TriggerMessage",
        {"chargeBoxIdList": ["bad/id"], "triggerMessage": "Heartbeat"},
        400,
        "Error understanding the request",
    ),
]


@pytest.mark.parametrize(
    "name, body, status, message",
    ERROR_CASES,
    ids=[f"{c[0]}-{n}" for n, c in enumerate(ERROR_CASES)],
)
def test_operation_errors(api, name, body, status, message):
    err = check(api.post(f"/operations/{name}", json=body), "POST", OPS + name, status)
    if message is not None:
        assert err["message"] == message


def test_unreadable_operation_body_is_500(api):
    resp = api.post(
        "/operations/RemoteStopTransaction",
        content=b"[",
        headers={"Content-Type": "application/json"},
    )
    check(resp, "POST", OPS + "RemoteStopTransaction", 500)


def test_offline_station_vanishes_from_multi_station_envelope(api):
    env = check(
        api.post(
            "/operations/GetLocalListVersion",
            json={"chargeBoxIdList": ["CP-CHARLIE-03", "CP-ALPHA-01", "CP-ALPHA-01"]},
        ),
        "POST",
        OPS + "GetLocalListVersion",
        200,
    )
    assert [s["chargeBoxId"] for s in env["successResponses"]] == ["CP-ALPHA-01"]


def test_call_error_lands_in_error_responses(api, sim):
    sim.fault("call_error:CP-GOLF-07:NotSupported")
    env = check(
        api.post("/operations/ClearCache", json={"chargeBoxIdList": ["CP-GOLF-07", "CP-HOTEL-08"]}),
        "POST",
        OPS + "ClearCache",
        200,
    )
    assert env["errorResponses"][0]["chargeBoxId"] == "CP-GOLF-07"
    assert env["errorResponses"][0]["errorCode"] == "NotSupported"
    assert [s["chargeBoxId"] for s in env["successResponses"]] == ["CP-HOTEL-08"]


def test_slow_station_gives_unfinished_task_then_late_answer(sim_factory):
    sim = sim_factory(station_timeout_seconds=1.0, station_delay=(0.01, 0.02))
    sim.fault("slow_station:CP-GOLF-07:2.5")
    with httpx.Client(base_url=sim.steve_api, auth=(sim.steve_user, sim.steve_password)) as api:
        env = check(
            api.post(
                "/operations/GetLocalListVersion",
                json={"chargeBoxIdList": ["CP-GOLF-07", "CP-HOTEL-08"]},
            ),
            "POST",
            OPS + "GetLocalListVersion",
            200,
        )
        assert env["taskFinished"] is False
        assert [s["chargeBoxId"] for s in env["successResponses"]] == ["CP-HOTEL-08"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            late = api.get(f"/operations/tasks/{env['taskId']}").json()
            if late["taskFinished"]:
                break
            time.sleep(0.05)
        assert late["taskFinished"] is True and len(late["successResponses"]) == 2
        validate_schema(steve_spec(), "OcppOperationResponseInteger", late)


def test_station_lost_mid_call_lands_in_exceptions(sim_factory):
    sim = sim_factory(station_timeout_seconds=10)
    sim.fault("slow_station:CP-GOLF-07:3")
    with httpx.Client(base_url=sim.steve_api, auth=(sim.steve_user, sim.steve_password)) as api:
        # The station goes away while SteVe waits for its answer.
        threading.Timer(0.5, lambda: sim.fault("offline:CP-GOLF-07")).start()
        env = check(
            api.post("/operations/ClearCache", json={"chargeBoxIdList": ["CP-GOLF-07"]}),
            "POST",
            OPS + "ClearCache",
            200,
        )
    assert env["taskFinished"] is True
    assert env["exceptions"] == [
        {
            "chargeBoxId": "CP-GOLF-07",
            "exceptionMessage": "No session context for chargeBoxId 'CP-GOLF-07'",
        }
    ]


def test_unknown_task_is_404(api):
    resp = api.get("/operations/tasks/999")
    assert resp.status_code == 404 and resp.json()["status"] == 404


# -------------------------------------------------------- chargeBoxes extension

CHARGEBOX_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": [
            "chargeBoxId",
            "chargeBoxPk",
            "description",
            "ocppProtocol",
            "lastHeartbeatTimestamp",
            "online",
            "connectors",
        ],
        "additionalProperties": False,
        "properties": {
            "chargeBoxId": {"type": "string"},
            "chargeBoxPk": {"type": "integer"},
            "description": {"type": ["string", "null"]},
            "ocppProtocol": {"type": ["string", "null"]},
            "lastHeartbeatTimestamp": {"type": ["string", "null"], "format": "date-time"},
            "online": {"type": "boolean"},
            "connectors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [
                        "connectorId",
                        "status",
                        "errorCode",
                        "timestamp",
                        "info",
                        "vendorErrorCode",
                    ],
                    "properties": {
                        "connectorId": {"type": "integer", "minimum": 0},
                        "status": {
                            "enum": [
                                "Available",
                                "Preparing",
                                "Charging",
                                "SuspendedEVSE",
                                "SuspendedEV",
                                "Finishing",
                                "Reserved",
                                "Unavailable",
                                "Faulted",
                            ]
                        },
                        "errorCode": {"type": "string"},
                        "timestamp": {"type": "string", "format": "date-time"},
                        "info": {"type": ["string", "null"]},
                        "vendorErrorCode": {"type": ["string", "null"]},
                    },
                },
            },
        },
    },
}
"""The exact fields documented in docs/chargesim.md (and docs/demo-fleet.md)."""


def test_chargeboxes_extension_shape(api):
    from jsonschema import Draft202012Validator

    body = api.get("/chargeBoxes").json()
    Draft202012Validator(
        CHARGEBOX_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
    ).validate(body)
    by_id = {b["chargeBoxId"]: b for b in body}
    assert [b["chargeBoxPk"] for b in body] == list(range(1, 13))
    assert by_id["CP-CHARLIE-03"]["online"] is False
    assert by_id["CP-CHARLIE-03"]["lastHeartbeatTimestamp"] == "2026-11-22T07:00:00.000Z"
    assert by_id["CP-ECHO-05"]["connectors"][0] | {} == {
        "connectorId": 1,
        "status": "Faulted",
        "errorCode": "GroundFailure",
        "timestamp": "2026-11-22T08:45:00.000Z",
        "info": "Ground fault detected",
        "vendorErrorCode": "E-GF-12",
    }


def test_vanilla_mode_hides_fork_extensions(api, sim):
    sim.fault("vanilla")
    for path in ("/chargeBoxes", "/operations/tasks/1"):
        resp = api.get(path)
        assert resp.status_code == 404 and resp.json()["status"] == 404
    sim.clear_fault("vanilla")
    assert api.get("/chargeBoxes").status_code == 200


def test_plain_chargeboxes_shape(api, sim):
    sim.fault("chargeboxes_plain")
    alpha = api.get("/chargeBoxes").json()[0]
    assert set(alpha) == {
        "chargeBoxId",
        "chargeBoxPk",
        "description",
        "ocppProtocol",
        "lastHeartbeatTimestamp",
    }
    assert alpha["lastHeartbeatTimestamp"] == "Today at 09:59"


def test_frozen_clock_is_the_fixture_now(sim):
    assert sim.now() == FROZEN_NOW
