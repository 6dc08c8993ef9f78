"""Fixtures of the OperationService tests (see ``support``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.steve import FakeSteve
from tests.unit.operations.support import (
    NOW,
    accepted,
    make_service,
    tx,
)


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
