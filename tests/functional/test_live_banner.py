"""The banner says when other consoles' writes are not heard (issue 10).

While the store's change watch is down (a lost link to PostgreSQL, being
reconnected), what is on screen may lack another operator's stop: every
screen's banner says so, with since when, and the line goes once live
updates are back.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from textual.pilot import Pilot

from polaris_tui.models.live import LiveUpdatesDown
from polaris_tui.widgets.banner import SourceBanner

from .conftest import NOW, make_row, settle

DEADLINE = 60.0


async def banner_shows(pilot: Pilot[object], wanted: bool) -> str:
    """Wait (on the condition) until the banner has, or has not, the line."""
    deadline = time.monotonic() + DEADLINE
    while True:
        banner = pilot.app.screen.query_one(SourceBanner)
        text = str(banner.render())
        if ("Live updates from other consoles are down" in text) == wanted:
            return text
        assert time.monotonic() < deadline, f"banner never {'showed' if wanted else 'lost'} it"
        await asyncio.sleep(0.05)


async def test_the_banner_says_live_updates_are_down_until_they_are_back(fake_app) -> None:
    app, services = fake_app([make_row("CP-A")])
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        await banner_shows(pilot, False)
        services.live_updates_down = LiveUpdatesDown(
            since=NOW - timedelta(seconds=42),
            reason="the connection to the store was lost [bold]x[/]",
        )
        text = await banner_shows(pilot, True)
        assert "down since 2026-11-22 09:59:18Z (42s ago)" in text
        assert "may be missing here and the data may be stale" in text
        assert "[bold]x[/]" in text, "the driver's words are plain text"
        services.live_updates_down = None
        await banner_shows(pilot, False)
