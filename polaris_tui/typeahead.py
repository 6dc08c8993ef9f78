"""Type-ahead: keys that arrive together are handled one at a time, in order.

Textual hands a key to the widget that has focus *when the App receives it*,
and a key's effects land later: ``focus()`` is deferred, a pushed screen
mounts over several messages, a binding's action runs when the key has
bubbled back up to the App. Keys that arrive in one read (a laggy SSH link,
a fast typist) were therefore all routed before the first one took effect:
``/grace@example.com`` sent ``grace…`` to the fleet table instead of the
filter, and its screen's ``a`` binding opened the audit log.

``TypeAhead`` holds each key and paste until the previous one has been
handled completely, then hands it back to the App: so a key always lands
where the keys before it put the focus. "Handled completely" means every
message queue of the App and of the screen on top has drained — the way Textual's
own test pilot waits between keys — with a deadline: a busy handler delays
keys by at most ``SETTLE_TIMEOUT``, then what is held goes at once. Once the
App is exiting, keys are dropped (``qa`` used to act on a closing console).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from textual import events
from textual.message_pump import MessagePump

log = logging.getLogger(__name__)

SETTLE_TIMEOUT = 2.0
"""Longest wait for one key's effects before the next key goes anyway (seconds)."""


class TypeAhead:
    """Delivers the App's keys and pastes one at a time, each after the last settled."""

    def __init__(self, app: Any, *, settle_timeout: float = SETTLE_TIMEOUT) -> None:
        self._app = app
        self._settle_timeout = settle_timeout
        self._held: deque[events.Event] = deque()
        self._released: list[events.Event] = []
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def hold(self, event: events.Event) -> bool:
        """Whether the App must leave ``event`` alone now (it is queued here, or dropped).

        Call it first in ``App.on_event``. Only keys and pastes straight from
        the terminal are held; one handed back by ``TypeAhead`` passes.
        """
        if not isinstance(event, (events.Key, events.Paste)) or event.is_forwarded:
            return False
        for index, released in enumerate(self._released):
            if released is event:
                del self._released[index]
                return False
        if self._closed:
            return True  # the console is closing: a late key must not act on it
        self._held.append(event)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._deliver(), name="type-ahead")
        return True

    @property
    def holding(self) -> int:
        """How many keys wait for the ones before them to land."""
        return len(self._held)

    def close(self) -> None:
        """The App is exiting: drop held keys and every key still to come."""
        self._closed = True
        if self._held:
            log.info("dropped %d key(s) typed while the console was closing", len(self._held))
        self._held.clear()
        if self._task is not None:
            self._task.cancel()

    async def _deliver(self) -> None:
        while self._held and not self._closed:
            self._release(self._held.popleft())
            if not await self._settled():
                # Something is busy for longer than a key's effects take: hand
                # over what is held at once rather than wait that long per key.
                log.debug(
                    "keys did not settle in %.1f s; delivering the rest", self._settle_timeout
                )
                while self._held:
                    self._release(self._held.popleft())

    def _release(self, event: events.Event) -> None:
        self._released.append(event)
        self._app.post_message(event)

    def _pumps(self) -> list[MessagePump]:
        """The App and every widget of the screen on top.

        Not the screens below: a message wakes a background screen, which
        then lays itself out and makes the top one repaint the whole
        terminal (50 KB per key over SSH).
        """
        app = self._app
        if not app.screen_stack:
            return [app]
        return [app, *app.screen.walk_children(with_self=True)]

    async def _settled(self) -> bool:
        """Wait until a round of callbacks to every pump starts and ends with all queues empty."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settle_timeout
        while loop.time() < deadline:
            quiet_before = self._all_empty()
            if not await self._one_round(deadline - loop.time()):
                return False
            if quiet_before and self._all_empty():
                return True
        return False

    def _all_empty(self) -> bool:
        return all(pump.message_queue_size == 0 for pump in self._pumps())

    async def _one_round(self, timeout: float) -> bool:
        """Post a callback behind every pump's queued messages; wait until all have run."""
        waiting = 0
        all_ran = asyncio.Event()

        def ran() -> None:
            nonlocal waiting
            waiting -= 1
            if waiting == 0:
                all_ran.set()

        for pump in self._pumps():
            if pump.call_later(ran):
                waiting += 1
        if waiting == 0:
            return True
        try:
            await asyncio.wait_for(all_ran.wait(), max(timeout, 0.0))
        except TimeoutError:
            return False
        return True
