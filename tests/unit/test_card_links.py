"""One rule for card links, used by fleet rows, fleet search and the card page.

A card bills to its own Lago customer, else to its nearest ancestor's. The
fleet once followed 8 parents and triage 64: with a 10-deep chain the card
page found the customer and fleet search and rows did not.
"""

from __future__ import annotations

from polaris_tui.models import CardMeta, OcppTag
from polaris_tui.services.card_links import MAX_CHAIN, customer_id_of, resolve_link
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.fleet import FleetService
from polaris_tui.services.fleet_rules import FleetData, build_rows
from polaris_tui.services.poller import LivePoller
from polaris_tui.services.settings import PollSettings, Settings
from tests.unit.test_fleet_fakes import NOW, FakeLago, FakeSteve, FakeStore, demo_data, tag

DEPTH = 10


def deep_chain() -> tuple[list[OcppTag], dict[str, CardMeta]]:
    """ACME-01 (on JULIET's open session) under 10 ancestors; only the top one is linked."""
    chargers, active, tags, customers, card_meta, inventory = demo_data()
    others = [t for t in tags if t.id_tag not in ("ACME-01", "ACME-META")]
    chain = [
        tag(f"ACME-L{i}", 100 + i, parent=f"ACME-L{i + 1}" if i < DEPTH else None)
        for i in range(1, DEPTH + 1)
    ]
    tags = [*others, tag("ACME-01", 4, parent="ACME-L1"), *chain]
    meta = {k: v for k, v in card_meta.items() if k != "ACME-META"}
    meta[f"ACME-L{DEPTH}"] = CardMeta(id_tag=f"ACME-L{DEPTH}", lago_customer_id="cust-acme")
    return tags, meta


def test_the_rule_follows_a_ten_deep_chain() -> None:
    tags, meta = deep_chain()
    by_id = {t.id_tag: t for t in tags}
    link = resolve_link("ACME-01", by_id["ACME-01"], by_id, meta)
    assert link.customer_id == "cust-acme" and link.from_id_tag == f"ACME-L{DEPTH}"
    assert link.inherited
    assert customer_id_of("ACME-01", meta, by_id) == "cust-acme"


def test_a_cycle_or_an_endless_chain_ends_unlinked() -> None:
    loop = {"A": tag("A", 1, parent="B"), "B": tag("B", 2, parent="A")}
    assert customer_id_of("A", {}, loop) is None
    endless = {f"T{i}": tag(f"T{i}", i, parent=f"T{i + 1}") for i in range(MAX_CHAIN + 5)}
    top = {f"T{MAX_CHAIN + 4}": CardMeta(id_tag=f"T{MAX_CHAIN + 4}", lago_customer_id="far")}
    assert customer_id_of("T0", top, endless) is None  # cut: past the longest chain walked


def test_fleet_rows_find_the_customer_of_a_ten_deep_chain() -> None:
    chargers, active, _tags, customers, _meta, inventory = demo_data()
    tags, meta = deep_chain()
    data = FleetData(
        chargers=chargers,
        active_transactions=active,
        tags=tags,
        customers=customers,
        card_meta=meta,
        inventory=inventory,
    )
    rows = {r.charge_box_id: r for r in build_rows(data, NOW, PollSettings())}
    session = rows["CP-JULIET-10"].open_session
    assert session is not None and session.customer is not None
    assert session.customer.external_id == "cust-acme"


async def test_fleet_search_finds_the_customer_of_a_ten_deep_chain() -> None:
    chargers, active, _tags, customers, _meta, inventory = demo_data()
    tags, meta = deep_chain()
    steve = FakeSteve(chargers=chargers, active=active, tags=tags)
    store = FakeStore(meta, inventory)
    clock = FixedClock(NOW)
    settings = Settings()
    poller = LivePoller(steve, FakeLago(customers), store, clock, settings, lambda _e: None)
    await poller.refresh_now()
    fleet = FleetService(poller, store, steve, clock, settings)
    assert [r.charge_box_id for r in fleet.search("fleet@acme")] == ["CP-JULIET-10"]
