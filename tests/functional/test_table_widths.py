"""Keyed tables size their columns in the same step as their rows.

Textual's ``DataTable`` measures new rows in its idle handler and caches
each drawn cell without its width. On a busy machine a frame could be drawn
between ``sync_rows`` and that handler, and the audit-log snapshots showed
"rever" for "revert" (issue 16, item 10). This test draws that frame on
purpose, so it does not depend on the machine's speed.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from polaris_tui.widgets.card_table import sync_rows


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(id="t")
        table.add_column("#", key="id")
        table.add_column("What", key="action")
        yield table


def line_text(table: DataTable[Text], y: int) -> str:
    return "".join(segment.text for segment in table.render_line(y))


async def test_a_new_wider_row_is_drawn_whole_even_before_the_table_idles() -> None:
    app = OneTable()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(DataTable)
        sync_rows(table, [("1", [Text("1"), Text("block")])])
        await pilot.pause()
        sync_rows(table, [("2", [Text("2"), Text("revert")]), ("1", [Text("1"), Text("block")])])
        drawn_at_once = line_text(table, 1)  # a frame before the idle handler runs
        await pilot.pause()
        drawn_later = line_text(table, 1)
    assert "revert" in drawn_at_once
    assert "revert" in drawn_later
