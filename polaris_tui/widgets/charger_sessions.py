"""A charger's recent sessions on its page: the last 20, newest first.

Self-loading: it asks the sessions service for this charger only (SteVe's
``chargeBoxId`` filter, the last 90 days: no paging in SteVe, so the window
keeps the answer small), and reloads when an operation on this charger
changes. ``enter`` opens the session; ``S`` on the page opens the full list.
"""

from __future__ import annotations

import logging

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual.worker import Worker

from polaris_tui.console import console_of
from polaris_tui.models import OperationChanged
from polaris_tui.models.errors import PolarisError
from polaris_tui.models.sessions import SessionQuery
from polaris_tui.widgets.safe_text import clean
from polaris_tui.widgets.session_table import SessionTable

log = logging.getLogger(__name__)

LAST = 20
"""Sessions shown (the web console's charger page shows 20)."""
WINDOW_DAYS = 90


def charger_query(charge_box_id: str) -> SessionQuery:
    return SessionQuery(charge_box_id=charge_box_id, days=WINDOW_DAYS, limit=LAST)


class ChargerSessions(Vertical):
    """The last sessions of one charger, open ones first."""

    def __init__(self, charge_box_id: str, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.charge_box_id = charge_box_id

    def compose(self) -> ComposeResult:
        yield SessionTable(id="charger-sessions-table")
        yield Static("Loading…", id="charger-sessions-note", markup=False)

    def on_mount(self) -> None:
        self.border_title = f"Last {LAST} sessions"
        console_of(self).operation_signal.subscribe(self, self._on_operation)
        self.load()

    def _on_operation(self, event: OperationChanged) -> None:
        if event.entry.charge_box_id == self.charge_box_id:
            self.load()

    @work(exclusive=True, group="charger-sessions", exit_on_error=False)
    async def load(self) -> None:
        console = console_of(self)
        services = console.services
        if services is None:
            return
        note = self.query_one("#charger-sessions-note", Static)
        try:
            page = await services.sessions.sessions(charger_query(self.charge_box_id))
        except PolarisError as exc:
            note.update(Text(f"Sessions could not be fetched — {clean(str(exc), limit=200)}"))
            note.display = True
            return
        self.query_one(SessionTable).show(page.lines, console.clock.now())
        note.display = not page.lines
        note.update(Text(clean(page.note or "", limit=300), style="dim"))
        total = page.open_count + page.stopped_count
        self.border_subtitle = f"{len(page.lines)} of {total} in {WINDOW_DAYS} days"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        console_of(self).report_worker(event)

    @on(DataTable.RowSelected, "#charger-sessions-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            console_of(self).open_session(int(event.row_key.value))
