"""The fleet table over fake services: keyed diffs, cursor survival, the row cap, sorting.

Hand-built rows make it possible to change exactly one charger between two
refreshes and to load thousands of rows without a stand-in.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from polaris_tui.models import Liveness
from polaris_tui.widgets.fleet_table import FleetTable

from .conftest import make_row, screen_text, settle, wait_until


def fleet(n: int) -> list:
    return [make_row(f"CP-{i:05d}", description=f"site {i}") for i in range(n)]


async def test_refresh_updates_in_place_and_keeps_cursor(
    fake_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll that changes, removes and adds rows keeps the cursor on its charger
    and the scroll where it was, and builds the cells of the changed rows only."""
    app, services = fake_app(fleet(60))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        assert table.row_count == 60
        table.move_cursor(row=40)
        await pilot.pause()
        key = table.cursor_key
        assert key == "CP-00040"
        scroll_before = table.scroll_y
        drawn = spy_row_cells(monkeypatch)
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
        assert set(drawn) <= {"CP-00050", "CP-99999"}, drawn
        assert str(table.get_cell("CP-00050", "status")) == "Faulted"


async def test_a_changed_cell_repaints_its_line_only(
    fake_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One charger's status changes: the screen line of that row is drawn again,
    no other line of the table."""
    app, services = fake_app(fleet(60))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        lines: list[int] = []
        original = FleetTable.render_line
        monkeypatch.setattr(
            FleetTable, "render_line", lambda self, y: lines.append(y) or original(self, y)
        )
        services.change_rows([make_row("CP-00005", description="site 5", status="Faulted")])
        await settle(pilot)
        # Faulted sorts first: rows 0..5 move, the rest stay where they were.
        assert lines and max(lines) <= 1 + 5, sorted(set(lines))
        assert table.keys[0] == "CP-00005"


async def test_moving_ages_keep_the_columns_and_a_new_filter_fits_them(
    fake_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen searches again each time ages move (every 15 s). With the
    same filter the columns keep their widths: a column a cell narrower would
    repaint the whole table. A new filter fits them to the rows it shows."""
    rows = fleet(60)
    rows[1] = make_row("CP-00001", description="site 1", status="SuspendedEVSE")
    app, services = fake_app(rows)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        status = table.column_labels.index("Status")
        wide = table.column_widths
        services.change_rows([make_row("CP-00001", description="site 1", status="Available")])
        await settle(pilot)
        lines: list[int] = []
        original = FleetTable.render_line
        monkeypatch.setattr(
            FleetTable, "render_line", lambda self, y: lines.append(y) or original(self, y)
        )
        app.screen.schedule_refresh()  # what the 15 s age tick does
        await settle(pilot)
        assert table.column_widths == wide
        assert len(set(lines)) < 5, sorted(set(lines))  # not the table's 36 lines
        app.screen.query_one("#fleet-filter", Input).value = "CP-0000"
        await wait_until(pilot, lambda: table.row_count == 10, "the ten rows of CP-0000")
        await settle(pilot)
        assert table.column_widths[status] < wide[status]


def spy_row_cells(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import polaris_tui.widgets.fleet_row_cells as fleet_table

    drawn: list[str] = []
    original = fleet_table.row_cells
    monkeypatch.setattr(
        fleet_table,
        "row_cells",
        lambda row, now, **kw: drawn.append(row.charge_box_id) or original(row, now, **kw),
    )
    return drawn


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
        on_screen = set(table.visible_keys())
        drawn = spy_row_cells(monkeypatch)
        services.change_rows(
            [make_row("CP-00007", description="site 7", status="Faulted")], removed=["CP-00008"]
        )
        await settle(pilot)
        assert reads == []
        assert drawn[0] == "CP-00007"
        assert not on_screen & set(drawn[1:]), "others only when they come on screen"
        assert "CP-00008" not in table.keys and table.row_count == 59
        assert str(table.get_cell("CP-00007", "status")) == "Faulted"


async def test_every_one_of_10000_rows_is_reachable(fake_app) -> None:
    """10,000 chargers: `end` reaches the last row on screen, the filter finds any one."""
    app, _services = fake_app(fleet(10_000))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        assert table.row_count == 10_000
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_key == "CP-09999"
        assert "CP-09999" in screen_text(app)
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
        await pilot.press("minus")
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


async def test_a_narrow_screen_drops_columns_by_priority(fake_app) -> None:
    """At 80 columns Description, Connectors and Since go (lowest priority first):
    the header, a click on it and ``ctrl+s``'s contents see the columns shown, and
    Stuck stays on screen. A wider screen brings them back."""
    rows = fleet(5) + [make_row("CP-STUCK", status="Charging", id_tag="CARD-X", stuck=True)]
    kept = ["ChargeBox ID", "Status", "Heartbeat", "Session idTag", "Stuck"]
    app, _services = fake_app(rows)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        assert table.column_labels == kept
        text = screen_text(app)
        header = next(line for line in text.splitlines() if "Heartbeat" in line)
        assert all(label in header for label in kept), header
        assert not any(word in header for word in ("Description", "Connectors", "Since"))
        assert "STUCK" in text and "CARD-X" in text and "site 1" not in text
        labels, cells = table.contents()
        assert labels == kept and len(cells[0]) == len(kept)
        assert cells[0][0] == "CP-STUCK" and cells[0][4].startswith("STUCK")
        # A click on the Heartbeat header sorts by heartbeat, not by the
        # column that would be there if nothing were dropped.
        y = text.splitlines().index(header)
        await pilot.click(offset=(header.index("Heartbeat") + 1, y))
        await pilot.pause()
        assert table.sort_by == "heartbeat"
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert "Description" in table.column_labels and "Connectors" in table.column_labels
        assert "site 1" in screen_text(app)


async def test_keys_typed_while_polls_land_in_the_filter(fake_app) -> None:
    """Keys that arrive together while polls change rows (type-ahead on, as on
    a real terminal): `/` then `7`, `7` type 77 into the filter, and the table
    shows the matches of the rows as the polls left them."""
    from textual import events

    app, services = fake_app(fleet(3000))
    app._type_ahead_wanted = True
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        for key, character in (("slash", "/"), ("7", "7"), ("7", "7")):
            services.change_rows([make_row("CP-00077", description="site 77", status="Faulted")])
            app.post_message(events.Key(key, character))
        box = app.screen.query_one("#fleet-filter", Input)
        await wait_until(pilot, lambda: box.value == "77", "77 typed into the filter")
        await settle(pilot)
        assert set(table.keys) == {k for k in (f"CP-{i:05d}" for i in range(3000)) if "77" in k}
        assert table.keys[0] == "CP-00077", "the Faulted charger sorts first"
