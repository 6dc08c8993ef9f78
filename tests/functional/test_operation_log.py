"""The operation log: filters by charger, operator and status; live updates; enter opens the charger."""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from polaris_tui.models import OperationLogEntry, OperationStatus, StopFollowup
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.screens.operation_log import OperationLogScreen
from polaris_tui.widgets.operations_table import OperationsTable

from .conftest import NOW, make_row, settle

ROWS = [make_row("CP-A"), make_row("CP-B")]


def entry(id: int, charger: str, who: str, status: OperationStatus, **extra) -> OperationLogEntry:
    return OperationLogEntry(
        id=id,
        charge_box_id=charger,
        operation="RemoteStopTransaction",
        params={"transactionId": 100 + id},
        requested_by=who,
        status=status,
        created_at=NOW,
        **extra,
    )


def shown(screen) -> list[int]:
    table = screen.query_one(OperationsTable)
    return [int(table.get_row_at(i)[0].plain) for i in range(table.row_count)]


async def test_filters_live_updates_and_enter(fake_app) -> None:
    app, services = fake_app(ROWS)
    services.operations.entries = [
        entry(
            4,
            "CP-B",
            "ben",
            OperationStatus.FAILED,
            error_title="Charger is offline",
            error_message="No stations are eligible",
        ),
        entry(
            3,
            "CP-A",
            "ana",
            OperationStatus.SUBMITTED,
            task_id=9,
            result={"outcome": "accepted", "summary": "Station answered Accepted"},
        ),
        entry(2, "CP-A", "ben", OperationStatus.DRY_RUN, dry_run=True),
        entry(1, "CP-B", "ana", OperationStatus.INTERRUPTED),
    ]
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        app.open_operation_log()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OperationLogScreen)
        assert shown(screen) == [4, 3, 2, 1], "newest first"
        text = " ".join(str(c.plain) for c in screen.query_one(OperationsTable).get_row_at(0))
        assert (
            "Charger is offline: No stations are eligible" in text and "transactionId=104" in text
        )

        screen.query_one("#filter-charger", Input).value = "CP-A"
        await settle(pilot)
        assert shown(screen) == [3, 2]
        screen.query_one("#filter-operator", Input).value = "ben"
        await settle(pilot)
        assert shown(screen) == [2]
        screen.query_one("#filter-charger", Input).value = ""
        screen.query_one("#filter-operator", Input).value = ""
        screen.query_one("#filter-status", Select).value = "interrupted"
        await settle(pilot)
        assert shown(screen) == [1]
        assert "interrupted" in str(screen.query_one("#oplog-detail", Static).render())

        screen.query_one("#filter-status", Select).clear()
        await settle(pilot)
        # A live change: #3's stop is now known to be still open.
        updated = services.operations.entries[1].model_copy(
            update={"followup": StopFollowup.STILL_OPEN}
        )
        services.operations.entries[1] = updated
        services.publish_operation(updated)
        await settle(pilot)
        row = screen.query_one(OperationsTable).get_row_at(1)
        assert "still_open" in [c.plain for c in row]

        screen.query_one(OperationsTable).focus()
        screen.query_one(OperationsTable).move_cursor(row=1)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ChargerDetailScreen) and app.screen.charge_box_id == "CP-A"


async def test_opened_from_a_charger_is_filtered_to_it(fake_app) -> None:
    app, services = fake_app(ROWS)
    services.operations.entries = [
        entry(2, "CP-B", "ana", OperationStatus.DRY_RUN),
        entry(1, "CP-A", "ana", OperationStatus.DRY_RUN),
    ]
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        app.open_charger("CP-A")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, OperationLogScreen)
        assert shown(app.screen) == [1]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChargerDetailScreen)
