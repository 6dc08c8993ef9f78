"""Snapshots of the audit log after an edit and its revert (stand-in, clock at FROZEN_NOW)."""

from __future__ import annotations

from .conftest import settle


def after_block_and_revert():
    """Block CARD-HEALTHY from its page, open its audit log (h), revert the block (v, y)."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot)
        app.open_card("CARD-HEALTHY")
        await settle(pilot)
        await pilot.press("b", "y")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("v", "y")
        await settle(pilot)
        app.clear_notifications()
        await pilot.pause()

    return run_before


class TestAuditLogSnapshots:
    """Every card edit: who, when, what, before, after, status, reverted by."""

    def test_block_and_revert_120x40(self, snap_compare, sim_app) -> None:
        """Title "Audit log — card CARD-HEALTHY · 2 of 2 edits"; every column on screen:
        row #2 revert by tester, before "max active=0", after "max active=1", applied,
        "reverts #1"; row #1 (highlighted) block, "max active=1" → "max active=0",
        applied, "reverted by #2"; the panel under the table shows #1 in full."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=after_block_and_revert())

    def test_block_and_revert_80x24(self, snap_compare, sim_app) -> None:
        """The same at 80x24: the table scrolls sideways; the full entry below stays readable."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=after_block_and_revert())
