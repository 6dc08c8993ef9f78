"""A store test's database is handed on only when it is exactly the template again.

tests/pg_reuse.py puts a used database back to the template's state and the
next test gets it instead of a fresh copy. These check that the next test
cannot tell: rows and sequences come back, and a database a test changed
in a way the reset does not undo is dropped instead.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg

from tests.pg import PgServer
from tests.pg_reuse import fingerprint


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def on(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def fingerprint_of(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return await fingerprint(conn)
    finally:
        await conn.close()


def test_rows_sequences_and_open_connections_are_undone_then_handed_on(
    pg_server: PgServer,
) -> None:
    url = pg_server.schema_database()
    asyncio.run(
        on(
            url,
            "INSERT INTO audit_log (actor, action, id_tag, created_at) VALUES ('ana', 'block', 'T', 'x')",
            "INSERT INTO audit_log (actor, action, id_tag, created_at, reverts)"
            " VALUES ('ana', 'revert', 'T', 'y', 1)",
        )
    )
    assert asyncio.run(fingerprint_of(url)) != pg_server.template.fingerprint
    asyncio.run(give_back_while_a_console_holds_a_lock(pg_server, url))
    assert pg_server.given_back[-1] == url
    assert pg_server.schema_database() == url
    assert asyncio.run(fingerprint_of(url)) == pg_server.template.fingerprint
    rows = asyncio.run(fetch(url, "SELECT count(*) FROM audit_log"))
    ids = asyncio.run(
        fetch(
            url,
            "INSERT INTO audit_log (actor, action, id_tag, created_at)"
            " VALUES ('bo', 'block', 'T', 'z') RETURNING id",
        )
    )
    assert (rows, ids) == (0, 1)  # empty, and numbering starts over
    locks = asyncio.run(fetch(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"))
    assert locks == 0  # the console's session ended with its lock
    pg_server.give_back(url)


async def fetch(url: str, sql: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def give_back_while_a_console_holds_a_lock(pg_server: PgServer, url: str) -> None:
    """A console that never closed: the reset ends its connection."""
    lingering = await asyncpg.connect(url)
    try:
        await lingering.execute("SELECT pg_advisory_lock(42)")
        await asyncio.to_thread(pg_server.give_back, url)
    finally:
        lingering.terminate()


def test_a_changed_schema_is_dropped_not_handed_on(pg_server: PgServer) -> None:
    url = pg_server.schema_database()
    asyncio.run(on(url, "ALTER TABLE pairings ADD COLUMN note text"))
    pg_server.give_back(url)
    assert url not in pg_server.given_back
    assert not asyncio.run(database_exists(pg_server, database_of(url)))


def test_a_lost_migration_row_is_dropped_not_handed_on(pg_server: PgServer) -> None:
    url = pg_server.schema_database()
    asyncio.run(
        on(
            url,
            "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)",
        )
    )
    pg_server.give_back(url)
    assert url not in pg_server.given_back
    assert not asyncio.run(database_exists(pg_server, database_of(url)))


def test_a_database_refusing_connections_is_dropped(pg_server: PgServer) -> None:
    url = pg_server.schema_database()
    name = database_of(url)
    asyncio.run(on(pg_server.url("postgres"), f"ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
    pg_server.give_back(url)
    assert url not in pg_server.given_back
    assert not asyncio.run(database_exists(pg_server, name))


async def database_exists(pg_server: PgServer, name: str) -> bool:
    conn = await asyncpg.connect(pg_server.url("postgres"))
    try:
        return bool(
            await conn.fetchval("SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name)
        )
    finally:
        await conn.close()
