"""A quit while the services start leaves no store connection open.

The demo console once hung after ``q`` pressed in its first second: the
screen had gone, but the store's change watch, opened by ``services.start``
after ``close_services`` had already run, was never closed, and its
connection's (non-daemon) thread kept the process alive. Here the real
store's ``watch_changes`` is held once its own connection is open, until
the quit has been pressed, then let go: no connection may be left open.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from polaris_tui.app import make_app
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from tests.functional.conftest import NOW, sim_settings
from tests.waiting import eventually


def store_threads() -> set[threading.Thread]:
    """Live aiosqlite connection threads (each is an open store connection)."""
    return {
        t
        for t in threading.enumerate()
        if getattr(getattr(t, "_target", None), "__name__", "") == "_connection_worker_thread"
    }


async def test_quit_while_the_store_watch_starts_leaves_no_connection(sim: Any, tmp_path) -> None:
    before = store_threads()
    reached, release = asyncio.Event(), asyncio.Event()

    async def open_with_a_held_watch(settings: Any, *, clock: Any = None) -> PolarisServices:
        services = await PolarisServices.open(settings, clock=clock)
        backend = services.store.backend  # SQLite: the watch's own connection is open here
        versions = backend._versions

        async def held(db: Any) -> Any:
            reached.set()
            await release.wait()
            return await versions(db)

        backend._versions = held
        return services

    settings = sim_settings(sim, tmp_path, operator="tester", role="admin")
    app = make_app(
        settings, clock=FixedClock(NOW), seed_demo=True, services_factory=open_with_a_held_watch
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await asyncio.wait_for(reached.wait(), 120)
        await pilot.press("q")
        release.set()
        assert await eventually(lambda: not app.is_running)
    assert await eventually(lambda: not (store_threads() - before)), (
        "a store connection was left open"
    )
