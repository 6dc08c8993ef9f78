"""LagoClient over real HTTP against the stand-in's Lago (demo customers and events)."""

from __future__ import annotations

import pytest

from polaris_tui.models.errors import LagoAuthError, LagoError, LagoMalformed
from polaris_tui.services.lago_client import LagoClient
from polaris_tui.services.settings import LagoSettings, SteveSettings
from polaris_tui.services.steve_client import SteveClient


def lago_for(sim, key=None, **kw) -> LagoClient:
    return LagoClient(
        LagoSettings(url=sim.lago_url, api_key=key or sim.lago_key, **kw), retry_delays=(0, 0)
    )


@pytest.fixture
async def lago(sim):
    client = lago_for(sim)
    yield client
    await client.close()


async def test_customers_and_one_customer(lago):
    everyone = {c.external_id: c for c in await lago.customers()}
    assert {"cust-ada", "cust-grace", "cust-acme", "cust-tom", "cust-kim"} <= set(everyone)
    ada = await lago.customer("cust-ada")
    assert ada.email == "ada@example.com" and ada.display_name == "Ada Lovelace"
    assert await lago.customer("cust-nobody") is None


async def test_subscriptions_include_terminated(lago):
    tom = await lago.subscriptions("cust-tom")
    assert [(s.external_id, s.status) for s in tom] == [("sub-tom", "terminated")]
    ada = await lago.subscriptions("cust-ada")
    assert any(s.external_id == "sub-ada" and s.status == "active" for s in ada)


async def test_final_event_of_a_synced_session(sim, lago):
    steve = SteveClient(
        SteveSettings(url=sim.steve_url, api_password=sim.steve_password), retry_delays=()
    )
    stopped = await steve.list_transactions(type="STOPPED", id_tags=["CARD-HEALTHY"])
    unsynced = await steve.list_transactions(type="STOPPED", id_tags=["CARD-UNSYNCED"])
    await steve.close()
    assert stopped and unsynced
    event = await lago.event(f"steve_tx_{stopped[0].id}_final")
    assert event is not None and event.external_subscription_id == "sub-ada"
    assert float(event.properties["kwh"]) > 0
    assert await lago.event(f"steve_tx_{unsynced[0].id}_final") is None  # never synced


async def test_wrong_key(sim):
    client = lago_for(sim, key="wrong-lago-key")
    with pytest.raises(LagoAuthError) as err:
        await client.customers()
    await client.close()
    assert "wrong-lago-key" not in str(err.value)


async def test_lago_failures(sim, lago):
    sim.fault("lago_5xx")
    with pytest.raises(LagoError) as err:
        await lago.customers()
    assert err.value.title == "Lago failed to answer"
    sim.clear_fault()
    sim.fault("lago_malformed")
    with pytest.raises(LagoMalformed):
        await lago.customer("cust-ada")
