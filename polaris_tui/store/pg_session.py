"""This console's session on a PostgreSQL store, kept alive across a lost link.

Each open console has a row in ``console_sessions`` and holds a session-level
advisory lock on ``(LOCK_NAMESPACE, id)`` on a connection of its own: other
consoles take a free lock (or a heartbeat older than the stale limit) for a
console that died, and mark its pending rows interrupted.

When that connection goes (the server restarted, a proxy dropped it, an
administrator terminated it) the lock goes with it, and this console would
look dead to every console started from then on. ``ConsoleSession`` notices
at once (asyncpg's termination callback) or at the next heartbeat, and
joins again: the same token (which the rows it left pending carry) on a
new connection, its row put back if another console swept it, the lock
taken again; retried with a capped backoff while the server is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable

import asyncpg

from polaris_tui.store.origin import Origin
from polaris_tui.store.pg_listen import DRIVER_ERRORS

log = logging.getLogger(__name__)

LOCK_NAMESPACE = 0x504F4C52
"""First key of Polaris' advisory locks ("POLR"), apart from other applications'."""
HEARTBEAT_SECONDS = 15.0
REJOIN_FIRST_SECONDS = 0.2
REJOIN_MAX_SECONDS = 10.0


class ReadOnlyLogin(Exception):  # noqa: N818 - a condition, not a failure
    """The database login may not write: no session to register."""


class ConsoleSession:
    """The row and the lock that say this console is alive."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        token: str,
        os_user: str,
        origin: Origin,
    ) -> None:
        self._connect = connect
        self.token = token
        self._os_user = os_user
        self._origin = origin
        self.session_id: int | None = None
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.rejoins = 0
        """Times the session was taken up again after a lost connection."""

    @property
    def connection(self) -> asyncpg.Connection | None:
        """The connection holding the lock, while there is one."""
        return self._conn

    async def start(self) -> None:
        """Register and hold the lock (one transaction: nobody sees the row
        before the lock is held and takes this console for dead).

        Raises:
            ReadOnlyLogin: the login may not write (a viewer's).
            DRIVER_ERRORS: the server cannot be reached.
        """
        await self._join()
        self._task = asyncio.get_running_loop().create_task(self._keep())

    async def _join(self) -> None:
        conn = await self._connect()
        try:
            async with conn.transaction():
                session_id = await conn.fetchval(
                    "SELECT id FROM console_sessions WHERE token = $1", self.token
                )
                if session_id is None:
                    session_id = await conn.fetchval(
                        "INSERT INTO console_sessions (token, os_user, console_host, "
                        "client_address, pid) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                        self.token,
                        self._os_user,
                        self._origin.console_host,
                        self._origin.client_address,
                        os.getpid(),
                    )
                else:
                    await conn.execute(
                        "UPDATE console_sessions SET heartbeat_at = now() WHERE id = $1",
                        session_id,
                    )
                await conn.execute("SELECT pg_advisory_lock($1, $2)", LOCK_NAMESPACE, session_id)
        except asyncpg.exceptions.InsufficientPrivilegeError as exc:
            conn.terminate()
            raise ReadOnlyLogin(str(exc)) from exc
        except BaseException:
            conn.terminate()
            raise
        self._lost.clear()
        conn.add_termination_listener(self._terminated)
        self._conn, self.session_id = conn, session_id

    def _terminated(self, conn: object) -> None:
        if conn is self._conn:
            self._lost.set()

    async def _keep(self) -> None:
        """Heartbeat while the connection lives; join again as soon as it does not."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), HEARTBEAT_SECONDS)
            conn = self._conn
            if conn is not None and not conn.is_closed() and not self._lost.is_set():
                try:
                    await conn.execute(
                        "UPDATE console_sessions SET heartbeat_at = now() WHERE id = $1",
                        self.session_id,
                    )
                    continue
                except DRIVER_ERRORS as exc:
                    log.warning("store heartbeat failed: %s", exc)
            await self._rejoin()

    async def _rejoin(self) -> None:
        old, self._conn = self._conn, None
        if old is not None:
            old.terminate()
        log.warning("this console's store session was lost: joining again")
        delay = REJOIN_FIRST_SECONDS
        while True:
            try:
                await self._join()
            except DRIVER_ERRORS as exc:
                log.debug("store session not back yet: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, REJOIN_MAX_SECONDS)
                continue
            self.rejoins += 1
            log.info("this console's store session is back (session %s)", self.session_id)
            return

    async def close(self) -> None:
        """End the session: its row is deleted, its lock goes with the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await conn.execute("DELETE FROM console_sessions WHERE id = $1", self.session_id)
            await conn.close(timeout=5)
        except DRIVER_ERRORS as exc:
            log.warning("closing the store session: %s", exc)
            conn.terminate()
