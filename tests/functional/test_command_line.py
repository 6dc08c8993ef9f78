"""Issue 12, moving around: ``:`` command mode, jumps that replace the stack,
Escape back to where the operator came from, and the breadcrumb line."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, Static

from polaris_tui.dialogs.command_line import CommandLine
from polaris_tui.screens.audit_log import AuditLogScreen
from polaris_tui.screens.card_detail import CardDetailScreen
from polaris_tui.screens.cards import CardsScreen
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.screens.fleet import FleetScreen
from polaris_tui.screens.operation_log import OperationLogScreen
from polaris_tui.widgets.breadcrumb import Breadcrumb, path_of

from .conftest import make_row, settle, type_keys

ROWS = [
    make_row("CP-LIVE", description="Main St", status="Charging", id_tag="CARD-A"),
    make_row("CP-IDLE", description="Idle"),
]


async def command(pilot: Any, line: str) -> None:
    """Press ``:``, type ``line``, press enter, and wait for the jump."""
    await pilot.press("colon")
    assert isinstance(pilot.app.screen, CommandLine)
    await pilot.press(*type_keys(line), "enter")
    await settle(pilot)


def path(app: Any) -> list[str]:
    return path_of(list(app.screen_stack))


def crumb_line(app: Any) -> str:
    crumb = app.screen.query_one(Breadcrumb)
    return str(crumb.render()) if crumb.display else ""


@pytest.mark.slow
async def test_each_command_jumps_and_the_stack_stays_short(fake_app) -> None:
    app, _services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert crumb_line(app) == "", "the first screen alone takes no breadcrumb line"
        await command(pilot, "charger cp-live")
        assert isinstance(app.screen, ChargerDetailScreen)
        assert app.screen.charge_box_id == "CP-LIVE", "the id is matched case-insensitively"
        assert crumb_line(app).startswith("Chargers › Charger CP-LIVE")

        await command(pilot, "card CARD-A")
        assert isinstance(app.screen, CardDetailScreen)
        await command(pilot, "ops")
        assert isinstance(app.screen, OperationLogScreen)
        await command(pilot, "audit")
        assert isinstance(app.screen, AuditLogScreen)
        await command(pilot, "cards")
        assert isinstance(app.screen, CardsScreen)
        # Five jumps, and the path is home, where the operator came from, here.
        assert path(app) == ["Chargers", "Audit log", "Cards"]
        assert crumb_line(app).startswith("Chargers › Audit log › Cards")

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AuditLogScreen), "escape goes back where they came from"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, FleetScreen), "and a second escape goes home"

        await command(pilot, "charger CP-IDLE")
        await command(pilot, "chargers")
        assert isinstance(app.screen, FleetScreen) and path(app) == ["Chargers"]


async def test_links_between_screens_jump_too(fake_app) -> None:
    """Charger → its card → a charger again: no pile, the origin is kept as it was."""
    app, _services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_cards()
        await settle(pilot)
        cards = app.screen
        app.open_charger("CP-LIVE")
        await settle(pilot)
        await pilot.press("c")  # the session's card
        await settle(pilot)
        assert isinstance(app.screen, CardDetailScreen)
        app.open_charger("CP-IDLE")
        await settle(pilot)
        app.open_card("CARD-A")
        await settle(pilot)
        app.open_charger("CP-LIVE")
        await settle(pilot)
        assert path(app) == ["Chargers", "Card CARD-A", "Charger CP-LIVE"]
        assert len(app.screen_stack) <= 4, "default screen, home, origin, here"
        # A jump to where the operator is stays; any other is a jump from here.
        app.open_charger("CP-LIVE")
        await settle(pilot)
        assert path(app) == ["Chargers", "Card CARD-A", "Charger CP-LIVE"]
        app.open_card("CARD-A")
        await settle(pilot)
        assert path(app) == ["Chargers", "Charger CP-LIVE", "Card CARD-A"]
        assert cards not in app.screen_stack


async def test_completion_history_and_a_wrong_line(fake_app) -> None:
    app, _services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("colon", *type_keys("ch"), "tab")
        field = app.screen.query_one("#command-input", Input)
        assert field.value == "chargers"
        await pilot.press("tab")
        assert field.value == "charger", "tab again: the next candidate"
        await pilot.press(*type_keys(" cp-l"), "tab")
        assert field.value == "charger CP-LIVE"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChargerDetailScreen)

        await pilot.press("colon", *type_keys("pods"), "enter")
        hint = str(app.screen.query_one("#command-hint", Static).render())
        assert isinstance(app.screen, CommandLine) and "Unknown command 'pods'" in hint
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChargerDetailScreen), "escape closes the line, no jump"

        await pilot.press("colon", "up")
        field = app.screen.query_one("#command-input", Input)
        assert field.value == "charger CP-LIVE", "up: the last line run"
        await pilot.press("down")
        assert field.value == ""
        await pilot.press("escape")


async def test_the_palette_keeps_working_and_jumps_too(fake_app) -> None:
    app, _services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_charger("CP-IDLE")
        await settle(pilot)
        app.open_card("CARD-A")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*type_keys("Operation log"))
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OperationLogScreen)
        assert path(app) == ["Chargers", "Card CARD-A", "Operation log"]
