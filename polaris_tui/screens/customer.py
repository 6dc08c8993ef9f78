"""A customer's page: runbook 2 starting from a person.

The Lago customer and subscriptions, every card that bills to them with its
relation and whether SteVe would take it now, their open and recent
sessions, and the operations that touched those. When the text matched
several customers the page lists them (``enter`` picks one); when it matched
none it says what was searched. ``tab`` moves between the tables, ``enter``
opens the card, session or customer under the cursor, ``S`` the sessions.
"""

from __future__ import annotations

import logging

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Static

from polaris_tui.models.errors import PolarisError
from polaris_tui.models.sessions import CustomerView, SessionQuery
from polaris_tui.screens.base import PolarisScreen
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.breadcrumb import Breadcrumb
from polaris_tui.widgets.card_table import sync_rows
from polaris_tui.widgets.key_footer import KeyFooter
from polaris_tui.widgets.keymap import bind
from polaris_tui.widgets.operations_table import OperationsTable
from polaris_tui.widgets.safe_text import clean, plain
from polaris_tui.widgets.session_table import SessionTable

log = logging.getLogger(__name__)


def header_text(view: CustomerView) -> Text:
    customer = view.customer
    text = Text()
    if customer is None:
        return text
    text.append("Lago customer ", style="bold")
    text.append(clean(f"{customer.external_id} · {customer.email or 'no e-mail'}", limit=120))
    if not view.subscriptions:
        text.append("\nNo subscription in Lago: sessions cannot be billed.", style="bold yellow")
    for sub in view.subscriptions:
        style = "" if sub.status == "active" else "bold yellow"
        started = f", since {sub.started_at:%Y-%m-%d}" if sub.started_at else ""
        line = f"Subscription {sub.external_id} ({sub.plan_code}): {sub.status}{started}"
        text.append("\n")
        text.append(clean(line, limit=160), style=style)
    return text


class CustomerScreen(PolarisScreen):
    """One customer, found by e-mail, name or Lago id."""

    HELP_TITLE = "Customer"

    BINDINGS = [
        bind("escape"),
        bind("S"),
        bind("r"),
    ]

    def crumb(self) -> str:
        return f"Customer {self.text}"

    def place(self) -> tuple[str, str | None]:
        return ("customer", self.text)

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.view: CustomerView | None = None
        self.title = "Customer"

    def compose(self) -> ComposeResult:
        yield SourceBanner()
        yield Breadcrumb()
        yield Static(Content(f"Customer “{clean(self.text, limit=60)}”"), id="customer-title")
        with VerticalScroll(id="customer-body"):
            yield Static("loading…", id="customer-header", classes="customer-panel", markup=False)
            yield DataTable(id="customer-matches", cursor_type="row", classes="customer-panel")
            yield DataTable(id="customer-cards", cursor_type="row", classes="customer-panel")
            yield SessionTable(id="customer-sessions", classes="customer-panel")
            yield OperationsTable(id="customer-ops", classes="customer-panel")
            yield Static("", id="customer-note", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        matches = self.query_one("#customer-matches", DataTable)
        matches.add_column("Customer", key="name")
        matches.add_column("E-mail", key="email")
        matches.add_column("Lago id", key="id")
        matches.border_title = "Customers that match"
        cards = self.query_one("#customer-cards", DataTable)
        for key, label in (
            ("tag", "idTag"),
            ("name", "Name"),
            ("rel", "Relation"),
            ("ok", "Verdict"),
        ):
            cards.add_column(label, key=key)
        cards.border_title = "Cards"
        self.query_one("#customer-sessions").border_title = "Open and recent sessions (30 days)"
        self.query_one("#customer-ops").border_title = "Recent operations on their sessions"
        for widget_id in (
            "#customer-matches",
            "#customer-cards",
            "#customer-sessions",
            "#customer-ops",
        ):
            self.query_one(widget_id).display = False
        self.load()

    @work(exclusive=True, group="customer-load", exit_on_error=False)
    async def load(self) -> None:
        services = self.services
        if services is None:
            self.set_timer(0.5, self.load)
            return
        try:
            view = await services.customers.customer(self.text)
        except PolarisError as exc:
            log.warning("customer %r failed to load: %s", self.text, exc)
            self.query_one("#customer-header", Static).update(
                Text(f"The customer could not be loaded — {exc}")
            )
            return
        self.view = view
        self._draw(view)

    def _draw(self, view: CustomerView) -> None:
        customer = view.customer
        if customer is not None:
            self.query_one("#customer-title", Static).update(
                Content(f"Customer · {clean(customer.display_name, limit=60)}")
            )
        header = self.query_one("#customer-header", Static)
        header.update(header_text(view))
        header.display = customer is not None
        matches = self.query_one("#customer-matches", DataTable)
        matches.display = customer is None and bool(view.matches)
        sync_rows(
            matches,
            [
                (
                    c.external_id,
                    [plain(c.display_name), plain(c.email or "—"), plain(c.external_id)],
                )
                for c in view.matches
            ]
            if customer is None
            else [],
        )
        cards = self.query_one("#customer-cards", DataTable)
        cards.display = customer is not None
        sync_rows(
            cards,
            [
                (
                    c.row.id_tag,
                    [
                        plain(c.row.id_tag),
                        plain(c.row.display_name or "—", limit=30),
                        plain(c.relation, limit=50),
                        plain(c.verdict, "" if c.ok else "bold red", limit=60),
                    ],
                )
                for c in view.cards
            ],
        )
        sessions = self.query_one(SessionTable)
        sessions.display = view.sessions is not None
        if view.sessions is not None:
            sessions.show(view.sessions.lines, self.now())
        ops = self.query_one(OperationsTable)
        ops.display = bool(view.operations)
        ops.show(view.operations, self.now())
        notes = [n for n in (view.note, view.sessions.note if view.sessions else None) if n]
        if customer is not None and not view.cards:
            notes.append("No card is linked to this customer (card links live in Polaris).")
        note = self.query_one("#customer-note", Static)
        note.update(Text(" · ".join(clean(n, limit=300) for n in notes)))
        note.display = bool(notes)
        first = matches if matches.display else cards
        if first.display:
            first.focus()

    def action_refresh(self) -> None:
        self.load()

    def action_sessions(self) -> None:
        customer = self.view.customer if self.view else None
        if customer is not None:
            query = SessionQuery(customer_id=customer.external_id)
            self.console.open_sessions(query, title=f"Sessions of {clean(customer.display_name)}")

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value or ""
        table_id = event.data_table.id
        if table_id == "customer-matches":
            self.console.open_customer(key)
        elif table_id == "customer-cards":
            self.console.open_card(key)
        elif table_id == "customer-sessions":
            self.console.open_session(int(key))
        elif table_id == "customer-ops":
            entry = self.query_one(OperationsTable).entry_at_cursor()
            if entry is not None:
                self.console.open_charger(entry.charge_box_id)


__all__ = ["CustomerScreen"]
