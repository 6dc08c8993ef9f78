"""The demo seed of the local store (docs/demo-fleet.md).

The stand-in (``chargesim``) builds SteVe's and Lago's side of the demo
fleet; what only Polaris knows lives in its own store and is seeded here:

* card metadata (display name, tag type, active flag, Lago customer link)
  for every demo card, including ``CARD-NEW-0001`` that SteVe has never
  seen and ``CARD-INACTIVE`` marked inactive locally;
* the unmanaged charger ``LEGACY-GARAGE-99`` (local inventory only);
* the card runbook's scan-to-login case as history: a pairing armed on
  ``CP-FOXTROT-06`` by ``demo`` 12 minutes before now, expired 10 minutes
  before now, matched to ``CARD-KIOSK``, and its ``scan.intercepted`` event
  11 minutes before now, so triage can show it on the first demo start.

Seeding is idempotent: running it twice leaves the same rows. Children of
a meta-card carry no Lago link of their own (they inherit the parent's,
LAGO.md §3), which is exactly what the card screens must show.

The demo runs with the OS user as ``admin`` (``DEMO_OPERATOR_ROLE``): the
CLI sets that in the demo settings, so every demo action is possible.
"""

from __future__ import annotations

from datetime import timedelta

from polaris_tui.models import CardMeta, InventoryCharger, Role
from polaris_tui.store import Store

DEMO_OPERATOR_ROLE = Role.ADMIN
"""Role of the operator in demo mode (the CLI runs the demo with the OS user as admin)."""

DEMO_ACTOR = "demo"
"""Who armed the historical pairing."""

KIOSK_CHARGER = "CP-FOXTROT-06"
KIOSK_CARD = "CARD-KIOSK"

DEMO_CARD_META: tuple[CardMeta, ...] = (
    CardMeta(
        id_tag="CARD-HEALTHY",
        display_name="Ada's car",
        tag_type="RFID",
        lago_customer_id="cust-ada",
    ),
    CardMeta(
        id_tag="CARD-STUCK",
        display_name="Grace's car",
        tag_type="RFID",
        lago_customer_id="cust-grace",
    ),
    CardMeta(
        id_tag="CARD-BLOCKED",
        display_name="Ada's old card",
        tag_type="RFID",
        lago_customer_id="cust-ada",
    ),
    CardMeta(
        id_tag="CARD-EXPIRED",
        display_name="Grace's spare",
        tag_type="RFID",
        lago_customer_id="cust-grace",
    ),
    CardMeta(
        id_tag="FLEET-PARENT",
        display_name="Fleet (blocked)",
        tag_type="Meta",
        lago_customer_id="cust-acme",
    ),
    CardMeta(id_tag="FLEET-CHILD-1", display_name="Fleet van 1", tag_type="RFID"),
    CardMeta(id_tag="FLEET-CHILD-2", display_name="Fleet van 2", tag_type="RFID"),
    CardMeta(
        id_tag="ACME-META",
        display_name="ACME Logistics fleet",
        tag_type="Meta",
        lago_customer_id="cust-acme",
    ),
    CardMeta(id_tag="ACME-01", display_name="ACME truck 01", tag_type="RFID"),
    CardMeta(id_tag="ACME-02", display_name="ACME truck 02", tag_type="RFID"),
    CardMeta(id_tag="CARD-UNLINKED", display_name="Visitor card", tag_type="RFID"),
    CardMeta(
        id_tag="CARD-TERMINATED",
        display_name="Tom's card",
        tag_type="RFID",
        lago_customer_id="cust-tom",
    ),
    CardMeta(
        id_tag="CARD-UNSYNCED",
        display_name="Ada's work card",
        tag_type="RFID",
        lago_customer_id="cust-ada",
    ),
    CardMeta(
        id_tag="CARD-KIOSK", display_name="Kim's card", tag_type="RFID", lago_customer_id="cust-kim"
    ),
    CardMeta(
        id_tag="CARD-INACTIVE",
        display_name="Ada's retired card",
        tag_type="RFID",
        active=False,
        lago_customer_id="cust-ada",
    ),
    CardMeta(id_tag="CARD-NEW-0001", display_name="New card, unissued", tag_type="RFID"),
)
"""Local metadata of every demo card (docs/demo-fleet.md, "Cards")."""

DEMO_INVENTORY: tuple[InventoryCharger, ...] = (
    InventoryCharger(
        charge_box_id="LEGACY-GARAGE-99", description="Old garage AC post", managed=False
    ),
)
"""Chargers only Polaris knows (not in SteVe)."""


async def seed_demo_store(store: Store) -> None:
    """Write the demo's local rows into ``store`` (idempotent).

    Times are relative to the store's clock, so a frozen demo clock gives the
    same history every time.
    """
    for meta in DEMO_CARD_META:
        await store.upsert_card_meta(meta)
    for charger in DEMO_INVENTORY:
        await store.add_inventory(charger)
    await _seed_kiosk_intercept(store)


async def _seed_kiosk_intercept(store: Store) -> None:
    """The runbook's intercepted tap at the kiosk, as history (once)."""
    history = await store.pairings(KIOSK_CHARGER, include_inactive=True)
    if any(p.armed_by == DEMO_ACTOR and p.matched_id_tag == KIOSK_CARD for p in history):
        return
    now = store.clock.now()
    armed_at = now - timedelta(minutes=12)
    tapped_at = now - timedelta(minutes=11)
    pairing = await store.insert_pairing(
        KIOSK_CHARGER,
        armed_by=DEMO_ACTOR,
        armed_at=armed_at,
        expires_at=now - timedelta(minutes=10),
    )
    await store.update_pairing(pairing.id, matched_id_tag=KIOSK_CARD, matched_at=tapped_at)
    await store.insert_scan_event(
        charge_box_id=KIOSK_CHARGER,
        id_tag=KIOSK_CARD,
        connector_id=1,
        pairing_id=pairing.id,
        occurred_at=tapped_at,
    )
