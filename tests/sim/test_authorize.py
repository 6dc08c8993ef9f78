"""Authorize at a charger: SteVe's rules, the runbook's parent rule, the record.

SteVe (STEVE.md §7): unknown → Invalid; max active 0 → Blocked; expired →
Expired; at the limit in a StartTransaction → ConcurrentTx; else Accepted. The
card runbook adds: a child of a blocked or expired parent is refused too.
"""

from __future__ import annotations

import pytest

from tests.sim.helpers import charger, steve, tap, wait_for


@pytest.mark.parametrize(
    "id_tag, status, steve_status, inherited",
    [
        ("CARD-NEW-0001", "Invalid", "Invalid", None),
        ("CARD-BLOCKED", "Blocked", "Blocked", None),
        ("CARD-EXPIRED", "Expired", "Expired", None),
        ("FLEET-PARENT", "Blocked", "Blocked", None),
        ("FLEET-CHILD-1", "Blocked", "Accepted", "FLEET-PARENT"),
        ("FLEET-CHILD-2", "Blocked", "Accepted", "FLEET-PARENT"),
        ("ACME-02", "Accepted", "Accepted", None),
        ("CARD-UNLINKED", "Accepted", "Accepted", None),
    ],
)
def test_authorize_rules_are_recorded(sim, id_tag, status, steve_status, inherited):
    result = tap(sim, "CP-GOLF-07", id_tag, 1)
    assert result["authorize"] == status
    last = sim.control("GET", f"/authorizations?idTag={id_tag}")
    # The last Authorize (the demo already holds earlier refused taps of CARD-NEW-0001).
    first = [a for a in last if not a["isStartTx"]][-1]
    keys = (
        "chargeBoxId",
        "connectorId",
        "status",
        "steveStatus",
        "inheritedFrom",
        "overridden",
        "isStartTx",
    )
    assert {k: first[k] for k in keys} == {
        "chargeBoxId": "CP-GOLF-07",
        "connectorId": 1,
        "status": status,
        "steveStatus": steve_status,
        "inheritedFrom": inherited,
        "overridden": False,
        "isStartTx": False,
    }
    assert first["time"] == "2026-11-22T10:00:00.000Z"


def test_accepted_tap_starts_and_a_second_tap_stops(sim):
    started = tap(sim, "CP-DELTA-04", "CARD-KIOSK", 1)
    assert started["action"] == "started" and started["startStatus"] == "Accepted"
    tx_id = started["transactionId"]
    assert tx_id == 1016
    with steve(sim) as api:
        active = api.get(
            "/transactions", params={"type": "ACTIVE", "chargeBoxId": "CP-DELTA-04"}
        ).json()
        assert [t["id"] for t in active] == [tx_id]
    assert charger(sim, "CP-DELTA-04")["connectors"][0]["status"] == "Charging"
    stopped = tap(sim, "CP-DELTA-04", "CARD-KIOSK", 1)
    assert stopped["action"] == "stopped" and stopped["transactionId"] == tx_id
    with steve(sim) as api:
        done = api.get(f"/transactions/{tx_id}").json()["transaction"]
    assert done["stopReason"] == "Local" and done["stopEventActor"] == "station"
    kinds = [
        a["isStartTx"]
        for a in sim.control("GET", "/authorizations?idTag=CARD-KIOSK")
        if a["chargeBoxId"] == "CP-DELTA-04"
    ]
    assert kinds == [False, True, False]


def test_concurrent_tx_only_at_start(sim):
    """CARD-HEALTHY (max 1) is charging on CP-ALPHA-01: a second start is refused."""
    result = tap(sim, "CP-DELTA-04", "CARD-HEALTHY", 2)
    assert result["authorize"] == "Accepted" and result["startStatus"] == "ConcurrentTx"
    with steve(sim) as api:
        refused = api.get(f"/transactions/{result['transactionId']}").json()["transaction"]
    assert refused["stopReason"] == "DeAuthorized"


def test_parent_rule_can_be_switched_off(sim_factory):
    vanilla = sim_factory(inherit_parent_status=False)
    assert tap(vanilla, "CP-GOLF-07", "FLEET-CHILD-1", 1)["authorize"] == "Accepted"


