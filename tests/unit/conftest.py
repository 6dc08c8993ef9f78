"""Fixtures shared by the unit tests.

``store`` is a real SQLite store in the test's temporary folder, on the
test module's own ``clock`` fixture (each module picks its fixed time).
"""

from __future__ import annotations

import pytest

from polaris_tui.store import Store


@pytest.fixture
async def store(tmp_path, clock):
    s = await Store.open(tmp_path / "polaris.sqlite", clock=clock)
    yield s
    await s.close()
