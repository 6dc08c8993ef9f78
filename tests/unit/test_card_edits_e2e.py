"""Card view and audited edits end to end against the stand-in over real HTTP.

The round-trip tests compare *every* tag the stand-in holds (its raw
OcppTagOverview JSON, from the control endpoint) and every ``card_meta`` row,
field by field, before an edit and after its revert: they must be equal.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from polaris_tui.demo import DEMO_CARD_META
from polaris_tui.models import CardEdit, CardEditKind, ConnectionState, SourceName
from polaris_tui.models.errors import InvalidParams, PermissionDenied, SteveUnreachable
from polaris_tui.services.cards import RevertRefused
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from tests.conftest import FROZEN_NOW
from tests.unit.test_scan_login_e2e import settings_for


async def open_services(sim, tmp_path, *, name="ada"):
    settings = settings_for(sim, tmp_path)
    settings = settings.model_copy(
        update={"operator": settings.operator.model_copy(update={"name": name})}
    )
    services = await PolarisServices.open(settings, clock=FixedClock(FROZEN_NOW))
    for meta in DEMO_CARD_META:
        await services.store.upsert_card_meta(meta)
    return services


@pytest.fixture
async def services(sim, tmp_path):
    services = await open_services(sim, tmp_path)
    try:
        yield services
    finally:
        await services.close()


async def state(sim, services):
    """Everything an edit may touch: the stand-in's tags and the local card_meta."""
    tags = await asyncio.to_thread(sim.control, "GET", "/cards")
    meta = await services.store.card_meta_all()
    return {t["idTag"]: t for t in tags}, {k: v.model_dump() for k, v in meta.items()}


def edit(kind, value=None):
    return CardEdit(kind=CardEditKind(kind), value=value)


@pytest.mark.parametrize(
    "id_tag,kind,value",
    [
        ("CARD-HEALTHY", "block", None),
        ("CARD-BLOCKED", "unblock", None),
        ("ACME-META", "block", None),
        ("FLEET-CHILD-1", "set_parent", "ACME-META"),
        ("ACME-01", "set_parent", None),
        ("CARD-KIOSK", "set_expiry", FROZEN_NOW + timedelta(days=30)),
        ("CARD-HEALTHY", "relink", "cust-grace"),
        ("CARD-INACTIVE", "set_active", True),
        ("ACME-02", "rename", "Van two"),
        ("CARD-UNLINKED", "set_type", "Visitor"),
    ],
)
async def test_edit_then_revert_leaves_everything_as_before(sim, services, id_tag, kind, value):
    before = await state(sim, services)
    entry = await services.cards.edit(id_tag, edit(kind, value))
    assert entry.status == "applied", entry.error
    changed = await state(sim, services)
    assert changed != before
    # only the touched card changed, and SteVe kept its note and owner
    assert {k for k in before[0] if before[0][k] != changed[0][k]} <= {id_tag}
    if id_tag in before[0]:
        assert changed[0][id_tag]["note"] == before[0][id_tag]["note"]
        assert changed[0][id_tag]["userPk"] == before[0][id_tag]["userPk"]
    undo = await services.cards.revert(entry.id)
    assert undo.status == "applied", undo.error
    assert await state(sim, services) == before
    original = (await services.cards.audit_log(id_tag=id_tag))[-1]
    assert (original.id, original.reverted_by) == (entry.id, undo.id)
    with pytest.raises(RevertRefused):
        await services.cards.revert(entry.id)


async def test_block_keeps_expiry_and_note(sim, services):
    await services.cards.edit("CARD-KIOSK", edit("set_expiry", "2027-03-01T12:00:00Z"))
    await services.cards.edit("CARD-KIOSK", edit("block"))
    tags, _ = await state(sim, services)
    kiosk = tags["CARD-KIOSK"]
    assert (kiosk["maxActiveTransactionCount"], kiosk["expiryDate"], kiosk["note"]) == (
        0,
        "2027-03-01T12:00:00.000Z",
        "Kim's card",
    )


async def test_renewing_an_expired_card_cannot_be_reverted_to_the_past(sim, services):
    entry = await services.cards.edit(
        "CARD-EXPIRED", edit("set_expiry", FROZEN_NOW + timedelta(days=365))
    )
    assert entry.status == "applied"
    view = await services.cards.card("CARD-EXPIRED")
    assert view.verdict.valid_in_steve.answer == "yes"
    with pytest.raises(RevertRefused) as info:
        await services.cards.revert(entry.id)
    assert "valid again" in info.value.message


