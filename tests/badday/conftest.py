"""Fixtures for the bad-day tests (issue 6): the stand-in, the real App and
real ``polaris`` processes, in the situations the issue lists.

The ``sim`` fixture (a fresh frozen demo fleet at ``FROZEN_NOW``) comes from
``tests/conftest.py``; ``settle``/``screen_text``/``sim_settings`` from the
functional fixtures, so App tests here drive the same App the CLI builds.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from polaris_tui.app import PolarisApp, make_app
from polaris_tui.demo import seed_demo_store
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from polaris_tui.services.settings import Settings
from tests.conftest import FROZEN_NOW
from tests.functional.conftest import sim_settings

SLOW_POLL = {"interval_seconds": 0.2, "lago_interval_seconds": 0.2, "max_backoff_seconds": 0.4}
"""Poll settings that let a test see several cycles (and a recovery) in a second or two."""


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``POLARIS_…`` variable of the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.startswith("POLARIS_"):
            monkeypatch.delenv(name, raising=False)


def settings_for(
    sim: Any, tmp_path: Path, *, role: str = "admin", operator: str = "tester", **poll: float
) -> Settings:
    """Settings against the stand-in with a private store (fast polling by default)."""
    return sim_settings(sim, tmp_path, operator=operator, role=role, **{**SLOW_POLL, **poll})


def build_app(settings: Settings, *, at: datetime = FROZEN_NOW, seed: bool = True) -> PolarisApp:
    """The App the CLI builds, with an injected clock at ``at``."""
    return make_app(settings, clock=FixedClock(at), demo=False, seed_demo=seed)


async def save_snapshot(settings: Settings, *, at: datetime = FROZEN_NOW) -> None:
    """One good poll cycle against the stand-in, then close: the store holds the snapshot."""
    services = await PolarisServices.open(settings, clock=FixedClock(at))
    try:
        await seed_demo_store(services.store)
        await services.poller.reload_local()
        await services.poller.refresh_now()
    finally:
        await services.close()  # close() saves the snapshot


@pytest.fixture
def later() -> datetime:
    """Ten minutes after the snapshot: ages on screen must say so."""
    return FROZEN_NOW + timedelta(minutes=10)


@pytest.fixture
def app_factory(sim: Any, tmp_path: Path) -> Callable[..., PolarisApp]:
    """``app_factory(role=..., at=..., **poll)``: the App against the stand-in."""

    def build(
        *, role: str = "admin", operator: str = "tester", at: datetime = FROZEN_NOW, **poll: float
    ) -> PolarisApp:
        return build_app(settings_for(sim, tmp_path, role=role, operator=operator, **poll), at=at)

    return build
