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
message queue of the App and of its screens is empty (a deferred focus, a
key bubbling up, a screen mounting all travel as queued messages), with a
deadline: something that keeps its queue full delays each key by at most
``SETTLE_TIMEOUT``, never drops one. Once the App is exiting, keys are
dropped (``qa`` used to act on a closing console).
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

SETTLE_POLL = 0.004
"""How often the message queues are looked at while a key's effects land (seconds)."""


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
                # Busy for longer than a key's effects take (a loaded host, a
                # screen loading): go on with the next key, still one at a time.
                log.debug("a key did not settle in %.1f s", self._settle_timeout)

    def _release(self, event: events.Event) -> None:
        self._released.append(event)
        self._app.post_message(event)

    def _pumps(self) -> list[MessagePump]:
        """The App, the screens of its stack, and every widget of the screen on top."""
        app = self._app
        if not app.screen_stack:
            return [app]
        return [app, *app.screen_stack[:-1], *app.screen.walk_children(with_self=True)]

    def _all_empty(self) -> bool:
        return all(pump.message_queue_size == 0 for pump in self._pumps())

    async def _settled(self) -> bool:
        """Wait until every queue is empty twice in a row, a poll apart.

        Only looks: posting anything to the screens to find out (as the test
        pilot does) woke the screens below the top one, and every key redrew
        the whole terminal. A handler that awaits (I/O, a mount) with nothing
        queued behind it does not hold the next key back.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settle_timeout
        quiet = 0
        while loop.time() < deadline:
            await asyncio.sleep(SETTLE_POLL)
            quiet = quiet + 1 if self._all_empty() else 0
            if quiet == 2:
                return True
        return False
