"""The pre-authorize hook, called by the stand-in as a SteVe fork would (STEVE.md §6).

A small hook server runs in the test's own loop; the stand-in (in its thread)
calls it on every Authorize and StartTransaction with a signed body, waits at
most ``hook_timeout``, fails open, and honours BLOCKED only on Accepted.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from contextlib import asynccontextmanager

from aiohttp import web

from tests.sim.helpers import tap

KEY = "hook-secret"


@asynccontextmanager
async def hook_server(answer):
    """Serve ``POST /hook`` with ``answer(body) -> web.Response`` and record requests."""
    calls: list[dict] = []

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        calls.append(
            {
                "raw": raw,
                "signature": request.headers.get("X-Signature"),
                "type": request.headers.get("Content-Type"),
            }
        )
        return await answer(json.loads(raw))

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook", calls
    finally:
        await runner.cleanup()


async def _tap(sim, cb_id, id_tag, connector=None):
    return await asyncio.to_thread(tap, sim, cb_id, id_tag, connector)


async def test_signed_calls_on_authorize_and_start(sim):
    async def allow(body):
        return web.json_response({"override": None})

    async with hook_server(allow) as (url, calls):
        await asyncio.to_thread(
            sim.control, "POST", "/hook", {"url": url, "key": KEY, "timeout": 2.0}
        )
        result = await _tap(sim, "CP-DELTA-04", "CARD-KIOSK", 1)
    assert result["action"] == "started"
    assert len(calls) == 2
    bodies = [json.loads(c["raw"]) for c in calls]
    assert [b["isStartTx"] for b in bodies] == [False, True]
    assert bodies[0] == {
        "idTag": "CARD-KIOSK",
        "chargeBoxId": "CP-DELTA-04",
        "connectorId": 1,
        "isStartTx": False,
        "ts": 1795341600000,
    }
    for c in calls:
        assert c["signature"] == hmac.new(KEY.encode(), c["raw"], hashlib.sha256).hexdigest()
        assert c["type"] == "application/json"
    records = await asyncio.to_thread(sim.control, "GET", "/authorizations?idTag=CARD-KIOSK")
    records = [r for r in records if r["chargeBoxId"] == "CP-DELTA-04"]  # not the demo's refusals
    assert [(r["hook"], r["overridden"]) for r in records] == [("allow", False), ("allow", False)]


async def test_blocked_only_downgrades_accepted(sim_factory):
    async def block(body):
        return web.json_response({"override": "BLOCKED"})

    async with hook_server(block) as (url, calls):
        sim = await asyncio.to_thread(sim_factory, hook_url=url, hook_key=KEY, hook_timeout=2.0)
        kiosk = await _tap(sim, "CP-FOXTROT-06", "CARD-KIOSK", 1)
        blocked = await _tap(sim, "CP-FOXTROT-06", "CARD-BLOCKED", 1)
        unknown = await _tap(sim, "CP-FOXTROT-06", "CARD-NEW-0001", 1)
    assert (kiosk["authorize"], kiosk["overridden"], kiosk["action"]) == ("Blocked", True, "none")
    assert (blocked["authorize"], blocked["overridden"]) == ("Blocked", False)
    assert (unknown["authorize"], unknown["overridden"]) == ("Invalid", False)
    assert len(calls) == 3  # called for refused tags too
    records = await asyncio.to_thread(
        sim.control, "GET", "/authorizations?chargeBoxId=CP-FOXTROT-06"
    )
    assert records[-3]["overrideBy"] == "hook" and records[-3]["steveStatus"] == "Accepted"


async def test_fail_open(sim):
    async def slow(body):
        await asyncio.sleep(2.0)
        return web.json_response({"override": "BLOCKED"})

    async def broken(body):
        return web.Response(status=500, text="boom")

    async def garbage(body):
        return web.Response(status=200, text="{not json", content_type="application/json")

    outcomes = []
    # (hook answer, budget): a generous budget where the hook must not time out.
    rounds = [
        (slow, 0.2, "CP-GOLF-07", "ACME-02"),
        (broken, 2.0, "CP-INDIA-09", "CARD-UNLINKED"),
        (garbage, 2.0, "CP-KILO-11", "CARD-INACTIVE"),
    ]
    for answer, budget, cb_id, id_tag in rounds:
        async with hook_server(answer) as (url, calls):
            await asyncio.to_thread(
                sim.control, "POST", "/hook", {"url": url, "key": KEY, "timeout": budget}
            )
            result = await _tap(sim, cb_id, id_tag, 1)
            assert calls, "the hook was not called"
        assert (result["authorize"], result["action"], result["startStatus"]) == (
            "Accepted",
            "started",
            "Accepted",
        )
        first = (await asyncio.to_thread(sim.control, "GET", f"/authorizations?idTag={id_tag}"))[0]
        outcomes.append(first["hook"])
    assert outcomes == ["timeout", "http_500", "bad_json"]


async def test_unreachable_hook_fails_open(sim):
    await asyncio.to_thread(
        sim.control, "POST", "/hook", {"url": "http://127.0.0.1:9/hook", "key": KEY}
    )
    result = await _tap(sim, "CP-GOLF-07", "ACME-02", 1)
    assert result["authorize"] == "Accepted"
    await asyncio.to_thread(sim.control, "POST", "/hook", {"url": None, "key": None})
    assert (await asyncio.to_thread(sim.control, "GET", "/hook"))["enabled"] is False


async def test_reset_returns_to_the_start_up_hook(sim):
    await asyncio.to_thread(
        sim.control, "POST", "/hook", {"url": "http://127.0.0.1:9/hook", "key": KEY}
    )
    await asyncio.to_thread(sim.reset)
    assert (await asyncio.to_thread(sim.control, "GET", "/hook"))["enabled"] is False
