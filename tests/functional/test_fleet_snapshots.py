"""Snapshots of the fleet screen against the stand-in's frozen demo fleet.

Clock injected at FROZEN_NOW (the stand-in's frozen instant), cursor blink
off, fixed terminal sizes; ``run_before`` awaits the services, the first
poll and every worker.
"""

from __future__ import annotations

from .conftest import settle, type_keys


class TestFleetSnapshots:
    """The first screen an operator sees."""

    def test_demo_fleet_120x40(self, snap_compare, sim_app) -> None:
        """Demo banner on top; counts strip (Online 11, Offline 1, Charging 3, Faulted 1,
        Stuck); the 13 chargers, the stuck sessions first with STUCK in red,
        CP-CHARLIE-03 offline in red, LEGACY-GARAGE-99 Unmanaged; the panel's
        subtitle says the sort and "as of 10:00:00Z · 0s ago"."""
        app = sim_app(demo=True)
        assert snap_compare(app, terminal_size=(120, 40), run_before=settle)

    def test_demo_fleet_80x24(self, snap_compare, sim_app) -> None:
        """The same fleet at 80x24: no demo banner (demo=False); Description,
        Connectors and Since dropped by priority, so ChargeBox ID, Status,
        Heartbeat, Session idTag and Stuck all fit; a compact footer with ? Help."""
        app = sim_app()
        assert snap_compare(app, terminal_size=(80, 24), run_before=settle)

    def test_filtered_by_customer_email_120x40(self, snap_compare, sim_app) -> None:
        """Typing grace@example.com in the filter leaves exactly CP-BRAVO-02 (session
        of CARD-STUCK, STUCK); the strip says "showing 1 of 1"."""

        async def run_before(pilot) -> None:
            await settle(pilot)
            await pilot.press("slash", *type_keys("grace@example.com"), "enter")
            await settle(pilot)

        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=run_before)

    def test_demo_fleet_200x60(self, snap_compare, sim_app) -> None:
        """A wide terminal uses the space: every column, the descriptions whole
        (up to 56 cells), long ids uncut; more rows fit."""
        assert snap_compare(sim_app(demo=True), terminal_size=(200, 60), run_before=settle)

    def test_stuck_column_after_a_filter_120x40(self, snap_compare, sim_app) -> None:
        """Issue 13: after a filter ("CP-" leaves the 12 CP chargers) every
        column, Stuck last, is on screen; CP-BRAVO-02 shows STUCK."""

        async def run_before(pilot) -> None:
            await settle(pilot)
            await pilot.press("slash", *type_keys("CP-"), "enter")
            await settle(pilot)

        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=run_before)

    def test_stuck_column_after_a_filter_80x24(self, snap_compare, sim_app) -> None:
        """The same at 80x24: the wide columns are narrowed (ellipsis) so the
        Stuck column, with STUCK on CP-BRAVO-02, stays on screen."""

        async def run_before(pilot) -> None:
            await settle(pilot)
            await pilot.press("slash", *type_keys("CP-"), "enter")
            await settle(pilot)

        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=run_before)
