"""The store on both backends: transactions, migrations, every table's round trip.

Every test runs twice (``store_url``): on a fresh SQLite file and on a fresh
database of a real PostgreSQL started by the test run (tests/pg.py). Tests
of one backend's own mechanics (WAL, SQLite's busy lock) say so and have a
PostgreSQL counterpart beside them. Each store is always closed (aiosqlite's
thread is non-daemon: a store left open would hang pytest at exit).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from polaris_tui.models import (
    CardMeta,
    ChargeBox,
    ConnectorStatus,
    InventoryCharger,
    LagoCustomer,
    OcppTag,
    OperationStatus,
    Snapshot,
    StopFollowup,
    Transaction,
)
from polaris_tui.models.errors import DuplicateSubmit, StoreError
from polaris_tui.services.clock import FixedClock
from polaris_tui.store import SCHEMA_VERSION, Store
from polaris_tui.store import sqlite_backend as store_mod
from polaris_tui.store.origin import current_origin
from polaris_tui.store.target import parse_store_url
from tests.pg import is_postgres, raw_rows

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


async def _op(store: Store, request_id: str = "r1", **kw):
    args = dict(
        charge_box_id="CP-ALPHA-01",
        operation="RemoteStopTransaction",
        params={"transactionId": 1001},
        requested_by="ana",
        dry_run=False,
        request_id=request_id,
    )
    args.update(kw)
    return await store.insert_operation(**args)


def _raw(path: Path, sql: str, params=()):
    """Read with a plain sqlite3 connection, as another process would."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# -- opening, WAL, migrations --------------------------------------------


async def test_open_uses_wal_and_latest_schema(tmp_path: Path, clock: FixedClock):
    store = await Store.open(tmp_path / "polaris.sqlite", clock=clock)
    try:
        assert (await store.journal_mode()).lower() == "wal"
        assert _raw(store.path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    finally:
        await store.close()


async def test_open_creates_every_table_at_the_latest_schema(store_url: str, store: Store):
    assert await store.schema_version() == SCHEMA_VERSION
    if is_postgres(store_url):
        version = await raw_rows(store_url, "SELECT MAX(version) FROM schema_migrations")
        assert version == [(SCHEMA_VERSION,)]
        listing = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    else:
        listing = "SELECT name FROM sqlite_master WHERE type='table'"
    tables = {r[0] for r in await raw_rows(store_url, listing)}
    for table in (
        "charger_operation_log",
        "audit_log",
        "card_meta",
        "snapshot_chargers",
        "snapshot_connectors",
        "snapshot_transactions",
        "snapshot_tags",
        "lago_customers",
        "charger_inventory",
        "pairings",
        "scan_events",
    ):
        assert table in tables


async def test_operation_log_has_the_issue_columns(store_url: str, store: Store):
    rows = await raw_rows(store_url, "SELECT * FROM charger_operation_log WHERE 1 = 0")
    assert rows == []
    if is_postgres(store_url):
        columns = {
            r[0]
            for r in await raw_rows(
                store_url,
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'charger_operation_log'",
            )
        }
    else:
        columns = {
            r[1] for r in await raw_rows(store_url, "PRAGMA table_info(charger_operation_log)")
        }
    assert {
        "id",
        "charge_box_id",
        "operation",
        "params",
        "task_id",
        "requested_by",
        "dry_run",
        "status",
        "result",
        "created_at",
        "completed_at",
        "request_id",
        "error_title",
        "error_message",
        "followup",
        "followup_at",
        "uid",
        "console_host",
        "client_address",
    } <= columns


async def test_migrations_are_idempotent_and_keep_data(fresh_store_url: str, clock: FixedClock):
    path = fresh_store_url
    first = await Store.open(path, clock=clock)
    try:
        await _op(first)
    finally:
        await first.close()
    for _ in range(2):
        again = await Store.open(path, clock=clock)
        try:
            assert await again.schema_version() == SCHEMA_VERSION
            assert [e.request_id for e in await again.recent_operations()] == ["r1"]
        finally:
            await again.close()


async def test_two_stores_opening_a_fresh_file_at_once(fresh_store_url: str, clock: FixedClock):
    path = fresh_store_url
    stores = await asyncio.gather(*(Store.open(path, clock=clock) for _ in range(4)))
    try:
        for s in stores:
            assert await s.schema_version() == SCHEMA_VERSION
        await asyncio.gather(
            *(
                _op(s, request_id=f"r{i}", params={"transactionId": i + 1})
                for i, s in enumerate(stores)
            )
        )
        assert len(await stores[0].recent_operations()) == 4
    finally:
        for s in stores:
            await s.close()


async def test_a_newer_schema_is_refused(fresh_store_url: str, clock: FixedClock):
    first = await Store.open(fresh_store_url, clock=clock)
    await first.close()
    if is_postgres(fresh_store_url):
        await raw_rows(
            fresh_store_url,
            "INSERT INTO schema_migrations (version) VALUES (?)",
            (SCHEMA_VERSION + 1,),
        )
    else:
        await raw_rows(fresh_store_url, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    for migrate in (True, False):
        with pytest.raises(StoreError, match="newer Polaris") as info:
            await Store.open(fresh_store_url, clock=clock, migrate=migrate)
        assert "\n" not in info.value.message and "upgrade Polaris" in info.value.message
        assert f"schema {SCHEMA_VERSION + 1}" in info.value.message


async def test_an_older_schema_is_refused_without_migrating(
    fresh_store_url: str, clock: FixedClock
):
    """A console on the team store does not migrate it: it names the command."""
    if is_postgres(fresh_store_url):
        await raw_rows(
            fresh_store_url,
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)",
        )
    with pytest.raises(StoreError, match="polaris store migrate"):
        await Store.open(fresh_store_url, clock=clock, migrate=False)


async def test_an_unopenable_path_is_a_store_error(tmp_path: Path, clock: FixedClock):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError):
        await Store.open(blocker / "sub" / "s.sqlite", clock=clock)


