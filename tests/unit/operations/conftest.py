"""Fixtures of the OperationService tests (see ``support``)."""

from __future__ import annotations

from typing import Any

import pytest

from polaris_tui.services.clock import FixedClock
from polaris_tui.store import Store
from tests.fakes.steve import FakeSteve
from tests.unit.operations.support import (
    NOW,
    accepted,
    make_service,
    tx,
)


@pytest.fixture
async def store(store_url: str, clock: FixedClock):
    """A store on each backend in turn (tests/pg.py)."""
    s = await Store.open(store_url, clock=clock)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def steve() -> FakeSteve:
    """SteVe accepts every operation; the session stays open until closed in its database."""
    fake = FakeSteve()
    fake.answer = accepted()
    fake.details = [tx()]
    fake.after_db_stop = lambda pk: tx(pk, stopped=NOW)
    return fake


@pytest.fixture
def events() -> list[Any]:
    return []


@pytest.fixture
async def service(steve, store, clock, events):
    svc = make_service(steve, store, clock, events)
    try:
        yield svc
    finally:
        await svc.close()
