"""CardService reading side: the card list, the card view and its verdict,
and how both degrade when SteVe or Lago is down (fakes + a real store)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from polaris_tui.models import ConnectionState, Operator, Role, SourceName
from polaris_tui.services.cards import CardService
from polaris_tui.store import Store
from tests.fakes.steve import FakeSteve
from tests.unit.test_cards_fakes import (
    NOW,
    FakePoller,
    demo_lago,
    demo_meta,
    demo_tags,
    demo_transactions,
)

SNAPSHOT_AT = NOW - timedelta(minutes=7)


@pytest.fixture
async def store(store_url, clock):
    s = await Store.open(store_url, clock=clock)
    for meta in demo_meta():
        await s.upsert_card_meta(meta)
    yield s
    await s.close()


@pytest.fixture
def steve(clock):
    return FakeSteve(clock=clock, tags=demo_tags(), transactions=demo_transactions())


@pytest.fixture
def lago():
    return demo_lago()


@pytest.fixture
def poller():
    return FakePoller(demo_tags(), SNAPSHOT_AT)


@pytest.fixture
def cards(steve, lago, store, poller, clock):
    return CardService(
        steve, lago, store, poller, clock, None, Operator(name="vic", role=Role.VIEWER)
    )


class TestCardList:
    async def test_join_and_flags(self, cards):
        rows = {r.id_tag: r for r in await cards.cards()}
        healthy = rows["CARD-HEALTHY"]
        assert (healthy.display_name, healthy.tag_type, healthy.linked, healthy.in_steve) == (
            "Ada Lovelace",
            "RFID",
            True,
            True,
        )
        assert rows["CARD-BLOCKED"].blocked and rows["CARD-EXPIRED"].expired
        assert rows["FLEET-PARENT"].is_meta and rows["ACME-META"].is_meta
        assert not rows["FLEET-CHILD-1"].is_meta
        assert rows["CARD-UNLINKED"].linked is False
        assert rows["CARD-INACTIVE"].active is False

    async def test_children_inherit_link(self, cards):
        rows = {r.id_tag: r for r in await cards.cards()}
        child = rows["ACME-01"]
        assert (child.linked, child.lago_customer_id, child.link_from_id_tag) == (
            True,
            "cust-acme",
            "ACME-META",
        )
        assert child.in_transaction

    async def test_local_only_card_listed(self, cards):
        rows = {r.id_tag: r for r in await cards.cards()}
        new = rows["CARD-NEW-0001"]
        assert (new.in_steve, new.display_name, new.tag_type) == (
            False,
            "New card, unissued",
            "RFID",
        )

    async def test_sorted_and_searchable(self, cards):
        ids = [r.id_tag for r in await cards.cards()]
        assert ids == sorted(ids)
        assert [r.id_tag for r in await cards.cards("acme")] == ["ACME-01", "ACME-02", "ACME-META"]
        assert [r.id_tag for r in await cards.cards("unissued")] == ["CARD-NEW-0001"]
        assert [r.id_tag for r in await cards.cards("ada lov")] == ["CARD-HEALTHY"]

    async def test_snapshot_when_steve_down(self, cards, steve):
        steve.down = True
        rows = await cards.cards()
        assert "CARD-HEALTHY" in {r.id_tag for r in rows}


class TestCardView:
    async def test_healthy_card(self, cards):
        view = await cards.card("CARD-HEALTHY")
        assert view.tag.ocpp_tag_pk == 1 and view.meta.display_name == "Ada Lovelace"
        assert (view.is_meta, view.parents, view.children) == (False, [], [])
        assert view.customer.email == "ada@example.com"
        assert [s.external_id for s in view.subscriptions] == ["sub-ada"]
        assert (view.steve_state.state, view.lago_state.state) == (
            ConnectionState.LIVE,
            ConnectionState.LIVE,
        )
        assert view.data_as_of == NOW
        assert [a.answer for a in view.verdict.answers()] == ["yes", "yes", "no", "yes"]

    async def test_recent_sessions_with_sync_state(self, cards):
        view = await cards.card("CARD-HEALTHY")
        assert [r.transaction.id for r in view.recent] == [1003, 1002, 1001]
        running, unsynced, synced = view.recent
        assert (running.sync_state, running.duration_seconds) == ("not_synced", None)
        assert (unsynced.sync_state, unsynced.last_synced) == ("not_synced", None)
        assert unsynced.energy_kwh == pytest.approx(2.0)
        assert unsynced.duration_seconds == 3600
        assert synced.sync_state == "synced"
        assert synced.last_synced == NOW - timedelta(hours=19)
        assert synced.energy_kwh == pytest.approx(5.1)

    async def test_last_ten_only_newest_first(self, cards):
        view = await cards.card("ACME-02")
        assert [r.transaction.id for r in view.recent] == list(range(2013, 2003, -1))

    async def test_meta_card_lists_children(self, cards):
        view = await cards.card("FLEET-PARENT")
        assert view.is_meta
        assert [(c.id_tag, c.blocked) for c in view.children] == [
            ("FLEET-CHILD-1", False),
            ("FLEET-CHILD-2", False),
        ]
        assert view.verdict.valid_in_steve.answer == "no"

    async def test_child_of_blocked_parent(self, cards):
        view = await cards.card("FLEET-CHILD-1")
        assert [(p.id_tag, p.blocked, p.is_cause, p.display_name) for p in view.parents] == [
            ("FLEET-PARENT", True, True, "Fleet parent")
        ]
        assert view.verdict.valid_in_steve.answer == "no"
        assert view.link_from_id_tag == "FLEET-PARENT"
        assert view.customer.external_id == "cust-acme"
        assert view.verdict.linked_with_active_subscription.answer == "yes"

    async def test_unknown_to_steve(self, cards):
        view = await cards.card("CARD-NEW-0001")
        assert view.tag is None and view.meta.tag_type == "RFID"
        assert view.verdict.valid_in_steve.answer == "no"
        assert view.recent == [] and view.recent_available

    async def test_terminated_and_inactive(self, cards):
        assert (
            await cards.card("CARD-TERMINATED")
        ).verdict.linked_with_active_subscription.answer == "no"
        assert (
            await cards.card("CARD-INACTIVE")
        ).verdict.linked_with_active_subscription.answer == "no"

    async def test_kiosk_intercept_from_store(self, cards, store):
        pairing = await store.insert_pairing(
            "CP-FOXTROT-06",
            armed_by="demo",
            armed_at=NOW - timedelta(minutes=12),
            expires_at=NOW - timedelta(minutes=10),
        )
        await store.insert_scan_event(
            charge_box_id="CP-FOXTROT-06",
            id_tag="CARD-KIOSK",
            connector_id=1,
            pairing_id=pairing.id,
            occurred_at=NOW - timedelta(minutes=11),
        )
        view = await cards.card("CARD-KIOSK")
        assert [e.charge_box_id for e in view.intercepts] == ["CP-FOXTROT-06"]
        verdict = view.verdict
        assert verdict.intercepted_by_scan_login.answer == "yes"
        assert verdict.charger_accepted.answer == "no"
        assert verdict.valid_in_steve.answer == "yes"

    async def test_tap_time_moves_the_window(self, cards):
        view = await cards.card("CARD-HEALTHY", tap_at=NOW - timedelta(hours=5))
        assert view.verdict.charger_accepted.answer == "yes"
        assert "session 1002" in view.verdict.charger_accepted.evidence[0]


class TestOutages:
    async def test_steve_known_down_uses_snapshot_without_calling(self, cards, steve, poller):
        poller.states[SourceName.STEVE].state = ConnectionState.UNREACHABLE
        view = await cards.card("CARD-HEALTHY")
        assert steve.calls == []
        assert view.steve_state.state == ConnectionState.UNREACHABLE
        assert view.steve_state.from_snapshot
        assert view.data_as_of == SNAPSHOT_AT
        assert view.tag.id_tag == "CARD-HEALTHY"
        assert (view.recent, view.recent_available) == ([], False)
        assert "recent sessions cannot be fetched" in view.recent_note
        answer = view.verdict.valid_in_steve
        assert answer.answer == "yes" and "snapshot" in answer.evidence[0]
        assert view.verdict.charger_accepted.answer == "unknown"

    async def test_steve_fails_now_falls_back(self, cards, steve):
        steve.down = True
        view = await cards.card("FLEET-CHILD-1")
        assert view.steve_state.state == ConnectionState.UNREACHABLE
        assert view.steve_state.error_title == "SteVe is unreachable"
        assert view.data_as_of == SNAPSHOT_AT
        assert view.parents[0].is_cause  # hierarchy still from the snapshot
        assert not view.recent_available

    async def test_no_snapshot_at_all(self, cards, steve, poller):
        steve.down = True
        poller._tags, poller.tags_fetched_at, poller.fetched_at = [], None, None
        view = await cards.card("CARD-HEALTHY")
        assert view.tag is None
        assert view.verdict.valid_in_steve.answer == "unknown"

    async def test_lago_down(self, cards, lago):
        lago.down = True
        view = await cards.card("CARD-HEALTHY")
        assert view.lago_state.state == ConnectionState.UNREACHABLE
        assert view.customer is None
        assert view.verdict.linked_with_active_subscription.answer == "unknown"
        assert {r.sync_state for r in view.recent if not r.transaction.active} == {"unknown"}
        assert view.verdict.valid_in_steve.answer == "yes"  # SteVe answers do not depend on Lago

    async def test_lago_not_configured(self, cards, lago):
        lago.configured = False
        view = await cards.card("CARD-HEALTHY")
        assert lago.calls == []
        assert view.verdict.linked_with_active_subscription.answer == "unknown"
        assert {r.sync_state for r in view.recent if not r.transaction.active} == {"unknown"}

    async def test_store_scan_events_unreadable(self, cards, store, monkeypatch):
        from polaris_tui.models.errors import StoreError

        async def broken(**_kw):
            raise StoreError("disk I/O error")

        monkeypatch.setattr(store, "scan_events", broken)
        view = await cards.card("CARD-KIOSK")
        assert view.verdict.intercepted_by_scan_login.answer == "unknown"
        assert "disk I/O error" in view.verdict.intercepted_by_scan_login.evidence[0]


async def test_audit_log_filter(cards, store):
    await store.insert_audit(
        actor="ada", action="rename", id_tag="CARD-HEALTHY", before={}, after={}
    )
    await store.insert_audit(actor="ada", action="rename", id_tag="ACME-01", before={}, after={})
    assert [e.id_tag for e in await cards.audit_log(id_tag="ACME-01")] == ["ACME-01"]
    assert len(await cards.audit_log()) == 2
    assert len(await cards.audit_log(limit=1)) == 1
