"""Open the configured store the way a console (or the hook) should.

A SQLite store migrates itself on open: it is the embedded default, and a
laptop has no one else to run ``polaris store migrate``. A console on the
team's PostgreSQL store never changes its schema: it refuses an older one
(naming ``polaris store migrate``) and a newer one (upgrade Polaris).
"""

from __future__ import annotations

import asyncio

from polaris_tui.services.clock import Clock, SystemClock
from polaris_tui.services.settings import StoreSettings
from polaris_tui.store import Store


async def open_store(settings: StoreSettings, clock: Clock) -> Store:
    """Open the store of ``settings`` (see the module docstring for migrations).

    Raises:
        StoreError: it cannot be opened, or its schema is not this Polaris's.
    """
    target = settings.target()
    return await Store.open(
        target, clock=clock, migrate=target.is_sqlite, shared_group=settings.shared_group
    )


def preflight(settings: StoreSettings) -> None:
    """Open and close the store once before the UI starts, so a store this
    console cannot use is a one-line message on the terminal, not a screen.

    Raises:
        StoreError: as ``open_store``.
    """

    async def check() -> None:
        store = await open_store(settings, SystemClock())
        await store.close()

    asyncio.run(check())
