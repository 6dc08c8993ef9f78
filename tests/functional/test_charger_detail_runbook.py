"""The force-close runbook, walked by keyboard against the stand-in.

1. find the customer's charger by email; 2. confirm the idTag in Current
session; 3. dry run; 4. the real stop (confirmed); 5. watch the session end;
then the Recent operations entry and the Operation log row. And the
stuck-firmware path on CP-BRAVO-02: RemoteStop accepted → still open →
UnlockConnector closes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.widgets import Button, Static

from polaris_tui.dialogs.confirm import ConfirmDialog
from polaris_tui.models import OperationStatus, StopFollowup
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.screens.operation_log import OperationLogScreen
from polaris_tui.widgets.detail_panels import SessionPanel
from polaris_tui.widgets.fleet_table import FleetTable
from polaris_tui.widgets.operation_form import OperationForm
from polaris_tui.widgets.operations_table import OperationsTable

from .conftest import settle, type_keys, wait_for_dialog

WAIT_SECONDS = 120.0  # only a hang reaches it; the wait ends when the condition holds


async def wait_for(pilot: Any, condition: Callable[[], bool], what: str) -> None:
    """Let the app run until ``condition`` holds (fails with ``what`` after a generous limit)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await pilot.pause(0.1)


async def press_button(pilot: Any, selector: str) -> None:
    """Press a button by keyboard (focus, enter), as an operator would.

    Not ``pilot.click``: it aims at where the button was before its first
    pause, and a background poll that times out on a loaded machine shows
    the source banner meanwhile, which moves every panel down two rows; the
    click then lands beside the button and nothing happens.
    """
    pilot.app.screen.query_one(selector, Button).focus()
    await pilot.press("enter")


def text_of(widget: Static) -> str:
    return str(widget.render())


async def find_by_email(pilot: Any, email: str) -> list[str]:
    await settle(pilot)
    await pilot.press("slash", *type_keys(email), "enter")
    await pilot.pause()
    return pilot.app.screen.query_one(FleetTable).keys


async def stop_session_through_the_ui(
    pilot: Any, charge_box_id: str, id_tag: str
) -> ChargerDetailScreen:
    """Steps 2-4: open the row, confirm the idTag, dry run, then the confirmed real stop."""
    app = pilot.app
    await pilot.press("enter")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ChargerDetailScreen) and screen.charge_box_id == charge_box_id
    session_text = text_of(screen.query_one(SessionPanel))
    assert f"{id_tag}" in session_text, "step 2: the idTag that started the session is shown"
    tx_id = screen.session.transaction.id
    assert f"Transaction {tx_id}" in session_text and "connector 1" in session_text

    form = screen.query_one(OperationForm)
    assert form.operation == "RemoteStopTransaction" and form.dry_run
    assert form.values() == {"transactionId": tx_id}
    await press_button(pilot, "#op-submit")
    await settle(pilot)
    outcome = text_of(screen.query_one("#op-outcome", Static))
    assert "dry run" in outcome and "nothing was sent" in outcome, (
        "step 3: dry run logged, not sent"
    )

    form.dry_run = False
    await press_button(pilot, "#op-submit")
    dialog = await wait_for_dialog(pilot)
    assert isinstance(dialog, ConfirmDialog)
    body = text_of(dialog.query_one("#confirm-body", Static))
    assert charge_box_id in body and "connector 1" in body and id_tag in body
    assert str(tx_id) in body, "the transaction is named"
    assert "Cannot be undone" in body and app.focused.id == "confirm-no"
    await pilot.press("y")
    await settle(pilot)
    (real,) = [
        e
        for e in screen._entries.values()
        if e.operation == "RemoteStopTransaction" and not e.dry_run
    ]
    assert real.task_id is not None, "step 4: SteVe took the stop as a task"
    outcome = text_of(screen.query_one("#op-outcome", Static))
    if real.followup in (None, StopFollowup.WATCHING):
        # On a slow machine the follow-up (stop_followup_seconds) may already have
        # replaced this outcome by the time settle() returns: check it only while shown.
        assert "submitted" in outcome and "SteVe task" in outcome and "Accepted" in outcome, outcome
    return screen


