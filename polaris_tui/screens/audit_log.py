"""The audit log: every card edit (who, when, what, before, after, status, reverted by).

The card runbook sends the operator here when "the card was working
yesterday". Opened from a card page it shows that card's edits (``a`` shows
all cards); ``/`` filters by idTag, operator, action or status. ``v`` reverts
the highlighted edit after a confirmation; the revert runs in an app-level
worker and is itself audited. The highlighted entry is shown in full below
the table (the table cuts long before/after values).
"""

from __future__ import annotations

import logging
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import DataTable, Input, Static

from polaris_tui.dialogs.card_edit import REVERT_ACTION, revert_audit_entry, revert_dialog
from polaris_tui.models import AuditEntry
from polaris_tui.models.errors import PolarisError
from polaris_tui.screens.base import ActionDone, FilteredScreen
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.breadcrumb import Breadcrumb
from polaris_tui.widgets.card_format import audit_reverted, audit_status, state_text
from polaris_tui.widgets.card_table import current_key, sync_rows
from polaris_tui.widgets.columns import ColumnSpec, add_columns, fit_row
from polaris_tui.widgets.freshness import DATA_AGE_TICK_SECONDS
from polaris_tui.widgets.key_footer import KeyFooter
from polaris_tui.widgets.keymap import bind
from polaris_tui.widgets.safe_text import clean, plain
from polaris_tui.wording import ago, when

log = logging.getLogger(__name__)

LIMIT = 500
"""Newest entries loaded; older ones stay in the store."""

AGE_TICK_SECONDS = DATA_AGE_TICK_SECONDS
"""How often the "x ago" labels are redrawn (seconds count: a slower tick shows
the data fresher than it is)."""

COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("id", "#", 6),
    ColumnSpec("when", "When", 16, fixed=True),
    ColumnSpec("who", "Who", 12),
    ColumnSpec("card", "Card", 16),
    ColumnSpec("action", "What", 10),
    ColumnSpec("before", "Before", 17, fixed=True),
    ColumnSpec("after", "After", 17, fixed=True),
    ColumnSpec("status", "Status", 8),
    ColumnSpec("reverted", "Reverted", 16),
)
"""Each column's widest; long values are cut here and shown whole below."""

STATUS_STYLE = {"applied": "", "pending": "bold yellow", "failed": "bold red"}


def entry_cells(entry: AuditEntry) -> list[Text]:
    """One audit row; before/after are cut here and shown whole below the table."""
    cells = [
        Text(str(entry.id), justify="right"),
        Text(entry.created_at.strftime("%Y-%m-%d %H:%M")),
        plain(entry.actor, limit=64),
        plain(entry.id_tag, limit=64),
        plain(entry.action, limit=64),
        Text(state_text(entry.before, limit=80)),
        Text(state_text(entry.after, limit=80)),
        Text(entry.status, style=STATUS_STYLE.get(entry.status, "")),
        Text(audit_reverted(entry)),
    ]
    return fit_row(cells, COLUMNS)


def entry_matches(entry: AuditEntry, query: str) -> bool:
    """Case-insensitive match on idTag, operator, action or status."""
    if not query:
        return True
    needle = query.casefold()
    fields = (entry.id_tag, entry.actor, entry.action, entry.status, str(entry.id))
    return any(needle in value.casefold() for value in fields)


