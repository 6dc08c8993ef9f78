"""The customer page against the stand-in: runbook 2 starting from a person's name."""

from __future__ import annotations

from polaris_tui.screens.card_detail import CardDetailScreen
from polaris_tui.screens.customer import CustomerScreen

from .conftest import palette, screen_text, settle, type_keys


async def test_palette_name_opens_the_customer_with_cards_and_sessions(sim_app) -> None:
    app = sim_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await palette(pilot, "ada@example.com", "Customer Ada Lovelace")
        await pilot.press("enter")  # the exact e-mail ranks the customer first
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        view = screen.view
        assert view is not None and view.customer is not None
        assert view.customer.external_id == "cust-ada"
        cards = {c.row.id_tag: c for c in view.cards}
        assert set(cards) == {"CARD-HEALTHY", "CARD-BLOCKED", "CARD-UNSYNCED", "CARD-INACTIVE"}
        assert not cards["CARD-BLOCKED"].ok and cards["CARD-HEALTHY"].verdict == "valid"
        text = screen_text(app)
        assert "Subscription sub-ada (ev_kwh_standard): active" in text
        assert "blocked in SteVe" in text
        assert view.sessions is not None
        assert "1015" in {str(line.row.transaction.id) for line in view.sessions.lines}
        await pilot.press("enter")  # the focused cards table: the first card
        await settle(pilot)
        assert isinstance(app.screen, CardDetailScreen)
        await pilot.press("U")  # the card's customer page again
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)


async def test_a_name_reaches_the_customer_too(sim_app) -> None:
    app = sim_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await palette(pilot, "Lovelace", "Customer Ada Lovelace", first=False)


async def test_several_and_none(sim_app) -> None:
    app = sim_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_customer("example.com")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen) and screen.view is not None
        assert screen.view.customer is None and len(screen.view.matches) == 4
        assert "4 customers match “example.com”: pick one." in screen_text(app)
        await pilot.press("down", "enter")
        await settle(pilot)
        picked = app.screen
        assert isinstance(picked, CustomerScreen) and picked.view and picked.view.customer
        app.open_customer("Nobody At All")
        await settle(pilot)
        assert "No Lago customer has “Nobody At All” in their e-mail or name" in screen_text(app)


async def test_cards_search_reaches_customers_and_says_why_empty(sim_app) -> None:
    from polaris_tui.screens.cards import CardsScreen
    from polaris_tui.widgets.card_table import CardTable

    app = sim_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_cards()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CardsScreen)
        await pilot.press("slash", *type_keys("Lovelace"), "enter")
        await settle(pilot)
        shown = {row.id_tag for row in screen.shown()}
        assert shown == {"CARD-HEALTHY", "CARD-BLOCKED", "CARD-UNSYNCED", "CARD-INACTIVE"}
        assert screen.query_one(CardTable).row_count == 4
        await pilot.press("slash", *["backspace"] * 8, *type_keys("zzz"), "enter")
        await settle(pilot)
        assert screen.shown() == []
        assert "no idTag, display name or linked customer's name or e-mail contains it" in (
            screen_text(app)
        )


async def test_fleet_search_that_finds_nothing_says_why(sim_app) -> None:
    """After Grace's stuck session is closed her e-mail finds no charger: the note says
    what was searched and that her recent sessions are on her customer page."""
    from polaris_tui.widgets.fleet_table import FleetTable

    app = sim_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *type_keys("hopper"), "enter")
        await settle(pilot)
        assert app.screen.query_one(FleetTable).keys == ["CP-BRAVO-02"]
        await pilot.press("slash", *["backspace"] * 6, *type_keys("tom@example.com"), "enter")
        await settle(pilot)
        assert app.screen.query_one(FleetTable).keys == []
        text = " ".join(screen_text(app).split())
        assert "No charger matches “tom@example.com”" in text
        assert "Tom Turner has no open session now" in text
