"""Issue 16, item 4: a SteVe that accepts connections and never answers.

The stand-in's ``steve_freeze`` fault holds every SteVe request open without
a byte of answer. The real App polls it; the console must

* say "SteVe is not answering" within two poll intervals (before: ~40 s, as
  three 10 s read timeouts with retries ran out);
* keep every data-age label at least as old as the data (the App's clock is
  injected and only moves when the test moves it, so the real age is known
  exactly: ``clock.now() - FROZEN_NOW``, the time of the last good answer);
* recover within one interval once SteVe answers again, with no key, even
  with the poll loop at its 60 s backoff cap (before: up to the cap).

Times are bounded by generous condition waits (two intervals + slack, one
interval + slack) that still fail by a wide margin on the old code.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from polaris_tui.app import make_app
from polaris_tui.models import ConnectionState, SourceName
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.services import poller as poller_module
from polaris_tui.services.clock import FixedClock
from tests.conftest import FROZEN_NOW
from tests.functional.conftest import screen_text, settle

from .conftest import settings_for
from .test_1_start_during_outage import banner_text, wait_until

INTERVAL = 2.5
"""Poll interval of the test (the rule is stated in intervals; the default is 5 s).
The default ``steve.read_timeout`` (10 s) is kept: poll reads wait 2 s here."""
SLACK = 4.0
"""Room for a busy machine on top of the bound the rule allows."""
AGE_LABEL = re.compile(r"(?:as of|showing data from) [0-9: -]+Z\s*[·(]\s*(<?)(\d+)([smhd]) ago")
UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
SECOND_STEPS = (10, 20, 30, 45, 60)
"""Where the coarse ages in seconds change ("<10s", "10s", "20s", "30s", "45s", "1m")."""


def span(below: str, n: int, unit: str) -> range:
    """The seconds a label stands for: "<10s ago" 0 up to 10; "20s ago" 20 up to
    the next step (30; "13s ago", an exact age, 13 up to 20); "1m ago" 60 up to 120."""
    if below:
        return range(0, n * UNIT[unit])
    if unit == "s":
        return range(n, min(step for step in SECOND_STEPS if step > n))
    return range(n * UNIT[unit], (n + 1) * UNIT[unit])


def data_ages(text: str) -> list[range]:
    """Every "data as of" age on screen, as the seconds it stands for."""
    return [span(below, int(n), unit) for below, n, unit in AGE_LABEL.findall(text)]


def shown_ages(app: Any) -> list[range]:
    return data_ages(screen_text(app) + "\n" + banner_text(app))


def all_tell(app: Any, real_age: int, at_least: int) -> bool:
    """At least ``at_least`` age labels are on screen and each one's span holds
    the real age: none shows the data fresher (or older) than it is."""
    ages = shown_ages(app)
    return len(ages) >= at_least and all(real_age in span for span in ages)


def steve(app: Any) -> Any:
    return app.services.source_state(SourceName.STEVE)


@pytest.fixture
def at_the_backoff_cap(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A failing loop waits the whole ``max_backoff_seconds`` at once: as after a
    long outage, when the backoff has reached its cap. Records the waits."""
    waits: list[float] = []

    def capped(current: float, failed: bool, interval: float, max_backoff: float) -> float:
        if not failed:
            return interval
        waits.append(max_backoff)
        return max_backoff

    monkeypatch.setattr(poller_module, "next_delay", capped)
    return waits


async def test_a_frozen_steve_is_named_within_two_intervals_and_recovers_within_one(
    sim: Any, tmp_path: Path, at_the_backoff_cap: list[float]
) -> None:
    settings = settings_for(
        sim,
        tmp_path,
        interval_seconds=INTERVAL,
        lago_interval_seconds=60.0,
        max_backoff_seconds=60.0,
    )
    clock = FixedClock(FROZEN_NOW)
    app = make_app(settings, clock=clock, demo=False, seed_demo=True)
    loop = asyncio.get_running_loop()
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        assert steve(app).state == ConnectionState.LIVE

        # SteVe hangs. Every answer so far was stamped FROZEN_NOW (the clock has not moved).
        cycles_before = app.services.poller.cycles[SourceName.STEVE]
        sim.fault("steve_freeze")
        frozen_at = loop.time()
        named = await wait_until(
            pilot,
            lambda: "SteVe is not answering" in banner_text(app),
            timeout=2 * INTERVAL + SLACK,
        )
        detection = loop.time() - frozen_at
        assert named, f"no 'not answering' after {detection:.1f} s: {banner_text(app)!r}"
        assert steve(app).state != ConnectionState.LIVE
        assert app.services.poller.cycles[SourceName.STEVE] <= cycles_before + 2

        # Ages: move the injected clock; every data-age label on the fleet screen
        # catches up within a tick and is never younger than the data.
        for step in (7, 13, 45):
            clock.advance(step)
            real_age = int((clock.now() - FROZEN_NOW).total_seconds())
            caught_up = await wait_until(
                pilot, lambda real_age=real_age: all_tell(app, real_age, 3), timeout=3.0
            )
            assert caught_up, (real_age, shown_ages(app), screen_text(app))

        # The charger detail's panels say the same (their own reads hang too).
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: isinstance(app.screen, ChargerDetailScreen))
        clock.advance(20)
        real_age = int((clock.now() - FROZEN_NOW).total_seconds())
        assert await wait_until(pilot, lambda: all_tell(app, real_age, 2), timeout=3.0), (
            real_age,
            shown_ages(app),
            screen_text(app),
        )
        await pilot.press("escape")

        # The loop is now waiting out its 60 s cap; SteVe comes back.
        assert at_the_backoff_cap, "the poll loop never failed"
        sim.clear_fault("steve_freeze")
        back_at = loop.time()
        recovered = await wait_until(
            pilot,
            lambda: steve(app).state == ConnectionState.LIVE and "SteVe" not in banner_text(app),
            timeout=INTERVAL + SLACK,
        )
        recovery = loop.time() - back_at
        assert recovered, f"still not live {recovery:.1f} s after SteVe answered again"
        assert steve(app).last_ok == clock.now()  # fresh data, stamped now
        assert await wait_until(pilot, lambda: all_tell(app, 0, 2), timeout=3.0), shown_ages(app)
