"""Sessions against the stand-in, by keyboard: the palette opens the list, the
filter line narrows it through SteVe's query, enter opens a session; and
runbook 1's verify step after a real stop (stop time, reason, the operations
that stopped it, billing in words)."""

from __future__ import annotations

from typing import Any

from polaris_tui.models import StopFollowup
from polaris_tui.screens.session_detail import SessionDetailScreen
from polaris_tui.screens.sessions import SessionsScreen
from polaris_tui.widgets.charger_sessions import ChargerSessions
from polaris_tui.widgets.operations_table import OperationsTable
from polaris_tui.widgets.session_table import SessionTable

from .conftest import palette, screen_text, settle, type_keys, wait_for_dialog
from .test_charger_detail_runbook import find_by_email, stop_session_through_the_ui, wait_for


async def open_sessions(pilot: Any) -> SessionsScreen:
    app = pilot.app
    await palette(pilot, "Sessions", "Sessions")
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, SessionsScreen)
    return app.screen


async def filter_by(pilot: Any, screen: SessionsScreen, text: str) -> list[str]:
    await pilot.press("slash", *type_keys(text), "enter")
    await settle(pilot)
    return list(screen.query_one(SessionTable).lines)


async def test_palette_filter_and_detail(sim_app) -> None:
    app = sim_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_sessions(pilot)
        assert list(screen.query_one(SessionTable).lines)[:3] == ["1015", "1014", "1013"]
        keys = await filter_by(pilot, screen, "Lovelace stopped")
        assert keys == ["1011", "1009", "1008", "1004"]
        text = screen_text(app)
        assert "remote stop" in text and "UNSYNCED" in text
        assert "customer “Lovelace”" in text
        await pilot.press("enter")  # the newest: 1011
        await settle(pilot)
        assert isinstance(app.screen, SessionDetailScreen) and app.screen.transaction_id == 1011
        detail = screen_text(app)
        assert "Meter values" in detail and "Energy delivered: 4.40 kWh" in detail
        assert "Billed: Lago holds steve_tx_1011_final" in detail
        await pilot.press("escape")
        await settle(pilot)
        keys = await filter_by(pilot, screen, "nobody@example.org")
        assert keys == []
        assert "No Lago customer has “nobody@example.org” in their e-mail or name" in screen_text(
            app
        )


async def test_older_window_reaches_past_the_week(sim_app) -> None:
    app = sim_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_sessions(pilot)
        assert "1001" not in screen.query_one(SessionTable).lines
        await pilot.press("O")  # open -> only open sessions
        await settle(pilot)
        assert list(screen.query_one(SessionTable).lines) == ["1015", "1014", "1013"]
        await pilot.press("O", "left_square_bracket")  # stopped, the week before
        await settle(pilot)
        assert list(screen.query_one(SessionTable).lines) == ["1001"]


async def test_verify_after_stop_and_unlock(sim_app) -> None:
    """Runbook 1 on CP-BRAVO-02: the stop is accepted but the firmware keeps the session
    open; UnlockConnector ends it. The session then shows its stop time, reason and
    both operations with the stop's follow-up."""
    app = sim_app(stop_followup_seconds=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await find_by_email(pilot, "grace@example.com")
        charger = await stop_session_through_the_ui(pilot, "CP-BRAVO-02", "CARD-STUCK")
        unlock = charger.query_one("#op-unlock")
        await wait_for(pilot, lambda: unlock.display, "the still-open follow-up is offered")
        await pilot.press("u")
        await wait_for_dialog(pilot)
        await pilot.press("y")
        await wait_for(pilot, lambda: charger.session is None, "UnlockConnector closes it")
        last20 = charger.query_one(ChargerSessions).query_one(SessionTable)
        await wait_for(
            pilot,
            lambda: "1013" in last20.lines and last20.lines["1013"].stopped_by is not None,
            "the charger's last sessions show 1013 stopped",
        )
        await pilot.press("S")
        await settle(pilot)
        sessions = app.screen
        assert isinstance(sessions, SessionsScreen)
        assert list(sessions.query_one(SessionTable).lines)[0] == "1013"
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, SessionDetailScreen)
        await wait_for(
            pilot,
            lambda: detail.detail is not None and len(detail.detail.operations) >= 2,
            "the operations that touched 1013",
        )
        text = screen_text(app)
        assert "UnlockCommand" in text and "unlock: the station stopped" in text
        ops = detail.query_one(OperationsTable)
        names = {e.operation for e in ops._entries.values()}
        assert {"RemoteStopTransaction", "UnlockConnector"} <= names
        stop = next(
            e
            for e in ops._entries.values()
            if e.operation == "RemoteStopTransaction" and not e.dry_run
        )
        assert stop.followup == StopFollowup.CLOSED_AFTER_UNLOCK  # the trail ends
