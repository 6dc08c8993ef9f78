"""The embedded backend: one SQLite file shared by every Polaris process on a host.

Why it is built this way (PITFALLS.md, "SQLite"):

* WAL journal, so readers never block the writer and several processes
  (consoles over SSH, ``polaris hook``) can share the file;
* every write runs in ``BEGIN IMMEDIATE``: a plain ``BEGIN`` that reads and
  then writes after another process committed fails at once with
  SQLITE_BUSY_SNAPSHOT, whatever the busy timeout;
* a busy timeout (5 s) plus a few retries of the whole write transaction on
  "database is locked", as a last line of defence;
* the aiosqlite thread is non-daemon, so ``close()`` must always be called
  (a connection left open hangs the process at exit).

Schema changes are versioned with ``PRAGMA user_version`` and applied inside
one ``BEGIN IMMEDIATE`` transaction, so two processes starting at once cannot
both migrate.

Console sessions: each open store holds an exclusive ``flock`` on its own
owner file; a session whose file is no longer locked has died (the kernel
drops the lock even on SIGKILL). This works for every process on one host,
which is all a SQLite file can be shared by.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiosqlite

from polaris_tui.models.errors import StoreError
from polaris_tui.store.backend import (
    IntegrityViolation,
    Tx,
    newer_schema_message,
    older_schema_message,
)
from polaris_tui.store.changes import ALL_TOPICS, ChangeCallback, LinkCallback
from polaris_tui.store.files import create_file, ensure_folder
from polaris_tui.store.migrations import SCHEMA_VERSION
from polaris_tui.store.migrations.sqlite import MIGRATIONS
from polaris_tui.store.sqlite_owner import OwnerLock
from polaris_tui.store.sqlite_tx import SqliteTx
from polaris_tui.store.target import StoreTarget

log = logging.getLogger(__name__)

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
"""How long SQLite itself waits for another process's write lock."""

WRITE_ATTEMPTS = 5
"""Whole-transaction retries on "database is locked" after the busy timeout."""

CHANGE_POLL_SECONDS = 0.5
"""How often another process's commit is looked for (``PRAGMA data_version``)."""


def _is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


