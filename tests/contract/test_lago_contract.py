"""The stand-in's Lago subset against lago-openapi.yml (status + body schema).

Lago's spec marks nullable fields itself, so bodies are validated strictly.
"""

from __future__ import annotations

import httpx
import pytest

from tests.contract.spec_tools import validate_lago


@pytest.fixture
def lago(sim) -> httpx.Client:
    with httpx.Client(
        base_url=sim.lago_api, headers={"Authorization": f"Bearer {sim.lago_key}"}
    ) as client:
        yield client


def check(resp: httpx.Response, path: str, status: int):
    assert resp.status_code == status, resp.text[:300]
    body = resp.json()
    validate_lago("GET", path, status, body)
    return body


def test_customers_list_paged_and_searchable(lago):
    first = check(lago.get("/customers", params={"per_page": 2}), "/customers", 200)
    assert first["meta"] == {
        "current_page": 1,
        "next_page": 2,
        "prev_page": None,
        "total_pages": 3,
        "total_count": 5,
    }
    last = check(lago.get("/customers", params={"per_page": 2, "page": 3}), "/customers", 200)
    assert last["meta"]["next_page"] is None and len(last["customers"]) == 1
    seen = [
        c["external_id"]
        for page in (1, 2, 3)
        for c in lago.get("/customers", params={"per_page": 2, "page": page}).json()["customers"]
    ]
    assert sorted(seen) == ["cust-acme", "cust-ada", "cust-grace", "cust-kim", "cust-tom"]
    by_email = check(
        lago.get("/customers", params={"search_term": "FLEET@acme"}), "/customers", 200
    )
    assert [c["external_id"] for c in by_email["customers"]] == ["cust-acme"]


def test_customer_by_external_id(lago):
    ada = check(lago.get("/customers/cust-ada"), "/customers/{external_customer_id}", 200)[
        "customer"
    ]
    assert (ada["name"], ada["email"]) == ("Ada Lovelace", "ada@example.com")
    missing = check(lago.get("/customers/cust-nobody"), "/customers/{external_customer_id}", 404)
    assert missing["status"] == 404


def test_unauthorized(sim):
    for token in ("", "Bearer wrong"):
        resp = httpx.get(sim.lago_api + "/customers/cust-ada", headers={"Authorization": token})
        assert check(resp, "/customers/{external_customer_id}", 401) == {
            "status": 401,
            "error": "Unauthorized",
        }


@pytest.mark.parametrize(
    "params, expect",
    [
        ({"external_customer_id": "cust-ada"}, ["sub-ada"]),
        ({"external_customer_id": "cust-tom"}, []),  # status[] omitted ⇒ only active
        ({"external_customer_id": "cust-tom", "status[]": ["terminated"]}, ["sub-tom"]),
        ({"external_customer_id": "cust-tom", "status[]": ["active", "pending"]}, []),
        ({"status[]": ["active", "terminated"], "plan_code": "ev_kwh_fleet"}, ["sub-acme"]),
    ],
)
def test_subscriptions(lago, params, expect):
    body = check(lago.get("/subscriptions", params=params), "/subscriptions", 200)
    assert [s["external_id"] for s in body["subscriptions"]] == expect
    assert body["meta"]["total_count"] == len(expect)


def test_event_by_transaction_id(lago):
    event = check(lago.get("/events/steve_tx_1004_final"), "/events/{transaction_id}", 200)["event"]
    assert event["external_subscription_id"] == "sub-ada" and event["properties"]["kwh"] == "12.400"
    check(lago.get("/events/steve_tx_1009_final"), "/events/{transaction_id}", 404)  # CARD-UNSYNCED


def test_events_list(lago):
    body = check(
        lago.get("/events", params={"external_subscription_id": "sub-ada"}), "/events", 200
    )
    ids = [e["transaction_id"] for e in body["events"]]
    assert "steve_tx_1004_final" in ids and any(i.startswith("steve_tx_1015_") for i in ids)
    window = check(
        lago.get(
            "/events",
            params={
                "external_subscription_id": "sub-ada",
                "timestamp_from": "2026-11-22T00:00:00Z",
            },
        ),
        "/events",
        200,
    )
    assert [e["transaction_id"] for e in window["events"]] == [
        i for i in ids if i.startswith("steve_tx_1015_")
    ] + ["steve_tx_1011_final"]
    bad = check(lago.get("/events", params={"timestamp_from": "yesterday"}), "/events", 422)
    assert bad["code"] == "validation_errors"
