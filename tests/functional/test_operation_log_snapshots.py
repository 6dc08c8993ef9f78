"""Snapshots of the operation log against the stand-in (clock at FROZEN_NOW)."""

from __future__ import annotations

from .conftest import settle


async def two_dry_runs(pilot) -> None:
    await settle(pilot)
    for charger in ("CP-ALPHA-01", "CP-BRAVO-02"):
        pilot.app.open_charger(charger)
        await settle(pilot)
        pilot.app.screen.query_one("#op-submit").press()
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
    pilot.app.open_operation_log()
    await settle(pilot)


class TestOperationLogSnapshots:
    """Every operation, with filters."""

    def test_log_120x40(self, snap_compare, sim_app) -> None:
        """Two dry runs (#2 CP-BRAVO-02 on top, #1 CP-ALPHA-01), each with params
        transactionId=…, status dry_run, who tester, result "nothing sent"; the
        cursor row's outcome is described under the table."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=two_dry_runs)

    def test_log_80x24(self, snap_compare, sim_app) -> None:
        """The same log at 80x24: filters on one line, the table scrolls sideways."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=two_dry_runs)