class SqliteBackend:
    """``Backend`` on one SQLite file. Open with ``await SqliteBackend.open(...)``."""

    def __init__(self, db: aiosqlite.Connection, target: StoreTarget, owner: OwnerLock) -> None:
        self._db = db
        self.target = target
        self._path: Path = target.path  # type: ignore[assignment]
        self._owner = owner
        self._lock = asyncio.Lock()  # one statement sequence at a time on this connection
        self._closed = False
        self._announce = False  # no store_changes table until migrated to schema 3
        self._watch: asyncio.Task[None] | None = None
        self._own_versions: dict[str, set[int]] = {}

    @classmethod
    async def open(cls, target: StoreTarget, *, shared_group: bool = False) -> SqliteBackend:
        """Open (creating if needed) the file with private (or group) modes, switch to WAL.

        Raises:
            StoreError: the file cannot be created or opened.
        """
        path = target.path
        assert path is not None
        try:
            ensure_folder(path.parent, shared=shared_group)
            create_file(path, shared=shared_group)  # before SQLite: WAL/SHM copy its mode
        except OSError as exc:
            raise StoreError(f"Cannot create the store {path}: {exc}") from exc
        owner = OwnerLock(path, shared=shared_group)
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
        backend = cls(db, target, owner)
        try:
            await backend._setup()
        except BaseException:
            await backend.close()
            raise
        return backend

    writable = True
    """A SQLite file this process opened is one it can write (the file's
    mode decides, and opening checks it)."""

    @property
    def owner_token(self) -> str:
        return self._owner.token

    @property
    def path(self) -> Path:
        return self._path

    async def close(self) -> None:
        """Close the connection (idempotent). Always call it."""
        if self._closed:
            return
        self._closed = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        try:
            await self._db.close()
        except sqlite3.Error as exc:
            log.warning("closing the store: %s", exc)
        finally:
            self._owner.release()

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

    # -- schema ----------------------------------------------------------------

    async def migrate(self) -> int:
        async def apply(tx: Tx) -> int:
            version = int(await tx.scalar("PRAGMA user_version"))
            if version > SCHEMA_VERSION:
                raise StoreError(newer_schema_message(str(self.path), version, SCHEMA_VERSION))
            for number, statements in MIGRATIONS:
                if number <= version:
                    continue
                for statement in statements:
                    await tx.execute(statement)
                await tx.execute(f"PRAGMA user_version = {number}")
                log.info("store migrated to schema %d", number)
            return version

        before = await self.write(apply)
        self._announce = True
        return before

    async def check_schema(self) -> int:
        version = await self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(newer_schema_message(str(self.path), version, SCHEMA_VERSION))
        if version < SCHEMA_VERSION:
            raise StoreError(older_schema_message(str(self.path), version, SCHEMA_VERSION))
        self._announce = True
        return version

    async def schema_version(self) -> int:
        return int(await self.read(lambda tx: tx.scalar("PRAGMA user_version")))

    async def journal_mode(self) -> str:
        return str(await self.read(lambda tx: tx.scalar("PRAGMA journal_mode")) or "")

    # -- transactions ------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("The local store is closed.")

    async def write(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """Run ``fn(tx)`` in one ``BEGIN IMMEDIATE`` transaction and commit.

        The whole transaction is retried a few times if SQLite still reports
        "database is locked" after its busy timeout. Domain errors raised by
        ``fn`` roll back and propagate unchanged; SQLite errors become
        ``StoreError``.
        """
        self._check_open()
        async with self._lock:
            for attempt in range(WRITE_ATTEMPTS):
                tx = SqliteTx(self._db)
                bumped: list[tuple[str, int]] = []
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
                    result = await fn(tx)
                    bumped = await self._bump_changes(tx) if self._announce else []
                    # Ours, so the watcher skips them: noted before COMMIT, as the
                    # watcher may see the commit before this coroutine resumes.
                    for topic, version in bumped:
                        self._own_versions.setdefault(topic, set()).add(version)
                    await self._db.execute("COMMIT")
                    return result
                except BaseException as exc:
                    for topic, version in bumped:  # never committed: not ours after all
                        self._own_versions.get(topic, set()).discard(version)
                    await self._rollback()
                    if isinstance(exc, IntegrityViolation):
                        raise StoreError(f"Cannot write to the local store: {exc}") from exc
                    if isinstance(exc, sqlite3.Error):
                        if _is_locked(exc) and not last:
                            log.warning("store busy, retrying (%d): %s", attempt + 1, exc)
                            await asyncio.sleep(0.05 * 2**attempt)
                            continue
                        raise StoreError(f"Cannot write to the local store: {exc}") from exc
                    raise
            raise StoreError("The local store stayed locked; nothing was written.")

    async def _bump_changes(self, tx: SqliteTx) -> list[tuple[str, int]]:
        """Count this transaction's topics up in ``store_changes``; the new versions."""
        bumped = []
        for topic in sorted(tx.touched.topics):
            cursor = await self._db.execute(
                "INSERT INTO store_changes (topic, version) VALUES (?, 1) "
                "ON CONFLICT (topic) DO UPDATE SET version = version + 1 RETURNING version",
                (topic,),
            )
            row = await cursor.fetchone()
            await cursor.close()
            if row is not None:
                bumped.append((topic, int(row[0])))
        return bumped

    async def _rollback(self) -> None:
        try:
            if self._db.in_transaction:
                await self._db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.error("rollback failed: %s", exc)

    async def read(self, fn: Callable[[Tx], Awaitable[T]], *, consistent: bool = False) -> T:
        self._check_open()
        tx = SqliteTx(self._db)
        async with self._lock:
            try:
                if not consistent:
                    return await fn(tx)
                # One read transaction, so several tables agree with each other.
                await self._db.execute("BEGIN")
                try:
                    return await fn(tx)
                finally:
                    await self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"Cannot read the local store: {exc}") from exc

    # -- live changes ------------------------------------------------------------

    async def watch_changes(
        self,
        callback: ChangeCallback,
        on_link: LinkCallback | None = None,
        *,
        interval: float = CHANGE_POLL_SECONDS,
    ) -> None:
        """Poll ``PRAGMA data_version`` on a connection of its own and call
        ``callback(topics)`` when another process committed a watched change
        (this store's own writes are recognised by the versions they made)."""
        self._check_open()
        try:
            db = await aiosqlite.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"Cannot watch the store {self.path}: {exc}") from exc
        try:  # where we start from, read now: a write right after this call is news
            start = await self._versions(db)
        except sqlite3.Error as exc:
            await db.close()
            raise StoreError(f"Cannot watch the store {self.path}: {exc}") from exc
        except BaseException:  # cancelled (a quit during start): its thread must end
            await db.close()
            raise
        self._watch = asyncio.get_running_loop().create_task(
            self._poll_changes(db, callback, on_link, interval, start)
        )

    @staticmethod
    async def _versions(db: aiosqlite.Connection) -> tuple[int, dict[str, int]]:
        cursor = await db.execute("PRAGMA data_version")
        row = await cursor.fetchone()
        cursor = await db.execute("SELECT topic, version FROM store_changes")
        versions = {str(topic): int(version) for topic, version in await cursor.fetchall()}
        return int(row[0]) if row else 0, versions

    async def _poll_changes(
        self,
        db: aiosqlite.Connection,
        callback: ChangeCallback,
        on_link: LinkCallback | None,
        interval: float,
        start: tuple[int, dict[str, int]],
    ) -> None:
        try:
            data_version, versions = start
            failing = False
            while True:
                await asyncio.sleep(interval)
                try:
                    cursor = await db.execute("PRAGMA data_version")
                    row = await cursor.fetchone()
                    if failing:  # checked again: say so, and let screens re-read
                        failing = False
                        if on_link is not None:
                            on_link(None)
                        callback(ALL_TOPICS)
                    if row is None or int(row[0]) == data_version:
                        continue
                    data_version, now = await self._versions(db)
                except sqlite3.Error as exc:
                    if not failing:
                        log.warning("cannot check the store for changes: %s", exc)
                        if on_link is not None:
                            on_link(f"cannot check the store for changes ({exc})")
                    failing = True
                    continue
                topics = frozenset(t for t, v in now.items() if self._others(t, versions, v))
                versions = now
                if topics:
                    try:
                        callback(topics)
                    except Exception:
                        log.exception("a store change listener failed")
        finally:
            await db.close()

    def _others(self, topic: str, seen: dict[str, int], version: int) -> bool:
        """Whether a version of ``topic`` after ``seen`` came from another connection."""
        own = self._own_versions.get(topic, set())
        new = range(seen.get(topic, 0) + 1, version + 1)
        foreign = any(v not in own for v in new)
        own.difference_update(v for v in list(own) if v <= version)
        return foreign

    async def owner_alive(self, tx: Tx, token: str | None) -> bool:
        return self._owner.is_alive(token)
