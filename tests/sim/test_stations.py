"""What the simulated firmware does after it answers: stops, unlocks, faults.

The force-close runbook: a healthy station answers RemoteStop Accepted and
then sends StopTransaction (reason Remote), Finishing, then Available; the
``stuck_stop`` firmware (CP-BRAVO-02 in the demo) answers Accepted and sends
nothing until an UnlockConnector, which stops the session (UnlockCommand).
"""

from __future__ import annotations

import time

from tests.sim.helpers import charger, steve, tx, wait_for


def _post(sim, name, body):
    with steve(sim) as api:
        resp = api.post(f"/operations/{name}", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_healthy_remote_stop_closes_the_session(sim_factory):
    sim = sim_factory(finishing_seconds=0.2)
    env = _post(
        sim, "RemoteStopTransaction", {"chargeBoxIdList": ["CP-ALPHA-01"], "transactionId": 1015}
    )
    assert env["successResponses"] == [{"chargeBoxId": "CP-ALPHA-01", "response": "Accepted"}]
    stopped = wait_for(
        lambda: tx(sim, 1015)["stopTimestamp"] and tx(sim, 1015), what="StopTransaction"
    )
    assert stopped["stopReason"] == "Remote" and stopped["stopEventActor"] == "station"
    assert int(stopped["stopValue"]) > int(stopped["startValue"])
    statuses = {charger(sim, "CP-ALPHA-01")["connectors"][0]["status"]}
    statuses.add(
        wait_for(
            lambda: (
                charger(sim, "CP-ALPHA-01")["connectors"][0]["status"] == "Available"
                and "Available"
            )
        )
    )
    assert statuses <= {"Finishing", "Available"} and "Available" in statuses


def test_stuck_stop_needs_an_unlock(sim_factory):
    sim = sim_factory(finishing_seconds=0.2, stop_delay=0.05)
    env = _post(
        sim, "RemoteStopTransaction", {"chargeBoxIdList": ["CP-BRAVO-02"], "transactionId": 1013}
    )
    assert env["successResponses"][0]["response"] == "Accepted"
    time.sleep(0.4)  # well past the healthy stop delay: nothing may have happened
    assert tx(sim, 1013)["stopTimestamp"] is None
    assert charger(sim, "CP-BRAVO-02")["connectors"][0]["status"] == "Charging"
    env = _post(sim, "UnlockConnector", {"chargeBoxIdList": ["CP-BRAVO-02"], "connectorId": 1})
    assert env["successResponses"][0]["response"] == "Unlocked"
    closed = tx(sim, 1013)
    assert closed["stopReason"] == "UnlockCommand" and closed["stopEventActor"] == "station"
    # The stop value is the last reading the stalled meter reported.
    with steve(sim) as api:
        values = api.get("/transactions/1013").json()["values"]
    assert closed["stopValue"] == values[-2]["value"]
    wait_for(
        lambda: charger(sim, "CP-BRAVO-02")["connectors"][0]["status"] == "Available",
        what="Available",
    )
    with steve(sim) as api:
        again = api.post(
            "/operations/RemoteStopTransaction",
            json={"chargeBoxIdList": ["CP-BRAVO-02"], "transactionId": 1013},
        )
    assert (
        again.status_code == 400
        and again.json()["message"] == "This transaction is not active at this station."
    )


def test_stuck_stop_fault_on_any_charger_and_clearing_it(sim):
    sim.fault("stuck_stop:CP-JULIET-10")
    _post(
        sim, "RemoteStopTransaction", {"chargeBoxIdList": ["CP-JULIET-10"], "transactionId": 1014}
    )
    time.sleep(0.5)
    assert tx(sim, 1014)["stopTimestamp"] is None
    sim.clear_fault("stuck_stop:CP-JULIET-10")
    _post(
        sim, "RemoteStopTransaction", {"chargeBoxIdList": ["CP-JULIET-10"], "transactionId": 1014}
    )
    assert wait_for(lambda: tx(sim, 1014)["stopReason"], what="the stop") == "Remote"


def test_manual_stop_leaves_the_station_charging_until_unlocked(sim):
    with steve(sim) as api:
        assert api.patch("/transactions/1014/stop").status_code == 200
    assert charger(sim, "CP-JULIET-10")["connectors"][0]["transactionId"] == 1014
    _post(sim, "UnlockConnector", {"chargeBoxIdList": ["CP-JULIET-10"], "connectorId": 1})
    failures = sim.control("GET", "/stop-failures")
    assert [
        f["transactionId"] for f in failures
    ] == []  # a manual stop is not "stopped by the station"
    assert tx(sim, 1014)["stopEventActor"] == "station"


def test_reservation_lifecycle(sim):
    env = _post(
        sim,
        "ReserveNow",
        {
            "chargeBoxIdList": ["CP-GOLF-07"],
            "connectorId": 1,
            "expiry": "2026-11-22T10:30:00.000Z",
            "idTag": "CARD-KIOSK",
        },
    )
    assert env["successResponses"][0]["response"] == "Accepted"
    assert charger(sim, "CP-GOLF-07")["connectors"][0]["status"] == "Reserved"
    env = _post(sim, "CancelReservation", {"chargeBoxIdList": ["CP-GOLF-07"], "reservationId": 1})
    assert env["successResponses"][0]["response"] == "Accepted"
    assert charger(sim, "CP-GOLF-07")["connectors"][0]["status"] == "Available"
    _post(
        sim,
        "ReserveNow",
        {
            "chargeBoxIdList": ["CP-GOLF-07"],
            "connectorId": 1,
            "expiry": "2026-11-22T10:02:00.000Z",
            "idTag": "CARD-KIOSK",
        },
    )
    sim.advance(180)
    assert charger(sim, "CP-GOLF-07")["connectors"][0]["status"] == "Available"
    with steve(sim) as api:
        gone = api.post(
            "/operations/CancelReservation",
            json={"chargeBoxIdList": ["CP-GOLF-07"], "reservationId": 2},
        )
    assert gone.status_code == 400


def test_change_availability_and_trigger(sim):
    _post(
        sim, "ChangeAvailability", {"chargeBoxIdList": ["CP-DELTA-04"], "availType": "Inoperative"}
    )
    assert {c["status"] for c in charger(sim, "CP-DELTA-04")["connectors"]} == {"Unavailable"}
    _post(sim, "ChangeAvailability", {"chargeBoxIdList": ["CP-DELTA-04"], "availType": "Operative"})
    assert {c["status"] for c in charger(sim, "CP-DELTA-04")["connectors"]} == {"Available"}
    before = charger(sim, "CP-ECHO-05")["connectors"][0]["timestamp"]
    sim.advance(30)
    _post(
        sim,
        "TriggerMessage",
        {
            "chargeBoxIdList": ["CP-ECHO-05"],
            "triggerMessage": "StatusNotification",
            "connectorId": 1,
        },
    )
    after = wait_for(
        lambda: (
            charger(sim, "CP-ECHO-05")["connectors"][0]["timestamp"] != before
            and charger(sim, "CP-ECHO-05")["connectors"][0]
        )
    )
    assert after["status"] == "Faulted" and after["timestamp"] == "2026-11-22T10:00:30.000Z"


def test_offline_station_queues_its_stop_and_delivers_it_late(sim):
    sim.fault("offline:CP-JULIET-10")
    result = sim.control(
        "POST", "/sessions/stop", {"transactionId": 1014, "reason": "EVDisconnected"}
    )
    assert result["queued"] is True
    assert tx(sim, 1014)["stopTimestamp"] is None  # SteVe has not heard of it
    sim.advance(3 * 3600)
    sim.clear_fault("offline:CP-JULIET-10")
    late = tx(sim, 1014)
    assert (
        late["stopTimestamp"] == "2026-11-22T10:00:00.000Z"
        and late["stopReason"] == "EVDisconnected"
    )
    box = charger(sim, "CP-JULIET-10")
    assert box["online"] is True and box["connectors"][0]["status"] == "Available"
    assert box["connectors"][0]["timestamp"] == "2026-11-22T13:00:00.000Z"


def test_sessions_start_through_control(sim):
    started = sim.control(
        "POST",
        "/sessions/start",
        {"chargeBoxId": "CP-HOTEL-08", "connectorId": 1, "idTag": "ACME-02"},
    )
    assert started["idTagInfo"]["status"] == "Accepted"
    assert tx(sim, started["transactionId"])["stopTimestamp"] is None
    assert charger(sim, "CP-HOTEL-08")["connectors"][0]["status"] == "Charging"
