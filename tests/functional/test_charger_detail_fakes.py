"""Charger detail over fake services: every runbook failure shown as the runbook says,
one press = one request, confirmations, roles, and the still-open follow-ups.

The fakes answer with exactly the outcome under test (SteVe refused, station
offline, stale transactionId, not allowed, bad param), which the stand-in
reaches only through faults; the runbook walk against the stand-in is in
``test_charger_detail_runbook.py``.
"""

from __future__ import annotations

import asyncio

from textual.widgets import Button, Static

from polaris_tui.dialogs.confirm import ConfirmDialog
from polaris_tui.dialogs.typed_confirm import TypedConfirmDialog
from polaris_tui.models import (
    Liveness,
    OperationLogEntry,
    OperationStatus,
    Role,
    StopFollowup,
)
from polaris_tui.models.errors import (
    InvalidParams,
    OperationNotAllowed,
    StationOffline,
    SteveUnreachable,
    TransactionNotActive,
)
from polaris_tui.services.concurrent_ops import ConcurrentOperation
from polaris_tui.widgets.operation_form import OperationForm

from .conftest import NOW, make_row, settle, wait_for_dialog

ROWS = [
    make_row("CP-LIVE", description="Main St", status="Charging", id_tag="CARD-A"),
    make_row("CP-IDLE", description="Idle"),
    make_row("CP-GONE", status="Offline", liveness=Liveness.OFFLINE),
    make_row("LEGACY-1", description="Old post", status="Unmanaged", managed=False),
]


async def open_detail(app, pilot, charge_box_id: str):
    await settle(pilot)
    app.open_charger(charge_box_id)
    await settle(pilot)
    return app.screen


def outcome_text(screen) -> str:
    return str(screen.query_one("#op-outcome", Static).render())


def submit_button(screen) -> Button:
    return screen.query_one("#op-submit", Button)


async def test_dry_run_first_then_confirmed_stop(fake_app) -> None:
    """Dry run is ON by default and sends nothing; the real stop asks, naming charger, connector, idTag."""
    app, services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(app, pilot, "CP-LIVE")
        form = screen.query_one(OperationForm)
        assert form.operation == "RemoteStopTransaction"
        tx_id = services.fleet.rows_by_id["CP-LIVE"].open_session.transaction.id
        assert form.values() == {"transactionId": tx_id}, "transactionId filled from the session"
        assert form.dry_run is True
        submit_button(screen).press()
        await settle(pilot)
        assert services.operations.calls[-1][1:4] == (
            "RemoteStopTransaction",
            {"transactionId": tx_id},
            True,
        )
        assert "dry run" in outcome_text(screen)
        assert "nothing was sent to SteVe" in outcome_text(screen)

        form.dry_run = False
        submit_button(screen).press()
        dialog = await wait_for_dialog(pilot)
        assert isinstance(dialog, ConfirmDialog)
        body = str(dialog.query_one("#confirm-body", Static).render())
        assert "CP-LIVE" in body and "connector 1" in body and "CARD-A" in body
        assert len(services.operations.calls) == 1, "nothing sent before the answer"
        await pilot.press("y")
        await settle(pilot)
        assert services.operations.calls[-1][3] is False
        text = outcome_text(app.screen)
        assert "submitted" in text and "SteVe task 7" in text and "Accepted" in text


