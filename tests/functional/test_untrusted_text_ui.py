"""Hostile text from SteVe is shown literally and fires nothing (PITFALLS: rendering).

A charger whose id and description carry ``[/]`` (a MarkupError if parsed),
``[@click=app.quit]x`` (a clickable action if parsed) and ESC / OSC 52
sequences (screen clear, clipboard write), plus a card with such an idTag
charging on it, are added through the stand-in's control endpoint. The
fleet, the charger detail, the operation log and the command palette must
show them as characters, with control bytes in visible form, and clicking
them must do nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Static

from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.widgets.detail_panels import SessionPanel
from polaris_tui.widgets.fleet_table import FleetTable
from polaris_tui.widgets.operation_form import OperationForm
from polaris_tui.widgets.operations_table import OperationsTable

from .conftest import palette, screen_text, settle

EVIL_ID = "EVIL[/]-\x1b[2J"
EVIL_DESCRIPTION = "[@click=app.quit]x [red]boom[/] \x1b]52;c;aGk=\x07"
EVIL_TAG = "TAG[/]\x1b[2J"


@pytest.fixture
def hostile_sim(sim: Any) -> Any:
    sim.control(
        "POST",
        "/chargers",
        {"chargeBoxId": EVIL_ID, "description": EVIL_DESCRIPTION, "connectors": 1},
    )
    sim.control("POST", "/cards", {"idTag": EVIL_TAG, "maxActiveTransactionCount": 1})
    sim.control(
        "POST", "/sessions/start", {"chargeBoxId": EVIL_ID, "connectorId": 1, "idTag": EVIL_TAG}
    )
    return sim


def assert_literal(text: str) -> None:
    assert "EVIL[/]-^[[2J" in text, "the id shows literally, ESC in visible form"
    assert "\x1b" not in text and "\x07" not in text, "no control byte reaches the terminal"


async def test_hostile_charger_shown_literally_and_inert(
    hostile_sim: Any, sim_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = sim_app()
    fired: list[str] = []
    monkeypatch.setattr(type(app), "action_quit", lambda self: fired.append("quit"))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        assert EVIL_ID in table.keys
        text = screen_text(app)
        assert_literal(text)
        assert "[@click=app.quit]x" in text

        # Click the description and the id cells: no action may fire.
        row = table.keys.index(EVIL_ID)
        table.move_cursor(row=row)
        await pilot.pause()
        region = table.row_region(row)
        await pilot.click(FleetTable, offset=(30, region.y + 1 - int(table.scroll_y)))
        await pilot.click(FleetTable, offset=(3, region.y + 1 - int(table.scroll_y)))
        await settle(pilot)
        assert fired == []
        assert app.is_running

        app.open_charger(EVIL_ID)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChargerDetailScreen)
        text = screen_text(app)
        assert_literal(text)
        assert "[@click=app.quit]x [red]boom[/] ^[]52;c;aGk=^G" in text, (
            "the whole description, literally"
        )
        assert "TAG[/]^[[2J" in str(screen.query_one(SessionPanel).render())

        # A form prefilled with the hostile idTag shows it cleaned and sends it raw.
        form = screen.query_one(OperationForm)
        await form.select_operation("RemoteStartTransaction")
        await settle(pilot)
        assert form.values()["idTag"] == EVIL_TAG
        assert_literal(screen_text(app))
        await form.select_operation("RemoteStopTransaction")
        await settle(pilot)

        # A dry run with the hostile charger: the log rows show it literally too.
        await pilot.click("#op-submit")
        await settle(pilot)
        assert "dry run" in str(screen.query_one("#op-outcome", Static).render())
        assert_literal(screen_text(app))
        app.open_operation_log(EVIL_ID)
        await settle(pilot)
        assert app.screen.query_one(OperationsTable).row_count == 1
        assert_literal(screen_text(app))
        assert fired == []


async def test_palette_go_to_hostile_charger(hostile_sim: Any, sim_app) -> None:
    """The command palette lists the hostile charger literally and opens it."""
    app = sim_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await palette(pilot, "EVIL", "Go to charger EVIL")
        text = screen_text(app)
        assert "Go to charger EVIL[/]-^[[2J" in text
        assert "\x1b" not in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChargerDetailScreen)
        assert app.screen.charge_box_id == EVIL_ID
