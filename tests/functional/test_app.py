"""The App itself: lifecycle, signals, the central error notice, banners, keys, palette,
SIGHUP, and the in-console hook of demo mode."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import timedelta
from typing import Any

from textual import work
from textual.widgets import Static

from polaris_tui.app import HookOptions, PolarisApp
from polaris_tui.demo_standin import free_port
from polaris_tui.dialogs.help import HelpScreen
from polaris_tui.models import (
    ConnectionState,
    FleetChanged,
    OperationLogEntry,
    OperationStatus,
    SourceName,
    SourceState,
    SourceStateChanged,
)
from polaris_tui.models.errors import SteveRejected, StoreError
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.screens.fleet import FleetScreen
from polaris_tui.screens.operation_log import OperationLogScreen
from polaris_tui.widgets.banner import DEMO_TEXT, SourceBanner
from tests.waiting import eventually

from .conftest import NOW, make_row, palette, screen_text, settle, sim_settings

ROWS = [make_row("CP-A", description="first"), make_row("CP-B", description="second")]


def notices(app: PolarisApp) -> list[Any]:
    return list(app._notifications)


async def test_services_open_then_close_on_quit(fake_app) -> None:
    app, services = fake_app(ROWS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.services is services and isinstance(app.screen, FleetScreen)
        assert services.subscribers, "the app listens to service events"
        await pilot.press("q")
        await pilot.pause()
    assert services.closed
    assert not services.subscribers, "unsubscribed on exit"


async def test_service_events_become_signals_even_from_another_thread(fake_app) -> None:
    app, services = fake_app(ROWS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        got: list[Any] = []
        app.fleet_signal.subscribe(app.screen, got.append)
        app.source_signal.subscribe(app.screen, got.append)
        event = FleetChanged(changed=[], removed=[], fetched_at=NOW)
        await asyncio.to_thread(services.publish, event)
        services.publish(SourceStateChanged(state=services.states[SourceName.STEVE]))
        await settle(pilot)
        assert [type(e).__name__ for e in got] == ["FleetChanged", "SourceStateChanged"]


class _Boom(FleetScreen):
    """A screen whose worker fails, to exercise the central handler."""

    @work(exclusive=True, group="boom", exit_on_error=False)
    async def fail(self, error: BaseException) -> None:
        raise error


async def test_failed_worker_becomes_a_plain_text_notice(fake_app) -> None:
    """Any failed worker → notice with the error's title and message, never parsed as markup."""
    app, _services = fake_app(ROWS)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await settle(pilot)
        screen = _Boom()
        await app.push_screen(screen)
        await pilot.pause()
        screen.fail(SteveRejected("bad [@click=app.quit]x [/] \x1b[2J"))
        await settle(pilot)
        screen.fail(RuntimeError("kaboom"))
        await settle(pilot)
        got = notices(app)
        assert got[0].title == "SteVe refused the request"
        assert got[0].message == "bad [@click=app.quit]x [/] ^[[2J" and got[0].markup is False
        assert got[1].title.startswith("Unexpected error") and "kaboom" in got[1].message
        assert app.is_running


async def test_open_failure_is_shown_in_banner_and_notice(tmp_path) -> None:
    from polaris_tui.app import make_app
    from polaris_tui.services.clock import FixedClock
    from polaris_tui.services.settings import load_settings

    async def failing(settings, *, clock):
        raise StoreError("cannot open /nowhere/polaris.sqlite: permission denied")

    settings = load_settings(
        {"store": {"path": tmp_path / "x.sqlite"}}, config_file=tmp_path / "none.toml"
    )
    app = make_app(settings, clock=FixedClock(NOW), services_factory=failing)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await asyncio.wait_for(app.workers.wait_for_complete(), 10)
        await pilot.pause()
        banner = str(app.screen.query_one(SourceBanner).render())
        assert "could not start its services" in banner and "permission denied" in banner
        assert notices(app)[0].title == "Local store error"


async def test_banner_says_demo_unreachable_and_interrupted(fake_app) -> None:
    app, services = fake_app(ROWS)
    app.demo = True
    services.states[SourceName.STEVE] = SourceState(
        source=SourceName.STEVE,
        state=ConnectionState.UNREACHABLE,
        since=NOW - timedelta(minutes=3),
        last_ok=NOW - timedelta(minutes=5),
        error_message="connection refused",
    )
    services.states[SourceName.LAGO] = SourceState(
        source=SourceName.LAGO,
        state=ConnectionState.UNREACHABLE,
        since=NOW - timedelta(minutes=1),
    )
    services.interrupted_at_start = [
        OperationLogEntry(
            id=41,
            charge_box_id="CP-A",
            operation="RemoteStopTransaction",
            requested_by="ana",
            status=OperationStatus.INTERRUPTED,
            created_at=NOW,
        )
    ]
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        text = str(app.screen.query_one(SourceBanner).render())
        assert DEMO_TEXT in text
        assert "SteVe is unreachable since 2026-11-22 09:57:00Z (3m ago)" in text
        assert "showing data from 2026-11-22 09:55:00Z (5m ago)" in text
        assert "Lago is unreachable since" in text
        assert (
            "1 operation(s) left pending by a crash were marked interrupted and not resent (#41)"
            in text
        )
        # The fleet panel marks its data stale rather than live.
        assert app.screen.query_one("#fleet-panel").has_class("-stale")
        assert "STALE" in screen_text(app)


