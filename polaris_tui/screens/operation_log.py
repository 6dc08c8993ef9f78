"""The operation log: every remote operation, filterable, live.

Filters by charger, operator and status go to ``services.operations.recent``
(the store does the filtering); rows update in place on ``OperationChanged``.
``enter`` opens the charger of the row under the cursor.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import DataTable, Input, Label, Select, Static

from polaris_tui.models import OperationChanged, OperationLogEntry, OperationStatus
from polaris_tui.screens.base import PolarisScreen
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.breadcrumb import Breadcrumb
from polaris_tui.widgets.freshness import DATA_AGE_TICK_SECONDS, as_of
from polaris_tui.widgets.key_footer import KeyFooter
from polaris_tui.widgets.keymap import bind
from polaris_tui.widgets.operation_outcome import chain_of, chain_text, describe_entry
from polaris_tui.widgets.operations_table import OperationsTable, params_text
from polaris_tui.widgets.safe_text import clean

LOG_LIMIT = 500


class LogFilters(TypedDict):
    """The log's filters, as ``OperationsApi.recent`` takes them."""

    charge_box_id: str | None
    requested_by: str | None
    status: str | None


class OperationLogScreen(PolarisScreen):
    """Every operation with params, taskId and result; filter, then open the charger."""

    BINDINGS = [
        bind("escape"),
        bind("slash"),
        bind("r"),
    ]

    def __init__(self, charge_box_id: str | None = None) -> None:
        super().__init__()
        self.initial_charger = charge_box_id
        """Pre-filled charger filter (opened from a charger's detail)."""
        self.loaded_at: datetime | None = None
        self._shown = ""

    def crumb(self) -> str:
        cb = self.initial_charger
        return f"Operation log ({cb})" if cb else "Operation log"

    def place(self) -> tuple[str, str | None]:
        return ("ops", self.initial_charger)

    def compose(self) -> ComposeResult:
        yield SourceBanner()
        yield Breadcrumb()
        with Horizontal(id="oplog-filters"):
            yield Label(Content("Charger"))
            # An Input shows control bytes raw: show the cleaned id, filter by the raw one.
            yield Input(
                clean(self.initial_charger or ""),
                id="filter-charger",
                compact=True,
                placeholder="any",
            )
            yield Label(Content("Operator"))
            yield Input("", id="filter-operator", compact=True, placeholder="any")
            yield Label(Content("Status"))
            yield Select(
                [(Content(s.value), s.value) for s in OperationStatus],
                prompt="any",
                compact=True,
                id="filter-status",
            )
        with Vertical(id="oplog-panel"):
            yield OperationsTable(wide=True, id="oplog-table")
        yield Static(Content(""), id="oplog-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#oplog-panel").border_title = Content("Operation log")
        self.console.operation_signal.subscribe(self, self._on_operation)
        self.console.store_signal.subscribe(  # another console's operation: read again
            self, lambda e: self.load() if "operations" in e.topics else None
        )
        self.query_one(OperationsTable).focus()
        self.set_interval(DATA_AGE_TICK_SECONDS, self._draw_age, name="oplog-age")
        self.load()

    def _filters(self) -> LogFilters:
        charger = self.query_one("#filter-charger", Input).value.strip() or None
        if self.initial_charger and charger == clean(self.initial_charger).strip():
            charger = self.initial_charger
        operator = self.query_one("#filter-operator", Input).value.strip() or None
        status = self.query_one("#filter-status", Select).value
        return LogFilters(
            charge_box_id=charger,
            requested_by=operator,
            status=status if isinstance(status, str) else None,
        )

    @work(exclusive=True, group="operation-log", exit_on_error=False)
    async def load(self) -> None:
        """Read the filtered log from the store and show it."""
        services = self.services
        if services is None:
            return
        filters = self._filters()
        started = self.now()  # the rows are as old as the moment they were asked for
        entries = await services.operations.recent(limit=LOG_LIMIT, **filters)
        self.loaded_at = started
        self.query_one(OperationsTable).show(entries, self.now())
        self._shown = f"{len(entries)} row(s)" + (
            f" (newest {LOG_LIMIT})" if len(entries) >= LOG_LIMIT else ""
        )
        self._draw_age()
        self._show_cursor_detail()

    def _draw_age(self) -> None:
        """The panel's "as of" line, redrawn every second so its age keeps counting."""
        if self.loaded_at is None:
            return
        self.query_one("#oplog-panel").border_subtitle = Content.assemble(
            f"{self._shown}  ", as_of(self.loaded_at, self.now())
        )

    def _matches(self, entry: OperationLogEntry) -> bool:
        f = self._filters()
        return (
            (f["charge_box_id"] is None or entry.charge_box_id == f["charge_box_id"])
            and (f["requested_by"] is None or entry.requested_by == f["requested_by"])
            and (f["status"] is None or entry.status.value == f["status"])
        )

    def _on_operation(self, event: OperationChanged) -> None:
        if self._matches(event.entry):
            self.query_one(OperationsTable).upsert([event.entry], self.now())
            self._show_cursor_detail()
        else:
            self.load()  # it may have left the filter (status changed)

    @on(Input.Changed)
    @on(Select.Changed)
    def _filter_changed(self, event: Input.Changed | Select.Changed) -> None:
        event.stop()
        self.load()

    @on(Input.Submitted)
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(OperationsTable).focus()

    @on(DataTable.RowHighlighted, "#oplog-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_cursor_detail()

    def _show_cursor_detail(self) -> None:
        entry = self.query_one(OperationsTable).entry_at_cursor()
        target = self.query_one("#oplog-detail", Static)
        if entry is None:
            target.update(Content("No operations match."))
            return
        outcome = describe_entry(entry)
        chain = chain_text(chain_of(entry, self.query_one(OperationsTable).entries_by_id()))
        target.update(
            Content.assemble(
                outcome.content(),
                "\n",
                (f"Chain: {chain}\n" if chain else "", "bold"),
                (
                    f"{clean(entry.operation, limit=40)} on {clean(entry.charge_box_id, limit=60)} ",
                    "bold",
                ),
                f"by {clean(entry.requested_by, limit=40)} · params: {params_text(entry) or '—'}",
            )
        )

    @on(DataTable.RowSelected, "#oplog-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        entry = self.query_one(OperationsTable).entry_at_cursor()
        if entry is not None:
            self.console.open_charger(entry.charge_box_id)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_find(self) -> None:
        self.query_one("#filter-charger", Input).focus()

    def action_refresh(self) -> None:
        self.load()
