"""LagoClient against httpx.MockTransport, bodies shaped as lago-openapi.yml says."""

from __future__ import annotations

import httpx
import pytest

from polaris_tui.models.errors import (
    ConfigError,
    LagoAuthError,
    LagoError,
    LagoMalformed,
    LagoUnreachable,
)
from polaris_tui.services.lago_client import LagoClient
from polaris_tui.services.settings import LagoSettings

BASE = "http://lago.test:3000"
KEY = "lago-key-Secret42"


def customer(ext: str, email: str | None = None) -> dict:
    return {
        "lago_id": f"uuid-{ext}",
        "sequential_id": 1,
        "slug": ext,
        "external_id": ext,
        "applicable_timezone": "UTC",
        "created_at": "2026-01-01T00:00:00Z",
        "name": ext.title(),
        "email": email,
        "metadata": [],
        "taxes": [],
    }


def subscription(ext: str, status: str) -> dict:
    return {
        "lago_id": f"uuid-{ext}",
        "external_id": ext,
        "lago_customer_id": "uuid-cust-ada",
        "external_customer_id": "cust-ada",
        "name": None,
        "plan_code": "ev",
        "status": status,
        "billing_time": "calendar",
        "created_at": "2026-01-01T00:00:00Z",
        "subscription_at": None,
        "started_at": "2026-01-01T00:00:00Z",
        "canceled_at": None,
        "terminated_at": None,
        "ending_at": None,
    }


def meta(page: int, next_page: int | None, total_pages: int) -> dict:
    return {
        "current_page": page,
        "next_page": next_page,
        "prev_page": page - 1 or None,
        "total_pages": total_pages,
        "total_count": 250,
    }


class Recorder:
    def __init__(self, handler):
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request):
        self.requests.append(request)
        return self.handler(request)


def make(handler, **kw) -> tuple[LagoClient, Recorder]:
    rec = Recorder(handler)
    client = LagoClient(
        LagoSettings(url=BASE, api_key=KEY),
        transport=httpx.MockTransport(rec),
        retry_delays=(0, 0),
        **kw,
    )
    return client, rec


async def test_customer_by_external_id_is_url_encoded_and_bearer_authed():
    client, rec = make(
        lambda r: httpx.Response(200, json={"customer": customer("a/b c", "ada@example.com")})
    )
    found = await client.customer("a/b c")
    await client.close()
    assert found.email == "ada@example.com" and found.external_id == "a/b c"
    req = rec.requests[0]
    assert req.url.raw_path == b"/api/v1/customers/a%2Fb%20c"
    assert req.headers["authorization"] == f"Bearer {KEY}"


async def test_unknown_customer_is_none():
    client, _ = make(
        lambda r: httpx.Response(
            404, json={"status": 404, "error": "Not Found", "code": "customer_not_found"}
        )
    )
    assert await client.customer("nobody") is None
    await client.close()


async def test_customers_are_paged_until_next_page_is_null():
    def handler(request):
        page = int(request.url.params["page"])
        assert request.url.params["per_page"] == "100"
        items = [customer(f"c{page}-{i}") for i in range(100 if page < 3 else 50)]
        return httpx.Response(
            200, json={"customers": items, "meta": meta(page, page + 1 if page < 3 else None, 3)}
        )

    client, rec = make(handler)
    everyone = await client.customers()
    await client.close()
    assert len(everyone) == 250 and len(rec.requests) == 3


async def test_paging_is_capped():
    def handler(request):
        page = int(request.url.params["page"])
        return httpx.Response(
            200, json={"customers": [customer(f"c{page}")], "meta": meta(page, page + 1, 10**6)}
        )

    client, rec = make(handler, max_pages=5)
    assert len(await client.customers()) == 5
    await client.close()
    assert len(rec.requests) == 5


async def test_subscriptions_ask_for_every_status():
    def handler(request):
        return httpx.Response(
            200,
            json={
                "subscriptions": [
                    subscription("sub-ada", "active"),
                    subscription("sub-old", "terminated"),
                ],
                "meta": meta(1, None, 1),
            },
        )

    client, rec = make(handler)
    subs = await client.subscriptions("cust-ada")
    await client.close()
    assert [s.status for s in subs] == ["active", "terminated"]
    params = rec.requests[0].url.params
    assert sorted(params.get_list("status[]")) == ["active", "canceled", "pending", "terminated"]
    assert params["external_customer_id"] == "cust-ada"


async def test_event_by_transaction_id():
    event = {
        "event": {
            "lago_id": "e1",
            "transaction_id": "steve_tx_1001_final",
            "lago_customer_id": None,
            "code": "ev_charging_kwh",
            "timestamp": "2026-11-22T09:00:00.000Z",
            "properties": {"value": "5.100", "kwh": "5.100"},
            "lago_subscription_id": None,
            "external_subscription_id": "sub-ada",
            "created_at": "2026-11-22T09:00:01Z",
        }
    }

    def handler(request):
        if request.url.path.endswith("steve_tx_1001_final"):
            return httpx.Response(200, json=event)
        return httpx.Response(
            404, json={"status": 404, "error": "Not Found", "code": "event_not_found"}
        )

    client, _ = make(handler)
    found = await client.event("steve_tx_1001_final")
    assert found.properties["kwh"] == "5.100" and found.external_subscription_id == "sub-ada"
    assert await client.event("steve_tx_1002_final") is None
    await client.close()


@pytest.mark.parametrize(
    "status, body, error, title",
    [
        (401, {"status": 401, "error": "Unauthorized"}, LagoAuthError, "Lago refused the API key"),
        (
            403,
            {"status": 403, "error": "Forbidden", "code": "feature_unavailable"},
            LagoError,
            "Lago refused the request",
        ),
        (500, None, LagoError, "Lago failed to answer"),
        (
            422,
            {"status": 422, "error": "Unprocessable entity", "code": "validation_errors"},
            LagoError,
            "Lago error",
        ),
    ],
)
async def test_error_mapping(status, body, error, title):
    client, _ = make(
        lambda r: httpx.Response(status, json=body) if body else httpx.Response(status)
    )
    with pytest.raises(error) as err:
        await client.customer("x")
    await client.close()
    assert err.value.title == title


async def test_network_errors_retry_then_unreachable():
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    client, rec = make(handler)
    with pytest.raises(LagoUnreachable):
        await client.customers()
    await client.close()
    assert len(rec.requests) == 3

    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    client, _ = make(slow)
    with pytest.raises(LagoUnreachable) as err:
        await client.customer("x")
    await client.close()
    assert err.value.title == "Lago did not answer in time"


async def test_malformed_answers():
    for body in (b"<html>", b'{"customer": {"external_id": 3}}', b'{"customers": "nope"}'):
        client, _ = make(lambda r, body=body: httpx.Response(200, content=body))
        with pytest.raises(LagoMalformed):
            await client.customer("x")
        await client.close()


async def test_key_never_in_errors():
    client, _ = make(lambda r: httpx.Response(500, json={"status": 500, "error": f"bad key {KEY}"}))
    with pytest.raises(LagoError) as err:
        await client.customer("x")
    await client.close()
    assert KEY not in str(err.value)


async def test_unconfigured():
    client = LagoClient(
        LagoSettings(), transport=httpx.MockTransport(lambda r: httpx.Response(200))
    )
    assert not client.configured
    with pytest.raises(ConfigError):
        await client.customers()
    await client.close()
