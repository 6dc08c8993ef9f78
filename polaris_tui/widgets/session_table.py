"""The sessions table: SteVe's transactions with card, customer, stop and billing.

One row per transaction, keyed by its id, diffed like every Polaris table so
a reload keeps the cursor. The most telling columns come first (charger,
card, start, stop), so at 80 columns the eye still lands on them; the rest
is one horizontal scroll away. Every outside value is cleaned plain text.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from polaris_tui.models.sessions import SessionLine, StoppedBy
from polaris_tui.widgets.card_format import session_duration
from polaris_tui.widgets.card_table import sync_rows
from polaris_tui.widgets.safe_text import plain
from polaris_tui.wording import duration

COLUMNS = (
    ("tx", "Tx"),
    ("charger", "Charger/conn"),
    ("tag", "idTag"),
    ("start", "Started"),
    ("stop", "Stopped (ran)"),
    ("kwh", "kWh"),
    ("reason", "Reason"),
    ("by", "Stopped by"),
    ("billing", "Lago"),
    ("customer", "Customer / card"),
)
"""Most telling first: at 120 columns everything up to Lago is on screen."""

STOPPED_BY_WORDS = {
    StoppedBy.STATION: "station",
    StoppedBy.REMOTE_STOP: "remote stop",
    StoppedBy.UNLOCK: "unlock",
    StoppedBy.DATABASE_CLOSE: "DB close",
}


def stopped_by_text(line: SessionLine) -> Text:
    if line.stopped_by is None:
        return Text("—", style="dim")
    style = "bold yellow" if line.stopped_by == StoppedBy.DATABASE_CLOSE else ""
    return Text(STOPPED_BY_WORDS[line.stopped_by], style=style)


def billing_text(line: SessionLine) -> Text:
    """Lago's side in one or two words; "not synced" is a billing problem (yellow)."""
    row = line.row
    if row.transaction.active:
        return Text("at end", style="dim")
    if line.customer_id is None:
        return Text("no cust.", style="bold yellow")
    return {
        "synced": Text("synced"),
        "not_synced": Text("UNSYNCED", style="bold yellow"),
    }.get(row.sync_state, Text("unknown", style="dim"))


def short_time(moment: datetime) -> str:
    """``11-27 22:57`` (UTC): the table's width cannot afford seconds or the year."""
    return f"{moment:%m-%d %H:%M}"


def stop_text(line: SessionLine, now: datetime) -> Text:
    """When it stopped (the time only on the start's day) and how long it ran."""
    tx = line.row.transaction
    span = duration(session_duration(line.row, now)).replace(" ", "")
    if tx.stop_timestamp is None:
        return Text(f"running ({span})", style="green")
    same_day = tx.stop_timestamp.date() == tx.start_timestamp.date()
    stop = f"{tx.stop_timestamp:%H:%M}" if same_day else short_time(tx.stop_timestamp)
    return Text(f"{stop} ({span})")


def kwh_text(line: SessionLine) -> str:
    kwh = line.row.energy_kwh
    return "—" if kwh is None else f"{kwh:.1f}"


def customer_text(line: SessionLine) -> Text:
    who = line.customer_name or line.customer_email or "no customer"
    return plain(f"{who} / {line.card_name}" if line.card_name else who, limit=40)


def session_cells(line: SessionLine, now: datetime) -> list[Text]:
    tx = line.row.transaction
    return [
        Text(str(tx.id)),
        plain(f"{tx.charge_box_id}/{tx.connector_id}", limit=28),
        plain(tx.ocpp_id_tag, limit=24),
        Text(short_time(tx.start_timestamp)),
        stop_text(line, now),
        Text(kwh_text(line), justify="right"),
        plain(tx.stop_reason or "—", limit=16),
        stopped_by_text(line),
        billing_text(line),
        customer_text(line),
    ]


class SessionTable(DataTable[Text]):
    """Sessions, keyed by transaction id; ``enter`` posts ``RowSelected``."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            cursor_type="row",
            zebra_stripes=True,
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
        )
        self.lines: dict[str, SessionLine] = {}

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def show(self, lines: list[SessionLine], now: datetime) -> None:
        self.lines = {str(line.row.transaction.id): line for line in lines}
        sync_rows(self, [(key, session_cells(line, now)) for key, line in self.lines.items()])

    def current(self) -> SessionLine | None:
        """The session under the cursor."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self.lines.get(key or "")