async def test_help_lists_every_key_of_the_screen(fake_app) -> None:
    app, _services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = {row[0]: row[1] for row in app.screen._keys}
        for key in ("/", "esc", "r", "l", "C", "q", "?", "s", "-", "^p", "⏎"):
            assert key in keys, key
        assert keys["C"] == "Go to the cards list"  # described by the key map's one meaning
        await pilot.press("escape")
        app.open_charger("CP-A")
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        described = {row[0]: (row[1], row[2]) for row in app.screen._keys}
        assert described["u"] == ("UnlockConnector after a stop stayed open", "not now")
        assert described["d"] == ("Close in SteVe's DB only (last resort)", "not now")


async def test_palette_commands_and_go_to(fake_app) -> None:
    app, _services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await palette(pilot, "Operation log", "Operation log")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OperationLogScreen)
        await palette(pilot, "CP-B", "CP-B")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChargerDetailScreen) and app.screen.charge_box_id == "CP-B"
        await palette(pilot, "Chargers", "Chargers")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FleetScreen)


async def test_palette_cards_and_go_to_card(sim_app) -> None:
    """Against the stand-in: Cards opens the cards list; a card id opens the card."""
    app = sim_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await palette(pilot, "CARD-KIOSK", "Go to card CARD-KIOSK")
        assert "Go to card CARD-KIOSK" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CardDetailScreen"
        await palette(pilot, "Cards", "Cards")
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "CardsScreen"


async def test_sighup_exits_and_closes_services(fake_app) -> None:
    """Closing the SSH session (SIGHUP) exits cleanly instead of killing the process."""
    app, services = fake_app(ROWS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app._sighup_installed, "handler installed (else the signal would kill pytest)"
        os.kill(os.getpid(), signal.SIGHUP)
        await eventually(lambda: not app.is_running)
    assert not app.is_running
    assert services.closed


async def test_demo_hook_in_the_console_intercepts_a_tap(sim: Any, tmp_path) -> None:
    """Demo mode serves the pre-authorize hook in the console's loop: arm a pairing on
    CP-FOXTROT-06 from its detail, tap CARD-KIOSK there, see the intercept listed."""
    from polaris_tui.app import make_app
    from polaris_tui.services.clock import FixedClock

    port, key = free_port(), "test-hook-key-0123456789"
    settings = sim_settings(sim, tmp_path)
    app = make_app(
        settings, clock=FixedClock(NOW), demo=True, hook=HookOptions("127.0.0.1", port, key)
    )
    await asyncio.to_thread(
        sim.control,
        "POST",
        "/hook",
        # SteVe's 200 ms budget is the hook bench's to measure; here a loaded
        # machine must not turn a slow answer into the fail-open path.
        {"url": f"http://127.0.0.1:{port}/api/ocpp/pre-authorize", "key": key, "timeout": 30.0},
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_charger("CP-FOXTROT-06")
        await settle(pilot)
        screen = app.screen
        # Focus and Enter, not a click: a banner shown under load moves the
        # button after the click has aimed.
        screen.query_one("#scan-arm").focus()
        await pilot.press("enter")
        await settle(pilot)
        lines = str(screen.query_one("#scan-lines", Static).render())
        assert "ARMED" in lines and "by tester" in lines
        result = await asyncio.to_thread(
            sim.control,
            "POST",
            "/chargers/tap",
            {"chargeBoxId": "CP-FOXTROT-06", "idTag": "CARD-KIOSK", "connectorId": 1},
        )
        assert "Blocked" in str(result)
        fresh = "CARD-KIOSK · connector 1 · 2026-11-22 10:00:00Z (<10s ago)"
        for _ in range(100):
            await settle(pilot, rounds=1)
            lines = str(screen.query_one("#scan-lines", Static).render())
            if fresh in lines:
                break
        assert fresh in lines, "the new intercept (at the console clock's now) is listed"
        assert "No pairing armed" in lines, "one tap used the pairing up"


async def test_pressing_r_twice_leaves_no_coroutine_unawaited(fake_app) -> None:
    """``r`` twice in a row: the second refresh replaces the first before it
    started. The first must not leave a coroutine behind that nobody awaits
    (Python warns about it at shutdown)."""
    import gc
    import warnings

    app, _services = fake_app(ROWS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            app.action_refresh_now()
            app.action_refresh_now()  # exclusive: cancels the first, still pending
            await settle(pilot)
        gc.collect()
    unawaited = [w for w in caught if "never awaited" in str(w.message)]
    assert unawaited == []