async def test_closed_store_refuses_with_store_error(store_url: str, clock: FixedClock):
    s = await Store.open(store_url, clock=clock)
    await s.close()
    await s.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        await s.recent_operations()


# -- BEGIN IMMEDIATE and the retry ---------------------------------------


async def test_read_then_write_from_two_connections_loses_nothing(
    store_url: str, clock: FixedClock
):
    """PITFALLS: plain BEGIN + read-then-write fails with BUSY_SNAPSHOT in WAL.
    Store.write uses BEGIN IMMEDIATE on SQLite and SERIALIZABLE (retried on a
    conflict) on PostgreSQL, so interleaved increments all land."""
    path = store_url
    a = await Store.open(path, clock=clock)
    b = await Store.open(path, clock=clock)
    try:

        async def create(tx):
            await tx.execute("CREATE TABLE counter (n INTEGER)")
            await tx.execute("INSERT INTO counter VALUES (0)")

        await a.write(create)

        async def bump(tx):
            n = await tx.scalar("SELECT n FROM counter")
            await asyncio.sleep(0)  # let the other connection try to get in between
            await tx.execute("UPDATE counter SET n = ?", (n + 1,))

        await asyncio.gather(*(s.write(bump) for _ in range(40) for s in (a, b)))
        assert await raw_rows(path, "SELECT n FROM counter") == [(80,)]
    finally:
        await a.close()
        await b.close()


