"""Snapshots of the customer page against the stand-in, clock at FROZEN_NOW."""

from __future__ import annotations

from .conftest import no_blink, settle


def customer(text: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_customer(text)
        await settle(pilot)
        no_blink(pilot.app)

    return run_before


class TestCustomerSnapshots:
    """Runbook 2 from a person: the customer page."""

    def test_ada_120x40(self, snap_compare, sim_app) -> None:
        """Title "Customer · Ada Lovelace"; Lago customer cust-ada · ada@example.com and
        "Subscription sub-ada (ev_kwh_standard): active, since 2025-10-19"; Cards: four
        rows, CARD-BLOCKED "blocked in SteVe" in red, CARD-INACTIVE "valid in SteVe, but
        inactive in Polaris (billing)"; the sessions table with 1015 running first, then
        1011, 1009 (UNSYNCED), 1008 (remote stop), 1004, 1001 (30 days)."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=customer("Lovelace"))

    def test_several_match_80x24(self, snap_compare, sim_app) -> None:
        """ "example.com" matches four customers: the "Customers that match" table (Ada
        Lovelace, Grace Hopper, Kim Park, Tom Turner with e-mails and Lago ids) and the
        note "4 customers match “example.com”: pick one."."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=customer("example.com"))
