"""The open charger detail reloads when the charger changes, and only then.

Loading the detail reads the charger's meter, and that read republishes the
fleet row. A screen that reloaded on every republished row cancelled its own
load in flight and started another, for ever: the operator saw "Loading…"
while Polaris hammered SteVe. These tests keep the stand-in's clock moving so
heartbeats change between polls, as they do on a live network.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from polaris_tui.app import make_app
from polaris_tui.screens.charger_detail import ChargerDetailScreen

from .conftest import NOW, open_charger, screen_text, settle, sim_settings


class TickingClock:
    """A clock that moves a little on every reading, like a real one (but
    deterministic): every meter read then gets a new ``meter_checked_at``."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        self._now += timedelta(milliseconds=200)
        return self._now


async def test_detail_loads_and_polls_stay_bounded(sim: Any, tmp_path: Path) -> None:
    app = make_app(sim_settings(sim, tmp_path), clock=TickingClock(NOW), seed_demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        calls = 0
        real_detail = app.services.fleet.detail

        async def counting_detail(charge_box_id: str) -> Any:
            nonlocal calls
            calls += 1
            return await real_detail(charge_box_id)

        app.services.fleet.detail = counting_detail  # type: ignore[method-assign]
        screen = await open_charger(pilot, "CP-BRAVO-02")
        assert isinstance(screen, ChargerDetailScreen)

        polls = 4
        for _ in range(polls):
            sim.advance(60)  # heartbeats and meter values move on
            await app.services.poller.refresh_now()
            for _ in range(10):
                await pilot.pause(0.05)
        await settle(pilot)

        assert screen.detail is not None, "the detail never finished loading"
        assert "Loading…" not in screen_text(app)
        assert "Transaction 1013" in screen_text(app) or "Transaction" in screen_text(app)
        # One load on open, at most one per poll that changed what is shown,
        # and a little slack for the screen's own timer.
        assert calls <= 2 * polls + 3, f"{calls} detail loads for {polls} polls"
        await asyncio.sleep(0)
