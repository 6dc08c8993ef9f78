"""App-wide snapshots: help, the outage banner (clock at FROZEN_NOW)."""

from __future__ import annotations

from .conftest import settle


class TestAppSnapshots:
    """Things every screen shares."""

    def test_help_on_fleet_120x40(self, snap_compare, sim_app) -> None:
        """`?` over the fleet: a modal listing every key of the screen (s sort,
        / filter, r refresh, l op log, c cards, q quit, ? help, ctrl+p …)."""

        async def run_before(pilot) -> None:
            await settle(pilot)
            await pilot.press("question_mark")
            await pilot.pause()

        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=run_before)

    def test_help_on_charger_detail_80x24(self, snap_compare, sim_app) -> None:
        """`?` on the charger detail at 80x24: Back, Refresh, Open card, Operations,
        Op log, Unlock connector, Close in DB (the last two dimmed: not offered)."""

        async def run_before(pilot) -> None:
            await settle(pilot)
            pilot.app.open_charger("CP-ALPHA-01")
            await settle(pilot)
            await pilot.press("question_mark")
            await pilot.pause()

        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=run_before)

    def test_steve_unreachable_banner_120x40(self, snap_compare, sim, sim_app) -> None:
        """SteVe goes down after the first poll: the red banner "SteVe is
        unreachable since 2026-11-22 10:00:00Z (0s ago) — showing data from …",
        the table border red and the strip marked STALE; rows stay visible."""

        async def run_before(pilot) -> None:
            await settle(pilot)
            sim.control("POST", "/faults", {"name": "steve_down"})
            await pilot.app.services.poller.refresh_now()
            await settle(pilot)

        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=run_before)