async def test_a_write_waits_out_a_lock_held_elsewhere(
    tmp_path: Path, clock: FixedClock, monkeypatch
):
    """Busy timeout + whole-transaction retry: a lock held by another
    connection for longer than the busy timeout still ends in a commit."""
    monkeypatch.setattr(store_mod, "BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "busy.sqlite"
    s = await Store.open(path, clock=clock)
    try:
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        timer = threading.Timer(0.3, lambda: (other.execute("COMMIT"), other.close()))
        timer.start()
        entry = await _op(s)
        timer.join()
        assert entry.status == OperationStatus.PENDING
        assert _raw(path, "SELECT request_id FROM charger_operation_log") == [("r1",)]
    finally:
        await s.close()


async def test_postgres_a_write_waits_out_a_table_lock_held_elsewhere(
    pg_url: str, clock: FixedClock
):
    """PostgreSQL counterpart: another session holds the operation log locked;
    the insert waits for it (no error, no lost row) and commits after it."""
    s = await Store.open(pg_url, clock=clock)
    other = await asyncpg.connect(parse_store_url(pg_url).dsn)
    try:
        holding = other.transaction()
        await holding.start()
        await other.execute("LOCK TABLE charger_operation_log IN EXCLUSIVE MODE")
        insert = asyncio.ensure_future(_op(s))
        waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted"
        while not await other.fetchval(waiting):  # our insert is queued behind the lock
            assert not insert.done(), insert
            await asyncio.sleep(0.01)
        await holding.commit()
        entry = await insert
        assert entry.status == OperationStatus.PENDING
        assert await raw_rows(pg_url, "SELECT request_id FROM charger_operation_log") == [("r1",)]
    finally:
        await other.close()
        await s.close()


async def test_a_lock_that_never_goes_is_a_plain_store_error(
    tmp_path: Path, clock: FixedClock, monkeypatch
):
    monkeypatch.setattr(store_mod, "BUSY_TIMEOUT_MS", 20)
    monkeypatch.setattr(store_mod, "WRITE_ATTEMPTS", 2)
    path = tmp_path / "stuck.sqlite"
    s = await Store.open(path, clock=clock)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError) as info:
            await _op(s)
        assert "local store" in info.value.message
        other.execute("ROLLBACK")
        assert await s.recent_operations() == []
    finally:
        other.close()
        await s.close()


async def test_write_rolls_back_on_a_domain_error(store: Store):
    async def half(db):
        await db.execute("INSERT INTO card_meta (id_tag, active) VALUES ('HALF', 1)")
        raise DuplicateSubmit("stop here")

    with pytest.raises(DuplicateSubmit):
        await store.write(half)
    assert await store.get_card_meta("HALF") is None


# -- operation log -------------------------------------------------------


async def test_operation_round_trip(store: Store, clock: FixedClock):
    entry = await _op(store)
    assert entry.status == OperationStatus.PENDING
    assert entry.params == {"transactionId": 1001}
    assert entry.created_at == NOW and entry.completed_at is None
    clock.advance(2)
    done = await store.finish_operation(
        entry.id,
        OperationStatus.SUBMITTED,
        task_id=7,
        result={"summary": "Station answered Accepted"},
        followup=StopFollowup.WATCHING,
    )
    assert done.status == OperationStatus.SUBMITTED and done.task_id == 7
    assert done.result == {"summary": "Station answered Accepted"}
    assert done.completed_at == NOW + timedelta(seconds=2)
    assert done.followup == StopFollowup.WATCHING
    closed_at = NOW + timedelta(seconds=30)
    followed = await store.set_followup(entry.id, StopFollowup.CLOSED, closed_at)
    assert followed.followup == StopFollowup.CLOSED and followed.followup_at == closed_at
    assert await store.get_operation(entry.id) == followed
    assert await store.get_operation(999) is None


async def test_timestamps_are_iso_utc_text(store_url: str, store: Store):
    entry = await _op(store)
    (created,) = (
        await raw_rows(
            store_url, "SELECT created_at FROM charger_operation_log WHERE id=?", (entry.id,)
        )
    )[0]
    assert created == "2026-11-22T10:00:00.000000+00:00"


async def test_failed_operation_keeps_the_reason(store: Store):
    entry = await _op(store)
    failed = await store.finish_operation(
        entry.id,
        "failed",
        error_title="Charger is offline",
        error_message="No stations are eligible",
    )
    assert failed.status == OperationStatus.FAILED
    assert (failed.error_title, failed.error_message) == (
        "Charger is offline",
        "No stations are eligible",
    )


