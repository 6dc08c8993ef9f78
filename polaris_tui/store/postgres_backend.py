"""The team's backend: PostgreSQL through asyncpg.

Guarantees, the same as the SQLite store's:

* **Committed before SteVe is called**: ``write()`` returns only after COMMIT.
* **No lost writes with several consoles**: every write transaction runs
  ``SERIALIZABLE`` and is retried whole on a serialization failure or a
  deadlock, so a read-then-write (the duplicate check before an operation
  row, a revert link) behaves as if the consoles took turns.
* **A console that died is found from any host**: each open store registers
  a row in ``console_sessions`` and holds a session-level advisory lock on
  ``(LOCK_NAMESPACE, id)`` on its own connection. The server drops the lock
  when that connection goes (process killed; a host gone, after TCP
  keepalive). ``heartbeat_at`` (server time) is refreshed every
  ``HEARTBEAT_SECONDS``; a lock held with no heartbeat for
  ``SESSION_STALE_SECONDS`` counts as dead too (a half-open link). A
  console whose own connection goes (a server restart) joins again at once
  with the same token (store/pg_session.py), and its change listener
  reconnects (store/pg_listen.py).
* **Migrations once**: under a transaction-level advisory lock, so consoles
  starting together cannot both migrate; DDL is transactional.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from polaris_tui.models.errors import StoreError
from polaris_tui.store.backend import (
    IntegrityViolation,
    Tx,
    newer_schema_message,
    older_schema_message,
)
from polaris_tui.store.changes import CHANNEL, ChangeCallback, LinkCallback, encode
from polaris_tui.store.migrations import SCHEMA_VERSION
from polaris_tui.store.migrations.postgres import MIGRATIONS, VERSION_TABLE
from polaris_tui.store.origin import Origin, current_origin
from polaris_tui.store.pg_listen import ChangeListener
from polaris_tui.store.pg_session import LOCK_NAMESPACE, ConsoleSession, ReadOnlyLogin
from polaris_tui.store.postgres_sql import (
    ADMIN_ROLE,
    DRIVER_ERRORS,
    RETRYABLE,
    VIEWER_ROLE,
    PgTx,
    grants,
)
from polaris_tui.store.target import StoreTarget

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATION_LOCK = (LOCK_NAMESPACE + 1, 0)

WRITE_RETRY_SECONDS = 30.0
"""How long a write keeps retrying its whole transaction on a serialization
failure or deadlock (PostgreSQL's predicate locks are coarse, so busy
consoles conflict more often than their rows do)."""
CONNECT_TIMEOUT = 10.0
SESSION_STALE_SECONDS = 120.0
POOL_SIZE = 4


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class PostgresBackend:
    """``Backend`` on a PostgreSQL database. Open with ``await PostgresBackend.open(...)``."""

    def __init__(self, pool: asyncpg.Pool, target: StoreTarget, origin: Origin) -> None:
        self._pool = pool
        self.target = target
        self.origin = origin
        self._owner_token = f"{origin.console_host}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._session: ConsoleSession | None = None
        self._listener: ChangeListener | None = None
        self._closed = False
        self.writable = True
        """False for a read-only database login (``polaris_viewer``): found
        when this console's session row is refused at start."""
        # One write at a time from this console (as on SQLite): its own
        # coroutines never conflict with each other, only with other consoles.
        self._write_lock = asyncio.Lock()

    @property
    def owner_token(self) -> str:
        return self._owner_token

    @property
    def path(self) -> None:
        return None

    @property
    def change_listener(self) -> ChangeListener | None:
        """The LISTEN side of ``watch_changes`` once it is called."""
        return self._listener

    # -- lifecycle -------------------------------------------------------------

    @staticmethod
    def _server_settings(origin: Origin) -> dict[str, str]:
        # application_name shows who is connected in pg_stat_activity; keepalives
        # make a vanished host's connection (and its advisory lock) go in ~1 min.
        name = f"polaris {_os_user()}@{origin.describe()} pid {os.getpid()}"
        return {
            "application_name": name[:63],
            "tcp_keepalives_idle": "30",
            "tcp_keepalives_interval": "10",
            "tcp_keepalives_count": "3",
        }

    @classmethod
    async def open(cls, target: StoreTarget, *, origin: Origin | None = None) -> PostgresBackend:
        """Connect (no console session yet: ``start_session()`` after the schema check).

        Raises:
            StoreError: the server cannot be reached or refuses the login.
        """
        origin = origin or current_origin()
        try:
            pool = await asyncpg.create_pool(
                target.dsn,
                min_size=1,
                max_size=POOL_SIZE,
                timeout=CONNECT_TIMEOUT,
                server_settings=cls._server_settings(origin),
            )
        except DRIVER_ERRORS as exc:
            raise StoreError(f"Cannot open the store {target.describe()}: {exc}") from exc
        return cls(pool, target, origin)

    async def start_session(self) -> None:
        """Register this console and hold its advisory lock until ``close()``,
        taken up again if the connection goes (store/pg_session.py)."""

        async def connect() -> asyncpg.Connection:
            return await asyncpg.connect(
                self.target.dsn,
                timeout=CONNECT_TIMEOUT,
                server_settings=self._server_settings(self.origin),
            )

        session = ConsoleSession(connect, self.owner_token, _os_user(), self.origin)
        try:
            await session.start()
        except ReadOnlyLogin:
            # A viewer's read-only login: it never leaves a pending row, so it
            # needs no session for others to find it gone by.
            log.info("read-only database login: no console session registered")
            self.writable = False
            return
        except DRIVER_ERRORS as exc:
            raise StoreError(f"Cannot register this console in the store: {exc}") from exc
        self._session = session
        await self._sweep_sessions()

    @property
    def session(self) -> ConsoleSession | None:
        """This console's registered session (None for a read-only login)."""
        return self._session

    @property
    def session_id(self) -> int | None:
        return None if self._session is None else self._session.session_id

    async def _sweep_sessions(self) -> None:
        """Delete the session rows of consoles that are gone (their lock is free)."""

        async def sweep(tx: Tx) -> None:
            rows = await tx.fetchall(
                "SELECT id, token FROM console_sessions WHERE id <> ?", (self.session_id,)
            )
            for row in rows:
                if await self._lock_is_free(tx, row["id"]):
                    await tx.execute("DELETE FROM console_sessions WHERE id = ?", (row["id"],))

        try:
            await self.write(sweep)
        except StoreError as exc:
            log.warning("could not sweep ended console sessions: %s", exc)

    async def close(self) -> None:
        """End the session (its lock goes) and close the pool (idempotent)."""
        if self._closed:
            return
        self._closed = True
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        try:
            await self._pool.close()
        except DRIVER_ERRORS as exc:
            log.warning("closing the store: %s", exc)
            self._pool.terminate()

    # -- live changes ------------------------------------------------------------

    async def watch_changes(
        self, callback: ChangeCallback, on_link: LinkCallback | None = None
    ) -> None:
        """LISTEN for other consoles' writes on a connection of its own;
        ``callback(topics)`` runs for each (never for this console's own).
        The connection is kept up (store/pg_listen.py): ``on_link(reason)``
        says live updates are down, ``on_link(None)`` that they are back."""
        self._check_open()

        async def connect() -> asyncpg.Connection:
            return await asyncpg.connect(
                self.target.dsn,
                timeout=CONNECT_TIMEOUT,
                server_settings=self._server_settings(self.origin),
            )

        self._listener = ChangeListener(connect, self.owner_token, callback, on_link)
        await self._listener.start()

    # -- schema ----------------------------------------------------------------

    async def migrate(self) -> int:
        self._check_open()
        where = self.target.describe()
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", *MIGRATION_LOCK)
                await conn.execute(VERSION_TABLE)
                version = int(
                    await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
                )
                if version > SCHEMA_VERSION:
                    raise StoreError(newer_schema_message(where, version, SCHEMA_VERSION))
                for number, statements in MIGRATIONS:
                    if number <= version:
                        continue
                    for statement in statements:
                        await conn.execute(statement)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version) VALUES ($1)", number
                    )
                    log.info("store migrated to schema %d", number)
                return version
        except DRIVER_ERRORS as exc:
            raise StoreError(f"Cannot migrate the store {where}: {exc}") from exc

    async def init_roles(self) -> list[str]:
        """Create the two database roles and grant them this database's tables
        (``polaris store init``; safe to run again, and after each migrate).

        * ``polaris_admin``: read and write every table (what a console needs);
        * ``polaris_viewer``: SELECT only. A viewer's login is made a member
          of it, so their connection string cannot write even past the UI.

        Both are group roles (NOLOGIN): ``CREATE ROLE ana LOGIN IN ROLE
        polaris_admin`` makes a login. Needs CREATEROLE (the database owner
        or a superuser runs init). Returns the roles it set up.
        """
        self._check_open()
        where = self.target.describe()
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", *MIGRATION_LOCK)
                for role in (ADMIN_ROLE, VIEWER_ROLE):
                    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
                    if not exists:
                        await conn.execute(f"CREATE ROLE {role} NOLOGIN")
                schema = await conn.fetchval("SELECT current_schema()")
                for statement in grants(schema):
                    await conn.execute(statement)
        except DRIVER_ERRORS as exc:
            raise StoreError(f"Cannot create the database roles in {where}: {exc}") from exc
        return [f"{ADMIN_ROLE} (read-write)", f"{VIEWER_ROLE} (read-only)"]

    async def schema_version(self) -> int:
        async def read(tx: Tx) -> int:
            if await tx.scalar("SELECT to_regclass('schema_migrations')") is None:
                return 0
            return int(await tx.scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

        return await self.read(read)

    async def check_schema(self) -> int:
        where = self.target.describe()
        version = await self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(newer_schema_message(where, version, SCHEMA_VERSION))
        if version < SCHEMA_VERSION:
            raise StoreError(older_schema_message(where, version, SCHEMA_VERSION))
        return version

    async def journal_mode(self) -> str:
        return "postgresql"

    # -- transactions ------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("The team store is closed.")

    async def write(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """Run ``fn(tx)`` in one SERIALIZABLE transaction and commit; retried
        whole on a serialization failure or deadlock. Domain errors raised by
        ``fn`` roll back and propagate unchanged; driver errors become
        ``StoreError``."""
        self._check_open()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WRITE_RETRY_SECONDS
        attempt = 0
        async with self._write_lock:
            while True:
                attempt += 1
                try:
                    async with self._pool.acquire() as conn:
                        async with conn.transaction(isolation="serializable"):
                            tx = PgTx(conn)
                            result = await fn(tx)
                            if tx.touched.topics:  # inside the transaction: sent on COMMIT only
                                await conn.execute(
                                    "SELECT pg_notify($1, $2)",
                                    CHANNEL,
                                    encode(self.owner_token, tx.touched.topics),
                                )
                            return result
                except RETRYABLE as exc:
                    if loop.time() > deadline:
                        raise StoreError(f"Cannot write to the team store: {exc}") from exc
                    log.debug("store write conflict, retrying (%d): %s", attempt, exc)
                    await asyncio.sleep(random.uniform(0, min(0.25, 0.005 * 2**attempt)))
                except (*DRIVER_ERRORS, IntegrityViolation) as exc:
                    raise StoreError(f"Cannot write to the team store: {exc}") from exc

    async def read(self, fn: Callable[[Tx], Awaitable[T]], *, consistent: bool = False) -> T:
        self._check_open()
        try:
            async with self._pool.acquire() as conn:
                if not consistent:
                    return await fn(PgTx(conn))
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    return await fn(PgTx(conn))
        except DRIVER_ERRORS as exc:
            raise StoreError(f"Cannot read the team store: {exc}") from exc

    # -- console sessions ----------------------------------------------------------

    @staticmethod
    async def _lock_is_free(tx: Tx, session_id: int) -> bool:
        if not await tx.scalar("SELECT pg_try_advisory_lock(?, ?)", (LOCK_NAMESPACE, session_id)):
            return False
        await tx.scalar("SELECT pg_advisory_unlock(?, ?)", (LOCK_NAMESPACE, session_id))
        return True

    async def owner_alive(self, tx: Tx, token: str | None) -> bool:
        if token is None:
            return False
        if token == self.owner_token:
            return True
        row = await tx.fetchone(
            "SELECT id, heartbeat_at > now() - make_interval(secs => ?) AS fresh "
            "FROM console_sessions WHERE token = ?",
            (SESSION_STALE_SECONDS, token),
        )
        if row is None:
            return False  # never registered here (a copied row) or swept: gone
        if await self._lock_is_free(tx, row["id"]):
            return False
        return bool(row["fresh"])
