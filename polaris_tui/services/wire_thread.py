"""The wire thread: where every HTTP exchange with SteVe and Lago runs.

At 10,000 chargers a poll cycle sends ~28 requests and reads ~6.5 MB of
answers. Done on the console's event loop, httpx, httpcore and anyio took
~100 ms of the UI thread per cycle (issue 13: one frame, 16 ms). So the
clients keep their rules (retries, timeouts, errors, parsing) where they are
called, and hand only the exchange itself (build the request, send it, read
the bounded body) to one event loop of their own, in a daemon thread.

* Each ``httpx.AsyncClient`` is used on this loop only: its pool, sockets
  and locks never see a second loop, whichever loop (the App's, a test's)
  asks for the request.
* Cancelling the caller cancels the exchange here (``run_coroutine_threadsafe``
  chains the cancellation), so a poll stopped mid-request leaves nothing behind.
* Errors cross as raised: callers map them to domain errors as before.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class WireThread:
    """An asyncio event loop in a daemon thread, started at the first exchange."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start_lock = threading.Lock()
        # A forked child has no wire thread, only the parent's loop object:
        # it starts its own at its first exchange (else it would wait forever).
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._loop = None
        self._start_lock = threading.Lock()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                ready = threading.Event()
                loop = asyncio.new_event_loop()
                loop.set_exception_handler(_quiet_late_answers)

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                threading.Thread(target=serve, name=self._name, daemon=True).start()
                ready.wait()
                self._loop = loop
            return self._loop

    async def run(self, exchange: Coroutine[Any, Any, T]) -> T:
        """Run ``exchange`` on the wire loop and return (or raise) what it did."""
        loop = self._running_loop()
        if asyncio.get_running_loop() is loop:
            return await exchange  # already on the wire (a nested call)
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(exchange, loop))


def _quiet_late_answers(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """An answer that arrives after its caller's event loop closed (a test's
    loop, a console quitting mid-request) has nowhere to go: say so quietly."""
    exc = context.get("exception")
    if isinstance(exc, RuntimeError) and "closed" in str(exc):
        log.debug("wire: an answer came after its caller had gone: %s", exc)
        return
    loop.default_exception_handler(context)


WIRE = WireThread("polaris-wire")
"""The one wire thread of this process (SteVe and Lago clients share it)."""
