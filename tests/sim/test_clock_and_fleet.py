"""The frozen clock, meter ticks, heartbeats, and the demo fleet of docs/demo-fleet.md."""

from __future__ import annotations

import httpx

from tests.sim.helpers import charger, steve


def _values(sim, tx_id):
    with steve(sim) as api:
        return api.get(f"/transactions/{tx_id}", params={"energyValuesOnly": "false"}).json()[
            "values"
        ]


def test_meter_ticks_only_when_the_clock_advances(sim):
    alpha = [v for v in _values(sim, 1015) if v["measurand"] == "Energy.Active.Import.Register"]
    assert sim.advance(59)["ticks"] == 0
    assert len(
        [v for v in _values(sim, 1015) if v["measurand"] == "Energy.Active.Import.Register"]
    ) == len(alpha)
    assert sim.advance(1)["ticks"] == 1
    after = [v for v in _values(sim, 1015) if v["measurand"] == "Energy.Active.Import.Register"]
    assert after[-1]["valueTimestamp"] == "2026-11-22T10:01:00.000Z"
    assert int(after[-1]["value"]) - int(alpha[-1]["value"]) == 7400 // 60
    power = [v for v in _values(sim, 1015) if v["measurand"] == "Power.Active.Import"][-1]
    assert (power["value"], power["unit"]) == ("7400", "W")


def test_stalled_and_suspended_meters(sim):
    bravo = len(_values(sim, 1013))
    juliet = [v for v in _values(sim, 1014) if v["unit"] == "Wh"]
    sim.advance(300)
    assert len(_values(sim, 1013)) == bravo  # the stuck session sends nothing
    now_juliet = [v for v in _values(sim, 1014) if v["unit"] == "Wh"]
    assert len(now_juliet) == len(juliet) + 5 and now_juliet[-1]["value"] == juliet[-1]["value"]


def test_heartbeats_follow_the_clock(sim):
    with steve(sim) as api:
        before = {
            b["chargeBoxId"]: b["lastHeartbeatTimestamp"] for b in api.get("/chargeBoxes").json()
        }
        sim.advance(60)
        after = {
            b["chargeBoxId"]: b["lastHeartbeatTimestamp"] for b in api.get("/chargeBoxes").json()
        }
    assert before["CP-ALPHA-01"] == "2026-11-22T09:59:53.000Z"
    assert after["CP-ALPHA-01"] == "2026-11-22T10:00:53.000Z"
    assert after["CP-CHARLIE-03"] == before["CP-CHARLIE-03"] == "2026-11-22T07:00:00.000Z"


def test_clock_set_and_no_going_back(sim):
    assert sim.control("POST", "/clock/set", {"now": "2026-11-22T12:00:00Z"})["ticks"] == 120
    try:
        sim.control("POST", "/clock/set", {"now": "2026-11-22T11:00:00Z"})
    except RuntimeError as exc:
        assert "forward" in str(exc)
    else:
        raise AssertionError("the clock went backwards")


