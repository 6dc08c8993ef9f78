"""Operator safety on the charger page (fake services): every live operation asks
first, with the facts; dry run is the default; the last resort stays last.

The charger page is the only screen that sends operations: its form (every
allowed operation), the follow-up Unlock, the database-only close and the
way back (RemoteStart). Each path is driven here and must show a dialog with
content before anything is sent.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import Button, Select, Static

from polaris_tui.dialogs.confirm import ConfirmDialog
from polaris_tui.models import ConnectorStatus, OperationStatus, StopFollowup
from polaris_tui.models.confirmation import stops_charging
from polaris_tui.models.operations import ALLOWED_OPERATIONS
from polaris_tui.widgets.operation_form import OperationForm

from .conftest import NOW, make_row, settle

ROWS = [
    make_row("CP-LIVE", description="Main St", status="Charging", id_tag="CARD-A"),
    make_row("CP-IDLE", description="Idle"),
]

FILL: dict[str, dict[str, str]] = {
    "RemoteStartTransaction": {"idTag": "CARD-A", "connectorId": "1"},
    "RemoteStopTransaction": {},  # prefilled from the open session
    "UnlockConnector": {"connectorId": "1"},
    "ReserveNow": {
        "connectorId": "1",
        "expiry": (NOW + timedelta(hours=1)).isoformat(),
        "idTag": "CARD-A",
    },
    "CancelReservation": {"reservationId": "3"},
    "TriggerMessage": {"triggerMessage": "StatusNotification"},
    "GetConfiguration": {},
    "GetCompositeSchedule": {"connectorId": "1", "durationInSeconds": "60"},
    "GetDiagnostics": {"location": "ftp://example.test/diag"},
    "GetLocalListVersion": {},
    "DataTransfer": {"vendorId": "acme"},
    "SetChargingProfile": {"connectorId": "1", "chargingProfilePk": "4"},
    "ChangeAvailability": {"availType": "Inoperative", "connectorId": "1"},
}


async def open_live(app, pilot, charge_box_id: str = "CP-LIVE"):
    await settle(pilot)
    app.open_charger(charge_box_id)
    await settle(pilot)
    return app.screen


async def fill(pilot, form: OperationForm, operation: str) -> None:
    await form.select_operation(operation)
    await pilot.pause()
    await pilot.pause()
    for field, value in FILL[operation].items():
        form.query_one(f"#field-{field}").value = value
    await pilot.pause()


def body_of(dialog: ConfirmDialog) -> str:
    return str(dialog.query_one("#confirm-body", Static).render())


@pytest.mark.slow
async def test_every_live_operation_asks_first_with_the_facts(fake_app) -> None:
    """All 13 allowed operations: a live submit opens a dialog naming the charger,
    what happens and whether it can be undone; stop-like ones focus No; "n" sends nothing."""
    app, services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_live(app, pilot)
        form = screen.query_one(OperationForm)
        for operation in ALLOWED_OPERATIONS:
            await fill(pilot, form, operation)
            form.dry_run = False
            screen.query_one("#op-submit", Button).press()
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog), f"{operation}: no confirmation"
            body = body_of(dialog)
            assert "CP-LIVE" in body and "What happens:" in body and "Undo:" in body, operation
            assert operation in str(dialog.query_one("#confirm-title", Static).render())
            focused = app.focused.id if app.focused else None
            params = form.values()
            if stops_charging(operation, params):
                assert focused == "confirm-no", f"{operation}: Enter must answer No"
                assert "Enter answers No" in body
            else:
                assert focused == "confirm-yes", operation
            if operation in ("RemoteStopTransaction", "UnlockConnector"):
                tx = services.fleet.rows_by_id["CP-LIVE"].open_session.transaction
                assert "CARD-A (Card name)" in body and str(tx.id) in body
                assert "Ada Lovelace <ada@example.com>" in body
                assert "Cannot be undone" in body
            await pilot.press("n")
            await settle(pilot)
            assert services.operations.calls == [], f"{operation} was sent after No"
            assert form.dry_run is True, "dry run is ON again after a declined live submit"


async def test_a_stale_transaction_is_stopped_before_the_dialog(fake_app) -> None:
    app, services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_live(app, pilot)
        form = screen.query_one(OperationForm)
        form.query_one("#field-transactionId").value = "1009"
        form.dry_run = False
        screen.query_one("#op-submit", Button).press()
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmDialog)
        text = str(screen.query_one("#op-outcome", Static).render())
        assert "not the open session" in text and "Transaction 1009 closed at 09:42" in text
        assert services.operations.calls == []
        assert not screen.query_one("#op-submit", Button).disabled


async def test_dry_run_is_on_when_the_form_opens_and_after_every_live_submit(fake_app) -> None:
    app, services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_live(app, pilot)
        form = screen.query_one(OperationForm)
        assert form.dry_run is True
        form.dry_run = False
        screen.query_one("#op-submit", Button).press()
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert services.operations.calls[-1][3] is False, "the live stop was sent"
        assert form.dry_run is True, "dry run is ON again after the live submit"
        form.dry_run = False
        await pilot.press("escape")
        await settle(pilot)
        screen = await open_live(app, pilot)
        assert screen.query_one(OperationForm).dry_run is True, "ON when the form opens"


async def stop_still_open(app, pilot, services, screen) -> None:
    screen.query_one(OperationForm).dry_run = False
    screen.query_one("#op-submit", Button).press()
    await settle(pilot)
    await pilot.press("y")
    await settle(pilot)
    entry = services.operations.entries[0].model_copy(update={"followup": StopFollowup.STILL_OPEN})
    services.operations.entries[0] = entry
    services.publish_operation(entry)
    await settle(pilot)


async def test_the_database_close_is_unreachable_while_the_meter_advances(fake_app) -> None:
    app, services = fake_app(ROWS)
    services.operations.meter_advancing = True
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_live(app, pilot)
        await stop_still_open(app, pilot, services, screen)
        assert screen.query_one("#op-unlock", Button).display, "unlock is offered"
        assert not screen.query_one("#op-close-db", Button).display
        await pilot.press("d")
        await settle(pilot)
        assert app.screen is screen and services.operations.db_closes == []
        # The meter goes flat: now it is offered.
        services.operations.meter_advancing = False
        screen.action_refresh()
        await settle(pilot)
        assert screen.query_one("#op-close-db", Button).display


async def test_after_the_database_close_the_page_says_the_station_disagrees(fake_app) -> None:
    app, services = fake_app(ROWS)
    row = services.fleet.rows_by_id["CP-LIVE"]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_live(app, pilot)
        tx = row.open_session.transaction
        services.operations.entries.insert(
            0,
            services.operations.entries[0].model_copy(
                update={
                    "id": 99,
                    "operation": "DatabaseStopTransaction",
                    "status": OperationStatus.SUBMITTED,
                    "result": {"transaction": {"connectorId": 1, "id": tx.id}},
                }
            )
            if services.operations.entries
            else _db_close_entry(tx.id),
        )
        services.fleet.rows_by_id["CP-LIVE"] = row.model_copy(
            update={
                "open_session": None,
                "connectors": [
                    ConnectorStatus(charge_box_id="CP-LIVE", connector_id=1, status="Charging")
                ],
            }
        )
        screen.action_refresh()
        await settle(pilot)
        note = screen.query_one("#db-close-note", Static)
        assert note.display
        assert str(note.render()) == (
            "SteVe's database says closed; the station still reports Charging on connector 1"
        )


def _db_close_entry(tx_id: int):
    from polaris_tui.models import OperationLogEntry

    return OperationLogEntry(
        id=99,
        charge_box_id="CP-LIVE",
        operation="DatabaseStopTransaction",
        params={"transactionId": tx_id},
        requested_by="tester",
        status=OperationStatus.SUBMITTED,
        result={"transaction": {"connectorId": 1, "id": tx_id}},
        created_at=NOW,
    )


async def test_the_way_back_after_a_stop_is_a_dry_run_remote_start(fake_app) -> None:
    app, services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_live(app, pilot)
        form = screen.query_one(OperationForm)
        form.dry_run = False
        screen.query_one("#op-submit", Button).press()
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        entry = services.operations.entries[0].model_copy(
            update={"followup": StopFollowup.CLOSED, "followup_at": NOW}
        )
        services.operations.entries[0] = entry
        services.publish_operation(entry)
        await settle(pilot)
        restart = screen.query_one("#op-restart", Button)
        assert restart.display and "CARD-A on connector 1" in str(restart.label)
        await pilot.press("w")
        await settle(pilot)
        assert form.operation == "RemoteStartTransaction"
        assert form.values() == {"idTag": "CARD-A", "connectorId": 1}
        # The page re-reads with the session gone: the way back stays in the form.
        row = services.fleet.rows_by_id["CP-LIVE"]
        services.fleet.rows_by_id["CP-LIVE"] = row.model_copy(update={"open_session": None})
        screen.action_refresh()
        await settle(pilot)
        assert form.values() == {"idTag": "CARD-A", "connectorId": 1}
        assert form.dry_run is True
        sent = len(services.operations.calls)
        screen.query_one("#op-submit", Button).press()
        await settle(pilot)
        assert services.operations.calls[sent][1:4] == (
            "RemoteStartTransaction",
            {"idTag": "CARD-A", "connectorId": 1},
            True,
        )
        assert isinstance(form.query_one("#op-picker", Select).value, str)
