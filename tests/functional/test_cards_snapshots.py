"""Snapshots of the cards list against the stand-in, clock at FROZEN_NOW."""

from __future__ import annotations

from .conftest import no_blink, settle, type_keys


def cards(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.open_cards()
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        no_blink(pilot.app)

    return run_before


class TestCardsSnapshots:
    """The cards list (runbook step 1: find the card)."""

    def test_all_cards_120x40(self, snap_compare, sim_app) -> None:
        """All 16 demo cards sorted by idTag in nine columns that fit 120 columns: meta
        cards bold with "(meta)"; inherited links "cust-acme (inh.)"; CARD-NEW-0001
        "not in SteVe" in the Blocked column; red "yes" for CARD-BLOCKED, CARD-EXPIRED and
        FLEET-PARENT; status line "16 of 16 cards · loaded 0s ago · SteVe as of 0s ago"."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=cards())

    def test_blocked_filter_80x24(self, snap_compare, sim_app) -> None:
        """`b` then `/` "card": only CARD-BLOCKED is left; status line "1 of 16 cards ·
        matching “card” · only blocked"; the find box shows "card"."""
        run_before = cards("B", "slash", *type_keys("card"))
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=run_before)


class TestRefusedTagsSnapshots:
    """SteVe's refused tags under the cards list."""

    def test_refused_focused_80x24(self, snap_compare, sim_app) -> None:
        """``R``: the "Refused by SteVe (unknown idTags) · enter: triage" panel has
        the focus (highlighted border) and its one row: CARD-NEW-0001, 2 attempts,
        the last 35 min before now, known to Polaris as "New card, unissued"."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=cards("R"))