def test_demo_fleet_matches_the_document(sim):
    with steve(sim) as api:
        boxes = {b["chargeBoxId"]: b for b in api.get("/chargeBoxes").json()}
        tags = {t["idTag"]: t for t in api.get("/ocppTags").json()}
        txs = api.get("/transactions").json()
    assert list(boxes) == [
        "CP-ALPHA-01",
        "CP-BRAVO-02",
        "CP-CHARLIE-03",
        "CP-DELTA-04",
        "CP-ECHO-05",
        "CP-FOXTROT-06",
        "CP-GOLF-07",
        "CP-HOTEL-08",
        "CP-INDIA-09",
        "CP-JULIET-10",
        "CP-KILO-11",
        "CP-LIMA-12",
    ]
    assert "LEGACY-GARAGE-99" not in boxes
    assert boxes["CP-ALPHA-01"]["description"] == "Main St depot, bay 1"
    status = {cb: [c["status"] for c in b["connectors"]] for cb, b in boxes.items()}
    assert status["CP-ALPHA-01"] == ["Charging"] and status["CP-BRAVO-02"] == ["Charging"]
    assert status["CP-DELTA-04"] == ["Available", "Available"] and status["CP-ECHO-05"] == [
        "Faulted",
        "Available",
    ]
    assert status["CP-JULIET-10"] == ["SuspendedEV"] and status["CP-FOXTROT-06"] == ["Available"]
    assert [cb for cb, b in boxes.items() if not b["online"]] == ["CP-CHARLIE-03"]
    assert tags["CARD-BLOCKED"]["blocked"] and tags["FLEET-PARENT"]["blocked"]
    assert tags["CARD-EXPIRED"]["expiryDate"] == "2026-11-20T10:00:00.000Z"
    assert (
        tags["FLEET-CHILD-1"]["parentIdTag"] == "FLEET-PARENT"
        and not tags["FLEET-CHILD-1"]["blocked"]
    )
    assert {tags["ACME-01"]["parentIdTag"], tags["ACME-02"]["parentIdTag"]} == {"ACME-META"}
    assert "CARD-NEW-0001" not in tags
    assert min(t["id"] for t in txs) == 1001
    stops = {
        (t["chargeBoxId"], t["stopEventActor"], t["stopReason"]) for t in txs if t["stopTimestamp"]
    }
    assert ("CP-INDIA-09", "station", "Remote") in stops
    assert ("CP-HOTEL-08", "manual", None) in stops
    assert {(a, r) for _, a, r in stops} == {
        ("station", "EVDisconnected"),
        ("station", "Remote"),
        ("manual", None),
    }
    active = {t["chargeBoxId"]: t for t in txs if t["stopTimestamp"] is None}
    assert {cb: t["ocppIdTag"] for cb, t in active.items()} == {
        "CP-ALPHA-01": "CARD-HEALTHY",
        "CP-BRAVO-02": "CARD-STUCK",
        "CP-JULIET-10": "ACME-01",
    }
    assert active["CP-BRAVO-02"]["startTimestamp"] == "2026-11-22T07:00:00.000Z"
    unsynced = [t for t in txs if t["ocppIdTag"] == "CARD-UNSYNCED"]
    assert len(unsynced) == 1 and unsynced[0]["stopTimestamp"]


def test_demo_is_deterministic(sim_factory):
    a, b = sim_factory(), sim_factory()
    for path in (
        "/chargeBoxes",
        "/transactions",
        "/ocppTags",
        "/transactions/1013?energyValuesOnly=false",
    ):
        with steve(a) as api_a, steve(b) as api_b:
            assert api_a.get(path).json() == api_b.get(path).json(), path
    lago = [
        httpx.get(
            s.lago_api + "/events",
            params={"per_page": 100},
            headers={"Authorization": f"Bearer {s.lago_key}"},
        ).json()
        for s in (a, b)
    ]
    assert lago[0] == lago[1]


def test_scaled_fleet(sim_factory):
    big = sim_factory(chargers=2000, seed=7)
    same = sim_factory(chargers=2000, seed=7)
    other = sim_factory(chargers=2000, seed=8)
    with steve(big) as api:
        boxes = api.get("/chargeBoxes").json()
        active = api.get("/transactions", params={"type": "ACTIVE"}).json()
    assert len(boxes) == 2000
    assert boxes[12]["chargeBoxId"] == "CP-SIM-00013" and boxes[-1]["chargeBoxId"] == "CP-SIM-02000"
    statuses = {c["status"] for b in boxes for c in b["connectors"]}
    assert {"Available", "Charging", "Faulted", "SuspendedEV", "Unavailable"} <= statuses
    assert sum(not b["online"] for b in boxes) > 10
    assert len(active) > 100
    charging = {
        (b["chargeBoxId"], c["connectorId"])
        for b in boxes
        for c in b["connectors"]
        if c["status"] in ("Charging", "SuspendedEV", "SuspendedEVSE")
    }
    assert charging == {(t["chargeBoxId"], t["connectorId"]) for t in active}
    with steve(same) as api_same, steve(other) as api_other:
        assert api_same.get("/chargeBoxes").json() == boxes
        assert api_other.get("/chargeBoxes").json() != boxes


def test_reset_restores_the_demo(sim):
    sim.fault("offline:CP-ALPHA-01")
    sim.control("POST", "/chargers", {"chargeBoxId": "EXTRA-1"})
    sim.advance(600)
    sim.reset()
    state = sim.control("GET", "/state")
    assert (
        state["now"] == "2026-11-22T10:00:00.000Z"
        and state["chargers"] == 12
        and state["online"] == 11
    )
    assert charger(sim, "CP-ALPHA-01")["online"] is True
    assert state["faults"] == [
        "meter_stall:CP-BRAVO-02",
        "offline:CP-CHARLIE-03",
        "stuck_stop:CP-BRAVO-02",
    ]
