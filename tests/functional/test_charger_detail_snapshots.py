"""Snapshots of the charger detail against the stand-in (clock at FROZEN_NOW)."""

from __future__ import annotations

from .conftest import settle


def opened(charge_box_id: str, *keys: str, dry_run: bool = False):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_charger(charge_box_id)
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        if dry_run:
            pilot.app.screen.query_one("#op-submit").press()
            await settle(pilot)

    return run_before


class TestChargerDetailSnapshots:
    """The force-close runbook's page."""

    def test_stuck_session_120x40(self, snap_compare, sim_app) -> None:
        """CP-BRAVO-02: all four titles on screen without scrolling — Live status
        (online, connector 1 Charging, newest meter 25m ago, NOT advancing),
        Current session (transaction, CARD-STUCK — Grace Hopper, red warning that
        the meter has not advanced), Remote operations (RemoteStopTransaction with
        the transactionId filled, Dry run checked), Recent operations (empty) and
        Scan-to-login below it."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=opened("CP-BRAVO-02"))

    def test_stuck_session_80x24(self, snap_compare, sim_app) -> None:
        """CP-BRAVO-02 at 80x24: panels stacked in one scrolling column (a scrollbar
        on the right), Live status and Current session visible first."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=opened("CP-BRAVO-02"))

    def test_after_dry_run_120x40(self, snap_compare, sim_app) -> None:
        """CP-ALPHA-01 after a dry run: the outcome "Operation log #1: dry run —
        params are valid; nothing was sent to SteVe"; Recent operations lists #1
        dry_run by tester; the meter line says still advancing."""
        assert snap_compare(
            sim_app(), terminal_size=(120, 40), run_before=opened("CP-ALPHA-01", dry_run=True)
        )

    def test_unmanaged_charger_120x40(self, snap_compare, sim_app) -> None:
        """LEGACY-GARAGE-99: unmanaged; Remote operations shows only the runbook's
        sentence (not in SteVe — it doesn't speak OCPP … resolve through billing)."""
        assert snap_compare(
            sim_app(), terminal_size=(120, 40), run_before=opened("LEGACY-GARAGE-99")
        )

    def test_offline_charger_80x24(self, snap_compare, sim_app) -> None:
        """CP-CHARLIE-03: OFFLINE in the header and Live status (heartbeat 3h ago)."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=opened("CP-CHARLIE-03"))


class TestChargerIdentitySnapshots:
    """Runbook 2 step 6 on the charger page: what the charger told SteVe (``I``)."""

    def test_full_identity_120x40(self, snap_compare, sim_app) -> None:
        """CP-ALPHA-01 after ``I``: the Identity panel in view with a highlighted
        border: Vendor Alfen, Model Eve Single Pro-line, both serials, Firmware
        6.4.0-4152, each "[manager page]"; OCPP protocol ocpp1.6J "[REST]";
        Registration Accepted; Last boot unknown (SteVe keeps no boot time);
        Endpoint none (OCPP-J); Pre-authorize hook unknown (no intercept here)."""
        assert snap_compare(
            sim_app(), terminal_size=(120, 40), run_before=opened("CP-ALPHA-01", "I")
        )

    def test_full_identity_80x24(self, snap_compare, sim_app) -> None:
        """The same panel at 80x24: scrolled into view, long reasons wrapped."""
        assert snap_compare(
            sim_app(), terminal_size=(80, 24), run_before=opened("CP-ALPHA-01", "I")
        )

    def test_no_identity_80x24(self, snap_compare, sim_app) -> None:
        """CP-LIMA-12 (never booted): Vendor, Model, serials and Firmware each
        "unknown (empty on SteVe's details page: the station never sent it …)";
        protocol and registration still known."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=opened("CP-LIMA-12", "I"))

    def test_kiosk_hook_120x40(self, snap_compare, sim_app) -> None:
        """CP-FOXTROT-06: the hook line says "called: intercepted CARD-KIOSK on …
        [store]": SteVe's build calls the pre-authorize hook for this charger."""
        assert snap_compare(
            sim_app(), terminal_size=(120, 40), run_before=opened("CP-FOXTROT-06", "I")
        )