async def test_expired_card_refuses_edits_that_would_unexpire_it(sim, services):
    before = await state(sim, services)
    for kind, value in (("block", None), ("set_parent", "ACME-META")):
        with pytest.raises(InvalidParams) as info:
            await services.cards.edit("CARD-EXPIRED", edit(kind, value))
        assert "valid again" in info.value.field_errors["expiry_date"]
    assert await state(sim, services) == before
    assert await services.cards.audit_log() == []


async def test_viewer_cannot_edit_through_the_wiring(sim, tmp_path):
    services = await open_services(sim, tmp_path, name="vic")
    try:
        with pytest.raises(PermissionDenied):
            await services.cards.edit("CARD-HEALTHY", edit("block"))
        assert await services.cards.audit_log() == []
        tags, _ = await state(sim, services)
        assert tags["CARD-HEALTHY"]["blocked"] is False
    finally:
        await services.close()


class TestCardView:
    async def test_list_joins_steve_and_local(self, services):
        rows = {r.id_tag: r for r in await services.cards.cards()}
        assert rows["CARD-NEW-0001"].in_steve is False
        assert rows["ACME-META"].is_meta and rows["FLEET-PARENT"].is_meta
        assert rows["ACME-01"].link_from_id_tag == "ACME-META"
        assert rows["CARD-UNLINKED"].linked is False

    async def test_healthy_card_sessions_synced(self, services):
        view = await services.cards.card("CARD-HEALTHY")
        assert view.customer.email == "ada@example.com"
        assert view.steve_state.state == ConnectionState.LIVE
        finished = [r for r in view.recent if not r.transaction.active]
        assert finished and {r.sync_state for r in finished} == {"synced"}
        assert all(r.last_synced is not None for r in finished)
        ids = [r.transaction.id for r in view.recent]
        assert ids == sorted(ids, reverse=True) and len(ids) <= 10

    async def test_unsynced_session(self, services):
        view = await services.cards.card("CARD-UNSYNCED")
        assert "not_synced" in {r.sync_state for r in view.recent if not r.transaction.active}

    async def test_child_of_blocked_parent(self, services):
        view = await services.cards.card("FLEET-CHILD-1")
        assert [(p.id_tag, p.is_cause) for p in view.parents] == [("FLEET-PARENT", True)]
        assert view.verdict.valid_in_steve.answer == "no"
        parent = await services.cards.card("FLEET-PARENT")
        assert parent.is_meta and [c.id_tag for c in parent.children] == [
            "FLEET-CHILD-1",
            "FLEET-CHILD-2",
        ]

    async def test_terminated_subscription(self, services):
        view = await services.cards.card("CARD-TERMINATED")
        assert view.verdict.linked_with_active_subscription.answer == "no"

    async def test_steve_outage_uses_snapshot(self, sim, services):
        await services.poller.refresh_now()
        snapshot_at = services.poller.tags_fetched_at
        await asyncio.to_thread(sim.fault, "steve_down")
        await services.poller.refresh_now()
        assert services.poller.state(SourceName.STEVE).state == ConnectionState.UNREACHABLE
        view = await services.cards.card("FLEET-CHILD-1")
        assert view.steve_state.state == ConnectionState.UNREACHABLE
        assert view.data_as_of == snapshot_at
        assert view.tag is not None and view.parents[0].is_cause
        assert (view.recent, view.recent_available) == ([], False)
        with pytest.raises(SteveUnreachable):
            await services.cards.edit("CARD-HEALTHY", edit("block"))
        assert await services.cards.audit_log() == []

    async def test_lago_outage_makes_link_unknown(self, sim, services):
        await asyncio.to_thread(sim.fault, "lago_5xx")
        view = await services.cards.card("CARD-HEALTHY")
        assert view.lago_state.state in (ConnectionState.UNREACHABLE, ConnectionState.DEGRADED)
        assert view.verdict.linked_with_active_subscription.answer == "unknown"
        assert {r.sync_state for r in view.recent if not r.transaction.active} <= {"unknown"}
        assert view.verdict.valid_in_steve.answer == "yes"
