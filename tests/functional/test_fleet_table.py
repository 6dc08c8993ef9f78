"""The fleet table over fake services: keyed diffs, cursor survival, the row cap, sorting.

Hand-built rows make it possible to change exactly one charger between two
refreshes and to load thousands of rows without a stand-in.
"""

from __future__ import annotations

import pytest

from polaris_tui.models import Liveness
from polaris_tui.widgets.fleet_table import FleetTable

from .conftest import make_row, settle


def fleet(n: int) -> list:
    return [make_row(f"CP-{i:05d}", description=f"site {i}") for i in range(n)]


async def test_refresh_updates_in_place_and_keeps_cursor(
    fake_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll that changes, removes and adds rows keeps the cursor on its charger and never clears."""
    app, services = fake_app(fleet(60))
    monkeypatch.setattr(
        FleetTable, "clear", lambda self, columns=False: pytest.fail("clear() on refresh")
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        assert table.row_count == 60
        table.move_cursor(row=40)
        await pilot.pause()
        key = table.cursor_key
        assert key == "CP-00040"
        scroll_before = table.scroll_y
        updates: list[tuple] = []
        original = FleetTable.update_cell

        def counting(self, row_key, column_key, value, *, update_width=False):
            updates.append((row_key, column_key))
            return original(self, row_key, column_key, value, update_width=update_width)

        monkeypatch.setattr(FleetTable, "update_cell", counting)
        # One changes status, one before the cursor disappears, one is new.
        services.change_rows(
            [
                make_row("CP-00050", description="site 50", status="Faulted"),
                make_row("CP-99999", description="new"),
            ],
            removed=["CP-00003"],
        )
        await settle(pilot)
        assert table.cursor_key == key, "the cursor follows its charger, not its index"
        assert table.scroll_y == scroll_before
        assert table.row_count == 60
        assert "CP-00003" not in table.keys and "CP-99999" in table.keys
        # Only the changed row's changed cells were rewritten.
        assert updates and {str(r) for r, _ in updates} == {"CP-00050"}
        assert {str(c) for _, c in updates} == {"status", "connectors"}


async def test_a_fleet_event_is_applied_without_rereading(
    fake_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen applies the event's changed and removed rows: it neither reads
    every row again from the service nor recomputes the cells of other rows."""
    app, services = fake_app(fleet(60))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        reads: list[str] = []
        monkeypatch.setattr(
            services.fleet, "rows", lambda: reads.append("rows") or pytest.fail("re-read")
        )
        drawn: list[str] = []
        import polaris_tui.widgets.fleet_table as fleet_table

        original = fleet_table.row_cells
        monkeypatch.setattr(
            fleet_table,
            "row_cells",
            lambda row, now, **kw: drawn.append(row.charge_box_id) or original(row, now, **kw),
        )
        services.change_rows(
            [make_row("CP-00007", description="site 7", status="Faulted")], removed=["CP-00008"]
        )
        await settle(pilot)
        assert reads == []
        assert drawn == ["CP-00007"]
        assert "CP-00008" not in table.keys and table.row_count == 59
        assert str(table.get_cell("CP-00007", "status")) == "Faulted"


async def test_table_caps_rows_and_the_filter_reaches_the_rest(fake_app) -> None:
    """10,000 chargers: the table holds max_rows, says so, and the filter finds any one."""
    app, _services = fake_app(fleet(10_000), max_rows=300)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        assert table.row_count == 300
        subtitle = str(app.screen.query_one("#fleet-panel").border_subtitle)
        assert "first 300 of 10000" in subtitle
        await pilot.press("slash", *"CP-09876")
        await settle(pilot)
        assert table.keys == ["CP-09876"]


async def test_sort_cycles_and_reverses(fake_app) -> None:
    """`s` moves to the next sort column, `S` reverses; the stuck charger leads by default."""
    rows = fleet(5) + [make_row("CP-STUCK", status="Charging", id_tag="CARD-X", stuck=True)]
    rows.append(make_row("AA-OFFLINE", status="Offline", liveness=Liveness.OFFLINE))
    app, _services = fake_app(rows)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        assert table.keys[:2] == ["CP-STUCK", "AA-OFFLINE"]  # needs attention first
        await pilot.press("s")  # by ChargeBox ID
        await pilot.pause()
        assert table.sort_by == "id"
        assert table.keys[0] == "AA-OFFLINE"
        await pilot.press("S")
        await pilot.pause()
        assert table.keys[-1] == "AA-OFFLINE"


async def test_enter_opens_the_charger_under_the_cursor(fake_app) -> None:
    app, _services = fake_app(fleet(3))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ChargerDetailScreen"
        assert app.screen.charge_box_id == "CP-00001"
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "FleetScreen"
