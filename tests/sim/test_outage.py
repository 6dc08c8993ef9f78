"""Whole-SteVe faults: an outage refuses connections and comes back on the same
port; degraded modes answer 5xx, slowly, or with broken JSON. Lago and the
control endpoint stay reachable throughout."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from tests.sim.helpers import charger, steve, wait_for


def _refused(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_outage_refuses_connections_and_comes_back(sim):
    port = sim.port
    with steve(sim) as api:
        assert api.get("/ocppTags/1").status_code == 200
    sim.fault("steve_down")
    assert _refused(port)
    with pytest.raises(httpx.ConnectError):
        httpx.get(sim.steve_api + "/ocppTags", auth=(sim.steve_user, sim.steve_password))
    # Lago and control live on the other listener.
    lago = httpx.get(
        sim.lago_api + "/customers/cust-ada", headers={"Authorization": f"Bearer {sim.lago_key}"}
    )
    assert lago.status_code == 200
    assert sim.control("GET", "/state")["steveDown"] is True
    assert charger(sim, "CP-ALPHA-01")["online"] is False  # stations lost their websocket too
    sim.advance(120)
    sim.clear_fault("steve_down")
    assert not _refused(port) and sim.port == port
    with steve(sim) as api:
        assert api.get("/ocppTags/1").json()["idTag"] == "CARD-HEALTHY"
        boxes = {b["chargeBoxId"]: b for b in api.get("/chargeBoxes").json()}
    assert boxes["CP-ALPHA-01"]["online"] is True and boxes["CP-CHARLIE-03"]["online"] is False
    assert (
        boxes["CP-ALPHA-01"]["connectors"][0]["timestamp"] == "2026-11-22T10:02:00.000Z"
    )  # re-reported


def test_outage_with_a_duration_ends_by_itself(sim):
    sim.fault("steve_down:0.3")
    assert _refused(sim.port)
    wait_for(lambda: not _refused(sim.port), what="SteVe back")
    assert "steve_down" not in sim.control("GET", "/faults")["faults"]


def test_restart_forgets_tasks_and_web_sessions(sim):
    with steve(sim) as api:
        task = api.post(
            "/operations/GetLocalListVersion", json={"chargeBoxIdList": ["CP-ALPHA-01"]}
        ).json()["taskId"]
        assert api.get(f"/operations/tasks/{task}").status_code == 200
    sim.fault("steve_down")
    sim.clear_fault("steve_down")
    with steve(sim) as api:
        assert api.get(f"/operations/tasks/{task}").status_code == 404
        again = api.post(
            "/operations/GetLocalListVersion", json={"chargeBoxIdList": ["CP-ALPHA-01"]}
        ).json()
    assert again["taskId"] == 1


def test_5xx_mode(sim):
    sim.fault("steve_5xx:502")
    resp = httpx.get(sim.steve_api + "/ocppTags", auth=(sim.steve_user, sim.steve_password))
    assert resp.status_code == 502 and resp.headers["content-type"].startswith("text/html")
    sim.clear_fault("steve_5xx")
    with steve(sim) as api:
        assert api.get("/ocppTags").status_code == 200


def test_slow_mode_trips_a_short_client_timeout(sim):
    sim.fault("steve_slow:2")
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(
            sim.steve_api + "/ocppTags", auth=(sim.steve_user, sim.steve_password), timeout=0.2
        )


def test_freeze_accepts_and_never_answers_until_cleared(sim):
    sim.fault("steve_freeze")
    auth = (sim.steve_user, sim.steve_password)
    # The connection is accepted (no ConnectTimeout / ConnectError): only the answer hangs.
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(sim.steve_api + "/ocppTags", auth=auth, timeout=httpx.Timeout(0.3, connect=5))
    assert "steve_freeze" in sim.control("GET", "/faults")["faults"]
    # Lago and the control endpoint stay up.
    assert (
        httpx.get(
            sim.lago_api + "/customers", headers={"Authorization": f"Bearer {sim.lago_key}"}
        ).status_code
        == 200
    )
    sim.clear_fault("steve_freeze")
    with steve(sim) as api:
        assert api.get("/ocppTags").status_code == 200


def test_malformed_mode(sim):
    sim.fault("steve_malformed")
    resp = httpx.get(sim.steve_api + "/ocppTags", auth=(sim.steve_user, sim.steve_password))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.text)


def test_lago_degraded_leaves_steve_alone(sim):
    sim.fault("lago_5xx")
    assert (
        httpx.get(
            sim.lago_api + "/customers", headers={"Authorization": f"Bearer {sim.lago_key}"}
        ).status_code
        == 503
    )
    with steve(sim) as api:
        assert api.get("/ocppTags").status_code == 200


def test_request_log_counts_what_clients_sent(sim):
    sim.control("POST", "/requests/clear")
    with steve(sim) as api:
        api.get("/chargeBoxes")
        api.get("/transactions", params={"type": "ACTIVE"})
    log = sim.control("GET", "/requests")
    assert [(r["method"], r["path"], r["query"], r["status"]) for r in log] == [
        ("GET", "/steve/api/v1/chargeBoxes", "", 200),
        ("GET", "/steve/api/v1/transactions", "type=ACTIVE", 200),
    ]


def test_unknown_faults_and_targets_are_refused(sim):
    for spec in ("no_such_fault", "offline:NOPE", "offline", "card_blocked:NOPE"):
        with pytest.raises(RuntimeError, match="400"):
            sim.fault(spec)