async def check_logs(pilot: Any, screen: ChargerDetailScreen, charge_box_id: str) -> None:
    """The Recent operations entry and the Operation log row, with who and the taskId."""
    app = pilot.app
    recent = screen.query_one(OperationsTable)
    entries = [recent._entries[k] for k in recent._entries]
    stops = [e for e in entries if e.operation == "RemoteStopTransaction"]
    assert {e.status for e in stops} == {OperationStatus.DRY_RUN, OperationStatus.SUBMITTED}
    real = next(e for e in stops if e.status == OperationStatus.SUBMITTED)
    assert real.task_id is not None and real.requested_by == "tester"

    await pilot.press("l")
    await settle(pilot)
    log_screen = app.screen
    assert isinstance(log_screen, OperationLogScreen)
    table = log_screen.query_one(OperationsTable)
    rows = list(table._entries.values())
    assert rows and all(e.charge_box_id == charge_box_id for e in rows)
    assert any(e.id == real.id and e.task_id == real.task_id for e in rows)
    await pilot.press("enter")  # enter opens the charger of the row
    await settle(pilot)
    assert isinstance(app.screen, ChargerDetailScreen) and app.screen.charge_box_id == charge_box_id


async def test_force_close_on_a_healthy_charger_found_by_email(sim_app) -> None:
    """ada@example.com → CP-ALPHA-01 (meter advancing): dry run, stop, the session ends."""
    app = sim_app(stop_followup_seconds=20)
    async with app.run_test(size=(120, 40)) as pilot:
        keys = await find_by_email(pilot, "ada@example.com")
        assert keys == ["CP-ALPHA-01"]
        screen = await stop_session_through_the_ui(pilot, "CP-ALPHA-01", "CARD-HEALTHY")
        await wait_for(pilot, lambda: screen.session is None, "step 5: the Current session clears")
        assert "No open session" in text_of(screen.query_one(SessionPanel))
        await wait_for(
            pilot,
            lambda: any(e.followup == StopFollowup.CLOSED for e in screen._entries.values()),
            "the stop's followup says closed",
        )
        await check_logs(pilot, screen, "CP-ALPHA-01")


async def test_force_close_for_grace_once_the_firmware_behaves(sim, sim_app) -> None:
    """grace@example.com → CP-BRAVO-02; with its firmware fault cleared the stop closes the session."""
    sim.control("POST", "/faults/clear", {"name": "stuck_stop", "target": "CP-BRAVO-02"})
    app = sim_app(stop_followup_seconds=20)
    async with app.run_test(size=(120, 40)) as pilot:
        keys = await find_by_email(pilot, "grace@example.com")
        assert keys == ["CP-BRAVO-02"]
        screen = await stop_session_through_the_ui(pilot, "CP-BRAVO-02", "CARD-STUCK")
        await wait_for(pilot, lambda: screen.session is None, "the Current session clears")
        await check_logs(pilot, screen, "CP-BRAVO-02")