async def test_duplicate_request_id_is_refused_and_writes_nothing(store: Store):
    await _op(store, request_id="press-1")
    with pytest.raises(DuplicateSubmit):
        await _op(store, request_id="press-1", params={"transactionId": 2})
    assert len(await store.recent_operations()) == 1


async def test_identical_pending_operation_is_refused_until_finished(store: Store):
    first = await _op(store, request_id="a")
    with pytest.raises(DuplicateSubmit, match="still waiting"):
        await _op(store, request_id="b")
    # a dry run of the same thing is harmless and allowed
    dry = await _op(store, request_id="c", dry_run=True)
    assert dry.status == OperationStatus.DRY_RUN and dry.completed_at == NOW
    await store.finish_operation(first.id, OperationStatus.SUBMITTED, task_id=1)
    again = await _op(store, request_id="d")
    assert again.status == OperationStatus.PENDING


async def test_a_dry_run_has_no_outcome(store: Store):
    dry = await _op(store, dry_run=True)
    with pytest.raises(StoreError):
        await store.finish_operation(dry.id, OperationStatus.SUBMITTED)


async def test_recent_operations_filters_and_order(store: Store):
    await _op(store, request_id="1")
    await _op(store, request_id="2", charge_box_id="CP-BRAVO-02", requested_by="bo")
    three = await _op(
        store, request_id="3", charge_box_id="CP-BRAVO-02", params={"transactionId": 5}
    )
    await store.finish_operation(three.id, OperationStatus.FAILED, error_title="x")
    assert [e.request_id for e in await store.recent_operations()] == ["3", "2", "1"]
    assert [e.request_id for e in await store.recent_operations(charge_box_id="CP-BRAVO-02")] == [
        "3",
        "2",
    ]
    assert [e.request_id for e in await store.recent_operations(requested_by="bo")] == ["2"]
    assert [e.request_id for e in await store.recent_operations(status="failed")] == ["3"]
    assert [e.request_id for e in await store.recent_operations(limit=1)] == ["3"]


async def test_mark_interrupted_only_marks_rows_of_dead_owners(store_url: str, clock: FixedClock):
    path = store_url
    gone = await Store.open(path, clock=clock)
    alive = await Store.open(path, clock=clock)
    me = await Store.open(path, clock=clock)
    try:
        dead_row = await _op(gone, request_id="dead")
        live_row = await _op(alive, request_id="live", params={"transactionId": 2})
        own_row = await _op(me, request_id="own", params={"transactionId": 3})
        await gone.close()  # its process "died" with a pending row
        marked = await me.mark_interrupted()
        assert [e.id for e in marked] == [dead_row.id]
        assert marked[0].status == OperationStatus.INTERRUPTED
        assert marked[0].error_title == "Interrupted" and "not resent" in marked[0].error_message
        assert (await me.get_operation(live_row.id)).status == OperationStatus.PENDING
        assert (await me.get_operation(own_row.id)).status == OperationStatus.PENDING
        assert await me.mark_interrupted() == []  # nothing twice
    finally:
        await alive.close()
        await me.close()


async def test_orphaned_watches_are_claimed_once(store_url: str, clock: FixedClock):
    path = store_url
    gone = await Store.open(path, clock=clock)
    me = await Store.open(path, clock=clock)
    try:
        row = await _op(gone)
        await gone.finish_operation(
            row.id, OperationStatus.SUBMITTED, task_id=1, followup=StopFollowup.WATCHING
        )
        await gone.close()
        claimed = await me.claim_orphaned_watches()
        assert [e.id for e in claimed] == [row.id]
        assert await me.claim_orphaned_watches() == []  # now ours (alive)
    finally:
        await me.close()


# -- audit log -----------------------------------------------------------