def test_expired_parent_and_grandparent(sim):
    sim.control("POST", "/cards", {"idTag": "ACME-SUB", "parentIdTag": "ACME-01"})
    sim.fault("card_expired:ACME-META")
    assert tap(sim, "CP-GOLF-07", "ACME-02", 1)["authorize"] == "Expired"
    grandchild = tap(sim, "CP-GOLF-07", "ACME-SUB", 1)
    assert grandchild["authorize"] == "Expired"
    assert sim.control("GET", "/authorizations?idTag=ACME-SUB")[0]["inheritedFrom"] == "ACME-META"


def test_card_faults(sim):
    sim.fault("card_blocked:CARD-KIOSK")
    assert tap(sim, "CP-GOLF-07", "CARD-KIOSK", 1)["authorize"] == "Blocked"
    sim.fault("card_unknown:CARD-UNLINKED")
    assert tap(sim, "CP-GOLF-07", "CARD-UNLINKED", 1)["authorize"] == "Invalid"
    sim.fault("card_parent_blocked:CARD-INACTIVE")
    assert tap(sim, "CP-GOLF-07", "CARD-INACTIVE", 1)["authorize"] == "Blocked"
    sim.fault("card_parent_blocked:ACME-01")  # has a parent: that parent gets blocked
    with steve(sim) as api:
        meta = api.get("/ocppTags", params={"idTag": "ACME-META"}).json()[0]
    assert meta["blocked"] is True


def test_scan_to_login_interception_is_one_tap(sim):
    sim.fault("intercept:CP-FOXTROT-06")
    first = tap(sim, "CP-FOXTROT-06", "CARD-KIOSK", 1)
    assert (
        first["authorize"] == "Blocked"
        and first["overridden"] is True
        and first["action"] == "none"
    )
    record = sim.control("GET", "/authorizations?chargeBoxId=CP-FOXTROT-06")[-1]
    assert record["overrideBy"] == "intercept" and record["steveStatus"] == "Accepted"
    assert tap(sim, "CP-FOXTROT-06", "CARD-KIOSK", 1)["authorize"] == "Accepted"


def test_demo_records_the_kiosk_interception(sim):
    history = sim.control("GET", "/authorizations?chargeBoxId=CP-FOXTROT-06")
    assert history == [
        {
            "time": "2026-11-22T09:48:00.000Z",
            "chargeBoxId": "CP-FOXTROT-06",
            "connectorId": 1,
            "idTag": "CARD-KIOSK",
            "isStartTx": False,
            "status": "Blocked",
            "steveStatus": "Accepted",
            "inheritedFrom": None,
            "overridden": True,
            "overrideBy": "hook",
            "hook": "blocked",
        }
    ]


def test_remote_start_runs_authorize_then_start(sim):
    with steve(sim) as api:
        env = api.post(
            "/operations/RemoteStartTransaction",
            json={"chargeBoxIdList": ["CP-KILO-11"], "idTag": "ACME-02", "connectorId": 2},
        ).json()
        assert env["successResponses"][0]["response"] == "Accepted"
        active = wait_for(
            lambda: api.get(
                "/transactions", params={"type": "ACTIVE", "chargeBoxId": "CP-KILO-11"}
            ).json(),
            what="the remote-started transaction",
        )
    assert active[0]["ocppIdTag"] == "ACME-02" and active[0]["connectorId"] == 2
    # A child of a blocked parent passes SteVe's pre-flight, then the station's Authorize refuses it.
    with steve(sim) as api:
        env = api.post(
            "/operations/RemoteStartTransaction",
            json={"chargeBoxIdList": ["CP-LIMA-12"], "idTag": "FLEET-CHILD-1"},
        ).json()
        assert env["successResponses"][0]["response"] == "Accepted"
        wait_for(
            lambda: sim.control("GET", "/authorizations?idTag=FLEET-CHILD-1"),
            what="the station's Authorize",
        )
        assert (
            api.get("/transactions", params={"type": "ACTIVE", "chargeBoxId": "CP-LIMA-12"}).json()
            == []
        )
    assert wait_for(lambda: charger(sim, "CP-LIMA-12")["connectors"][0]["status"] == "Available")
