"""One session: who and where, its meter curve, the operations that touched it, its billing.

This is runbook 1's "verify": after a stop, the session shows its stop time,
stop reason and who stopped it, the RemoteStop / Unlock / database close
that ended it with their follow-ups, and whether Lago received its usage
(or, in words, why not and what to reconcile). ``g`` opens the charger,
``c`` the card, ``r`` reloads.
"""

from __future__ import annotations

import logging
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from polaris_tui.models.errors import PolarisError
from polaris_tui.models.sessions import SessionDetail, StoppedBy
from polaris_tui.screens.base import PolarisScreen
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.breadcrumb import Breadcrumb
from polaris_tui.widgets.card_format import session_duration, session_kwh
from polaris_tui.widgets.key_footer import KeyFooter
from polaris_tui.widgets.keymap import bind
from polaris_tui.widgets.operations_table import OperationsTable
from polaris_tui.widgets.safe_text import clean
from polaris_tui.widgets.session_chart import SessionChart
from polaris_tui.wording import duration, when

log = logging.getLogger(__name__)

STOPPED_BY_MEANING = {
    StoppedBy.STATION: "the station, on its own (car left, card tapped, fault)",
    StoppedBy.REMOTE_STOP: "remote stop: the station stopped on a RemoteStopTransaction",
    StoppedBy.UNLOCK: "unlock: the station stopped on an UnlockConnector",
    StoppedBy.DATABASE_CLOSE: "database-only close in SteVe; the station was never told",
}


def facts_text(detail: SessionDetail, now: datetime) -> Text:
    """The session's facts, one per line, as plain text."""
    line = detail.line
    tx = line.row.transaction
    card = tx.ocpp_id_tag + (f" ({line.card_name})" if line.card_name else "")
    customer = " · ".join(x for x in (line.customer_name, line.customer_email) if x) or (
        "not linked to a Lago customer"
    )
    if line.stopped_by is None:
        stop, by = "— (running)", "—"
    else:
        stop = when(tx.stop_timestamp)
        by = STOPPED_BY_MEANING[line.stopped_by]
    rows = [
        ("Charger", f"{tx.charge_box_id}, connector {tx.connector_id}"),
        ("Card", card),
        ("Customer", customer),
        ("Started", when(tx.start_timestamp)),
        ("Stopped", stop),
        ("Duration", duration(session_duration(line.row, now))),
        ("Energy", f"{session_kwh(line.row)} kWh"),
        ("Stop reason", tx.stop_reason or "—"),
        ("Stopped by", by),
    ]
    text = Text()
    for label, value in rows:
        text.append(f"{label:<12}", style="bold")
        text.append(clean(value, limit=200) + "\n")
    text.rstrip()
    return text


class SessionDetailScreen(PolarisScreen):
    """One transaction by id."""

    HELP_TITLE = "Session"

    BINDINGS = [
        bind("escape"),
        bind("g"),
        bind("c"),
        bind("r"),
    ]

    def crumb(self) -> str:
        return f"Session {self.transaction_id}"

    def place(self) -> tuple[str, str | None]:
        return ("session", str(self.transaction_id))

    def __init__(self, transaction_id: int) -> None:
        super().__init__()
        self.transaction_id = transaction_id
        self.detail: SessionDetail | None = None
        self.title = f"Session {transaction_id}"

    def compose(self) -> ComposeResult:
        yield SourceBanner()
        yield Breadcrumb()
        yield Static(Content(f"Session {self.transaction_id}"), id="session-title")
        with VerticalScroll(id="session-body"):
            yield Static("loading…", id="session-facts", markup=False, classes="session-panel")
            yield SessionChart(id="session-chart", classes="session-panel")
            yield OperationsTable(id="session-ops", classes="session-panel")
            yield Static("", id="session-ops-note", markup=False)
            yield Static("", id="session-billing", markup=False, classes="session-panel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#session-ops").border_title = "Operations that touched it"
        self.query_one("#session-billing").border_title = "Billing (Lago)"
        self.query_one("#session-facts").border_title = "Session"
        self.query_one(VerticalScroll).focus()
        self.load()

    @work(exclusive=True, group="session-load", exit_on_error=False)
    async def load(self) -> None:
        services = self.services
        if services is None:
            self.set_timer(0.5, self.load)
            return
        try:
            detail = await services.sessions.session(self.transaction_id)
        except PolarisError as exc:
            log.warning("session %s failed to load: %s", self.transaction_id, exc)
            facts = self.query_one("#session-facts", Static)
            facts.update(Text(f"Session {self.transaction_id} could not be read — {exc}"))
            facts.add_class("-error")
            return
        self.detail = detail
        self._draw(detail)

    def _draw(self, detail: SessionDetail) -> None:
        tx = detail.line.row.transaction
        state = "running" if tx.active else "finished"
        self.query_one("#session-title", Static).update(
            Content(f"Session {tx.id} · {clean(tx.charge_box_id, limit=40)} · {state}")
        )
        now = self.now()
        self.query_one("#session-facts", Static).update(facts_text(detail, now))
        self.query_one(SessionChart).show(detail.points, detail.values_note)
        ops = self.query_one(OperationsTable)
        ops.show(list(reversed(detail.operations)), now)
        ops.display = bool(detail.operations)
        note = self.query_one("#session-ops-note", Static)
        note.update(Text(clean(detail.operations_note or "", limit=300), style="dim"))
        note.display = bool(detail.operations_note)
        billing = self.query_one("#session-billing", Static)
        billing.update(Text(clean(detail.billing, limit=600)))
        billing.set_class(detail.line.row.sync_state == "not_synced" and not tx.active, "-warning")

    def action_refresh(self) -> None:
        self.load()

    def action_open_charger(self) -> None:
        if self.detail is not None:
            self.console.open_charger(self.detail.line.row.transaction.charge_box_id)

    def action_open_card(self) -> None:
        if self.detail is not None:
            self.console.open_card(self.detail.line.row.transaction.ocpp_id_tag)


__all__ = ["SessionDetailScreen", "facts_text"]
