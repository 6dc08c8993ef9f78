"""The wire thread: where SteVe's and Lago's clients live.

At 10,000 chargers a poll cycle sends ~28 requests and reads ~6.5 MB of
answers. Done on the console's event loop, httpx, httpcore and anyio took
~100 ms of the UI thread per cycle, and the answers' glue (indexes, the
sampler's plan, list conversions) another ~15 ms (issue 13: one frame,
16 ms). So every public request method of the clients (``on_wire``) runs on
one event loop of its own, in a daemon thread; the caller awaits the result.

* A client's pool, sockets, caches, memos and locks are used on this loop
  only, whichever loop (the App's, a test's) asks: nothing is shared
  between two loops, and a method calling another stays on the wire.
* The caller's context goes along (``polling()``'s short timeout is a
  context variable).
* Cancelling the caller cancels the call here, so a poll stopped
  mid-request leaves nothing behind.
* Errors cross as raised: callers see the same domain errors as before.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")


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

    async def run(self, call: Coroutine[Any, Any, T]) -> T:
        """Run ``call`` on the wire loop, in the caller's context, and return
        (or raise) what it did."""
        loop = self._running_loop()
        if asyncio.get_running_loop() is loop:
            return await call  # already on the wire (a nested call)
        there = asyncio.run_coroutine_threadsafe(
            _in_context(contextvars.copy_context(), call), loop
        )
        return await asyncio.wrap_future(there)

    @property
    def on_it(self) -> bool:
        """Whether the running code is on this wire loop."""
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False


async def _in_context(context: contextvars.Context, call: Coroutine[Any, Any, T]) -> T:
    # Cancelling this task (the caller was cancelled) cancels the inner one too.
    return await asyncio.get_running_loop().create_task(call, context=context)


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


def on_wire(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Run a client's public request method on the wire thread (``WIRE``)."""

    @functools.wraps(method)
    async def hop(*args: P.args, **kwargs: P.kwargs) -> T:
        return await WIRE.run(method(*args, **kwargs))

    hop.__on_wire__ = True  # type: ignore[attr-defined]  # checked by the clients' test
    return hop
