"""Issue 16, item 7: one long value never pushes a table's status columns off screen.

A 10,000-character chargeBoxId widened the fleet's ID column to about 80
cells and pushed Connectors, Heartbeat, Session idTag and Stuck off a
120-column screen. Every column of every table now has a maximum width and
cuts longer text with an ellipsis. At 120x40, with 10,000-character ids,
descriptions, idTags, operator names and card fields, each table still
shows its status columns and their values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from polaris_tui.models import AuditEntry, CardRow, OperationLogEntry, OperationStatus
from polaris_tui.screens.audit_log import COLUMNS as AUDIT_COLUMNS
from polaris_tui.screens.audit_log import entry_cells
from polaris_tui.widgets.card_table import CARD_COLUMNS, CardTable
from polaris_tui.widgets.columns import add_columns
from polaris_tui.widgets.fleet_table import COLUMNS as FLEET_COLUMNS
from polaris_tui.widgets.fleet_table import FleetTable
from polaris_tui.widgets.operations_table import COLUMNS as OPERATION_COLUMNS
from polaris_tui.widgets.operations_table import OperationsTable
from tests.functional.conftest import NOW, fake_app, make_row, screen_text, settle

__all__ = ["fake_app"]  # the fixture, used by name below

LONG = 10_000
SIZE = (120, 40)


def header_line(text: str, first: str) -> str:
    return next(line for line in text.splitlines() if first in line)


async def test_a_10000_char_id_keeps_every_fleet_column_on_screen(
    fake_app: Callable[..., tuple[Any, Any]],
) -> None:
    rows = [
        make_row("C" * LONG, description="D" * LONG, id_tag="T" * LONG, stuck=True),
        make_row("S" * LONG, status="X" * LONG, id_tag="CARD-OK"),
        make_row("CP-ALPHA-01", description="Main St", id_tag="CARD-HEALTHY"),
    ]
    app, _ = fake_app(rows)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        table = app.screen.query_one(FleetTable)
        widths = [width + 2 for width in table.column_widths]
    header = header_line(text, "│ ChargeBox ID")
    for label in ("Connectors", "Heartbeat", "Session idTag", "Stuck"):
        assert label in header, f"{label} is pushed off a 120-column screen:\n{header}"
    stuck_row = next(line for line in text.splitlines() if "STUCK" in line)
    assert "C" * 17 + "…" in stuck_row, "the long id is cut with an ellipsis"
    assert "T" * 11 + "…" in stuck_row, "so is the long idTag"
    assert sum(widths) <= SIZE[0] - 4, f"the table is wider than its panel: {widths}"


def test_every_fleet_column_at_its_widest_fits_120_columns() -> None:
    """Each column's maximum and its padding, with the panel's border and scrollbar."""
    assert sum(c.max_width + 2 for c in FLEET_COLUMNS) <= SIZE[0] - 2 - 2 - 2
    assert all(c.max_width > 0 for c in (*FLEET_COLUMNS, *OPERATION_COLUMNS, *CARD_COLUMNS))
    assert all(c.max_width > 0 for c in AUDIT_COLUMNS)


class Tables(App[None]):
    """The operation log, cards and audit tables, one at a time, full width."""

    def __init__(self, which: str) -> None:
        super().__init__()
        self.which = which

    def compose(self) -> ComposeResult:
        if self.which == "operations":
            yield OperationsTable(wide=True)
        elif self.which == "cards":
            yield CardTable()
        else:
            yield DataTable(id="audit")


async def _shown(which: str, fill: Callable[[Any], None]) -> str:
    app = Tables(which)
    async with app.run_test(size=SIZE) as pilot:
        fill(app)
        await pilot.pause()
        return screen_text(app)


async def test_long_charger_and_operator_keep_the_operation_status_on_screen() -> None:
    entry = OperationLogEntry(
        id=1,
        charge_box_id="C" * LONG,
        operation="RemoteStopTransaction",
        params={"transactionId": 1, "note": "P" * LONG},
        requested_by="W" * LONG,
        status=OperationStatus.SUBMITTED,
        task_id=12,
        result={"summary": "R" * LONG},
        created_at=NOW,
    )
    text = await _shown("operations", lambda app: app.query_one(OperationsTable).show([entry], NOW))
    header = header_line(text, "Operation")
    assert "Status" in header and "Followup" in header, header
    assert "submitted" in header_line(text, "RemoteStopTransaction")


async def test_long_card_fields_keep_the_card_flags_on_screen() -> None:
    row = CardRow(
        id_tag="I" * LONG,
        display_name="N" * LONG,
        tag_type="Y" * LONG,
        linked=True,
        lago_customer_id="L" * LONG,
        parent_id_tag="P" * LONG,
        in_transaction=True,
        is_meta=True,
    )
    text = await _shown("cards", lambda app: app.query_one(CardTable).show([row]))
    header = header_line(text, "idTag")
    assert header.rstrip().endswith("In tx"), header
    line = header_line(text, "(meta)")
    assert "I" * 12 + "… (meta)" in line, "the meta mark survives a long idTag"
    assert line.rstrip().endswith("yes"), line


async def test_long_audit_fields_keep_the_audit_status_on_screen() -> None:
    entry = AuditEntry(
        id=1,
        actor="A" * LONG,
        action="rename",
        id_tag="I" * LONG,
        before={"display_name": "B" * LONG},
        after={"display_name": "F" * LONG},
        status="applied",
        created_at=NOW,
    )

    def fill(app: Any) -> None:
        table = app.query_one("#audit", DataTable)
        add_columns(table, AUDIT_COLUMNS)
        table.add_row(*entry_cells(entry), key="1")

    text = await _shown("audit", fill)
    assert "Status" in header_line(text, "Who"), text
    assert "applied" in header_line(text, "rename")