async def test_audit_round_trip_and_single_revert(store: Store):
    edit = await store.insert_audit(
        actor="ana",
        action="block",
        id_tag="CARD-HEALTHY",
        before={"maxActiveTransactionCount": 1},
        after={"maxActiveTransactionCount": 0},
    )
    assert edit.status == "pending" and edit.created_at == NOW
    applied = await store.finish_audit(edit.id, "applied")
    assert applied.status == "applied"
    revert = await store.insert_audit(
        actor="ana",
        action="revert",
        id_tag="CARD-HEALTHY",
        before=edit.after,
        after=edit.before,
        reverts=edit.id,
    )
    linked = await store.set_reverted_by(edit.id, revert.id)
    assert linked.reverted_by == revert.id
    with pytest.raises(DuplicateSubmit):
        await store.set_reverted_by(edit.id, revert.id + 100)
    failed = await store.finish_audit(revert.id, "failed", "SteVe is unreachable")
    assert failed.error == "SteVe is unreachable" and failed.reverts == edit.id
    assert [a.id for a in await store.audit_entries()] == [revert.id, edit.id]
    assert [a.id for a in await store.audit_entries(id_tag="OTHER")] == []
    assert await store.get_audit(edit.id) == linked
    with pytest.raises(StoreError):
        await store.finish_audit(edit.id, "weird")


async def test_pending_audits_of_dead_processes_become_failed(store_url: str, clock: FixedClock):
    path = store_url
    gone = await Store.open(path, clock=clock)
    me = await Store.open(path, clock=clock)
    try:
        entry = await gone.insert_audit(actor="a", action="block", id_tag="X", before={}, after={})
        await gone.close()
        marked = await me.mark_interrupted_audits()
        assert [a.id for a in marked] == [entry.id]
        assert marked[0].status == "failed" and "Interrupted" in marked[0].error
    finally:
        await me.close()


# -- card meta, inventory ------------------------------------------------


async def test_card_meta_upsert(store: Store):
    assert await store.card_meta_all() == {}
    meta = CardMeta(
        id_tag="CARD-HEALTHY", display_name="Ada", tag_type="RFID", lago_customer_id="cust-ada"
    )
    await store.upsert_card_meta(meta)
    await store.upsert_card_meta(
        meta.model_copy(update={"active": False, "display_name": "Ada L."})
    )
    got = await store.get_card_meta("CARD-HEALTHY")
    assert (
        got.active is False and got.display_name == "Ada L." and got.lago_customer_id == "cust-ada"
    )
    assert list(await store.card_meta_all()) == ["CARD-HEALTHY"]
    await store.delete_card_meta("CARD-HEALTHY")
    assert await store.get_card_meta("CARD-HEALTHY") is None


async def test_inventory_is_idempotent(store: Store):
    charger = InventoryCharger(charge_box_id="LEGACY-GARAGE-99", description="Old garage AC post")
    await store.add_inventory(charger)
    await store.add_inventory(charger)
    assert await store.inventory() == [charger]


# -- snapshot and Lago cache ---------------------------------------------


def _snapshot(at: datetime) -> Snapshot:
    box = ChargeBox(
        charge_box_id="CP-ALPHA-01",
        charge_box_pk=1,
        description="Main St [/] depot \x1b[2J",
        last_heartbeat=at,
        online=True,
        connectors=[
            ConnectorStatus(charge_box_id="CP-ALPHA-01", connector_id=0, status="Available"),
            ConnectorStatus(
                charge_box_id="CP-ALPHA-01", connector_id=1, status="Charging", timestamp=at
            ),
        ],
    )
    other = ChargeBox(charge_box_id="CP-CHARLIE-03", online=False)
    tx = Transaction(
        id=1001,
        charge_box_id="CP-ALPHA-01",
        connector_id=1,
        ocpp_id_tag="CARD-HEALTHY",
        start_timestamp=at - timedelta(hours=1),
        start_value="100",
    )
    tag = OcppTag(ocpp_tag_pk=1, id_tag="CARD-HEALTHY")
    return Snapshot(chargers=[box, other], active_transactions=[tx], tags=[tag], fetched_at=at)