async def test_declined_confirmation_sends_nothing(fake_app) -> None:
    app, services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(app, pilot, "CP-LIVE")
        screen.query_one(OperationForm).dry_run = False
        submit_button(screen).press()
        assert isinstance(await wait_for_dialog(pilot), ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert services.operations.calls == []
        assert not submit_button(screen).disabled
        assert "cancelled" in outcome_text(screen)


async def test_one_press_one_request_and_button_disabled_in_flight(fake_app) -> None:
    """Pressing Submit again while the first request is in flight sends nothing more."""
    app, services = fake_app(ROWS)
    services.operations.gate = asyncio.Event()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(app, pilot, "CP-IDLE")
        form = screen.query_one(OperationForm)
        await form.select_operation("TriggerMessage")  # its fields are ready on return
        form.query_one("#field-triggerMessage").value = "StatusNotification"
        button = submit_button(screen)
        button.press()
        await pilot.pause()
        assert button.disabled
        button.press()
        form._submit(Button.Pressed(button))  # even a press that reached the handler
        await pilot.pause()
        assert len(services.operations.calls) == 1
        services.operations.gate.set()
        await settle(pilot)
        assert not button.disabled
        ids = {call[4] for call in services.operations.calls}
        assert len(ids) == 1
        button.press()
        await settle(pilot)
        assert len({call[4] for call in services.operations.calls}) == 2, (
            "a new press gets a new request_id"
        )


async def test_request_survives_leaving_the_screen(fake_app) -> None:
    """The submit runs in an app-level worker: closing the page mid-request does not cancel it."""
    app, services = fake_app(ROWS)
    services.operations.gate = asyncio.Event()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(app, pilot, "CP-IDLE")
        submit_button(screen).press()  # dry run of RemoteStop with no session: empty params
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "FleetScreen"
        services.operations.gate.set()
        await settle(pilot)
        assert len(services.operations.entries) == 1, "the request completed after the page closed"


async def test_failures_are_shown_as_the_runbook_says(fake_app) -> None:
    app, services = fake_app(ROWS)
    ops = services.operations
    ops.script = [
        {
            "status": OperationStatus.FAILED,
            "task_id": None,
            "result": None,
            "error_title": StationOffline.title,
            "error_message": "No stations are eligible for this operation.",
        },
        {
            "status": OperationStatus.FAILED,
            "task_id": None,
            "result": None,
            "error_title": TransactionNotActive.title,
            "error_message": "This transaction is not active at this station.",
        },
        {
            "status": OperationStatus.FAILED,
            "task_id": None,
            "result": None,
            "error_title": SteveUnreachable.title,
            "error_message": "connection refused",
        },
        OperationNotAllowed("Operation 'Reset' is not allowed."),
        InvalidParams({"transactionId": "Input should be greater than 0"}),
    ]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(app, pilot, "CP-LIVE")
        refresh = screen.query_one("#op-refresh", Button)

        async def press() -> str:
            submit_button(screen).press()
            await settle(pilot)
            return outcome_text(screen)

        text = await press()
        assert "failed — Charger is offline" in text and "cannot be delivered" in text
        assert not refresh.display
        text = await press()
        assert "Transaction no longer active" in text and "Stale transactionId" in text
        assert refresh.display, "refresh offered for a stale transactionId"
        text = await press()
        assert "SteVe is unreachable" in text
        text = await press()
        assert "is not allowed" in text and "use the SteVe admin UI directly" in text
        text = await press()
        assert "Invalid parameters" in text
        error = screen.query_one("#error-transactionId", Static)
        assert error.has_class("-shown") and "greater than 0" in str(error.render())


async def test_viewer_sees_the_form_but_cannot_submit(fake_app) -> None:
    app, services = fake_app(ROWS, role=Role.VIEWER)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(app, pilot, "CP-LIVE")
        assert screen.query_one(OperationForm).display
        assert submit_button(screen).disabled
        submit_button(screen).press()
        await settle(pilot)
        assert services.operations.calls == []
        assert "viewer" in str(screen.query_one("#ops-notice", Static).render())


async def test_unmanaged_charger_offers_no_operations(fake_app) -> None:
    app, services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(app, pilot, "LEGACY-1")
        assert not screen.query_one(OperationForm).display
        notice = str(screen.query_one("#ops-notice", Static).render())
        assert (
            "not in SteVe — it doesn't speak OCPP, so remote operations aren't available" in notice
        )
        assert "resolve through billing" in notice


async def test_offline_charger_says_so(fake_app) -> None:
    app, _services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(app, pilot, "CP-GONE")
        assert "Charger is offline" in str(screen.query_one("#ops-notice", Static).render())


async def test_still_open_offers_unlock_then_database_close(fake_app) -> None:
    """Stop accepted but still open: Unlock (confirmed), then the last resort, typed."""
    app, services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(app, pilot, "CP-LIVE")
        tx_id = services.fleet.rows_by_id["CP-LIVE"].open_session.transaction.id
        screen.query_one(OperationForm).dry_run = False
        submit_button(screen).press()
        await wait_for_dialog(pilot)
        await pilot.press("y")
        await settle(pilot)
        unlock = screen.query_one("#op-unlock", Button)
        assert not unlock.display
        entry = services.operations.entries[0].model_copy(
            update={"followup": StopFollowup.STILL_OPEN}
        )
        services.operations.entries[0] = entry
        services.publish_operation(entry)
        await settle(pilot)
        assert unlock.display and screen.query_one("#op-close-db", Button).display
        assert "still open" in outcome_text(screen)
        assert "connector 1" in str(unlock.label)

        await pilot.press("u")
        await settle(pilot)
        assert isinstance(await wait_for_dialog(pilot), ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert services.operations.calls[-1][1:4] == ("UnlockConnector", {"connectorId": 1}, False)

        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TypedConfirmDialog)
        body = str(dialog.query_one("#typed-body", Static).render())
        assert "database only" in body and "1,900 Wh" in body and "Charging" in body
        assert f"steve_tx_{tx_id}_final" in body
        confirm = dialog.query_one("#typed-yes", Button)
        await pilot.press("y", "e", "s", "enter")  # not the id: nothing happens
        await pilot.pause()
        assert confirm.disabled and app.screen is dialog and services.operations.db_closes == []
        dialog.query_one("#typed-input").value = ""
        await pilot.press(*str(tx_id))
        await pilot.pause()
        assert not confirm.disabled
        await pilot.press("enter")
        await settle(pilot)
        assert services.operations.db_closes and services.operations.db_closes[0][:2] == (
            "CP-LIVE",
            tx_id,
        )


async def test_snapshot_data_is_marked_stale_not_live(fake_app, monkeypatch) -> None:
    """SteVe unreachable: the detail comes from the snapshot, and every panel says so."""
    from polaris_tui.models import ConnectionState, SourceName, SourceState

    from .conftest import NOW

    app, services = fake_app(ROWS)
    original = services.fleet.detail
    down = SourceState(
        source=SourceName.STEVE, state=ConnectionState.UNREACHABLE, last_ok=NOW, from_snapshot=True
    )

    async def from_snapshot(charge_box_id: str, *, fresh: bool = True):
        detail = await original(charge_box_id, fresh=fresh)
        return detail.model_copy(update={"steve_state": down})

    monkeypatch.setattr(services.fleet, "detail", from_snapshot)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(app, pilot, "CP-LIVE")
        live, session = screen.query_one("#live-status"), screen.query_one("#current-session")
        assert live.has_class("-stale") and session.has_class("-stale")
        assert "STALE" in str(live.border_subtitle)
        assert "last snapshot" in str(live.render())
        assert "From the snapshot: SteVe is unreachable." in str(session.render())


async def test_the_stop_confirmation_names_another_operators_stop(fake_app) -> None:
    """Issue 10: another operator's recent stop is named, and confirming overrides."""
    app, services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(app, pilot, "CP-LIVE")
        tx_id = services.fleet.rows_by_id["CP-LIVE"].open_session.transaction.id
        theirs = OperationLogEntry(
            id=41,
            charge_box_id="CP-LIVE",
            operation="RemoteStopTransaction",
            params={"transactionId": tx_id},
            requested_by="ana\x1b]0;x\x07",
            dry_run=False,
            status=OperationStatus.SUBMITTED,
            followup=StopFollowup.WATCHING,
            console_host="noc-1",
            client_address="203.0.113.7",
            created_at=NOW,
        )
        services.operations.other = ConcurrentOperation(theirs, 40.0)
        screen.query_one(OperationForm).dry_run = False
        submit_button(screen).press()
        dialog = await wait_for_dialog(pilot)
        body = str(dialog.query_one("#confirm-body", Static).render())
        assert f"sent RemoteStopTransaction for transaction {tx_id} 40 s ago" in body
        assert "from 203.0.113.7 via noc-1; it is still being watched" in body
        assert "\x1b" not in body, "the other operator's name is untrusted text"
        # One dialog: the stop's own facts stand beside the other operator's stop.
        assert "CP-LIVE" in body and "CARD-A" in body and str(tx_id) in body, body
        assert "What happens:" in body and "Enter answers No" in body, body
        assert "Send a second stop" in str(dialog.query_one("#confirm-yes").label)
        await pilot.press("y")
        await settle(pilot)
        assert services.operations.overrides == [True], "confirming is the explicit override"
