"""``ctrl+s`` and ``y`` on tables: what to export and what to copy.

Export takes the table exactly as shown: its columns in order and its rows in
display order, so the filter and the sort on screen are what is saved. Copy
takes the one id an operator pastes elsewhere: a ChargeBox ID, an idTag or a
transaction id, depending on where the cursor is.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable

from polaris_tui.widgets.card_table import CardTable, current_key
from polaris_tui.widgets.fleet_table import FleetTable
from polaris_tui.widgets.operations_table import OperationsTable

TABLE_NAMES = {
    "fleet-table": "fleet",
    "oplog-table": "operation-log",
    "recent-ops-table": "charger-operations",
    "cards-table": "cards",
    "audit-table": "audit-log",
}
"""File name stem of each table's export."""


AnyTable = DataTable[Any] | FleetTable
"""The tables ``ctrl+s`` saves: Textual's, and the virtual fleet table."""


def table_on(screen: Screen[Any]) -> AnyTable | None:
    """The table ``ctrl+s`` means: the focused one, else the first one shown."""
    focused = screen.focused
    if isinstance(focused, DataTable | FleetTable):
        return focused
    for table in screen.query("DataTable, FleetTable"):
        if isinstance(table, DataTable | FleetTable) and table.display:
            return table
    return None


def _text(cell: object) -> str:
    if isinstance(cell, Text | Content):
        return cell.plain
    return "" if cell is None else str(cell)


def table_contents(table: AnyTable) -> tuple[list[str], list[list[str]]]:
    """Column labels and every row's cells as plain text, in display order."""
    if isinstance(table, FleetTable):
        return table.contents()
    columns = [_text(column.label) for column in table.ordered_columns]
    rows = [[_text(cell) for cell in table.get_row(row.key)] for row in table.ordered_rows]
    return columns, rows


def export_name(table: AnyTable) -> str:
    return TABLE_NAMES.get(table.id or "", table.id or "table")


def copy_target(screen: Screen[Any]) -> tuple[str, str] | None:
    """``(what, value)`` for ``y`` on this screen, or None when there is nothing to copy."""
    if isinstance(screen.focused, FleetTable):
        key = screen.focused.cursor_key
        if key is not None:
            return ("ChargeBox ID", key)
    table = screen.focused if isinstance(screen.focused, DataTable) else None
    if isinstance(table, CardTable):
        key = current_key(table)
        if key is not None:
            return ("idTag", key)
    if isinstance(table, OperationsTable):
        entry = table.entry_at_cursor()
        if entry is not None:
            tx = entry.params.get("transactionId")
            if tx is not None:
                return ("transaction id", str(tx))
            return ("ChargeBox ID", entry.charge_box_id)
    selected = getattr(screen, "selected", None)  # the audit log's entry under the cursor
    if callable(selected) and table is not None and table.id == "audit-table":
        entry = selected()
        if entry is not None:
            return ("idTag", entry.id_tag)
    detail = getattr(screen, "detail", None)  # the charger page: its open session first
    if detail is not None and getattr(detail, "sessions", None):
        return ("transaction id", str(detail.sessions[0].transaction.id))
    charge_box_id = getattr(screen, "charge_box_id", None)
    if isinstance(charge_box_id, str):
        return ("ChargeBox ID", charge_box_id)
    id_tag = getattr(screen, "id_tag", None)
    if isinstance(id_tag, str):
        return ("idTag", id_tag)
    return None