async def test_snapshot_round_trip_and_replace(store: Store):
    assert await store.load_snapshot() is None
    snap = _snapshot(NOW)
    await store.save_snapshot(snap)
    assert await store.load_snapshot() == snap  # raw text (markup, ESC) kept as is
    newer = Snapshot(
        chargers=[ChargeBox(charge_box_id="CP-DELTA-04")], fetched_at=NOW + timedelta(minutes=1)
    )
    await store.save_snapshot(newer)
    assert await store.load_snapshot() == newer


async def test_customers_cache_round_trip(store: Store):
    assert await store.load_customers() is None
    customers = [
        LagoCustomer(
            lago_id="l1", external_id="cust-ada", name="Ada Lovelace", email="ada@example.com"
        ),
        LagoCustomer(lago_id="l2", external_id="cust-grace", email="grace@example.com"),
    ]
    await store.save_customers(customers, NOW)
    assert await store.load_customers() == (customers, NOW)
    await store.save_customers(customers[:1], NOW + timedelta(minutes=1))
    assert await store.load_customers() == (customers[:1], NOW + timedelta(minutes=1))


# -- scan-to-login -------------------------------------------------------


async def test_pairings_and_scan_events(store: Store, clock: FixedClock):
    pairing = await store.insert_pairing(
        "CP-FOXTROT-06", armed_by="ana", expires_at=NOW + timedelta(minutes=2)
    )
    assert pairing.armed_at == NOW and pairing.is_armed(NOW)
    assert [p.id for p in await store.pairings("CP-FOXTROT-06")] == [pairing.id]
    assert await store.pairings("CP-ALPHA-01") == []
    clock.advance(180)
    assert await store.pairings("CP-FOXTROT-06") == []  # expired by the clock
    assert [p.id for p in await store.pairings("CP-FOXTROT-06", include_inactive=True)] == [
        pairing.id
    ]
    cancelled = await store.update_pairing(pairing.id, cancelled_at=clock.now())
    assert cancelled.cancelled_at == clock.now() and cancelled.matched_id_tag is None
    assert await store.get_pairing(pairing.id) == cancelled
    with pytest.raises(StoreError):
        await store.update_pairing(12345, cancelled_at=clock.now())

    first = await store.insert_scan_event(
        charge_box_id="CP-FOXTROT-06",
        id_tag="CARD-KIOSK",
        connector_id=1,
        pairing_id=pairing.id,
        occurred_at=NOW,
    )
    second = await store.insert_scan_event(charge_box_id="CP-ALPHA-01", id_tag="CARD-X")
    assert first.kind == "scan.intercepted" and first.occurred_at == NOW
    assert [e.id for e in await store.scan_events()] == [second.id, first.id]
    assert [e.id for e in await store.scan_events(id_tag="CARD-KIOSK")] == [first.id]
    assert [e.id for e in await store.scan_events(charge_box_id="CP-ALPHA-01")] == [second.id]
    assert [e.id for e in await store.scan_events(since=NOW + timedelta(seconds=1))] == [second.id]
    assert len(await store.scan_events(limit=1)) == 1


async def test_claim_pairing_one_tap_replay_and_second_card(store: Store, clock: FixedClock):
    pairing = await store.insert_pairing(
        "CP-FOXTROT-06", armed_by="ana", expires_at=NOW + timedelta(minutes=2)
    )
    fresh = await store.claim_pairing("CP-FOXTROT-06", "CARD-KIOSK", connector_id=1)
    assert fresh is not None and fresh[1] is not None and fresh[0].matched_id_tag == "CARD-KIOSK"
    replay = await store.claim_pairing("CP-FOXTROT-06", "CARD-KIOSK", connector_id=1)
    assert replay is not None and replay[1] is None and replay[0].id == pairing.id
    assert await store.claim_pairing("CP-FOXTROT-06", "CARD-OTHER") is None
    assert await store.claim_pairing("CP-ALPHA-01", "CARD-KIOSK") is None
    assert len(await store.scan_events(charge_box_id="CP-FOXTROT-06")) == 1


