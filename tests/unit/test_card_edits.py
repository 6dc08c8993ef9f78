"""Audited card edits and reverts (fake SteVe with SteVe's PUT rules, real store).

What must hold: admin only; the audit row is committed before SteVe is
called; the PUT carries every field; the result is recorded; a revert
restores exactly what the edit changed, is audited itself, and happens once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from polaris_tui.models import CardChanged, CardEdit, CardEditKind, CardMeta, Operator, Role
from polaris_tui.models.errors import InvalidParams, NotFound, PermissionDenied, SteveUnreachable
from polaris_tui.services.cards import CardService, RevertRefused
from polaris_tui.store import Store
from tests.fakes.steve import FakeSteve
from tests.unit.test_cards_fakes import NOW, FakePoller, demo_lago, demo_meta, demo_tags

ADMIN = Operator(name="ada", role=Role.ADMIN)


@pytest.fixture
async def store(store_url, clock):
    s = await Store.open(store_url, clock=clock)
    for meta in demo_meta():
        await s.upsert_card_meta(meta)
    yield s
    await s.close()


@pytest.fixture
def steve(clock):
    return FakeSteve(clock=clock, tags=demo_tags())


@pytest.fixture
def lago():
    return demo_lago()


@pytest.fixture
def published():
    return []


@pytest.fixture
def cards(steve, lago, store, clock, published):
    return CardService(
        steve, lago, store, FakePoller(demo_tags(), NOW), clock, None, ADMIN, published.append
    )


def edit(kind, value=None) -> CardEdit:
    return CardEdit(kind=CardEditKind(kind), value=value)


def puts(steve):
    return [form for name, form in steve.calls if name == "update_tag"]


async def snapshot(steve, store):
    """Everything an edit may touch, for exact before/after comparisons."""
    return (
        {t.ocpp_tag_pk: t.model_dump() for t in steve.tags.values()},
        {k: v.model_dump() for k, v in (await store.card_meta_all()).items()},
    )


class TestRoles:
    async def test_viewer_cannot_edit_nor_revert(self, steve, lago, store, clock):
        viewer = CardService(
            steve, lago, store, FakePoller([], None), clock, None, Operator(name="vic")
        )
        with pytest.raises(PermissionDenied):
            await viewer.edit("CARD-HEALTHY", edit("block"))
        with pytest.raises(PermissionDenied):
            await viewer.revert(1)
        assert await store.audit_entries() == []
        assert steve.calls == []


class TestSteveEdits:
    async def test_block_is_audited_first_and_puts_every_field(
        self, cards, steve, store, store_url, clock
    ):
        seen = {}

        async def check_committed(pk, form):
            other = await Store.open(store_url, clock=clock)  # a separate connection
            try:
                seen["rows"] = await other.audit_entries(id_tag="CARD-HEALTHY")
            finally:
                await other.close()

        steve.on_put = check_committed
        entry = await cards.edit("CARD-HEALTHY", edit("block"))
        [pending] = seen["rows"]
        assert (pending.status, pending.action, pending.actor) == ("pending", "block", "ada")
        assert (pending.before, pending.after) == (
            {"max_active_transaction_count": 1},
            {"max_active_transaction_count": 0},
        )
        [form] = puts(steve)
        assert form["maxActiveTransactionCount"] == 0
        assert form["note"] == "Ada's spare"
        assert form["expiryDate"] == NOW + timedelta(days=300)
        assert form["parentIdTag"] is None and form["idTag"] == "CARD-HEALTHY"
        assert entry.status == "applied" and entry.error is None
        tag = steve.tag("CARD-HEALTHY")
        assert (tag.blocked, tag.note, tag.expiry_date) == (
            True,
            "Ada's spare",
            NOW + timedelta(days=300),
        )

    async def test_published(self, cards, published):
        entry = await cards.edit("CARD-HEALTHY", edit("block"))
        assert published == [CardChanged(id_tag="CARD-HEALTHY", audit=entry)]

    async def test_unblock_restores_previous_limit(self, cards, steve):
        await cards.edit("ACME-META", edit("block"))
        assert steve.tag("ACME-META").max_active_transaction_count == 0
        entry = await cards.edit("ACME-META", edit("unblock"))
        assert entry.after == {"max_active_transaction_count": -1}
        assert steve.tag("ACME-META").max_active_transaction_count == -1

    async def test_unblock_without_history_is_one(self, cards, steve):
        entry = await cards.edit("CARD-BLOCKED", edit("unblock"))
        assert (entry.before, entry.after) == (
            {"max_active_transaction_count": 0},
            {"max_active_transaction_count": 1},
        )

    async def test_no_op_refused(self, cards, store):
        with pytest.raises(InvalidParams):
            await cards.edit("CARD-BLOCKED", edit("block"))
        with pytest.raises(InvalidParams):
            await cards.edit("CARD-HEALTHY", edit("unblock"))
        with pytest.raises(InvalidParams):
            await cards.edit("ACME-01", edit("set_parent", "ACME-META"))
        assert await store.audit_entries() == []

    async def test_set_parent_checks(self, cards, store):
        for bad in ("CARD-HEALTHY", "NO-SUCH-CARD", "bad id!", "x" * 21):
            with pytest.raises(InvalidParams):
                await cards.edit("CARD-HEALTHY", edit("set_parent", bad))
        with pytest.raises(InvalidParams) as info:  # ACME-META -> ACME-01 -> ACME-META
            await cards.edit("ACME-META", edit("set_parent", "ACME-01"))
        assert "loop" in info.value.field_errors["value"]
        assert await store.audit_entries() == []

    async def test_set_and_clear_parent(self, cards, steve):
        entry = await cards.edit("CARD-HEALTHY", edit("set_parent", "ACME-META"))
        assert entry.status == "applied"
        assert steve.tag("CARD-HEALTHY").parent_id_tag == "ACME-META"
        assert steve.tag("CARD-HEALTHY").note == "Ada's spare"
        await cards.edit("CARD-HEALTHY", edit("set_parent", None))
        assert steve.tag("CARD-HEALTHY").parent_id_tag is None

    async def test_set_expiry(self, cards, steve):
        when = NOW + timedelta(days=30, microseconds=123456)
        entry = await cards.edit("CARD-HEALTHY", edit("set_expiry", when))
        assert entry.after == {"expiry_date": (NOW + timedelta(days=30)).isoformat()}
        assert steve.tag("CARD-HEALTHY").expiry_date == NOW + timedelta(days=30)
        await cards.edit("CARD-HEALTHY", edit("set_expiry", None))
        assert steve.tag("CARD-HEALTHY").expiry_date is None
        assert "expiryDate" not in puts(steve)[-1]

    @pytest.mark.parametrize("value", [NOW, NOW - timedelta(days=1), "not a date", 5])
    async def test_bad_expiry_refused(self, cards, value, store):
        with pytest.raises(InvalidParams):
            await cards.edit("CARD-HEALTHY", edit("set_expiry", value))
        assert await store.audit_entries() == []

    async def test_renew_expired_card(self, cards, steve):
        entry = await cards.edit("CARD-EXPIRED", edit("set_expiry", "2027-01-01T00:00:00Z"))
        assert entry.status == "applied"
        assert not steve.tag("CARD-EXPIRED").is_expired(NOW)

    @pytest.mark.parametrize(
        "kind,value", [("block", None), ("set_parent", "ACME-META"), ("set_expiry", None)]
    )
    async def test_expired_card_only_takes_a_new_expiry(self, cards, steve, store, kind, value):
        if kind == "set_expiry":  # clearing the expiry is explicit: allowed
            entry = await cards.edit("CARD-EXPIRED", edit(kind, value))
            assert entry.status == "applied" and steve.tag("CARD-EXPIRED").expiry_date is None
            return
        with pytest.raises(InvalidParams) as info:
            await cards.edit("CARD-EXPIRED", edit(kind, value))
        assert "valid again" in info.value.field_errors["expiry_date"]
        assert puts(steve) == [] and await store.audit_entries() == []

    async def test_revert_needing_a_past_expiry_refused(self, cards, steve):
        entry = await cards.edit("CARD-EXPIRED", edit("set_expiry", NOW + timedelta(days=10)))
        with pytest.raises(RevertRefused) as info:
            await cards.revert(entry.id)
        assert "cannot be reverted exactly" in info.value.message
        assert not steve.tag("CARD-EXPIRED").is_expired(NOW)

    async def test_card_that_expired_since_the_edit_cannot_be_reverted_blindly(
        self, cards, steve, clock
    ):
        await cards.edit("CARD-HEALTHY", edit("set_expiry", NOW + timedelta(days=1)))
        entry = await cards.edit("CARD-HEALTHY", edit("block"))
        clock.advance(2 * 86400)
        with pytest.raises(RevertRefused):  # unblocking would clear the now-past expiry
            await cards.revert(entry.id)
        assert steve.tag("CARD-HEALTHY").blocked

    async def test_unknown_card_not_found(self, cards, store):
        with pytest.raises(NotFound):
            await cards.edit("CARD-NEW-0001", edit("block"))
        assert await store.audit_entries() == []

    async def test_steve_down_before_edit_writes_nothing(self, cards, steve, store):
        steve.down = True
        with pytest.raises(SteveUnreachable):
            await cards.edit("CARD-HEALTHY", edit("block"))
        assert await store.audit_entries() == []

    async def test_put_failure_recorded(self, cards, steve, store):
        steve.put_fails = True
        entry = await cards.edit("CARD-HEALTHY", edit("block"))
        assert entry.status == "failed"
        assert "Internal Server Error" in entry.error
        assert (await store.get_audit(entry.id)).status == "failed"
        assert not steve.tag("CARD-HEALTHY").blocked


class TestLocalEdits:
    async def test_rename_type_active(self, cards, store):
        await cards.edit("CARD-HEALTHY", edit("rename", "  Ada (spare)  "))
        await cards.edit("CARD-HEALTHY", edit("set_type", "Fleet"))
        await cards.edit("CARD-HEALTHY", edit("set_active", False))
        meta = await store.get_card_meta("CARD-HEALTHY")
        assert (meta.display_name, meta.tag_type, meta.active, meta.lago_customer_id) == (
            "Ada (spare)",
            "Fleet",
            False,
            "cust-ada",
        )
        actions = [e.action for e in await store.audit_entries(id_tag="CARD-HEALTHY")]
        assert actions == ["set_active", "set_type", "rename"]

    async def test_relink_checked_against_lago(self, cards, store, lago):
        with pytest.raises(InvalidParams):
            await cards.edit("CARD-HEALTHY", edit("relink", "cust-nobody"))
        entry = await cards.edit("CARD-HEALTHY", edit("relink", "cust-grace"))
        assert (entry.before, entry.after) == (
            {"lago_customer_id": "cust-ada"},
            {"lago_customer_id": "cust-grace"},
        )
        assert (await store.get_card_meta("CARD-HEALTHY")).lago_customer_id == "cust-grace"
        lago.down = True
        await cards.edit("CARD-HEALTHY", edit("relink", None))  # unlinking needs no Lago
        assert (await store.get_card_meta("CARD-HEALTHY")).lago_customer_id is None

    @pytest.mark.parametrize(
        "kind,value", [("set_active", "yes"), ("rename", 5), ("rename", "x" * 201)]
    )
    async def test_bad_local_values(self, cards, kind, value):
        with pytest.raises(InvalidParams):
            await cards.edit("CARD-HEALTHY", edit(kind, value))


class TestRevert:
    @pytest.mark.parametrize(
        "id_tag,kind,value",
        [
            ("CARD-HEALTHY", "block", None),
            ("CARD-BLOCKED", "unblock", None),
            ("ACME-01", "set_parent", "CARD-HEALTHY"),
            ("ACME-01", "set_parent", None),
            ("CARD-HEALTHY", "set_expiry", NOW + timedelta(days=3)),
            ("CARD-HEALTHY", "set_expiry", None),
            ("CARD-HEALTHY", "relink", "cust-grace"),
            ("CARD-HEALTHY", "rename", "Someone else"),
            ("CARD-HEALTHY", "set_type", None),
            ("CARD-INACTIVE", "set_active", True),
            ("CARD-BLOCKED", "rename", "created row"),  # creates the card_meta row's name only
            ("ACME-02", "rename", "no row before"),  # creates the card_meta row
        ],
    )
    async def test_round_trip_is_exact(self, cards, steve, store, id_tag, kind, value):
        before = await snapshot(steve, store)
        entry = await cards.edit(id_tag, edit(kind, value))
        assert entry.status == "applied"
        assert await snapshot(steve, store) != before
        undo = await cards.revert(entry.id)
        assert (undo.status, undo.action, undo.reverts) == ("applied", "revert", entry.id)
        assert undo.before == entry.after  # what the edit set is what the revert found
        assert await snapshot(steve, store) == before
        assert (await store.get_audit(entry.id)).reverted_by == undo.id

    async def test_revert_twice_refused(self, cards):
        entry = await cards.edit("CARD-HEALTHY", edit("block"))
        await cards.revert(entry.id)
        with pytest.raises(RevertRefused) as info:
            await cards.revert(entry.id)
        assert "already reverted" in info.value.message

    async def test_revert_of_failed_edit_refused(self, cards, steve):
        steve.put_fails = True
        entry = await cards.edit("CARD-HEALTHY", edit("block"))
        with pytest.raises(RevertRefused):
            await cards.revert(entry.id)

    async def test_revert_unknown_entry(self, cards):
        with pytest.raises(NotFound):
            await cards.revert(4242)

    async def test_changed_since_refused(self, cards):
        first = await cards.edit("CARD-HEALTHY", edit("rename", "One"))
        await cards.edit("CARD-HEALTHY", edit("rename", "Two"))
        with pytest.raises(RevertRefused) as info:
            await cards.revert(first.id)
        assert "changed since" in info.value.message

    async def test_failed_revert_can_be_retried(self, cards, steve, store):
        entry = await cards.edit("CARD-HEALTHY", edit("block"))
        steve.put_fails = True
        failed = await cards.revert(entry.id)
        assert failed.status == "failed"
        assert (await store.get_audit(entry.id)).reverted_by is None
        steve.put_fails = False
        done = await cards.revert(entry.id)
        assert done.status == "applied"
        assert (await store.get_audit(entry.id)).reverted_by == done.id
        assert not steve.tag("CARD-HEALTHY").blocked

    async def test_revert_of_a_revert_redoes_the_edit(self, cards, steve):
        entry = await cards.edit("CARD-HEALTHY", edit("block"))
        undo = await cards.revert(entry.id)
        redo = await cards.revert(undo.id)
        assert redo.status == "applied" and steve.tag("CARD-HEALTHY").blocked

    async def test_meta_row_created_then_removed(self, cards, store):
        assert await store.get_card_meta("ACME-02") is None
        entry = await cards.edit("ACME-02", edit("set_type", "Fleet"))
        assert entry.before == {"tag_type": None, "meta_row": False}
        assert await store.get_card_meta("ACME-02") == CardMeta(id_tag="ACME-02", tag_type="Fleet")
        undo = await cards.revert(entry.id)
        assert undo.after == {"tag_type": None, "meta_row": False}
        assert await store.get_card_meta("ACME-02") is None

    async def test_meta_row_kept_when_other_fields_set_since(self, cards, store):
        first = await cards.edit("ACME-02", edit("set_type", "Fleet"))
        await cards.edit("ACME-02", edit("rename", "Second fleet card"))
        await cards.revert(first.id)
        assert await store.get_card_meta("ACME-02") == CardMeta(
            id_tag="ACME-02", display_name="Second fleet card"
        )
