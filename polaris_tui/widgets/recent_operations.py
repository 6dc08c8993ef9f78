"""The charger detail's Recent operations panel: the newest rows, or "none yet".

Its sibling panels (live status, session, remote operations, scan-to-login)
are widgets too; this one keeps the table, its empty line and its age
together, so a new or changed log row is one ``upsert`` call.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from polaris_tui.models import OperationLogEntry
from polaris_tui.widgets.freshness import as_of
from polaris_tui.widgets.operations_table import OperationsTable
from polaris_tui.widgets.quiet import set_subtitle


class RecentOperations(Vertical):
    """The newest operations on one charger, with the age of the data."""

    def compose(self) -> ComposeResult:
        yield OperationsTable(id="recent-ops-table")
        yield Static(Content("No operations on this charger yet."), id="recent-empty")

    def on_mount(self) -> None:
        self.border_title = Content("Recent operations")

    def show(
        self, entries: list[OperationLogEntry], now: datetime, fetched_at: datetime | None
    ) -> None:
        """Show exactly ``entries`` (newest first), read at ``fetched_at``."""
        self.query_one(OperationsTable).show(entries, now)
        self.query_one("#recent-empty").display = not entries
        set_subtitle(self, as_of(fetched_at, now))

    def upsert(self, entry: OperationLogEntry, now: datetime) -> None:
        """Add or update one row (a submitted or changed operation)."""
        self.query_one(OperationsTable).upsert([entry], now)
        self.query_one("#recent-empty").display = False
