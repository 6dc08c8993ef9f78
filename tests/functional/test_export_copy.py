"""``ctrl+s`` saves the table on screen (as filtered and sorted) as CSV or JSON;
``y`` copies the id under the cursor through OSC 52. Against the stand-in."""

from __future__ import annotations

import asyncio
import base64
import csv
import json
from pathlib import Path
from typing import Any

from polaris_tui.app import PolarisApp
from polaris_tui.dialogs.export import ExportDialog
from polaris_tui.widgets.fleet_table import COLUMNS, FleetTable
from tests.functional.conftest import SETTLE_TIMEOUT, open_charger, settle, type_keys


def exports(folder: Path) -> list[Path]:
    return sorted(folder.glob("*")) if folder.exists() else []


async def export_as(pilot: Any, key: str, folder: Path) -> Path:
    """ctrl+s, pick the format, wait for the new file (and its notice)."""
    before = set(exports(folder))
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ExportDialog)
    await pilot.press(key)
    await asyncio.wait_for(pilot.app.workers.wait_for_complete(), SETTLE_TIMEOUT)
    await pilot.pause()
    (new,) = set(exports(folder)) - before
    return new


def shown(table: FleetTable) -> list[list[str]]:
    return [[str(table.get_cell(key, c.key)) for c in COLUMNS] for key in table.keys]


async def test_ctrl_s_saves_the_filtered_sorted_fleet_as_csv_then_json(
    sim_app: Any, tmp_path: Path
) -> None:
    app: PolarisApp = sim_app()
    folder = tmp_path / "exports"
    app.settings.ui.export_dir = folder
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *type_keys("CP-"), "enter")
        await pilot.press("s")  # sort by ChargeBox ID
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        await pilot.press("minus")  # reversed: the export must follow the screen, not the data
        await pilot.pause()
        on_screen = shown(table)
        assert len(on_screen) == 12 and on_screen[0][0] == "CP-LIMA-12"

        path = await export_as(pilot, "c", folder)
        assert path.name.startswith("fleet-") and path.suffix == ".csv"
        with path.open(newline="", encoding="utf-8") as handle:
            header, *rows = list(csv.reader(handle))
        assert header == table.column_labels
        assert rows == on_screen
        assert "LEGACY-GARAGE-99" not in path.read_text(), "the filter applies"
        assert any("Exported" == n.title and str(path) in n.message for n in app._notifications)

        path = await export_as(pilot, "j", folder)
        records = json.loads(path.read_text(encoding="utf-8"))
        assert [r[header[0]] for r in records] == [row[0] for row in on_screen]

        await pilot.press("ctrl+s", "escape")
        await pilot.pause()
        assert len(exports(folder)) == 2, "escape saves nothing"


async def test_ctrl_s_works_on_the_cards_operation_log_and_audit_log(
    sim_app: Any, tmp_path: Path
) -> None:
    app: PolarisApp = sim_app()
    folder = tmp_path / "exports"
    app.settings.ui.export_dir = folder
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        cards = json.loads((await export_as(pilot, "j", folder)).read_text())
        assert "FLEET-CHILD-1" in [next(iter(r.values())) for r in cards]
        for key, stem in (("l", "operation-log"), ("a", "audit-log")):
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press(key)
            await settle(pilot)
            path = await export_as(pilot, "c", folder)
            assert path.name.startswith(f"{stem}-")
            assert path.read_text().splitlines(), "at least the header row"


async def test_y_copies_the_id_under_the_cursor_through_osc_52_and_nothing_else_does(
    sim_app: Any, monkeypatch: Any
) -> None:
    copies: list[str] = []
    original = PolarisApp.copy_to_clipboard

    def spy(self: PolarisApp, text: str) -> None:
        copies.append(text)
        original(self, text)

    monkeypatch.setattr(PolarisApp, "copy_to_clipboard", spy)
    app: PolarisApp = sim_app()
    async with app.run_test(size=(120, 40)) as pilot:
        writes: list[str] = []
        driver = app._driver
        assert driver is not None
        real_write = driver.write
        monkeypatch.setattr(driver, "write", lambda data: (writes.append(data), real_write(data)))
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert copies == [], "polling and drawing never touch the clipboard"

        table = app.screen.query_one(FleetTable)
        assert table.cursor_key == "CP-BRAVO-02"  # the stuck charger leads
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == "CP-BRAVO-02"
        osc52 = "\x1b]52;c;" + base64.b64encode(b"CP-BRAVO-02").decode() + "\a"
        assert osc52 in writes

        screen = await open_charger(pilot, "CP-BRAVO-02")
        tx_id = screen.detail.sessions[0].transaction.id
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == str(tx_id), "the charger page copies its session's transaction"

        await pilot.press("c")  # the session's card
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == "CARD-STUCK"
        assert copies == ["CP-BRAVO-02", str(tx_id), "CARD-STUCK"]
