"""The simulated world: the clock, SteVe's state, Lago's data, the faults.

``World`` is what every HTTP handler reaches through ``request.app[SIM]``
and what stations, faults and operations act on. It owns the background
work the stations start (delayed stops, Finishing → Available timers) so
that a reset (``chargesim.sim.reset``) can cancel all of it and rebuild the
demo fleet in place, without restarting the server.

It sits below everything that acts on it: it imports no module that
imports it. The demo fleet is passed in as ``populate`` (``demo.build``),
the server as a ``ServerSwitch``, and what needs faults or OCPP-J links
(reset, close) lives in the runtime, ``chargesim.sim``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from .central import Central
from .clock import SimClock, iso_z
from .lago import LagoData
from .options import SimOptions
from .tasks import TaskStore

log = logging.getLogger("chargesim")


class ServerSwitch(Protocol):
    """The part of the server a fault may switch: SteVe's REST API down or up."""

    steve_down: bool

    async def go_down(self) -> None: ...

    async def go_up(self) -> None: ...


Populate = Callable[["World"], tuple[Central, LagoData]]
"""Builds the fleet and Lago's data of a fresh world (``demo.build``)."""


class World:
    """The whole simulated world behind one stand-in process.

    Args:
        options: the stand-in's options (fleet size, seed, clock, faults).
        populate: builds the fleet (``demo.build``), again on every rebuild.
        demo_faults: the fault specs the populated fleet starts with.
    """

    def __init__(
        self, options: SimOptions, populate: Populate, demo_faults: tuple[str, ...] = ()
    ) -> None:
        self.options = options
        self._populate = populate
        self._demo_faults = demo_faults
        self.server: ServerSwitch | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self.requests: deque[dict[str, Any]] = deque(maxlen=5_000)
        """Recent SteVe/Lago requests (method, path, query, status), for tests."""
        self.ws_links: dict[str, Any] = {}
        """Open OCPP-J connections by chargeBoxId (``ocppj.OcppJLink``)."""
        self.rebuild()

    def rebuild(self) -> None:
        """Fresh state as at start-up (the caller cancels background work first)."""
        opts = self.options
        self.clock = SimClock(opts.now, frozen=opts.frozen)
        self.rng = random.Random(opts.seed)
        self.tasks = TaskStore()
        self.operations: list[dict[str, Any]] = []
        """Every operation POST received (name, body, status), for tests."""
        self.faults: dict[str, tuple[str, str | None]] = {}
        """Active faults: spec → (name, arg)."""
        self.degraded: dict[str, dict[str, Any]] = {"steve": {}, "lago": {}}
        self.vanilla = False
        """Fork extensions off: ``/chargeBoxes`` and ``/operations/tasks`` are 404."""
        self.plain_chargeboxes = False
        """``/chargeBoxes`` in the fork's plain shape (no online/connectors, humanized)."""
        self.central: Central
        self.lago: LagoData
        self.central, self.lago = self._populate(self)
        # The demo's own faults, listed so that they can be cleared like any other.
        for spec in self._demo_faults:
            name, _, target = spec.partition(":")
            self.faults[spec] = (name, None)

    # ------------------------------------------------------ background work

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; failures are logged, never lost."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)
        return task

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        """Call ``fn`` after ``seconds`` of real time (cancelled by reset)."""
        loop = asyncio.get_running_loop()

        def run() -> None:
            self._timers.discard(handle)
            try:
                fn()
            except Exception:  # a timer must not kill the loop; log it
                log.exception("timer callback failed")

        handle = loop.call_later(seconds, run)
        self._timers.add(handle)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def cancel_background(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for handle in list(self._timers):
            handle.cancel()
        self._tasks.clear()
        self._timers.clear()

    # ------------------------------------------------------------- control

    def advance(self, seconds: float) -> int:
        """Move the clock on and play the minutes that passed. Returns ticks played."""
        self.clock.advance(seconds)
        return self.central.advance_to(self.clock.now())

    def tick(self) -> None:
        """Real-time mode: play any minute boundary that has passed."""
        self.central.advance_to(self.clock.now())

    def state(self) -> dict[str, Any]:
        """A short summary for ``GET /_sim/state``."""
        c = self.central
        return {
            "now": iso_z(self.clock.now()),
            "frozen": self.clock.frozen,
            "chargers": len(c.boxes),
            "online": sum(1 for b in c.boxes.values() if b.online),
            "tags": len(c.tags),
            "transactions": len(c.transactions),
            "activeTransactions": sum(1 for t in c.transactions.values() if t.active),
            "faults": sorted(self.faults),
            "hook": {"url": c.hook.url, "enabled": c.hook.enabled},
            "steveDown": bool(self.server and self.server.steve_down),
            "tasks": len(self.tasks.tasks),
        }
