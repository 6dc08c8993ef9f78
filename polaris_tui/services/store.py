"""The local store: one SQLite file shared by every Polaris process on a host.

Why it is built this way (PITFALLS.md, "SQLite"):

* WAL journal, so readers never block the writer and several processes
  (consoles over SSH, ``polaris hook``) can share the file;
* every write runs in ``BEGIN IMMEDIATE``: a plain ``BEGIN`` that reads and
  then writes after another process committed fails at once with
  SQLITE_BUSY_SNAPSHOT, whatever the busy timeout;
* a busy timeout (5 s) plus a few retries of the whole write transaction on
  "database is locked", as a last line of defence;
* no transaction is ever held across an HTTP call: callers write, commit,
  then talk to SteVe, then write again;
* the aiosqlite thread is non-daemon, so ``close()`` must always be called
  (a connection left open hangs the process at exit).

Schema changes are versioned with ``PRAGMA user_version`` and applied inside
one ``BEGIN IMMEDIATE`` transaction, so two processes starting at once cannot
both migrate.

Crash safety of the audit: a row is committed ``pending`` before SteVe is
called. Each open store holds an exclusive ``flock`` on its own owner file;
``mark_interrupted()`` only marks pending rows whose owner file is no longer
locked, i.e. whose process died. A console that starts while another one is
mid-operation therefore never marks the other's live row.

Sections of this file: connection and transactions; migrations; operation
log; audit log; card metadata; snapshot and Lago cache; inventory;
scan-to-login. Other engineers may add methods in a clearly marked section;
use ``self.write(fn)`` for anything that writes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosqlite

from polaris_tui.models import (
    AuditEntry,
    CardMeta,
    ChargeBox,
    ConnectorStatus,
    InventoryCharger,
    LagoCustomer,
    OcppTag,
    OperationLogEntry,
    OperationStatus,
    Pairing,
    ScanEvent,
    Snapshot,
    StopFollowup,
    Transaction,
)
from polaris_tui.models.errors import DuplicateSubmit, StoreError

try:  # POSIX only; without it, owner liveness falls back to "same process only".
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
"""How long SQLite itself waits for another process's write lock."""

WRITE_ATTEMPTS = 5
"""Whole-transaction retries on "database is locked" after the busy timeout."""

INTERRUPTED_TITLE = "Interrupted"
INTERRUPTED_MESSAGE = (
    "Polaris stopped before SteVe answered. The operation was not resent: "
    "check the charger before trying again."
)


class _Clock(Protocol):
    """What the store needs from the injected clock (services/clock.py)."""

    def now(self) -> datetime: ...


