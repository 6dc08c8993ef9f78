"""The demo seed: the local half of docs/demo-fleet.md, written idempotently."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from polaris_tui.demo import DEMO_OPERATOR_ROLE, seed_demo_store
from polaris_tui.models import Role
from polaris_tui.services.clock import FixedClock
from polaris_tui.store import Store

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

DEMO_CARDS = {
    "CARD-HEALTHY": "cust-ada",
    "CARD-STUCK": "cust-grace",
    "CARD-BLOCKED": "cust-ada",
    "CARD-EXPIRED": "cust-grace",
    "FLEET-PARENT": "cust-acme",
    "FLEET-CHILD-1": None,  # inherits cust-acme through its parent
    "FLEET-CHILD-2": None,
    "ACME-META": "cust-acme",
    "ACME-01": None,
    "ACME-02": None,
    "CARD-UNLINKED": None,
    "CARD-TERMINATED": "cust-tom",
    "CARD-UNSYNCED": "cust-ada",
    "CARD-KIOSK": "cust-kim",
    "CARD-INACTIVE": "cust-ada",
    "CARD-NEW-0001": None,
}


@pytest.fixture
async def store(store_url: str):
    s = await Store.open(store_url, clock=FixedClock(NOW))
    try:
        yield s
    finally:
        await s.close()


async def test_seed_writes_every_demo_card(store: Store):
    await seed_demo_store(store)
    meta = await store.card_meta_all()
    assert {tag: m.lago_customer_id for tag, m in meta.items()} == DEMO_CARDS
    assert meta["CARD-INACTIVE"].active is False
    assert all(m.active for tag, m in meta.items() if tag != "CARD-INACTIVE")
    assert (meta["CARD-NEW-0001"].tag_type, meta["CARD-NEW-0001"].display_name) == (
        "RFID",
        "New card, unissued",
    )


async def test_seed_adds_the_unmanaged_legacy_charger(store: Store):
    await seed_demo_store(store)
    (legacy,) = await store.inventory()
    assert legacy.charge_box_id == "LEGACY-GARAGE-99" and legacy.managed is False
    assert legacy.description == "Old garage AC post"


async def test_seed_holds_the_kiosk_intercept_as_history(store: Store):
    await seed_demo_store(store)
    assert await store.pairings("CP-FOXTROT-06") == []  # expired: nothing armed now
    (pairing,) = await store.pairings("CP-FOXTROT-06", include_inactive=True)
    assert pairing.armed_by == "demo"
    assert pairing.armed_at == NOW - timedelta(minutes=12)
    assert pairing.expires_at == NOW - timedelta(minutes=10)
    assert pairing.matched_id_tag == "CARD-KIOSK"
    (event,) = await store.scan_events(id_tag="CARD-KIOSK")
    assert (event.kind, event.charge_box_id, event.connector_id) == (
        "scan.intercepted",
        "CP-FOXTROT-06",
        1,
    )
    assert event.occurred_at == NOW - timedelta(minutes=11) and event.pairing_id == pairing.id


async def test_seed_is_idempotent(store: Store):
    await seed_demo_store(store)
    first = (
        await store.card_meta_all(),
        await store.inventory(),
        await store.pairings(include_inactive=True),
        await store.scan_events(),
    )
    await seed_demo_store(store)
    second = (
        await store.card_meta_all(),
        await store.inventory(),
        await store.pairings(include_inactive=True),
        await store.scan_events(),
    )
    assert first == second


def test_demo_operator_is_admin():
    assert DEMO_OPERATOR_ROLE == Role.ADMIN
