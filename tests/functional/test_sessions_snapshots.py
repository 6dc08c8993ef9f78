"""Snapshots of the Sessions list and one session against the stand-in, clock at FROZEN_NOW."""

from __future__ import annotations

from polaris_tui.models.sessions import SessionQuery

from .conftest import no_blink, settle, type_keys


def sessions(*keys: str, query: SessionQuery | None = None, title: str = "Sessions"):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_sessions(query, title=title)
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        no_blink(pilot.app)

    return run_before


def session(transaction_id: int):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_session(transaction_id)
        await settle(pilot)
        no_blink(pilot.app)

    return run_before


class TestSessionsSnapshots:
    """The Sessions list and the session page (runbook 1's verify step)."""

    def test_all_sessions_120x40(self, snap_compare, sim_app) -> None:
        """Status "3 open · 11 finished — open sessions and sessions started 2026-11-15
        10:00 – 2026-11-22 10:00 UTC on every charger"; 1015, 1014, 1013 "running" in green
        first, then 1012…1002; 1008 "Remote" / "remote stop"; 1005 "—" / "DB close" in
        yellow; 1009 and 1005 "UNSYNCED" in yellow, 1012 "no cust." in yellow; every column
        up to Lago fits, Customer / card starts at the right edge."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=sessions())

    def test_customer_filter_80x24(self, snap_compare, sim_app) -> None:
        """`/` "ada@example.com stopped": 1011, 1009, 1008, 1004 (Ada's cards, this week);
        the status names customer “ada@example.com”; the filter line shows the text; the
        columns from Reason on are one horizontal scroll away."""
        keys = ("slash", *type_keys("ada@example.com stopped"), "enter")
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=sessions(*keys))

    def test_nothing_matched_says_why_80x24(self, snap_compare, sim_app) -> None:
        """`/` "Nobody": an empty table and the yellow note "No Lago customer has “Nobody”
        in their e-mail or name (searched 5 customers).\""""
        keys = ("slash", *type_keys("Nobody"), "enter")
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=sessions(*keys))

    def test_session_unsynced_120x40(self, snap_compare, sim_app) -> None:
        """Session 1009 (CARD-UNSYNCED on CP-DELTA-04/2): facts with Stopped, Stop reason
        EVDisconnected, Stopped by "the station, on its own"; energy and power sparklines
        with "Energy delivered: 7.70 kWh", "Power: peak 6.2 kW"; the dim line "No operation
        from Polaris touched this session…"; the billing panel in yellow: "Billing problem,
        not a charging problem: Lago has no usage event steve_tx_1009_final…"."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=session(1009))

    def test_session_database_close_80x24(self, snap_compare, sim_app) -> None:
        """Session 1005 (CARD-TERMINATED on CP-HOTEL-08): Stop reason "—", Stopped by
        "database-only close in SteVe; the station was never told"; the chart below,
        scrolled off the bottom at this size."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=session(1005))
