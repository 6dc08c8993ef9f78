"""Bad day 1: Polaris starts while SteVe (or Lago) is down.

* No snapshot, nothing listening: the real ``polaris --steve-url
  http://127.0.0.1:9/steve`` opens on a pseudo-terminal, says SteVe is
  unreachable, keeps polling with a growing wait, and quits cleanly on ``q``.
* With a snapshot: the App opens on it, the banner says what is unreachable,
  since when and how old the data is, and every panel (fleet, counts, charger
  detail, card page) shows the age of its data. When SteVe comes back the
  banner goes and the data refreshes by itself (no key pressed).
* Lago down with SteVe up: a separate Lago line; SteVe's views are live.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from polaris_tui.models import ConnectionState, SourceName, StatusSource
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.services import poller as poller_module
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.detail_panels import LiveStatusPanel, SessionPanel
from polaris_tui.widgets.fleet_table import FleetTable
from tests.conftest import FROZEN_NOW
from tests.functional.conftest import screen_text, settle

from .conftest import build_app, save_snapshot, settings_for
from .ptyrun import WAIT, run_polaris

DEAD_STEVE = "http://127.0.0.1:9/steve"
"""Port 9 (discard): nothing listens there on a test machine, so connections are refused."""


def banner_text(app: Any) -> str:
    return "\n".join(str(line) for line in app.screen.query_one(SourceBanner).lines())


async def wait_until(pilot: Any, predicate: Any, *, timeout: float = 30.0) -> bool:
    """Let the App run until ``predicate()`` holds (the loops work by themselves)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await pilot.pause(0.1)
    return predicate()


# -- no snapshot, nothing listening ------------------------------------------------------


def test_real_polaris_opens_with_steve_down_and_quits_cleanly(tmp_path: Path) -> None:
    store = tmp_path / "state" / "polaris.sqlite"
    args = [
        "--steve-url",
        DEAD_STEVE,
        "--store",
        str(store),
        "--config",
        str(tmp_path / "none.toml"),
    ]
    env = {"POLARIS_POLL__INTERVAL_SECONDS": "0.2", "POLARIS_POLL__MAX_BACKOFF_SECONDS": "0.8"}
    with run_polaris(args, home=tmp_path / "home", env=env) as polaris:
        assert polaris.wait_for("SteVe is unreachable", timeout=WAIT), polaris.output[-2000:]
        assert polaris.wait_for("no data from it yet", timeout=WAIT)
        # It keeps retrying: several poll cycles are logged while the UI stays up.
        log = store.parent / "polaris.log"
        for _ in range(int(WAIT / 0.1)):
            if log.exists() and log.read_text().count("SteVe poll:") >= 6:
                break
            polaris.wait_for(b"\x00never", timeout=0.1)
        assert log.read_text().count("SteVe poll:") >= 6, (
            "at least two failed cycles (3 requests each)"
        )
        assert polaris.proc.poll() is None, "still running while SteVe is down"
        polaris.type("q")
        assert polaris.wait(WAIT) == 0, "q quits promptly and cleanly even with SteVe down"
    assert "Traceback" not in log.read_text()