class AuditLogScreen(FilteredScreen):
    """Every audited card edit, newest first; revert with ``v``."""

    FILTER_ID = "audit-filter"
    TABLE_ID = "audit-table"

    HELP_TITLE = "Audit log"
    """Title of the ``?`` key list."""

    BINDINGS = [
        bind("slash", label="Find"),
        bind("escape", label="Back / clear"),
        bind("r"),
        bind("v"),
        bind("A"),
    ]

    def __init__(
        self,
        id_tag: str | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.id_tag = id_tag
        """Show only this card's edits (None: every card)."""
        self.entries: list[AuditEntry] = []
        self.query_text = ""
        self.loaded_at: datetime | None = None
        self.load_error: PolarisError | None = None
        self.reverting: set[int] = set()
        """Entries whose revert is in flight (one press, one request)."""
        self.title = "Audit log"

    def crumb(self) -> str:
        return f"Audit log ({self.id_tag})" if self.id_tag else "Audit log"

    def place(self) -> tuple[str, str | None]:
        return ("audit", self.id_tag)

    def compose(self) -> ComposeResult:
        yield SourceBanner()
        yield Breadcrumb()
        yield Static("", id="audit-title", markup=False)
        yield Input(placeholder="find by idTag, operator, action or status", id="audit-filter")
        table: DataTable[Text] = DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="audit-entry", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        add_columns(table, COLUMNS)
        table.focus()
        self.query_one("#audit-filter", Input).display = False
        self.console.card_signal.subscribe(self, lambda _event: self.load())
        self.console.store_signal.subscribe(
            self, lambda e: self.load() if "cards" in e.topics else None
        )
        self.set_interval(AGE_TICK_SECONDS, self._draw_title)
        self.load()

    @work(exclusive=True, group="audit-load", exit_on_error=False)
    async def load(self) -> None:
        """Fetch the newest entries; a failure keeps the previous list and says so."""
        services = self.services
        if services is None:
            self.set_timer(0.5, self.load)
            return
        started = self.now()  # the data is as old as the moment it was asked for
        try:
            entries = await services.cards.audit_log(id_tag=self.id_tag, limit=LIMIT)
        except PolarisError as exc:
            log.warning("audit log failed to load: %s", exc)
            self.load_error = exc
            self._draw_title()
            return
        self.entries, self.load_error = entries, None
        self.loaded_at = started
        self._draw()

    def shown(self) -> list[AuditEntry]:
        """Entries passing the filter, newest first."""
        rows = [e for e in self.entries if entry_matches(e, self.query_text)]
        return sorted(rows, key=lambda e: e.id, reverse=True)

    def _draw(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        sync_rows(table, [(str(e.id), entry_cells(e)) for e in self.shown()])
        self._draw_title()
        self._draw_entry()

    def _draw_title(self) -> None:
        if not self.is_mounted:
            return
        scope = f"card {clean(self.id_tag)}" if self.id_tag else "every card"
        parts = [f"Audit log — {scope}", f"{len(self.shown())} of {len(self.entries)} edits"]
        if self.query_text:
            parts.append(f"matching “{clean(self.query_text, limit=60)}”")
        parts.append(f"loaded {ago(self.loaded_at, self.now())}" if self.loaded_at else "loading…")
        if self.load_error is not None:
            parts.append(f"refresh failed — {self.load_error}")
        title = self.query_one("#audit-title", Static)
        title.set_class(self.load_error is not None, "-error")
        title.update(Content(" · ".join(parts)))

    def selected(self) -> AuditEntry | None:
        """The entry under the cursor."""
        key = current_key(self.query_one("#audit-table", DataTable))
        return next((e for e in self.entries if str(e.id) == key), None)

    def _draw_entry(self) -> None:
        entry = self.selected()
        panel = self.query_one("#audit-entry", Static)
        if entry is None:
            panel.update(Content("No audited edits yet." if not self.entries else ""))
            return
        text = Content.from_markup(
            "[b]#$id[/b] $action on [b]$tag[/b] by $actor at $when — $status\n"
            "before: $before\nafter:  $after\n$reverted",
            id=str(entry.id),
            action=clean(entry.action),
            tag=clean(entry.id_tag),
            actor=clean(entry.actor),
            when=when(entry.created_at),
            status=audit_status(entry),
            before=state_text(entry.before),
            after=state_text(entry.after),
            reverted=audit_reverted(entry),
        )
        panel.update(text)

    @on(DataTable.RowHighlighted, "#audit-table")
    def _highlighted(self) -> None:
        self._draw_entry()

    @on(DataTable.RowSelected, "#audit-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        entry = self.selected()
        if entry is not None:
            self.console.open_card(entry.id_tag)

    # -- keys -----------------------------------------------------------------

    def action_refresh(self) -> None:
        self.load()

    def action_all_cards(self) -> None:
        """Drop the card scope: show every card's edits."""
        if self.id_tag is not None:
            self.id_tag = None
            self.load()

    def action_revert(self) -> None:
        """Confirm, then revert the highlighted edit in an app-level worker (admin only)."""
        services = self.services
        entry = self.selected()
        if services is None or entry is None:
            self.app.bell()
            return
        if not services.operator.can_act:
            self.notify(
                f"Reverting an edit needs the admin role; you are {services.operator.role}.",
                title="Not allowed for your role",
                severity="warning",
                markup=False,
            )
            return
        if entry.reverted_by is not None:
            self.notify(
                f"Entry #{entry.id} was already reverted by #{entry.reverted_by}.",
                title="Already reverted",
                severity="warning",
                markup=False,
            )
            return
        if entry.status != "applied":
            self.notify(
                f"Entry #{entry.id} is {entry.status}: it changed nothing to revert.",
                title="Nothing to revert",
                severity="warning",
                markup=False,
            )
            return
        if entry.id in self.reverting:
            self.notify(
                "This revert is still being applied.", title="Revert in progress", markup=False
            )
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            self.reverting.add(entry.id)
            revert_audit_entry(self, entry)

        self.app.push_screen(revert_dialog(entry), confirmed)

    @on(ActionDone)
    def _reverted(self, message: ActionDone) -> None:
        """A revert finished (the app already said how); reload to show both rows."""
        if message.label != REVERT_ACTION:
            return
        message.stop()
        if message.error is not None:
            error = message.error
            title = getattr(error, "title", type(error).__name__)
            self.notify(
                clean(str(getattr(error, "message", error)) or title, limit=300),
                title=f"Revert refused — {title}",
                severity="error",
                markup=False,
            )
        self.reverting.clear()
        self.load()
