"""Live updates survive a lost link to PostgreSQL (issue 10, "live").

PostgreSQL does not queue NOTIFY for a listener that is gone. When the
listening connection drops (an administrator's ``pg_terminate_backend``, a
server restart), the console must say that live updates are down, reconnect
by itself, and on reconnecting re-announce every topic so screens re-read
what was written meanwhile. Real PostgreSQL servers (tests/pg.py and one of
this file's own that it stops and starts again); no mock.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from polaris_tui.models import CardMeta, StoreChanged
from polaris_tui.services.clock import SystemClock
from polaris_tui.store import Store
from polaris_tui.store.changes import ALL_TOPICS, CARDS
from polaris_tui.store.pg_session import ConsoleSession
from polaris_tui.store.postgres_backend import PostgresBackend
from tests.pg import PgServer
from tests.pg_own import RestartablePg
from tests.unit.test_team_consoles import open_console

DEADLINE = 60.0
"""A failure bound only: every wait below ends on a condition."""


async def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.02)


def listener_pid(store: Store) -> int:
    backend = store.backend
    assert isinstance(backend, PostgresBackend)
    listener = backend.change_listener
    assert listener is not None and listener.connection is not None
    return int(listener.connection.get_server_pid())


async def admin(server: PgServer, *statements: str) -> None:
    conn = await asyncpg.connect(server.url("postgres"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def test_a_terminated_listener_reconnects_and_catches_up(
    pg_url: str, pg_server: PgServer
) -> None:
    writer = await Store.open(pg_url, clock=SystemClock())
    watcher = await Store.open(pg_url, clock=SystemClock())
    database = urlsplit(pg_url).path.lstrip("/")
    heard: list[frozenset[str]] = []
    links: list[str | None] = []
    try:
        await watcher.watch_changes(heard.append, links.append)
        first = listener_pid(watcher)
        # No new connection may reach this database for now: the listener stays
        # down while the other console writes (its pool connection is open).
        await admin(pg_server, f"ALTER DATABASE {database} ALLOW_CONNECTIONS false")
        await admin(pg_server, f"SELECT pg_terminate_backend({first})")
        await wait_for(lambda: links and links[-1] is not None, "the link reported down")
        await writer.upsert_card_meta(CardMeta(id_tag="WHILE-DOWN", display_name="written"))
        assert not heard, "nobody listened while the link was down"

        await admin(pg_server, f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")
        await wait_for(lambda: links[-1] is None, "the link reported back")
        await wait_for(lambda: ALL_TOPICS in heard, "every topic announced to catch up")
        assert listener_pid(watcher) != first, "a new listening connection"

        # And it is live again: the next write is heard as itself.
        heard.clear()
        await writer.upsert_card_meta(CardMeta(id_tag="AFTER", display_name="live"))
        await wait_for(lambda: frozenset({CARDS}) in heard, "a write after reconnecting heard")
    finally:
        await admin(pg_server, f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")
        await watcher.close()
        await writer.close()


def session_of(store: Store) -> ConsoleSession:
    backend = store.backend
    assert isinstance(backend, PostgresBackend) and backend.session is not None
    return backend.session


async def test_a_console_whose_session_connection_drops_joins_again(
    pg_url: str, pg_server: PgServer
) -> None:
    """Its advisory lock went with the connection: until it joins again any
    console would take it for dead and mark its pending stop interrupted."""
    console = await Store.open(pg_url, clock=SystemClock())
    try:
        pending = await console.insert_operation(
            charge_box_id="CP-ALPHA-01",
            operation="RemoteStopTransaction",
            params={"transactionId": 1001},
            requested_by="ana",
            dry_run=False,
            request_id="in-flight",
        )
        session = session_of(console)
        first = session.session_id
        pid = session.connection.get_server_pid()  # type: ignore[union-attr]
        await admin(pg_server, f"SELECT pg_terminate_backend({pid})")
        await wait_for(lambda: session.rejoins == 1, "the session joined again")
        assert session.session_id == first, "the same session, its row kept"
        # A console starting now (it sweeps ended sessions and marks their rows)
        # finds this one alive.
        later = await Store.open(pg_url, clock=SystemClock())
        try:
            assert await later.mark_interrupted() == []
        finally:
            await later.close()
        assert (await console.get_operation(pending.id)).status.value == "pending"
    finally:
        await console.close()


async def test_a_console_says_live_updates_are_down_while_the_server_restarts(
    sim: Any, tmp_path: Path, restartable_pg: RestartablePg
) -> None:
    url = restartable_pg.url
    setup = await Store.open(url, clock=SystemClock())  # migrate the new server
    await setup.close()
    console = await open_console(sim, tmp_path, url, "ana")
    events: list[StoreChanged] = []
    console.subscribe(lambda e: events.append(e) if isinstance(e, StoreChanged) else None)
    try:
        await console.start()
        assert console.live_updates_down is None
        await asyncio.to_thread(restartable_pg.stop)
        await wait_for(lambda: console.live_updates_down is not None, "the console says so")
        down = console.live_updates_down
        assert down is not None and down.reason
        assert down.since == console.clock.now()

        await asyncio.to_thread(restartable_pg.start)
        await wait_for(lambda: console.live_updates_down is None, "live again after the restart")
        await wait_for(
            lambda: any(set(e.topics) == set(ALL_TOPICS) for e in events),
            "the screens are told to read everything again",
        )
        # The store itself works again through the same console, and it is
        # registered again (other consoles do not take it for dead).
        await console.store.upsert_card_meta(CardMeta(id_tag="AFTER", display_name="ok"))
        await wait_for(lambda: session_of(console.store).rejoins >= 1, "the session is back")
    finally:
        await console.close()
