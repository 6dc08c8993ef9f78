"""Fixtures shared by the unit tests.

``store`` is a real SQLite store in the test's temporary folder, on the
test module's own ``clock`` fixture (each module picks its fixed time).
"""

from __future__ import annotations

import pytest

from polaris_tui.store import Store


@pytest.fixture
async def store(store_url, clock):
    """A store on each backend in turn (tests/pg.py)."""
    s = await Store.open(store_url, clock=clock)
    yield s
    await s.close()