async def test_without_snapshot_the_app_opens_and_retries_with_backoff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sim: Any
) -> None:
    waits: list[float] = []
    real_next_delay = poller_module.next_delay

    def recording(current: float, failed: bool, interval: float, max_backoff: float) -> float:
        delay = real_next_delay(current, failed, interval, max_backoff)
        if failed:
            waits.append(delay)
        return delay

    monkeypatch.setattr(poller_module, "next_delay", recording)
    settings = settings_for(sim, tmp_path, interval_seconds=0.1, max_backoff_seconds=0.4)
    settings.steve.url = DEAD_STEVE
    settings.lago.url = None
    app = build_app(settings, seed=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.services.source_state(SourceName.STEVE).state == ConnectionState.UNREACHABLE
        text = banner_text(app)
        assert "SteVe is unreachable since" in text and "no data from it yet" in text
        assert "Lago" not in text  # not configured: nothing to say about it
        assert app.screen.query_one(FleetTable).row_count == 0
        # The loop keeps retrying on its own, each wait longer until the cap.
        assert await wait_until(pilot, lambda: len(waits) >= 3, timeout=30), waits
        assert waits[:3] == [0.2, 0.4, 0.4]
        assert app.is_running


# -- with a snapshot ----------------------------------------------------------------------


async def test_opens_on_the_snapshot_with_ages_then_recovers_by_itself(
    sim: Any, tmp_path: Path, later: datetime
) -> None:
    settings = settings_for(sim, tmp_path)
    await save_snapshot(settings)  # a good cycle at FROZEN_NOW
    sim.fault("steve_down")

    app = build_app(settings, at=later)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        services = app.services
        steve = services.source_state(SourceName.STEVE)
        assert steve.state == ConnectionState.UNREACHABLE
        assert steve.last_ok == FROZEN_NOW

        # The fleet is the snapshot's, and says how old it is.
        table = app.screen.query_one(FleetTable)
        assert "CP-ALPHA-01" in table.keys and "CP-BRAVO-02" in table.keys
        assert all(
            row.source == StatusSource.SNAPSHOT for row in services.fleet.rows() if row.managed
        )
        text = banner_text(app)
        assert "SteVe is unreachable since 2026-11-22 10:10:00Z" in text
        assert "showing data from 2026-11-22 10:00:00Z (10m ago)" in text
        screen = screen_text(app)
        assert "STALE" in screen and "10m ago" in screen  # counts strip and table panel

        # The charger detail's panels carry the age too.
        app.open_charger("CP-ALPHA-01")
        await settle(pilot)
        assert isinstance(app.screen, ChargerDetailScreen)
        for panel in (app.screen.query_one(LiveStatusPanel), app.screen.query_one(SessionPanel)):
            subtitle = str(panel.border_subtitle)
            assert "STALE" in subtitle and "10m ago" in subtitle, subtitle
        # A loaded machine can make one cycle "not answering"; the next says it again.
        assert await wait_until(
            pilot, lambda: "SteVe is unreachable" in banner_text(app), timeout=120
        ), banner_text(app)

        # The card page says SteVe is down and how old its data is.
        app.open_card("CARD-HEALTHY")
        await settle(pilot)
        card_screen = screen_text(app)
        assert "unreachable" in card_screen.lower() and "10m ago" in card_screen

        # SteVe comes back: nobody presses anything.
        app.open_chargers()
        await settle(pilot)
        sim.clear_fault("steve_down")
        assert await wait_until(
            pilot, lambda: services.source_state(SourceName.STEVE).state == ConnectionState.LIVE
        )
        await settle(pilot)
        assert "SteVe" not in banner_text(app)
        assert services.poller.fetched_at == later
        assert all(
            row.source != StatusSource.SNAPSHOT for row in services.fleet.rows() if row.managed
        )
        assert "STALE" not in screen_text(app)


async def test_lago_down_is_its_own_line_and_steve_views_stay_live(
    sim: Any, tmp_path: Path
) -> None:
    settings = settings_for(sim, tmp_path)
    settings.lago.url = "http://127.0.0.1:9/lago"
    app = build_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        services = app.services
        assert services.source_state(SourceName.LAGO).state == ConnectionState.UNREACHABLE
        assert services.source_state(SourceName.STEVE).state == ConnectionState.LIVE
        text = banner_text(app)
        assert "Lago is unreachable" in text and "SteVe" not in text
        assert "CP-ALPHA-01" in app.screen.query_one(FleetTable).keys
        assert "STALE" not in screen_text(app)

        app.open_card("CARD-HEALTHY")
        await settle(pilot)
        view = app.screen.view
        assert view.steve_state.state == ConnectionState.LIVE and view.tag is not None
        assert view.verdict.valid_in_steve.answer == "yes"
        assert view.verdict.linked_with_active_subscription.answer == "unknown"
