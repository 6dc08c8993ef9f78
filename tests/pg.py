"""A real PostgreSQL for the store tests, started by the test run itself.

``pgserver`` (a PyPI wheel that ships PostgreSQL's binaries) starts one
throwaway server per test process (so per pytest-xdist worker), listening
on a Unix socket only, in a fresh temporary folder; it is stopped and
deleted when the session ends. Each test gets its own database, copied
from a template (``STRATEGY = FILE_COPY``: a file copy, about 0.2 s); after
the test it is put back to the template's exact state and handed to the
next test, or dropped when that cannot be shown (tests/pg_reuse.py), so
tests never see each other's rows.

``store_url`` is the parametrized fixture every store test uses: the test
runs once on a SQLite file and once on a PostgreSQL database already at
the current schema (copied from a migrated template). ``fresh_store_url``
is the same with an empty database, for tests of migration itself.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest

from polaris_tui.services.clock import FixedClock
from polaris_tui.store import Store
from polaris_tui.store.postgres_sql import dollar_params
from polaris_tui.store.target import parse_store_url
from tests.pg_guard import guard_server
from tests.pg_reuse import Template

BACKENDS = ["sqlite", "postgresql"]

# The test server needs no durability: every database is thrown away.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PgServer:
    """One running server; ``new_database()`` hands out fresh databases."""

    def __init__(self, server: Any) -> None:
        self.server = server
        uri = urlsplit(server.get_uri())
        self.socket_dir = parse_qs(uri.query)["host"][0]
        self.template: Template
        self.given_back: list[str] = []

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.url("postgres"))
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def prepare(self) -> None:
        settings = [f"ALTER SYSTEM SET {k} = '{v}'" for k, v in FAST_SETTINGS.items()]
        asyncio.run(self._admin(*settings, "SELECT pg_reload_conf()"))

    def prepare_template(self) -> None:
        """``polaris_template``: a database at the current schema, to copy."""
        from polaris_tui.services.clock import SystemClock
        from polaris_tui.store import Store

        async def migrate() -> Template:
            await self._admin("CREATE DATABASE polaris_template TEMPLATE template0")
            store = await Store.open(self.url("polaris_template"), clock=SystemClock())
            await store.close()
            conn = await asyncpg.connect(self.url("polaris_template"))
            try:
                return await Template.read(conn)
            finally:
                await conn.close()

        self.template = asyncio.run(migrate())

    def schema_database(self) -> str:
        """A database at the current schema: one a test gave back, else a new copy."""
        if self.given_back:
            return self.given_back.pop()
        return self.new_database()

    def give_back(self, url: str) -> None:
        """After a test: keep its database for the next one if it could be put
        back exactly as the template (tests/pg_reuse.py), else drop it."""
        name = urlsplit(url).path.lstrip("/")
        if asyncio.run(self.template.reset(url, name)):
            self.given_back.append(url)
        else:
            self.drop(url)

    def new_database(self, template: str = "polaris_template") -> str:
        """A fresh database copied from ``template``; its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        asyncio.run(self._admin(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY = FILE_COPY"))
        return self.url(name)

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        asyncio.run(self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One throwaway PostgreSQL for this test process (xdist-safe: one per worker)."""
    with running_pg_server() as handle:
        yield handle


@contextmanager
def running_pg_server() -> Iterator[PgServer]:
    """Start a throwaway PostgreSQL with a migrated template; stop and delete it after."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
        import pgserver

    # Its own folder under /tmp: run as root, pgserver runs postgres as a
    # system user and opens up every parent folder for it to traverse.
    parent = Path(tempfile.mkdtemp(prefix="polaris-pg-"))
    guard = guard_server(parent, parent / "data")  # stops it if this process is killed
    try:
        server = pgserver.get_server(parent / "data", cleanup_mode="delete")
        try:
            handle = PgServer(server)
            handle.prepare()
            handle.prepare_template()
            yield handle
        finally:
            server.cleanup()
    finally:
        guard.release()
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A PostgreSQL database of its own for one test, at the current schema
    (a fresh copy of the template, or one shown to be exactly like it)."""
    url = pg_server.schema_database()
    try:
        yield url
    finally:
        pg_server.give_back(url)


@pytest.fixture
def pg_empty_url(pg_server: PgServer) -> Iterator[str]:
    """An empty PostgreSQL database (no schema yet) for one test."""
    url = pg_server.new_database("template0")
    try:
        yield url
    finally:
        pg_server.drop(url)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's store lives: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "polaris.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def store(store_url: str, clock: FixedClock) -> AsyncIterator[Store]:
    """A store on ``store_url`` (a SQLite file, then a real PostgreSQL), closed after."""
    s = await Store.open(store_url, clock=clock)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture(params=BACKENDS)
def fresh_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Like ``store_url``, but the PostgreSQL database has no schema yet."""
    if request.param == "sqlite":
        return str(tmp_path / "polaris.sqlite")
    return request.getfixturevalue("pg_empty_url")


def is_postgres(url: str) -> bool:
    return not parse_store_url(url).is_sqlite


async def raw_rows(url: str, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Read (or write) with a connection of our own, as another process would."""
    target = parse_store_url(url)
    if target.is_sqlite:
        conn = sqlite3.connect(target.path)  # type: ignore[arg-type]
        try:
            rows = conn.execute(sql, params).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()
    pg = await asyncpg.connect(target.dsn)
    try:
        return [tuple(r) for r in await pg.fetch(dollar_params(sql), *params)]
    finally:
        await pg.close()


async def wait_console_gone(url: str, pid: int) -> None:
    """Wait until PostgreSQL has seen a killed console's connections close (it
    drops their advisory locks then). On SQLite the kernel did it at once."""
    if not is_postgres(url):
        return
    query = "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE ?"
    deadline = time.monotonic() + 60
    while (await raw_rows(url, query, (f"% pid {pid}",)))[0][0]:
        assert time.monotonic() < deadline, "the server never noticed the killed console"
        await asyncio.sleep(0.02)


async def write_lock_free(url: str, table: str) -> bool:
    """Whether another connection could start writing ``table`` right now
    (no transaction holds a write open): SQLite ``BEGIN IMMEDIATE`` with no
    wait; PostgreSQL a lock that conflicts with any open writer, NOWAIT."""
    target = parse_store_url(url)
    if target.is_sqlite:
        conn = sqlite3.connect(target.path, timeout=0, isolation_level=None)  # type: ignore[arg-type]
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()
    pg = await asyncpg.connect(target.dsn)
    try:
        async with pg.transaction():
            await pg.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE NOWAIT")
        return True
    except asyncpg.exceptions.LockNotAvailableError:
        return False
    finally:
        await pg.close()
