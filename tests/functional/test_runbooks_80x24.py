"""Both runbooks walked by keyboard on an 80x24 terminal, against the stand-in.

Everything asserted here is read from what the screen draws (``screen_text``),
not from widgets: a fact below the fold or cut at the right edge fails. The
operator scrolls only where a person would (``o`` to the operations, the
page's own scroll to come back up); the footer must always offer ``?`` and
the screen's main keys.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.containers import VerticalScroll
from textual.widgets import Checkbox

from polaris_tui.screens.card_detail import CardDetailScreen
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.screens.operation_log import OperationLogScreen
from polaris_tui.widgets.card_sessions import CardSessions

from .conftest import screen_text, settle, type_keys, wait_for_dialog

SIZE = (80, 24)
WAIT_SECONDS = 120.0
"""Only a hang reaches it: each wait ends as soon as its condition holds."""


async def wait_for(pilot: Any, condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for: {what}"
        await pilot.pause(0.1)


async def on_screen(app: Any, *facts: str) -> str:
    """Wait until each fact is drawn on the screen; return the screen's text.

    A repaint can trail the event that caused it on a busy machine, so this
    waits for the facts (bounded only against a hang) rather than reading once.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        text = screen_text(app)
        missing = [fact for fact in facts if fact not in text]
        if not missing:
            return text
        assert loop.time() < deadline, f"not on screen: {missing}\n{text}"
        await asyncio.sleep(0.05)


def footer(app: Any) -> str:
    return screen_text(app).rstrip("\n").splitlines()[-1]


async def footer_has(app: Any, *keys: str) -> None:
    """Wait until the footer offers each key and ``?``; fail only on a hang."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        line = footer(app)
        missing = [key for key in (*keys, "? Help") if key not in line]
        if not missing:
            return
        assert loop.time() < deadline, f"footer lacks {missing}: {line!r}"
        await asyncio.sleep(0.05)


async def submit(pilot: Any, screen: ChargerDetailScreen) -> None:
    """Tab to Submit and press it, as the operator does."""
    screen.query_one("#op-submit").focus()
    await pilot.press("enter")


async def test_force_close_a_stuck_session_at_80x24(sim_app) -> None:
    """grace@example.com → CP-BRAVO-02: confirm the session, dry run, the real stop,
    still open → UnlockConnector, then the Recent operations and the Operation log."""
    app = sim_app(stop_followup_seconds=3)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await footer_has(app, "/ Filter")
        # 1. Find the charger by the customer's email.
        await pilot.press("slash", *type_keys("grace@example.com"), "enter")
        await settle(pilot)
        await on_screen(app, "CP-BRAVO-02", "Charging", "CARD-STUCK", "STUCK", "Session idTag")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChargerDetailScreen)
        tx = screen.session.transaction.id
        # 2. Confirm the active transaction: id, connector, idTag; and that it is stuck.
        await on_screen(
            app, f"Transaction {tx} · connector 1", "idTag     CARD-STUCK", "NOT advancing"
        )
        await on_screen(app, "● online", "STUCK ⚠ Meter has not advanced")
        await footer_has(app, "o Operations")
        # 3. Dry run first.
        await pilot.press("o")
        await pilot.pause()
        await on_screen(app, "Remote operations", "RemoteStopTransaction", str(tx), "Dry run: ON")
        await on_screen(app, "Submit")
        await submit(pilot, screen)
        await settle(pilot)
        await on_screen(app, "dry run", "nothing was sent to SteVe")
        # 4. The real stop, confirmed.
        screen.query_one("#op-dry-run", Checkbox).focus()
        await pilot.press("space")
        await on_screen(app, "Dry run: OFF")
        await submit(pilot, screen)
        await wait_for_dialog(pilot)
        await on_screen(app, "CP-BRAVO-02", "connector 1", "CARD-STUCK", f"transaction {tx}")
        await pilot.press("y")
        await settle(pilot)
        # 5. The stop is accepted but the firmware never closes the session:
        # the follow-ups are on screen, and in the footer.
        unlock = screen.query_one("#op-unlock")
        await wait_for(pilot, lambda: unlock.display, "the still-open follow-up")
        await settle(pilot)
        await on_screen(app, "stop accepted but the session is still open")
        await on_screen(app, "Unlock connector 1 (u)", "Close in SteVe DB only (d)")
        await footer_has(app, "u Unlock connector", "d Close in DB")
        await pilot.press("u")
        await wait_for_dialog(pilot)
        await on_screen(app, "UnlockConnector", "CP-BRAVO-02", "connector 1")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.session is None, "UnlockConnector closes it")
        await settle(pilot)
        # Verify: the Current session cleared (scroll back up), then Recent operations.
        body = screen.query_one("#detail-body", VerticalScroll)
        body.scroll_home(animate=False)
        await pilot.pause()
        await on_screen(app, "No open session")
        body.scroll_end(animate=False)
        await pilot.pause()
        text = await on_screen(app, "Recent operations", "RemoteStopTransaction", "UnlockConnector")
        await on_screen(
            app, "submitted", "tester", "closed_af"
        )  # the trail ends: closed after the unlock
        assert "Task" in text and "Followup" in text and "Who" in text
        # The Operation log: who pressed the button, the task id, the follow-up.
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, OperationLogScreen)
        await on_screen(
            app, "RemoteStopTransaction", "submitted", "tester", "Task", "Who", "Followup"
        )
        await footer_has(app)


async def test_diagnose_a_card_at_80x24(sim_app) -> None:
    """FLEET-CHILD-1 (its parent is blocked): the cards list's columns, the header
    strip, all four answers of the verdict, the evidence on ``v``, the record's
    parent, and the recent transactions."""
    app = sim_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await footer_has(app, "C Cards")
        await pilot.press("C")
        await settle(pilot)
        await on_screen(app, "idTag", "Blocked", "Expired", "Parent", "In tx")
        await footer_has(app, "/ Find", "B Blocked")
        await pilot.press("slash", *type_keys("FLEET-CHILD-1"), "enter")
        await pilot.pause()
        await on_screen(app, "FLEET-CHILD-1", "FLEET-PARENT")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CardDetailScreen)
        # 2. The header strip: idTag, type, active, linked.
        await on_screen(
            app, "idTag FLEET-CHILD-1", "Type RFID", "Active yes", "Linked ACME Logistics"
        )
        # Verify: the four questions, each answered, all above the fold.
        await on_screen(
            app,
            "NO      Does SteVe consider this card valid right now?",
            "its ancestor FLEET-PARENT refuses",
            "YES     Is the card linked to a Lago customer",
            "NO      Was the failing tap intercepted by scan-to-login?",
            "UNKNOWN   Did the charger accept the authorize request?",
        )
        await footer_has(app, "b Block/unblock", "p Parent")
        await pilot.press("E")
        await pilot.pause()
        await on_screen(app, "parent FLEET-PARENT is blocked")
        await pilot.press("E")
        # 3. SteVe's view: the parent idTag in the record.
        screen.query_one("#card-record").scroll_visible(animate=False, top=True)
        await pilot.pause()
        await on_screen(app, "Parent idTag            FLEET-PARENT", "Blocked                 no")
        # 4. Recent transactions.
        sessions = screen.query_one(CardSessions)
        sessions.focus()
        await pilot.pause()
        assert sessions.row_count >= 1
        await on_screen(app, "CP-KILO-11")
