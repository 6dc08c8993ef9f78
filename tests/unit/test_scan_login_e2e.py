"""The scan-to-login demo flow end to end, over real HTTP through the stand-in.

Arm a pairing on CP-FOXTROT-06 from the console's services, point the
stand-in's SteVe at Polaris' hook, tap CARD-KIOSK there through the stand-in's
control endpoint, and see: the stand-in's authorize record says Blocked by the
hook, the store holds the ``scan.intercepted`` event, and the card's triage
verdict says intercepted. Then the retry and second-card cases, and fail-open
when the signature is wrong.

The stand-in runs in its own thread and loop; its control calls are blocking,
so they run in a worker thread (the hook answers from this test's loop).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from polaris_tui.demo import DEMO_CARD_META
from polaris_tui.models import Role
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from polaris_tui.services.hook_server import start_hook_server
from polaris_tui.services.settings import Settings
from tests.conftest import FROZEN_NOW
from tests.unit.helpers import sim_settings_for

KEY = "demo-hook-key"
KIOSK = "CP-FOXTROT-06"


def settings_for(sim, tmp_path: Path) -> Settings:
    return sim_settings_for(
        sim,
        tmp_path,
        operator={"name": "ada", "admins": ["ada"]},
        hook={"host": "127.0.0.1", "port": 0, "hmac_key": KEY},
    )


@pytest.fixture
async def services(sim, tmp_path):
    services = await PolarisServices.open(settings_for(sim, tmp_path), clock=FixedClock(FROZEN_NOW))
    try:
        assert services.operator.role == Role.ADMIN
        for meta in DEMO_CARD_META:
            await services.store.upsert_card_meta(meta)
        yield services
    finally:
        await services.close()


@pytest.fixture
async def hook(services, sim):
    handle = await start_hook_server(services.scan, services.settings.hook.hmac_key, "127.0.0.1", 0)
    # a generous timeout: the point here is the flow; latency is bench/hook_latency.py
    await control(sim, "POST", "/hook", {"url": handle.url, "key": KEY, "timeout": 2.0})
    await control(sim, "POST", "/authorizations/clear")  # the demo's own history
    try:
        yield handle
    finally:
        await control(sim, "POST", "/hook", {"url": None, "key": None})
        await handle.stop()


async def control(sim, method: str, path: str, body=None):
    return await asyncio.to_thread(sim.control, method, path, body)


async def tap(sim, id_tag: str, charge_box_id: str = KIOSK) -> dict:
    return await control(
        sim, "POST", "/chargers/tap", {"chargeBoxId": charge_box_id, "idTag": id_tag}
    )


async def authorizations(sim, id_tag: str) -> list[dict]:
    """The stand-in's Authorize decisions for this card (not the StartTransaction ones)."""
    records = await control(sim, "GET", f"/authorizations?idTag={id_tag}")
    return [r for r in records if not r["isStartTx"]]


async def test_demo_flow_into_the_verdict(sim, services, hook):
    pairing = await services.scan.arm(KIOSK, minutes=2)

    result = await tap(sim, "CARD-KIOSK")
    assert (result["authorize"], result["action"], result["transactionId"]) == (
        "Blocked",
        "none",
        None,
    )
    [record] = await authorizations(sim, "CARD-KIOSK")
    assert (
        record["chargeBoxId"],
        record["status"],
        record["steveStatus"],
        record["overrideBy"],
    ) == (KIOSK, "Blocked", "Accepted", "hook")

    [event] = await services.scan.intercepts(charge_box_id=KIOSK)
    assert (event.kind, event.id_tag, event.pairing_id, event.occurred_at) == (
        "scan.intercepted",
        "CARD-KIOSK",
        pairing.id,
        FROZEN_NOW,
    )
    assert event.connector_id == result["connectorId"]
    assert await services.scan.pairings(KIOSK) == []  # consumed: one tap only

    view = await services.cards.card("CARD-KIOSK")
    verdict = view.verdict
    assert verdict.intercepted_by_scan_login.answer == "yes"
    assert KIOSK in verdict.intercepted_by_scan_login.summary
    assert verdict.charger_accepted.answer == "no"
    assert verdict.valid_in_steve.answer == "yes"
    assert verdict.linked_with_active_subscription.answer == "yes"
    assert [e.id for e in view.intercepts] == [event.id]


async def test_retry_blocked_again_second_card_charges(sim, services, hook):
    await services.scan.arm(KIOSK, minutes=2)
    assert (await tap(sim, "CARD-KIOSK"))["authorize"] == "Blocked"
    assert (await tap(sim, "CARD-KIOSK"))["authorize"] == "Blocked"  # the retry
    assert len(await services.scan.intercepts(id_tag="CARD-KIOSK")) == 1

    second = await tap(sim, "CARD-UNLINKED")
    assert (second["authorize"], second["action"]) == ("Accepted", "started")
    assert await services.scan.intercepts(id_tag="CARD-UNLINKED") == []
    view = await services.cards.card("CARD-UNLINKED")
    assert view.verdict.charger_accepted.answer == "yes"
    assert view.verdict.intercepted_by_scan_login.answer == "no"


async def test_no_pairing_no_override(sim, services, hook):
    result = await tap(sim, "CARD-KIOSK")
    assert result["authorize"] == "Accepted"
    [record] = await authorizations(sim, "CARD-KIOSK")
    assert record["hook"] == "allow"


async def test_wrong_key_fails_open_and_records_nothing(sim, services, hook):
    await services.scan.arm(KIOSK, minutes=2)
    await control(sim, "POST", "/hook", {"url": hook.url, "key": "not-the-key", "timeout": 2.0})
    result = await tap(sim, "CARD-KIOSK")
    assert result["authorize"] == "Accepted"
    [record] = await authorizations(sim, "CARD-KIOSK")
    assert record["hook"] == "http_401"
    assert await services.scan.intercepts() == []
    assert len(await services.scan.pairings(KIOSK)) == 1  # still armed


async def test_cancelled_pairing_lets_the_tap_through(sim, services, hook):
    pairing = await services.scan.arm(KIOSK, minutes=2)
    await services.scan.cancel(pairing.id)
    assert (await tap(sim, "CARD-KIOSK"))["authorize"] == "Accepted"
    assert await services.scan.intercepts() == []
