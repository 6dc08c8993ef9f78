"""PostgreSQL LISTEN that outlives its connection (issue 10, "live").

A console learns of other consoles' writes through NOTIFY, on a connection
of its own. That connection goes when the server restarts, a proxy or
firewall drops an idle link, or an administrator runs
``pg_terminate_backend``; PostgreSQL does not queue notices for a listener
that is gone, so without care the console would go on showing old rows with
nothing to say so.

``ChangeListener`` therefore:

* notices a lost connection at once (asyncpg's termination callback) and a
  half-open one (a ``SELECT 1`` every ``PING_SECONDS`` that must answer
  within ``PING_TIMEOUT``);
* tells the console, through ``on_link(reason)``, that live updates are
  down (the banner says so: what is on screen may be stale), and
  ``on_link(None)`` once they are back;
* reconnects with a capped, jittered backoff, so a restarting server is not
  hammered by every console at the same instant;
* once LISTEN is in place again, announces every topic (``on_change``): the
  screens re-read what they show, which covers every write made while the
  link was down (NOTIFY cannot be replayed, the rows can).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable

import asyncpg

from polaris_tui.store.changes import ALL_TOPICS, CHANNEL, ChangeCallback, LinkCallback, decode

log = logging.getLogger(__name__)

RECONNECT_FIRST_SECONDS = 0.2
RECONNECT_MAX_SECONDS = 10.0
PING_SECONDS = 10.0
"""How often an idle listening connection is checked (a half-open TCP link
would otherwise look healthy until the kernel gives up, many minutes later)."""
PING_TIMEOUT = 5.0

DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError)


def _reason(exc: BaseException | str) -> str:
    text = str(exc).strip() if not isinstance(exc, str) else exc
    if isinstance(exc, BaseException) and not text:
        text = type(exc).__name__
    return text


class ChangeListener:
    """LISTEN on ``CHANNEL`` for as long as the store is open, reconnecting."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        owner_token: str,
        on_change: ChangeCallback,
        on_link: LinkCallback | None = None,
    ) -> None:
        self._connect = connect
        self._owner_token = owner_token
        self._on_change = on_change
        self._on_link = on_link
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.down_reason: str | None = None
        """Why live updates are down right now, or None while listening."""
        self.reconnects = 0
        """Times LISTEN was set up again after a loss (for tests and the log)."""

    @property
    def connection(self) -> asyncpg.Connection | None:
        """The listening connection while there is one."""
        return self._conn

    async def start(self) -> None:
        """Listen now (a write committed after this returns is heard); if the
        server cannot be reached, report the link down and keep trying."""
        try:
            await self._listen()
        except DRIVER_ERRORS as exc:
            self._report_down(_reason(exc))
        self._task = asyncio.get_running_loop().create_task(self._supervise())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop()

    # -- the connection ------------------------------------------------------------

    async def _listen(self) -> None:
        conn = await self._connect()
        try:
            await conn.add_listener(CHANNEL, self._heard)
        except BaseException:
            conn.terminate()
            raise
        self._lost.clear()
        conn.add_termination_listener(self._terminated)
        self._conn = conn

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        token, topics = decode(payload)
        if token != self._owner_token and topics:
            self._deliver(topics)

    def _terminated(self, conn: object) -> None:
        if conn is self._conn:
            self._lost.set()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None or conn.is_closed():
            return
        try:
            await conn.close(timeout=2)
        except DRIVER_ERRORS:
            conn.terminate()  # a dead link cannot close politely

    # -- watching it -----------------------------------------------------------------

    async def _supervise(self) -> None:
        delay = RECONNECT_FIRST_SECONDS
        while True:
            if self._conn is not None:
                reason = await self._until_lost(self._conn)
                await self._drop()
                self._report_down(reason)
                delay = RECONNECT_FIRST_SECONDS
            await asyncio.sleep(random.uniform(delay / 2, delay))
            try:
                await self._listen()
            except DRIVER_ERRORS as exc:
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
                self._report_down(_reason(exc))
                continue
            self.reconnects += 1
            log.info("live updates from other consoles are back (reconnect %d)", self.reconnects)
            self._report_up()
            # Whatever was written while nobody listened: screens read it all again.
            self._deliver(ALL_TOPICS)

    async def _until_lost(self, conn: asyncpg.Connection) -> str:
        """Wait until ``conn`` is gone or stops answering; why."""
        while True:
            try:
                await asyncio.wait_for(self._lost.wait(), PING_SECONDS)
            except TimeoutError:
                try:
                    await conn.execute("SELECT 1", timeout=PING_TIMEOUT)
                except DRIVER_ERRORS as exc:
                    return f"the store stopped answering ({_reason(exc)})"
                continue
            return "the connection to the store was lost"

    # -- telling the console -----------------------------------------------------------

    def _deliver(self, topics: frozenset[str]) -> None:
        try:
            self._on_change(topics)
        except Exception:
            log.exception("a store change listener failed")

    def _report_down(self, reason: str) -> None:
        first = self.down_reason is None
        self.down_reason = reason
        if first:
            log.warning("live updates from other consoles are down: %s", reason)
        if self._on_link is not None:
            try:
                self._on_link(reason)
            except Exception:
                log.exception("a store link listener failed")

    def _report_up(self) -> None:
        self.down_reason = None
        if self._on_link is not None:
            try:
                self._on_link(None)
            except Exception:
                log.exception("a store link listener failed")
