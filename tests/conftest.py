"""Shared fixtures for every test folder: the stand-in, the clock and the stores.

``sim`` is a fresh stand-in (``chargesim``) per test: the deterministic demo
fleet of docs/demo-fleet.md with the clock frozen at ``FROZEN_NOW``. It runs in
a background thread with its own event loop, so async tests, Pilot tests and
Textual snapshot tests (which run their own loop) can all use it. Start-up
takes a few milliseconds, so no session-wide instance is needed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chargesim.testing import SimHandle, start_sim_thread
from polaris_tui.services.clock import FixedClock

# A test process builds and drops hundreds of Apps, each of tens of
# thousands of objects: at the default first-generation threshold (700
# allocations) the cyclic collector ran thousands of times a file and took
# ~4 % of the suite's CPU. Rarer passes free the same garbage. Only the test
# processes: the consoles and stand-ins that tests start keep the defaults.
gc.set_threshold(10_000, 10, 10)

FROZEN_NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
"""The instant the ``sim`` fixture's clock is frozen at."""


@pytest.fixture
def clock() -> FixedClock:
    """A clock frozen at ``FROZEN_NOW``, so every "x ago" is deterministic."""
    return FixedClock(FROZEN_NOW)


@pytest.fixture
def sim() -> Iterator[SimHandle]:
    """A fresh frozen demo fleet at FROZEN_NOW (stopped after the test)."""
    handle = start_sim_thread(now=FROZEN_NOW, frozen=True)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def sim_factory() -> Iterator:
    """Start stand-ins with custom options (``SimOptions`` fields); all stopped after the test."""
    handles: list[SimHandle] = []

    def start(**opts) -> SimHandle:
        opts.setdefault("now", FROZEN_NOW)
        opts.setdefault("frozen", True)
        handle = start_sim_thread(**opts)
        handles.append(handle)
        return handle

    try:
        yield start
    finally:
        for handle in handles:
            handle.stop()


# The real PostgreSQL fixtures (tests/pg.py), for every folder.
# Long tests first, from the durations of earlier runs (tests/ordering.py).
from tests.ordering import pytest_collection_modifyitems, pytest_configure  # noqa: E402, F401
from tests.pg import (  # noqa: E402, F401
    fresh_store_url,
    pg_empty_url,
    pg_server,
    pg_url,
    store,
    store_url,
)
from tests.pg_own import restartable_pg  # noqa: E402, F401
