"""The control endpoint: chargers and cards with hostile ids, sessions, errors."""

from __future__ import annotations

import pytest

from tests.sim.helpers import charger, steve, tap

HOSTILE = [
    "[/]",
    "[@click=app.quit]x",
    "status [/] ok",
    "\x1b[2J\x1b]52;c;SGVsbG8=\x07",
    "\u202eevil",
    "[RED]",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_charger_round_trips_through_steve(sim, hostile):
    added = sim.control(
        "POST",
        "/chargers",
        {"chargeBoxId": hostile, "description": hostile, "connectors": 2, "status": "Faulted"},
    )
    assert added["chargeBoxId"] == hostile
    with steve(sim) as api:
        box = next(
            b for b in api.get("/chargeBoxes").json() if b["chargeBoxPk"] == added["chargeBoxPk"]
        )
    assert box["chargeBoxId"] == hostile and box["description"] == hostile
    assert [c["status"] for c in box["connectors"]] == ["Faulted", "Faulted"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_card_and_session(sim, hostile):
    sim.control("POST", "/cards", {"idTag": hostile, "note": hostile})
    result = tap(sim, "CP-DELTA-04", hostile, 1)
    assert result["authorize"] == "Accepted" and result["action"] == "started"
    with steve(sim) as api:
        active = api.get(
            "/transactions", params={"type": "ACTIVE", "chargeBoxId": "CP-DELTA-04"}
        ).json()
        tags = api.get("/ocppTags").json()
    assert active[0]["ocppIdTag"] == hostile
    assert any(t["idTag"] == hostile and t["note"] == hostile for t in tags)


def test_status_changes_and_errors(sim):
    sim.control(
        "POST",
        "/chargers/status",
        {
            "chargeBoxId": "CP-GOLF-07",
            "connectorId": 2,
            "status": "Faulted",
            "errorCode": "HighTemperature",
            "info": "fan [x]",
            "vendorErrorCode": "T-99",
        },
    )
    conn = charger(sim, "CP-GOLF-07")["connectors"][1]
    assert (conn["status"], conn["errorCode"], conn["info"], conn["vendorErrorCode"]) == (
        "Faulted",
        "HighTemperature",
        "fan [x]",
        "T-99",
    )
    for body, code in [
        ({"chargeBoxId": "NOPE", "connectorId": 1, "status": "Available"}, "404"),
        ({"chargeBoxId": "CP-GOLF-07", "connectorId": 1, "status": "Sleeping"}, "400"),
        (
            {
                "chargeBoxId": "CP-GOLF-07",
                "connectorId": 1,
                "status": "Faulted",
                "errorCode": "Oops",
            },
            "400",
        ),
    ]:
        with pytest.raises(RuntimeError, match=code):
            sim.control("POST", "/chargers/status", body)
    with pytest.raises(RuntimeError, match="409"):
        sim.control("POST", "/chargers", {"chargeBoxId": "CP-GOLF-07"})
    with pytest.raises(RuntimeError, match="400"):
        sim.control("POST", "/clock/advance", {"seconds": -5})


def test_update_and_delete_charger(sim):
    sim.control(
        "POST",
        "/chargers/update",
        {
            "chargeBoxId": "CP-LIMA-12",
            "description": "[b]moved[/b]",
            "lastHeartbeat": "2026-11-22T09:00:00Z",
        },
    )
    with steve(sim) as api:
        lima = api.get("/chargeBoxes").json()[-1]
    assert lima["description"] == "[b]moved[/b]"
    sim.control("POST", "/chargers/delete", {"chargeBoxId": "CP-LIMA-12"})
    with steve(sim) as api:
        assert "CP-LIMA-12" not in {b["chargeBoxId"] for b in api.get("/chargeBoxes").json()}
        refused = api.post("/operations/ClearCache", json={"chargeBoxIdList": ["CP-LIMA-12"]})
    assert refused.status_code == 400


def test_operations_log_shows_what_polaris_sent(sim):
    with steve(sim) as api:
        api.post(
            "/operations/UnlockConnector",
            json={"chargeBoxIdList": ["CP-DELTA-04"], "connectorId": 1},
        )
        api.post(
            "/operations/Reset", json={"chargeBoxIdList": ["CP-DELTA-04"], "resetType": "Hard"}
        )
        api.post("/operations/UpdateFirmware", json={"chargeBoxIdList": ["CP-DELTA-04"]})
    log = sim.control("GET", "/operations")
    assert [(e["operation"], e["status"]) for e in log] == [
        ("UnlockConnector", 200),
        ("Reset", 200),
        ("UpdateFirmware", 404),
    ]
    assert log[0]["body"] == {"chargeBoxIdList": ["CP-DELTA-04"], "connectorId": 1}
    assert [t["operation"] for t in sim.control("GET", "/tasks")] == ["UnlockConnector", "Reset"]
