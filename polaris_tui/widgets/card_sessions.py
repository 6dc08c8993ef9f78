"""Recent transactions of a card: the last 10 sessions SteVe has for its idTag.

Each row joins the session with its Lago usage event, so the operator sees at
once whether the card charged (kWh) and whether billing caught up ("Last
synced", or "not synced"). ``enter`` posts ``DataTable.RowSelected``; the
screen opens that charger.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.content import Content
from textual.widgets import DataTable

from polaris_tui.models import CardView, ConnectionState, SessionRow, Transaction
from polaris_tui.services.session_detail import unsynced_words
from polaris_tui.widgets.card_format import (
    session_duration,
    session_kwh,
    session_synced,
    source_age,
)
from polaris_tui.widgets.card_table import sync_rows
from polaris_tui.widgets.safe_text import plain
from polaris_tui.widgets.session_table import short_time
from polaris_tui.wording import duration

COLUMNS = (
    ("tx", "Transaction"),
    ("charger", "Charger"),
    ("started", "Started (UTC)"),
    ("stopped", "Stopped"),
    ("duration", "Duration"),
    ("kwh", "kWh"),
    ("reason", "Stop reason"),
    ("synced", "Last synced"),
)


def stopped_at(tx: Transaction) -> str:
    """The stop time; the date only when it differs from the start's (UTC)."""
    if tx.stop_timestamp is None:
        return "—"
    if tx.stop_timestamp.date() == tx.start_timestamp.date():
        return f"{tx.stop_timestamp:%H:%M}"
    return short_time(tx.stop_timestamp)


def stop_reason(tx: Transaction) -> str:
    """SteVe's stopReason, and who: a database-only close has no reason of its own."""
    if tx.stop_timestamp is None:
        return "—"
    if (tx.stop_event_actor or "").lower() == "manual":
        return "closed in SteVe's DB only"
    return tx.stop_reason or "(none given)"


def unsynced_note(view: CardView) -> str | None:
    """The finished sessions Lago never received, as the billing problem they are."""
    unsynced = [
        r for r in view.recent[:10] if r.sync_state == "not_synced" and not r.transaction.active
    ]
    if not unsynced:
        return None
    customer = view.customer.display_name if view.customer else None
    if len(unsynced) == 1:
        return unsynced_words(unsynced[0], customer)
    ids = ", ".join(str(r.transaction.id) for r in unsynced)
    return (
        f"Billing problem, not a charging problem: Lago has no usage event for sessions {ids}, "
        "so they are not billed. The card charges fine. Reconcile: check the sync run that "
        "sends SteVe's sessions to Lago, and send these again."
    )


def session_cells(row: SessionRow, now: datetime) -> list[Text]:
    """Cells of one session; a running session says so in its duration."""
    tx = row.transaction
    running = tx.stop_timestamp is None
    span = duration(session_duration(row, now)) + (" (running)" if running else "")
    synced = session_synced(row, now)
    synced_style = {"synced": "", "not_synced": "bold yellow"}.get(row.sync_state, "dim")
    if running and row.sync_state == "not_synced":  # billed when it ends: nothing to sync yet
        synced, synced_style = "not yet (running)", "dim"
    return [
        Text(str(tx.id)),
        plain(tx.charge_box_id),
        Text(short_time(tx.start_timestamp)),
        Text(stopped_at(tx)),
        Text(span),
        Text(session_kwh(row), justify="right"),
        plain(stop_reason(tx), limit=30),
        Text(synced, style=synced_style),
    ]


class CardSessions(DataTable[Text]):
    """Up to 10 sessions, newest first, keyed by transaction id."""

    BORDER_TITLE = "Recent transactions"

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(cursor_type="row", name=name, id=id, classes=classes, disabled=disabled)
        self._chargers: dict[str, str] = {}

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def show(self, view: CardView, now: datetime) -> str | None:
        """Render the sessions of ``view``; returns a note to show when there are none."""
        rows = view.recent[:10]
        self._chargers = {str(r.transaction.id): r.transaction.charge_box_id for r in rows}
        sync_rows(self, [(str(r.transaction.id), session_cells(r, now)) for r in rows])
        age = source_age(view.steve_state, view.data_as_of, now)
        self.border_subtitle = Content(f"{len(rows)} session(s) · {age}")
        if view.recent_note:
            return f"Recent transactions: {view.recent_note}"
        if rows:
            return unsynced_note(view)
        if not view.recent_available or view.steve_state.state == ConnectionState.UNREACHABLE:
            return (
                "Recent transactions: none shown — SteVe is unreachable, and Polaris keeps no "
                "copy of a card's history."
            )
        if view.tag is None:
            return "Recent transactions: none — SteVe does not know this idTag."
        return (
            f"Recent transactions: no sessions at all for this idTag ({age}) — the card may "
            "never have authorized successfully (see the triage verdict)."
        )

    def charger_of(self, row_key: str) -> str | None:
        """The chargeBoxId of the session a row shows."""
        return self._chargers.get(row_key)
