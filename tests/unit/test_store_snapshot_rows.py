"""The fleet snapshot is written incrementally (issue 13): a steady save at
10,000 chargers writes the rows that changed, not 30,000. On both backends,
with a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from polaris_tui.models import ChargeBox, ConnectorStatus, OcppTag, Snapshot, Transaction
from polaris_tui.services.clock import FixedClock
from polaris_tui.store import Store
from tests.pg import raw_rows

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _box(n: int, description: str = "depot") -> ChargeBox:
    cbid = f"CP-{n:04d}"
    return ChargeBox(
        charge_box_id=cbid,
        charge_box_pk=n,
        description=description,
        connectors=[
            ConnectorStatus(charge_box_id=cbid, connector_id=c, status="Available") for c in (1, 2)
        ],
    )


def _fleet(count: int, at: datetime = NOW) -> Snapshot:
    return Snapshot(
        chargers=[_box(n) for n in range(count)],
        active_transactions=[
            Transaction(
                id=500,
                charge_box_id="CP-0001",
                connector_id=1,
                ocpp_id_tag="CARD-A",
                start_timestamp=at,
            )
        ],
        tags=[OcppTag(ocpp_tag_pk=1, id_tag="CARD-A"), OcppTag(ocpp_tag_pk=2, id_tag="CARD-B")],
        fetched_at=at,
    )


async def test_a_steady_save_writes_only_the_changed_rows(store: Store, store_url: str):
    first = _fleet(40)
    assert await store.save_snapshot(first) == 40 + 80 + 1 + 2  # the first save: whole

    same = first.model_copy(update={"fetched_at": NOW + timedelta(seconds=30)})
    assert await store.save_snapshot(same) == 0
    assert await store.load_snapshot() == same  # the new poll time, the same rows

    chargers = list(first.chargers)
    chargers[3] = _box(3, description="moved")  # one charger row changed
    del chargers[7]  # one charger gone: its row and its 2 connectors
    later = Snapshot(
        chargers=chargers,
        active_transactions=[],  # the session ended
        tags=first.tags,
        fetched_at=NOW + timedelta(seconds=60),
    )
    # 3's charger row; 7's charger row and its 2 connectors; the session; and
    # every charger after 7 moved up one position.
    assert await store.save_snapshot(later) == 1 + 3 + 1 + (40 - 8)
    assert await store.load_snapshot() == later
    stored = await raw_rows(store_url, "SELECT count(*) FROM snapshot_connectors")
    assert stored == [(78,)]


async def test_consoles_taking_turns_always_leave_one_whole_poll(store_url: str, clock: FixedClock):
    """Two consoles save the same shared snapshot: each save must leave
    exactly its own poll, never a mix with rows the other one wrote."""
    one = await Store.open(store_url, clock=clock)
    two = await Store.open(store_url, clock=clock)
    try:
        first = _fleet(10)
        await one.save_snapshot(first)
        smaller = Snapshot(chargers=first.chargers[:5], fetched_at=NOW + timedelta(seconds=5))
        await two.save_snapshot(smaller)
        assert await one.load_snapshot() == smaller

        # Console one's poll differs from its own last save in one row only,
        # but console two wrote since: the five chargers two dropped (and the
        # session and tags) must come back.
        again = first.model_copy(
            update={
                "chargers": [_box(0, "renamed"), *first.chargers[1:]],
                "fetched_at": NOW + timedelta(seconds=10),
            }
        )
        assert await one.save_snapshot(again) == 10 + 20 + 1 + 2
        assert await two.load_snapshot() == again
        # And console two, whose own last save is now stale, rewrites whole too.
        assert await two.save_snapshot(smaller) == 5 + 10
        assert await one.load_snapshot() == smaller
        assert await two.save_snapshot(smaller) == 0
    finally:
        await one.close()
        await two.close()


async def test_a_repeated_id_back_to_its_stored_row_is_not_lost(store: Store):
    """SteVe may repeat an id; the last one wins, also in an incremental save."""
    await store.save_snapshot(Snapshot(chargers=[_box(1, "last")], fetched_at=NOW))
    twice = Snapshot(chargers=[_box(1, "first"), _box(1, "last")], fetched_at=NOW)
    assert await store.save_snapshot(twice) == 1  # its row: its position is now 1
    loaded = await store.load_snapshot()
    assert loaded is not None and [c.description for c in loaded.chargers] == ["last"]


async def test_a_changed_connector_or_session_is_written_alone(store: Store):
    first = _fleet(20)
    await store.save_snapshot(first)
    box = first.chargers[5]
    charging = box.connectors[1].model_copy(update={"status": "Charging"})
    moved = box.model_copy(update={"connectors": [box.connectors[0], charging]})
    session = first.active_transactions[0].model_copy(update={"start_value": "250"})
    later = first.model_copy(
        update={
            "chargers": [*first.chargers[:5], moved, *first.chargers[6:]],
            "active_transactions": [session],
        }
    )
    assert await store.save_snapshot(later) == 2
    assert await store.load_snapshot() == later


def test_a_steady_plan_hashes_only_new_objects_and_matches_a_fresh_one():
    """Items that are the very objects at their place in the last save keep
    their digests; the plan then equals one that hashed every item."""
    from polaris_tui.store.repos.snapshot_rows import plan_snapshot

    first = _fleet(6)
    written = plan_snapshot(first, None)
    chargers = list(first.chargers)
    chargers[2] = _box(2, description="renamed")  # changed in place of the old
    chargers[4], chargers[5] = chargers[5], chargers[4]  # same objects, moved
    later = Snapshot(
        chargers=chargers,
        active_transactions=first.active_transactions,
        tags=first.tags[:1],  # CARD-B gone
        fetched_at=NOW,
    )
    steady = plan_snapshot(later, written.digests, first)
    fresh = plan_snapshot(later, written.digests)
    assert steady.digests == fresh.digests
    assert steady.upserts == fresh.upserts
    assert steady.deletes == fresh.deletes
    written_ids = [row[0] for row in steady.upserts["snapshot_chargers"]]
    assert written_ids == ["CP-0002", "CP-0005", "CP-0004"], "the changed and the moved"
    assert steady.deletes["snapshot_tags"] == ["CARD-B"]
    assert steady.upserts["snapshot_connectors"] == [], "equal connectors: not written"


def test_a_steady_plan_looks_only_at_changed_places_and_matches_a_fresh_one():
    """Same keys at the same places: only the places whose object changed are
    hashed, and the plan (rows, deletes, digests) equals a fresh one."""
    from polaris_tui.store.repos.snapshot_rows import _steady, plan_snapshot

    first = _fleet(6)
    written = plan_snapshot(first, None)
    chargers = list(first.chargers)
    one_connector = _box(2, description="renamed")
    one_connector.connectors = one_connector.connectors[:1]  # connector 2 gone
    chargers[2] = one_connector
    chargers[4] = _box(4)  # a new object, equal: nothing to write
    session = first.active_transactions[0].model_copy(update={"ocpp_id_tag": "CARD-B"})
    later = Snapshot(
        chargers=chargers,
        active_transactions=[session],
        tags=[first.tags[0], first.tags[1].model_copy(update={"parent_id_tag": "CARD-A"})],
        fetched_at=NOW,
    )
    steady = plan_snapshot(later, written.digests, first)
    fresh = plan_snapshot(later, written.digests)
    assert set(_steady(later, written.digests, first)) == set(steady.upserts), "no table fell back"
    assert steady.digests == fresh.digests
    assert steady.upserts == fresh.upserts
    assert steady.deletes == fresh.deletes
    assert [row[0] for row in steady.upserts["snapshot_chargers"]] == ["CP-0002"]
    assert steady.deletes["snapshot_connectors"] == [("CP-0002", 2)]
    assert [row[0] for row in steady.upserts["snapshot_transactions"]] == [500]
    assert [row[0] for row in steady.upserts["snapshot_tags"]] == ["CARD-B"]
    again = plan_snapshot(later, steady.digests, later)
    assert again.row_count == 0, "the same objects again: nothing to write"