async def test_a_repeated_id_in_a_snapshot_keeps_the_last_one(store: Store):
    """SteVe's answer may repeat an id; the bulk insert must not fail on it."""
    first = ChargeBox(charge_box_id="CP-TWICE", description="first")
    last = ChargeBox(charge_box_id="CP-TWICE", description="last")
    tag = OcppTag(ocpp_tag_pk=1, id_tag="CARD-X")
    await store.save_snapshot(Snapshot(chargers=[first, last], tags=[tag, tag], fetched_at=NOW))
    loaded = await store.load_snapshot()
    assert [c.description for c in loaded.chargers] == ["last"]
    assert [t.id_tag for t in loaded.tags] == ["CARD-X"]


# -- where a row came from; console sessions on PostgreSQL -----------------


async def test_each_operation_row_records_its_host_and_ssh_client(
    store_url: str, clock: FixedClock
):
    over_ssh = current_origin({"SSH_CONNECTION": "203.0.113.7 52114 10.0.0.5 22"})
    local = current_origin({})
    assert over_ssh.client_address == "203.0.113.7" and local.client_address is None
    assert current_origin({"SSH_CLIENT": "198.51.100.2 4000 22"}).client_address == "198.51.100.2"
    remote_store = await Store.open(store_url, clock=clock, origin=over_ssh)
    local_store = await Store.open(store_url, clock=clock, origin=local)
    try:
        remote = await _op(remote_store, request_id="ssh")
        here = await _op(local_store, request_id="local", params={"transactionId": 2})
        assert (remote.console_host, remote.client_address) == (
            over_ssh.console_host,
            "203.0.113.7",
        )
        assert here.client_address is None and here.console_host == local.console_host
        audit = await remote_store.insert_audit(
            actor="ana", action="block", id_tag="X", before={}, after={}
        )
        (row,) = await raw_rows(
            store_url, "SELECT client_address FROM audit_log WHERE id = ?", (audit.id,)
        )
        assert row == ("203.0.113.7",)
    finally:
        await remote_store.close()
        await local_store.close()


async def test_postgres_a_console_whose_heartbeat_stopped_counts_as_gone(
    pg_url: str, clock: FixedClock
):
    """A half-open link: the lock is still held, but no heartbeat for longer
    than SESSION_STALE_SECONDS. Its pending row is marked; a live one is not."""
    silent = await Store.open(pg_url, clock=clock)
    me = await Store.open(pg_url, clock=clock)
    try:
        stale = await _op(silent, request_id="silent")
        assert await me.mark_interrupted() == []  # lock held, heartbeat fresh: alive
        await raw_rows(
            pg_url,
            "UPDATE console_sessions SET heartbeat_at = now() - interval '1 hour' WHERE token = ?",
            (silent.owner_token,),
        )
        assert [e.id for e in await me.mark_interrupted()] == [stale.id]
    finally:
        await silent.close()
        await me.close()


async def test_postgres_a_closed_console_leaves_no_session_behind(pg_url: str, clock: FixedClock):
    first = await Store.open(pg_url, clock=clock)
    second = await Store.open(pg_url, clock=clock)
    sessions = await raw_rows(pg_url, "SELECT token FROM console_sessions ORDER BY id")
    assert sessions == [(first.owner_token,), (second.owner_token,)]
    await first.close()
    await second.close()
    assert await raw_rows(pg_url, "SELECT token FROM console_sessions") == []


async def test_a_constraint_that_refuses_a_write_is_a_store_error(store: Store):
    """An integrity error no repository expected reaches callers as the domain
    error (never a driver exception), and nothing of the transaction stays."""

    async def twice(tx):
        await tx.execute("INSERT INTO card_meta (id_tag, active) VALUES ('TWICE', 1)")
        await tx.execute("INSERT INTO card_meta (id_tag, active) VALUES ('TWICE', 1)")

    with pytest.raises(StoreError, match="Cannot write"):
        await store.write(twice)
    assert await store.get_card_meta("TWICE") is None
