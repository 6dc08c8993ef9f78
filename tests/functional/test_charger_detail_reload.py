"""The open charger detail reloads when the charger changes, and only then.

Loading the detail reads the charger's meter, and that read republishes the
fleet row. A screen that reloaded on every republished row cancelled its own
load in flight and started another, for ever: the operator saw "Loading…"
while Polaris hammered SteVe. These tests keep the stand-in's clock moving so
heartbeats change between polls, as they do on a live network.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from polaris_tui.app import make_app
from polaris_tui.screens.charger_detail import ChargerDetailScreen

from .conftest import NOW, open_charger, screen_text, settle, sim_settings


class TickingClock:
    """A clock that moves a microsecond on every reading, so every meter read
    gets a new ``meter_checked_at``, and never to the next minute.

    The step must stay tiny: the screens read the clock every second, so a
    slow machine reads it more often. A visible step (it was 200 ms) added up
    to a minute under load and turned the stuck session's "meter value is
    25 min old" into "26 min" at a quiet poll: one more reload, caused by the
    machine's speed. Nor does it follow ``sim.advance``: the minute would then
    turn at each moving poll, and a Lago cycle's build landing between SteVe's
    lists and its meter sample would show the old minute, then the sample the
    new one: two reloads for one poll, as many as the machine's timing makes.
    """

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        self._now += timedelta(microseconds=1)
        return self._now


async def test_detail_loads_and_polls_stay_bounded(sim: Any, tmp_path: Path) -> None:
    # No background cycle and no refresh timer: every poll is the test's own,
    # so the count below depends on what changed, never on the machine's speed.
    settings = sim_settings(sim, tmp_path, interval_seconds=3600, lago_interval_seconds=3600)
    app = make_app(settings, clock=TickingClock(NOW), seed_demo=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        calls = 0
        real_detail = app.services.fleet.detail

        async def counting_detail(charge_box_id: str, *, fresh: bool = True) -> Any:
            nonlocal calls
            calls += fresh  # the quick first load asks SteVe nothing
            return await real_detail(charge_box_id, fresh=fresh)

        app.services.fleet.detail = counting_detail  # type: ignore[method-assign]
        screen = await open_charger(pilot, "CP-BRAVO-02")
        assert isinstance(screen, ChargerDetailScreen)

        polls = 4
        for _ in range(polls):
            sim.advance(60)  # heartbeats and meter values move on
            await app.services.poller.refresh_now()
            await settle(pilot)
            # A quiet poll: nothing moved at the stand-in. Its build carries the
            # detail's own meter read, which must not make the detail reload.
            await app.services.poller.refresh_now()
            await settle(pilot)

        assert screen.detail is not None, "the detail never finished loading"
        assert "Loading…" not in screen_text(app)
        assert "Transaction" in screen_text(app)
        row = app.services.poller.row("CP-BRAVO-02")
        assert row is not None
        assert screen.detail.row.last_heartbeat == row.last_heartbeat, "it followed the polls"
        # One load on open and at most one per poll that moved the charger.
        assert calls <= 1 + polls, f"{calls} detail loads for {polls} polls that moved it"