class _Unset:
    """Marker for "leave this column as it is" in partial updates."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


# --------------------------------------------------------------------------
# Value conversion (ISO UTC text, JSON text)
# --------------------------------------------------------------------------


def to_text(dt: datetime | None) -> str | None:
    """Store a datetime as ISO-8601 UTC text with microseconds (sortable)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str | None) -> datetime | None:
    """Read back what ``to_text`` wrote (always aware UTC)."""
    if text is None:
        return None
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def to_json(value: Any) -> str | None:
    """Canonical JSON (sorted keys): equal params give equal text."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


# --------------------------------------------------------------------------
# Migrations (PRAGMA user_version)
# --------------------------------------------------------------------------

MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            """
            CREATE TABLE charger_operation_log (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                request_id TEXT UNIQUE,
                charge_box_id TEXT NOT NULL,
                operation TEXT NOT NULL,
                params TEXT NOT NULL DEFAULT '{}',
                task_id INTEGER,
                requested_by TEXT NOT NULL,
                dry_run INTEGER NOT NULL DEFAULT 0,
                status TEXT NOT NULL,
                result TEXT,
                error_title TEXT,
                error_message TEXT,
                followup TEXT,
                followup_at TEXT,
                owner TEXT,
                created_at TEXT NOT NULL,
                completed_at TEXT
            )
            """,
            "CREATE INDEX ix_oplog_charger ON charger_operation_log (charge_box_id, id)",
            "CREATE INDEX ix_oplog_status ON charger_operation_log (status)",
            """
            CREATE TABLE audit_log (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                id_tag TEXT NOT NULL,
                before TEXT NOT NULL DEFAULT '{}',
                after TEXT NOT NULL DEFAULT '{}',
                status TEXT NOT NULL DEFAULT 'pending',
                error TEXT,
                reverts INTEGER REFERENCES audit_log (id),
                reverted_by INTEGER REFERENCES audit_log (id),
                owner TEXT,
                created_at TEXT NOT NULL,
                completed_at TEXT
            )
            """,
            "CREATE INDEX ix_audit_tag ON audit_log (id_tag, id)",
            """
            CREATE TABLE card_meta (
                id_tag TEXT PRIMARY KEY,
                display_name TEXT,
                tag_type TEXT,
                active INTEGER NOT NULL DEFAULT 1,
                lago_customer_id TEXT,
                updated_at TEXT
            )
            """,
            # Last-known SteVe data, for a later start or an outage.
            "CREATE TABLE snapshot_meta (source TEXT PRIMARY KEY, fetched_at TEXT NOT NULL)",
            "CREATE TABLE snapshot_chargers (charge_box_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
            """
            CREATE TABLE snapshot_connectors (
                charge_box_id TEXT NOT NULL,
                connector_id INTEGER NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (charge_box_id, connector_id)
            )
            """,
            """
            CREATE TABLE snapshot_transactions (
                id INTEGER PRIMARY KEY,
                charge_box_id TEXT NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE TABLE snapshot_tags (id_tag TEXT PRIMARY KEY, data TEXT NOT NULL)",
            """
            CREATE TABLE lago_customers (
                external_id TEXT PRIMARY KEY,
                email TEXT,
                data TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE charger_inventory (
                charge_box_id TEXT PRIMARY KEY,
                description TEXT,
                managed INTEGER NOT NULL DEFAULT 0,
                added_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE pairings (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                charge_box_id TEXT NOT NULL,
                armed_by TEXT NOT NULL,
                armed_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                matched_id_tag TEXT,
                matched_at TEXT,
                cancelled_at TEXT
            )
            """,
            "CREATE INDEX ix_pairings_charger ON pairings (charge_box_id, id)",
            """
            CREATE TABLE scan_events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                kind TEXT NOT NULL DEFAULT 'scan.intercepted',
                charge_box_id TEXT NOT NULL,
                connector_id INTEGER,
                id_tag TEXT NOT NULL,
                pairing_id INTEGER REFERENCES pairings (id),
                occurred_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX ix_scan_charger ON scan_events (charge_box_id, occurred_at)",
            "CREATE INDEX ix_scan_tag ON scan_events (id_tag, occurred_at)",
        ],
    ),
]
"""(version, statements). Append new versions; never edit a released one."""

SCHEMA_VERSION = MIGRATIONS[-1][0]


# --------------------------------------------------------------------------
# Owner files: which process holds a pending row (crash detection)
# --------------------------------------------------------------------------


class _OwnerLock:
    """An exclusive ``flock`` on ``<store>-owners/<token>.lock``, held while the
    store is open. The kernel drops it when the process dies (even SIGKILL),
    so "lock free" means "owner gone"."""

    def __init__(self, store_path: Path) -> None:
        self.dir = store_path.with_name(store_path.name + "-owners")
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._fd: int | None = None

    def _file(self, token: str) -> Path:
        safe = token.replace("/", "_").replace(":", "_")
        return self.dir / f"{safe}.lock"

    def acquire(self) -> None:
        """Create our owner file already locked: it is locked under a hidden
        temporary name, then renamed into place, so no other process can ever
        see it unlocked (and take us for dead) while we start."""
        if fcntl is None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        final = self._file(self.token)
        temporary = final.with_name("." + final.name + ".tmp")
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(temporary, final)
        except OSError:
            os.close(fd)
            temporary.unlink(missing_ok=True)
            raise
        self._fd = fd
        self.sweep()

    def sweep(self) -> None:
        """Remove the owner files of processes that died (best effort).

        Safe because a live owner's file is locked from the moment it exists.
        A dead owner's rows still count as dead: a missing file means gone.
        """
        if fcntl is None:
            return
        try:
            paths = list(self.dir.glob("*.lock"))
        except OSError as exc:
            log.debug("cannot list owner files: %s", exc)
            return
        mine = self._file(self.token)
        for path in paths:
            if path == mine:
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue  # gone already, or not ours to read
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # locked: its process is alive
            else:
                path.unlink(missing_ok=True)
            finally:
                os.close(fd)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self._file(self.token).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove owner file: %s", exc)
        os.close(self._fd)
        self._fd = None

    def is_alive(self, token: str | None) -> bool:
        """Whether the process that wrote ``token`` still has the store open."""
        if token is None:
            return False  # rows from before owners were recorded
        if token == self.token:
            return True
        if fcntl is None:  # pragma: no cover - cannot tell; assume gone only if same host+pid dead
            return True
        path = self._file(token)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        except OSError as exc:
            log.warning("cannot check owner %s: %s", token, exc)
            return True  # unsure: never mark a possibly live row
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError as exc:
            log.warning("cannot lock owner file %s: %s", path, exc)
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)


# --------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------


class Store:
    """Every table of Polaris' local state. Open with ``await Store.open(...)``,
    always ``await store.close()``."""

    def __init__(self, db: aiosqlite.Connection, path: Path, clock: _Clock, owner: _OwnerLock):
        self._db = db
        self.path = path
        self.clock = clock
        self._owner = owner
        self._lock = asyncio.Lock()  # one statement sequence at a time on this connection
        self._closed = False

    # -- connection and transactions ---------------------------------------

    @classmethod
    async def open(cls, path: Path | str, *, clock: _Clock) -> Store:
        """Open (creating if needed) the store file, switch to WAL and migrate.

        Raises:
            StoreError: the file cannot be opened or migrated.
        """
        path = Path(path).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the folder for the store {path}: {exc}") from exc
        owner = _OwnerLock(path)
        try:
            owner.acquire()
        except OSError as exc:
            raise StoreError(f"Cannot create the owner file beside {path}: {exc}") from exc
        try:
            db = await aiosqlite.connect(
                str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
        except (sqlite3.Error, OSError) as exc:
            owner.release()
            raise StoreError(f"Cannot open the store {path}: {exc}") from exc
        store = cls(db, path, clock, owner)
        try:
            await store._setup()
        except BaseException:
            await store.close()
            raise
        return store

    async def close(self) -> None:
        """Close the connection (idempotent). Always call it."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._db.close()
        except sqlite3.Error as exc:
            log.warning("closing the store: %s", exc)
        finally:
            self._owner.release()

    @property
    def owner_token(self) -> str:
        """Identifies this open store in the ``owner`` column of pending rows."""
        return self._owner.token

    async def _setup(self) -> None:
        db = self._db
        db.row_factory = aiosqlite.Row
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Switching to WAL needs a moment of exclusive access: retry if another
        # process is starting at the same time.
        for attempt in range(WRITE_ATTEMPTS * 4):
            try:
                cursor = await db.execute("PRAGMA journal_mode = WAL")
                row = await cursor.fetchone()
                await cursor.close()
                if row is not None and str(row[0]).lower() != "wal":
                    log.warning("store %s is not in WAL mode (%s)", self.path, row[0])
                break
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or attempt == WRITE_ATTEMPTS * 4 - 1:
                    raise StoreError(f"Cannot switch the store to WAL: {exc}") from exc
                await asyncio.sleep(0.05 * (attempt + 1))
        await db.execute("PRAGMA synchronous = FULL")  # the audit must survive a crash
        await db.execute("PRAGMA foreign_keys = ON")
        await self._migrate()

    async def _migrate(self) -> None:
        async def apply(db: aiosqlite.Connection) -> int:
            version = await self._scalar(db, "PRAGMA user_version")
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"The store {self.path} was written by a newer Polaris "
                    f"(schema {version}, this one knows {SCHEMA_VERSION})."
                )
            for number, statements in MIGRATIONS:
                if number <= version:
                    continue
                for statement in statements:
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {number}")
                log.info("store migrated to schema %d", number)
            return version

        await self.write(apply)

    async def schema_version(self) -> int:
        """The schema version recorded in the file."""
        async with self._lock:
            return await self._scalar(self._db, "PRAGMA user_version")

    async def journal_mode(self) -> str:
        async with self._lock:
            cursor = await self._db.execute("PRAGMA journal_mode")
            row = await cursor.fetchone()
            await cursor.close()
            return str(row[0]) if row else ""

    @staticmethod
    async def _scalar(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor = await db.execute(sql, params)
        row = await cursor.fetchone()
        await cursor.close()
        return None if row is None else row[0]

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("The local store is closed.")

    async def write(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run ``fn(db)`` in one ``BEGIN IMMEDIATE`` transaction and commit.

        ``fn`` must only touch the database (no HTTP). The whole transaction
        is retried a few times if SQLite still reports "database is locked"
        after its busy timeout. Domain errors raised by ``fn`` roll back and
        propagate unchanged; SQLite errors become ``StoreError``.
        """
        self._check_open()
        async with self._lock:
            for attempt in range(WRITE_ATTEMPTS):
                last = attempt == WRITE_ATTEMPTS - 1
                try:
                    await self._db.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    if _is_locked(exc) and not last:
                        log.warning("store busy, retrying (%d): %s", attempt + 1, exc)
                        await asyncio.sleep(0.05 * 2**attempt)
                        continue
                    raise StoreError(f"Cannot write to the local store: {exc}") from exc
                try:
                    result = await fn(self._db)
                    await self._db.execute("COMMIT")
                    return result
                except BaseException as exc:
                    await self._rollback()
                    if isinstance(exc, sqlite3.Error):
                        if _is_locked(exc) and not last:
                            log.warning("store busy, retrying (%d): %s", attempt + 1, exc)
                            await asyncio.sleep(0.05 * 2**attempt)
                            continue
                        raise StoreError(f"Cannot write to the local store: {exc}") from exc
                    raise
            raise StoreError("The local store stayed locked; nothing was written.")

    async def _rollback(self) -> None:
        try:
            if self._db.in_transaction:
                await self._db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.error("rollback failed: %s", exc)

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """A read outside any write transaction."""
        self._check_open()
        async with self._lock:
            try:
                cursor = await self._db.execute(sql, params)
                rows = await cursor.fetchall()
                await cursor.close()
            except sqlite3.Error as exc:
                raise StoreError(f"Cannot read the local store: {exc}") from exc
        return list(rows)

    async def _fetch_one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._fetch(sql, params)
        return rows[0] if rows else None

    def _now(self) -> str:
        return to_text(self.clock.now())  # type: ignore[return-value]

    # -- operation log ------------------------------------------------------

    @staticmethod
    def _operation(row: aiosqlite.Row) -> OperationLogEntry:
        return OperationLogEntry(
            id=row["id"],
            request_id=row["request_id"],
            charge_box_id=row["charge_box_id"],
            operation=row["operation"],
            params=from_json(row["params"]) or {},
            task_id=row["task_id"],
            requested_by=row["requested_by"],
            dry_run=bool(row["dry_run"]),
            status=OperationStatus(row["status"]),
            result=from_json(row["result"]),
            error_title=row["error_title"],
            error_message=row["error_message"],
            followup=StopFollowup(row["followup"]) if row["followup"] else None,
            followup_at=from_text(row["followup_at"]),
            created_at=from_text(row["created_at"]),
            completed_at=from_text(row["completed_at"]),
        )

    @staticmethod
    async def _operation_by_id(db: aiosqlite.Connection, op_id: int) -> OperationLogEntry:
        cursor = await db.execute("SELECT * FROM charger_operation_log WHERE id = ?", (op_id,))
        row = await cursor.fetchone()
        await cursor.close()
        if row is None:
            raise StoreError(f"Operation log entry {op_id} does not exist.")
        return Store._operation(row)

    async def insert_operation(
        self,
        *,
        charge_box_id: str,
        operation: str,
        params: dict[str, Any],
        requested_by: str,
        dry_run: bool,
        request_id: str | None,
        refuse_identical_pending: bool = True,
    ) -> OperationLogEntry:
        """Write and commit one operation log row (``dry_run`` or ``pending``).

        Raises:
            DuplicateSubmit: ``request_id`` was used before (one request per
                press), or an identical operation (same charger, operation and
                params) is still pending in any process.
        """
        status = OperationStatus.DRY_RUN if dry_run else OperationStatus.PENDING
        now = self._now()
        params_text = to_json(params or {})

        async def do(db: aiosqlite.Connection) -> OperationLogEntry:
            if request_id is not None:
                existing = await self._scalar(
                    db, "SELECT id FROM charger_operation_log WHERE request_id = ?", (request_id,)
                )
                if existing is not None:
                    raise DuplicateSubmit(
                        f"This press was already recorded as operation #{existing}; "
                        "it is not sent twice."
                    )
            if refuse_identical_pending and not dry_run:
                pending = await self._scalar(
                    db,
                    "SELECT id FROM charger_operation_log WHERE status = 'pending' "
                    "AND charge_box_id = ? AND operation = ? AND params = ?",
                    (charge_box_id, operation, params_text),
                )
                if pending is not None:
                    raise DuplicateSubmit(
                        f"The same {operation} on {charge_box_id} is still waiting for "
                        f"SteVe (operation #{pending}); it is not sent twice."
                    )
            try:
                cursor = await db.execute(
                    "INSERT INTO charger_operation_log (request_id, charge_box_id, operation, "
                    "params, requested_by, dry_run, status, owner, created_at, completed_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        request_id,
                        charge_box_id,
                        operation,
                        params_text,
                        requested_by,
                        int(dry_run),
                        status.value,
                        self.owner_token,
                        now,
                        now if dry_run else None,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise DuplicateSubmit(
                    "This press was already recorded; it is not sent twice."
                ) from exc
            op_id = cursor.lastrowid
            await cursor.close()
            return await self._operation_by_id(db, op_id)

        return await self.write(do)

    async def finish_operation(
        self,
        op_id: int,
        status: OperationStatus | str,
        task_id: int | None = None,
        result: dict[str, Any] | None = None,
        error_title: str | None = None,
        error_message: str | None = None,
        *,
        followup: StopFollowup | None = None,
    ) -> OperationLogEntry:
        """Record SteVe's answer (``submitted``) or the failure (``failed``).

        A dry-run row is never changed. Optionally starts a followup
        (``watching``) in the same transaction.
        """
        status = OperationStatus(status)
        now = self._now()

        async def do(db: aiosqlite.Connection) -> OperationLogEntry:
            entry = await self._operation_by_id(db, op_id)
            if entry.dry_run:
                raise StoreError(f"Operation {op_id} is a dry run; it has no outcome to record.")
            await db.execute(
                "UPDATE charger_operation_log SET status = ?, task_id = ?, result = ?, "
                "error_title = ?, error_message = ?, completed_at = ?, "
                "followup = COALESCE(?, followup), followup_at = CASE WHEN ? IS NULL "
                "THEN followup_at ELSE ? END WHERE id = ?",
                (
                    status.value,
                    task_id,
                    to_json(result),
                    error_title,
                    error_message,
                    now,
                    followup.value if followup else None,
                    followup.value if followup else None,
                    now,
                    op_id,
                ),
            )
            return await self._operation_by_id(db, op_id)

        return await self.write(do)

    async def set_followup(
        self, op_id: int, followup: StopFollowup | str, at: datetime | None = None
    ) -> OperationLogEntry:
        """Record what happened after a submitted RemoteStop (watching/closed/still_open)."""
        followup = StopFollowup(followup)
        at_text = to_text(at) if at is not None else self._now()

        async def do(db: aiosqlite.Connection) -> OperationLogEntry:
            await db.execute(
                "UPDATE charger_operation_log SET followup = ?, followup_at = ?, owner = ? "
                "WHERE id = ?",
                (followup.value, at_text, self.owner_token, op_id),
            )
            return await self._operation_by_id(db, op_id)

        return await self.write(do)

    async def get_operation(self, op_id: int) -> OperationLogEntry | None:
        row = await self._fetch_one("SELECT * FROM charger_operation_log WHERE id = ?", (op_id,))
        return None if row is None else self._operation(row)

    async def recent_operations(
        self,
        *,
        charge_box_id: str | None = None,
        requested_by: str | None = None,
        status: OperationStatus | str | None = None,
        limit: int = 100,
    ) -> list[OperationLogEntry]:
        """Newest first."""
        where, params = [], []
        if charge_box_id is not None:
            where.append("charge_box_id = ?")
            params.append(charge_box_id)
        if requested_by is not None:
            where.append("requested_by = ?")
            params.append(requested_by)
        if status is not None:
            where.append("status = ?")
            params.append(OperationStatus(status).value)
        sql = "SELECT * FROM charger_operation_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(int(limit))
        return [self._operation(r) for r in await self._fetch(sql, params)]

    async def mark_interrupted(self) -> list[OperationLogEntry]:
        """Mark ``pending`` rows whose process died as ``interrupted`` (never resent).

        Rows of processes that still have the store open are left alone.
        """
        now = self._now()

        async def do(db: aiosqlite.Connection) -> list[OperationLogEntry]:
            cursor = await db.execute(
                "SELECT id, owner FROM charger_operation_log WHERE status = 'pending'"
            )
            rows = await cursor.fetchall()
            await cursor.close()
            dead = [r["id"] for r in rows if not self._owner.is_alive(r["owner"])]
            for op_id in dead:
                await db.execute(
                    "UPDATE charger_operation_log SET status = 'interrupted', "
                    "error_title = ?, error_message = ?, completed_at = ? WHERE id = ?",
                    (INTERRUPTED_TITLE, INTERRUPTED_MESSAGE, now, op_id),
                )
            return [await self._operation_by_id(db, op_id) for op_id in dead]

        marked = await self.write(do)
        for entry in marked:
            log.warning(
                "operation #%d %s on %s was left pending by a crash: marked interrupted",
                entry.id,
                entry.operation,
                entry.charge_box_id,
            )
        return marked

    async def claim_orphaned_watches(self) -> list[OperationLogEntry]:
        """RemoteStop followups (``watching``) whose watcher process died: take
        them over (owner = this store) so this process can finish watching."""

        async def do(db: aiosqlite.Connection) -> list[OperationLogEntry]:
            cursor = await db.execute(
                "SELECT id, owner FROM charger_operation_log WHERE followup = 'watching'"
            )
            rows = await cursor.fetchall()
            await cursor.close()
            orphans = [r["id"] for r in rows if not self._owner.is_alive(r["owner"])]
            for op_id in orphans:
                await db.execute(
                    "UPDATE charger_operation_log SET owner = ? WHERE id = ?",
                    (self.owner_token, op_id),
                )
            return [await self._operation_by_id(db, op_id) for op_id in orphans]

        return await self.write(do)

    # -- audit log (card edits) ---------------------------------------------

    @staticmethod
    def _audit(row: aiosqlite.Row) -> AuditEntry:
        return AuditEntry(
            id=row["id"],
            actor=row["actor"],
            action=row["action"],
            id_tag=row["id_tag"],
            before=from_json(row["before"]) or {},
            after=from_json(row["after"]) or {},
            status=row["status"],
            error=row["error"],
            reverts=row["reverts"],
            reverted_by=row["reverted_by"],
            created_at=from_text(row["created_at"]),
        )

    @staticmethod
    async def _audit_by_id(db: aiosqlite.Connection, audit_id: int) -> AuditEntry:
        cursor = await db.execute("SELECT * FROM audit_log WHERE id = ?", (audit_id,))
        row = await cursor.fetchone()
        await cursor.close()
        if row is None:
            raise StoreError(f"Audit entry {audit_id} does not exist.")
        return Store._audit(row)

    async def insert_audit(
        self,
        *,
        actor: str,
        action: str,
        id_tag: str,
        before: dict[str, Any],
        after: dict[str, Any],
        reverts: int | None = None,
        status: str = "pending",
    ) -> AuditEntry:
        """Write and commit one audit row (``pending`` until ``finish_audit``)."""
        now = self._now()

        async def do(db: aiosqlite.Connection) -> AuditEntry:
            cursor = await db.execute(
                "INSERT INTO audit_log (actor, action, id_tag, before, after, status, reverts, "
                "owner, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    actor,
                    action,
                    id_tag,
                    to_json(before or {}),
                    to_json(after or {}),
                    status,
                    reverts,
                    self.owner_token,
                    now,
                ),
            )
            audit_id = cursor.lastrowid
            await cursor.close()
            return await self._audit_by_id(db, audit_id)

        return await self.write(do)

    async def finish_audit(
        self, audit_id: int, status: str, error: str | None = None
    ) -> AuditEntry:
        """Record the result of an edit: ``applied`` or ``failed`` with the reason."""
        if status not in ("pending", "applied", "failed"):
            raise StoreError(f"Unknown audit status {status!r}.")
        now = self._now()

        async def do(db: aiosqlite.Connection) -> AuditEntry:
            await db.execute(
                "UPDATE audit_log SET status = ?, error = ?, completed_at = ? WHERE id = ?",
                (status, error, now, audit_id),
            )
            return await self._audit_by_id(db, audit_id)

        return await self.write(do)

    async def set_reverted_by(self, audit_id: int, by: int) -> AuditEntry:
        """Link an edit to the entry that reverted it. Refuses a second revert.

        Raises:
            DuplicateSubmit: the entry was already reverted.
        """

        async def do(db: aiosqlite.Connection) -> AuditEntry:
            entry = await self._audit_by_id(db, audit_id)
            if entry.reverted_by is not None and entry.reverted_by != by:
                raise DuplicateSubmit(
                    f"Audit entry #{audit_id} was already reverted by #{entry.reverted_by}."
                )
            await db.execute("UPDATE audit_log SET reverted_by = ? WHERE id = ?", (by, audit_id))
            return await self._audit_by_id(db, audit_id)

        return await self.write(do)

    async def get_audit(self, audit_id: int) -> AuditEntry | None:
        row = await self._fetch_one("SELECT * FROM audit_log WHERE id = ?", (audit_id,))
        return None if row is None else self._audit(row)

    async def audit_entries(
        self, *, id_tag: str | None = None, limit: int = 200
    ) -> list[AuditEntry]:
        """Newest first."""
        if id_tag is None:
            rows = await self._fetch(
                "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (int(limit),)
            )
        else:
            rows = await self._fetch(
                "SELECT * FROM audit_log WHERE id_tag = ? ORDER BY id DESC LIMIT ?",
                (id_tag, int(limit)),
            )
        return [self._audit(r) for r in rows]

    async def mark_interrupted_audits(self) -> list[AuditEntry]:
        """Card edits left ``pending`` by a dead process become ``failed`` with a
        reason, so the audit log never shows a forever-pending edit."""

        async def do(db: aiosqlite.Connection) -> list[AuditEntry]:
            cursor = await db.execute("SELECT id, owner FROM audit_log WHERE status = 'pending'")
            rows = await cursor.fetchall()
            await cursor.close()
            dead = [r["id"] for r in rows if not self._owner.is_alive(r["owner"])]
            for audit_id in dead:
                await db.execute(
                    "UPDATE audit_log SET status = 'failed', error = ?, completed_at = ? "
                    "WHERE id = ?",
                    (
                        "Interrupted: Polaris stopped before SteVe answered; "
                        "check the card before trying again.",
                        self._now(),
                        audit_id,
                    ),
                )
            return [await self._audit_by_id(db, audit_id) for audit_id in dead]

        return await self.write(do)

    # -- card metadata ------------------------------------------------------

    @staticmethod
    def _card_meta(row: aiosqlite.Row) -> CardMeta:
        return CardMeta(
            id_tag=row["id_tag"],
            display_name=row["display_name"],
            tag_type=row["tag_type"],
            active=bool(row["active"]),
            lago_customer_id=row["lago_customer_id"],
        )

    async def card_meta_all(self) -> dict[str, CardMeta]:
        rows = await self._fetch("SELECT * FROM card_meta ORDER BY id_tag")
        return {r["id_tag"]: self._card_meta(r) for r in rows}

    async def get_card_meta(self, id_tag: str) -> CardMeta | None:
        row = await self._fetch_one("SELECT * FROM card_meta WHERE id_tag = ?", (id_tag,))
        return None if row is None else self._card_meta(row)

    async def upsert_card_meta(self, meta: CardMeta) -> CardMeta:
        now = self._now()

        async def do(db: aiosqlite.Connection) -> CardMeta:
            await db.execute(
                "INSERT INTO card_meta (id_tag, display_name, tag_type, active, lago_customer_id, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id_tag) DO UPDATE SET "
                "display_name = excluded.display_name, tag_type = excluded.tag_type, "
                "active = excluded.active, lago_customer_id = excluded.lago_customer_id, "
                "updated_at = excluded.updated_at",
                (
                    meta.id_tag,
                    meta.display_name,
                    meta.tag_type,
                    int(meta.active),
                    meta.lago_customer_id,
                    now,
                ),
            )
            return meta

        return await self.write(do)

    async def delete_card_meta(self, id_tag: str) -> None:
        """Remove a card's local metadata (used by a revert of its creation)."""

        async def do(db: aiosqlite.Connection) -> None:
            await db.execute("DELETE FROM card_meta WHERE id_tag = ?", (id_tag,))

        await self.write(do)

    # -- snapshot of SteVe data, Lago customers cache -------------------------

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Replace the last-known SteVe data (chargers, connectors, open
        sessions, tags) and its time, in one transaction."""
        chargers: list[tuple[str, str]] = []
        connectors: list[tuple[str, int, str]] = []
        for box in snapshot.chargers:
            chargers.append((box.charge_box_id, box.model_dump_json(exclude={"connectors"})))
            for conn in box.connectors:
                connectors.append((box.charge_box_id, conn.connector_id, conn.model_dump_json()))
        transactions = [
            (tx.id, tx.charge_box_id, tx.model_dump_json()) for tx in snapshot.active_transactions
        ]
        tags = [(tag.id_tag, tag.model_dump_json()) for tag in snapshot.tags]
        fetched_at = to_text(snapshot.fetched_at)

        async def do(db: aiosqlite.Connection) -> None:
            for table in (
                "snapshot_chargers",
                "snapshot_connectors",
                "snapshot_transactions",
                "snapshot_tags",
            ):
                await db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            await db.executemany(
                "INSERT OR REPLACE INTO snapshot_chargers (charge_box_id, data) VALUES (?, ?)",
                chargers,
            )
            await db.executemany(
                "INSERT OR REPLACE INTO snapshot_connectors (charge_box_id, connector_id, data) "
                "VALUES (?, ?, ?)",
                connectors,
            )
            await db.executemany(
                "INSERT OR REPLACE INTO snapshot_transactions (id, charge_box_id, data) "
                "VALUES (?, ?, ?)",
                transactions,
            )
            await db.executemany(
                "INSERT OR REPLACE INTO snapshot_tags (id_tag, data) VALUES (?, ?)", tags
            )
            await db.execute(
                "INSERT INTO snapshot_meta (source, fetched_at) VALUES ('steve', ?) "
                "ON CONFLICT (source) DO UPDATE SET fetched_at = excluded.fetched_at",
                (fetched_at,),
            )

        await self.write(do)

    async def load_snapshot(self) -> Snapshot | None:
        """The last saved SteVe data, or None if there never was one."""
        self._check_open()
        async with self._lock:
            try:
                return await self._load_snapshot_locked()
            except sqlite3.Error as exc:
                raise StoreError(f"Cannot read the saved snapshot: {exc}") from exc

    async def _load_snapshot_locked(self) -> Snapshot | None:
        db = self._db
        # One read transaction so the four tables agree with each other.
        await db.execute("BEGIN")
        try:
            fetched = await self._scalar(
                db, "SELECT fetched_at FROM snapshot_meta WHERE source = 'steve'"
            )
            if fetched is None:
                return None
            cursor = await db.execute(
                "SELECT charge_box_id, connector_id, data FROM snapshot_connectors "
                "ORDER BY charge_box_id, connector_id"
            )
            by_box: dict[str, list[ConnectorStatus]] = {}
            for row in await cursor.fetchall():
                by_box.setdefault(row[0], []).append(ConnectorStatus.model_validate_json(row[2]))
            await cursor.close()
            cursor = await db.execute(
                "SELECT charge_box_id, data FROM snapshot_chargers ORDER BY rowid"
            )
            chargers = []
            for row in await cursor.fetchall():
                box = ChargeBox.model_validate_json(row[1])
                box.connectors = by_box.get(row[0], [])
                chargers.append(box)
            await cursor.close()
            cursor = await db.execute("SELECT data FROM snapshot_transactions ORDER BY id DESC")
            transactions = [Transaction.model_validate_json(r[0]) for r in await cursor.fetchall()]
            await cursor.close()
            cursor = await db.execute("SELECT data FROM snapshot_tags ORDER BY rowid")
            tags = [OcppTag.model_validate_json(r[0]) for r in await cursor.fetchall()]
            await cursor.close()
        finally:
            await db.execute("COMMIT")
        return Snapshot(
            chargers=chargers,
            active_transactions=transactions,
            tags=tags,
            fetched_at=from_text(fetched),
        )

    async def save_customers(self, customers: Iterable[LagoCustomer], fetched_at: datetime) -> None:
        """Replace the Lago customers cache and its time."""
        rows = [(c.external_id, c.email, c.model_dump_json()) for c in customers]

        async def do(db: aiosqlite.Connection) -> None:
            await db.execute("DELETE FROM lago_customers")
            await db.executemany(
                "INSERT OR REPLACE INTO lago_customers (external_id, email, data) VALUES (?, ?, ?)",
                rows,
            )
            await db.execute(
                "INSERT INTO snapshot_meta (source, fetched_at) VALUES ('lago', ?) "
                "ON CONFLICT (source) DO UPDATE SET fetched_at = excluded.fetched_at",
                (to_text(fetched_at),),
            )

        await self.write(do)

    async def load_customers(self) -> tuple[list[LagoCustomer], datetime] | None:
        """The cached Lago customers and when they were fetched, or None."""
        meta = await self._fetch_one("SELECT fetched_at FROM snapshot_meta WHERE source = 'lago'")
        if meta is None:
            return None
        rows = await self._fetch("SELECT data FROM lago_customers ORDER BY rowid")
        return (
            [LagoCustomer.model_validate_json(r["data"]) for r in rows],
            from_text(meta["fetched_at"]),  # type: ignore[return-value]
        )

    # -- charger inventory (chargers known locally) -------------------------

    async def inventory(self) -> list[InventoryCharger]:
        rows = await self._fetch("SELECT * FROM charger_inventory ORDER BY charge_box_id")
        return [
            InventoryCharger(
                charge_box_id=r["charge_box_id"],
                description=r["description"],
                managed=bool(r["managed"]),
            )
            for r in rows
        ]

    async def add_inventory(self, charger: InventoryCharger) -> InventoryCharger:
        """Add or update a locally known charger (idempotent)."""
        now = self._now()

        async def do(db: aiosqlite.Connection) -> InventoryCharger:
            await db.execute(
                "INSERT INTO charger_inventory (charge_box_id, description, managed, added_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (charge_box_id) DO UPDATE SET "
                "description = excluded.description, managed = excluded.managed",
                (charger.charge_box_id, charger.description, int(charger.managed), now),
            )
            return charger

        return await self.write(do)

    # -- scan-to-login: pairings and scan events ------------------------------

    @staticmethod
    def _pairing(row: aiosqlite.Row) -> Pairing:
        return Pairing(
            id=row["id"],
            charge_box_id=row["charge_box_id"],
            armed_by=row["armed_by"],
            armed_at=from_text(row["armed_at"]),
            expires_at=from_text(row["expires_at"]),
            matched_id_tag=row["matched_id_tag"],
            matched_at=from_text(row["matched_at"]),
            cancelled_at=from_text(row["cancelled_at"]),
        )

    @staticmethod
    async def _pairing_by_id(db: aiosqlite.Connection, pairing_id: int) -> Pairing | None:
        cursor = await db.execute("SELECT * FROM pairings WHERE id = ?", (pairing_id,))
        row = await cursor.fetchone()
        await cursor.close()
        return None if row is None else Store._pairing(row)

    @staticmethod
    def _scan_event(row: aiosqlite.Row) -> ScanEvent:
        return ScanEvent(
            id=row["id"],
            kind=row["kind"],
            charge_box_id=row["charge_box_id"],
            connector_id=row["connector_id"],
            id_tag=row["id_tag"],
            pairing_id=row["pairing_id"],
            occurred_at=from_text(row["occurred_at"]),
        )

    async def insert_pairing(
        self,
        charge_box_id: str,
        *,
        armed_by: str,
        expires_at: datetime,
        armed_at: datetime | None = None,
    ) -> Pairing:
        """Arm a scan-to-login pairing on one charger."""
        armed = to_text(armed_at) if armed_at is not None else self._now()

        async def do(db: aiosqlite.Connection) -> Pairing:
            cursor = await db.execute(
                "INSERT INTO pairings (charge_box_id, armed_by, armed_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (charge_box_id, armed_by, armed, to_text(expires_at)),
            )
            pairing_id = cursor.lastrowid
            await cursor.close()
            return await self._pairing_by_id(db, pairing_id)  # type: ignore[return-value]

        return await self.write(do)

    async def update_pairing(
        self,
        pairing_id: int,
        *,
        matched_id_tag: str | None = UNSET,
        matched_at: datetime | None = UNSET,
        cancelled_at: datetime | None = UNSET,
        expires_at: datetime = UNSET,
    ) -> Pairing:
        """Change the given columns of a pairing (others untouched).

        Raises:
            StoreError: no such pairing.
        """
        sets: list[str] = []
        values: list[Any] = []
        for column, value in (
            ("matched_id_tag", matched_id_tag),
            ("matched_at", matched_at),
            ("cancelled_at", cancelled_at),
            ("expires_at", expires_at),
        ):
            if value is UNSET:
                continue
            sets.append(f"{column} = ?")
            values.append(to_text(value) if isinstance(value, datetime) else value)

        async def do(db: aiosqlite.Connection) -> Pairing:
            if sets:
                await db.execute(
                    f"UPDATE pairings SET {', '.join(sets)} WHERE id = ?",  # noqa: S608
                    (*values, pairing_id),
                )
            pairing = await self._pairing_by_id(db, pairing_id)
            if pairing is None:
                raise StoreError(f"Pairing {pairing_id} does not exist.")
            return pairing

        return await self.write(do)

    async def get_pairing(self, pairing_id: int) -> Pairing | None:
        row = await self._fetch_one("SELECT * FROM pairings WHERE id = ?", (pairing_id,))
        return None if row is None else self._pairing(row)

    async def pairings(
        self, charge_box_id: str | None = None, include_inactive: bool = False
    ) -> list[Pairing]:
        """Pairings, newest first; by default only those armed now (not matched,
        not cancelled, not expired by the clock)."""
        where, params = [], []
        if charge_box_id is not None:
            where.append("charge_box_id = ?")
            params.append(charge_box_id)
        if not include_inactive:
            where.append("matched_at IS NULL AND cancelled_at IS NULL AND expires_at > ?")
            params.append(self._now())
        sql = "SELECT * FROM pairings"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY armed_at DESC, id DESC"
        return [self._pairing(r) for r in await self._fetch(sql, params)]

    async def insert_scan_event(
        self,
        *,
        charge_box_id: str,
        id_tag: str,
        connector_id: int | None = None,
        pairing_id: int | None = None,
        occurred_at: datetime | None = None,
        kind: str = "scan.intercepted",
    ) -> ScanEvent:
        """Record one intercepted tap."""
        occurred = to_text(occurred_at) if occurred_at is not None else self._now()

        async def do(db: aiosqlite.Connection) -> ScanEvent:
            cursor = await db.execute(
                "INSERT INTO scan_events (kind, charge_box_id, connector_id, id_tag, pairing_id, "
                "occurred_at) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, charge_box_id, connector_id, id_tag, pairing_id, occurred),
            )
            event_id = cursor.lastrowid
            await cursor.close()
            cursor = await db.execute("SELECT * FROM scan_events WHERE id = ?", (event_id,))
            row = await cursor.fetchone()
            await cursor.close()
            return self._scan_event(row)

        return await self.write(do)

    async def scan_events(
        self,
        *,
        charge_box_id: str | None = None,
        id_tag: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[ScanEvent]:
        """Intercepted taps, newest first."""
        where, params = [], []
        if charge_box_id is not None:
            where.append("charge_box_id = ?")
            params.append(charge_box_id)
        if id_tag is not None:
            where.append("id_tag = ?")
            params.append(id_tag)
        if since is not None:
            where.append("occurred_at >= ?")
            params.append(to_text(since))
        sql = "SELECT * FROM scan_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY occurred_at DESC, id DESC LIMIT ?"
        params.append(int(limit))
        return [self._scan_event(r) for r in await self._fetch(sql, params)]

    async def claim_pairing(
        self,
        charge_box_id: str,
        id_tag: str,
        *,
        connector_id: int | None = None,
        at: datetime | None = None,
        deadline: float | None = None,
    ) -> tuple[Pairing, ScanEvent | None] | None:
        """The hook's decision, atomic across processes (one ``BEGIN IMMEDIATE``).

        ``deadline`` (a ``time.monotonic()`` value; added for the pre-authorize
        hook): if the write lock is only obtained after it, SteVe has already
        stopped waiting and decided on its own, so nothing is claimed or
        recorded and None is returned (the event log never claims an
        intercept the charger did not see).

        Returns:
            ``(pairing, event)`` for a fresh match (the oldest armed pairing on
            that charger is matched to ``id_tag`` and a ``scan.intercepted``
            event committed); ``(pairing, None)`` for a replay of the same tap
            (a pairing still in its window already matched to this idTag: no
            second event); ``None`` when nothing is armed for this tap.
        """
        when = at or self.clock.now()
        when_text = to_text(when)

        async def do(db: aiosqlite.Connection) -> tuple[Pairing, ScanEvent | None] | None:
            if deadline is not None and time.monotonic() > deadline:  # hook: too late to matter
                log.warning(
                    "scan-to-login claim at %s skipped: past the hook's deadline", charge_box_id
                )
                return None
            cursor = await db.execute(
                "SELECT * FROM pairings WHERE charge_box_id = ? AND cancelled_at IS NULL "
                "AND expires_at > ? AND matched_id_tag = ? ORDER BY id DESC LIMIT 1",
                (charge_box_id, when_text, id_tag),
            )
            replay = await cursor.fetchone()
            await cursor.close()
            if replay is not None:
                return self._pairing(replay), None
            cursor = await db.execute(
                "SELECT * FROM pairings WHERE charge_box_id = ? AND cancelled_at IS NULL "
                "AND matched_at IS NULL AND expires_at > ? AND armed_at <= ? "
                "ORDER BY id LIMIT 1",
                (charge_box_id, when_text, when_text),
            )
            armed = await cursor.fetchone()
            await cursor.close()
            if armed is None:
                return None
            await db.execute(
                "UPDATE pairings SET matched_id_tag = ?, matched_at = ? WHERE id = ?",
                (id_tag, when_text, armed["id"]),
            )
            cursor = await db.execute(
                "INSERT INTO scan_events (kind, charge_box_id, connector_id, id_tag, pairing_id, "
                "occurred_at) VALUES ('scan.intercepted', ?, ?, ?, ?, ?)",
                (charge_box_id, connector_id, id_tag, armed["id"], when_text),
            )
            event_id = cursor.lastrowid
            await cursor.close()
            cursor = await db.execute("SELECT * FROM scan_events WHERE id = ?", (event_id,))
            event_row = await cursor.fetchone()
            await cursor.close()
            pairing = await self._pairing_by_id(db, armed["id"])
            return pairing, self._scan_event(event_row)  # type: ignore[return-value]

        return await self.write(do)

    # -- card edits: revert bookkeeping (added by the cards/scan-login engineer) --

    async def clear_reverted_by(self, audit_id: int, by: int) -> AuditEntry:
        """Undo ``set_reverted_by(audit_id, by)`` when that revert failed, so the
        edit can be reverted again. Only clears it if it still points at ``by``
        (another revert that won meanwhile is left alone)."""

        async def do(db: aiosqlite.Connection) -> AuditEntry:
            await db.execute(
                "UPDATE audit_log SET reverted_by = NULL WHERE id = ? AND reverted_by = ?",
                (audit_id, by),
            )
            return await self._audit_by_id(db, audit_id)

        return await self.write(do)