async def test_stuck_firmware_still_open_then_unlock_closes_it(sim_app) -> None:
    """CP-BRAVO-02 (stuck_stop): RemoteStop accepted, session still open, UnlockConnector closes it."""
    app = sim_app(stop_followup_seconds=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await find_by_email(pilot, "grace@example.com")
        screen = await stop_session_through_the_ui(pilot, "CP-BRAVO-02", "CARD-STUCK")
        unlock = screen.query_one("#op-unlock")
        await wait_for(pilot, lambda: unlock.display, "the still-open follow-up is offered")
        outcome = text_of(screen.query_one("#op-outcome", Static))
        assert "stop accepted but the session is still open" in outcome
        assert screen.session is not None, "the session really is still open"
        assert "connector 1" in str(unlock.label)

        await pilot.press("u")
        await settle(pilot)
        dialog = await wait_for_dialog(pilot)
        assert "Transaction" in text_of(dialog.query_one("#confirm-body", Static))
        await pilot.press("y")
        await settle(pilot)
        unlocks = [e for e in screen._entries.values() if e.operation == "UnlockConnector"]
        assert unlocks and unlocks[0].status == OperationStatus.SUBMITTED
        assert unlocks[0].params == {"connectorId": 1}
        await wait_for(pilot, lambda: screen.session is None, "UnlockConnector closes the session")
        await wait_for(pilot, lambda: not unlock.display, "the follow-up offer goes away")


async def test_stale_transaction_id_is_shown_with_refresh(sim, sim_app) -> None:
    """The session ends between the dry run and the real submit: the live submit is
    stopped before the dialog with SteVe's facts, and a refresh is offered.

    No poll cycle may land between the two submits (a slow machine took 5 s
    there once): the poll would see the session gone and clear the form, and
    the case under test is the operator's screen being older than SteVe."""
    app = sim_app(stop_followup_seconds=20, interval_seconds=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_charger("CP-ALPHA-01")
        await settle(pilot)
        screen = app.screen
        tx_id = screen.session.transaction.id
        await press_button(pilot, "#op-submit")
        await settle(pilot)
        await asyncio.to_thread(sim.control, "POST", "/sessions/stop", {"transactionId": tx_id})
        screen.query_one(OperationForm).dry_run = False
        await press_button(pilot, "#op-submit")
        await settle(pilot)
        # Stopped before the dialog, with what SteVe knows; nothing is written or sent.
        assert not isinstance(app.screen, ConfirmDialog)
        outcome = text_of(screen.query_one("#op-outcome", Static))
        assert "not the open session" in outcome, outcome
        assert f"Transaction {tx_id} closed at" in outcome and "by the station" in outcome
        assert [e.status for e in screen._entries.values()] == [OperationStatus.DRY_RUN]
        refresh = screen.query_one("#op-refresh")
        assert refresh.display
        await press_button(pilot, "#op-refresh")
        await wait_for(
            pilot, lambda: screen.session is None, "after the refresh the session is gone"
        )


async def test_offline_charger_operation_fails_as_the_runbook_says(sim_app) -> None:
    app = sim_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_charger("CP-CHARLIE-03")
        await settle(pilot)
        screen = app.screen
        form = screen.query_one(OperationForm)
        await form.select_operation("TriggerMessage")
        await settle(pilot)
        form.query_one("#field-triggerMessage").value = "StatusNotification"
        form.dry_run = False
        await press_button(pilot, "#op-submit")
        await settle(pilot)
        dialog = await wait_for_dialog(pilot)
        assert "offline" in text_of(dialog.query_one("#confirm-body", Static))
        await pilot.press("y")
        await settle(pilot)
        outcome = text_of(screen.query_one("#op-outcome", Static))
        assert "failed — Charger is offline" in outcome and "cannot be delivered" in outcome
        (failed,) = [e for e in screen._entries.values() if e.operation == "TriggerMessage"]
        assert failed.status == OperationStatus.FAILED


async def test_current_session_key_opens_the_card(sim_app) -> None:
    """Step 2's cross-check: `c` opens the session's card (the card screens), escape returns."""
    app = sim_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await find_by_email(pilot, "grace@example.com")
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        await pilot.press("c")
        await settle(pilot)
        assert type(app.screen).__name__ == "CardDetailScreen"
        assert app.screen.id_tag == "CARD-STUCK"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is detail


async def test_arm_and_cancel_a_pairing(sim_app) -> None:
    app = sim_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_charger("CP-DELTA-04")
        await settle(pilot)
        screen = app.screen
        lines = screen.query_one("#scan-lines", Static)
        assert "No pairing armed" in text_of(lines)
        screen.query_one("#scan-minutes").value = "5"
        await press_button(pilot, "#scan-arm")
        await wait_for(pilot, lambda: "ARMED" in text_of(lines), "the pairing shown armed")
        assert "expires 2026-11-22 10:05:00Z" in text_of(lines)
        await press_button(pilot, "#scan-cancel")
        await wait_for(
            pilot, lambda: "No pairing armed" in text_of(lines), "the pairing shown cancelled"
        )
