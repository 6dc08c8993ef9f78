"""The Remote operations panel of the charger detail.

It holds the operation form, a notice (unmanaged, offline, viewer), the
outcome of the last press, and the follow-up buttons a stuck stop offers
(refresh, unlock connector, close in SteVe's database only). It only
shows: the charger detail screen decides what to send and when, and
reacts to the form's ``Submitted`` and the buttons' ``Pressed`` messages.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from polaris_tui.models import ChargerDetail, Liveness, Transaction
from polaris_tui.models.operations import OPERATION_PARAMS
from polaris_tui.widgets.alarm_style import ALARM
from polaris_tui.widgets.operation_form import OperationForm
from polaris_tui.widgets.operation_outcome import UNMANAGED_TEXT, Outcome
from polaris_tui.widgets.quiet import update_static
from polaris_tui.widgets.safe_text import clean
from polaris_tui.wording import coarse_ago as ago

TONES = ("ok", "info", "warning", "error")


class RemoteOpsPanel(Vertical):
    """Operation form, notice, outcome and follow-up buttons for one charger."""

    def __init__(
        self,
        *,
        can_submit: bool,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._outcome_plain: str | None = None
        self._offered = False
        self.can_submit = can_submit
        """Whether the operator may submit (admins); viewers see a disabled form."""

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="ops-notice")
        yield OperationForm(OPERATION_PARAMS, can_submit=self.can_submit, id="op-form")
        yield Static(Content(""), id="op-outcome")
        with Horizontal(id="followup-actions"):
            yield Button(Content("Refresh (r)"), id="op-refresh", compact=True)
            yield Button(
                Content("Unlock connector (u)"), id="op-unlock", compact=True, variant="warning"
            )
            yield Button(
                Content("Close in SteVe DB only (x)"),
                id="op-close-db",
                compact=True,
                variant="error",
            )

    def on_mount(self) -> None:
        self.border_title = Content("Remote operations")
        self.query_one("#op-refresh", Button).display = False
        self.query_one("#op-outcome", Static).display = False

    @property
    def form(self) -> OperationForm:
        return self.query_one(OperationForm)

    def show_notice(self, detail: ChargerDetail, now: datetime, *, viewer_name: str | None) -> None:
        """Unmanaged (form hidden), offline, or viewer notices above the form.

        Args:
            viewer_name: the operator's name when they are a viewer, else None.
        """
        notice = self.query_one("#ops-notice", Static)
        form = self.form
        row = detail.row
        if not row.managed or row.liveness == Liveness.UNMANAGED:
            form.display = False
            update_static(
                notice, Content.assemble(("Unmanaged charger. ", "bold $error"), UNMANAGED_TEXT)
            )
            notice.display = True
            return
        form.display = True
        lines: list[Content] = []
        if row.liveness == Liveness.OFFLINE:
            lines.append(
                Content.assemble(
                    ("Charger is offline", ALARM),
                    f" (last heartbeat {ago(row.last_heartbeat, now)}): "
                    "operations cannot be delivered until it reconnects.",
                )
            )
        if viewer_name is not None:
            lines.append(
                Content.styled(
                    f"You are {clean(viewer_name, limit=40)} (viewer): submitting is disabled.",
                    "$warning",
                )
            )
        update_static(notice, Content("\n").join(lines))
        notice.display = bool(lines)

    def show_outcome(self, outcome: Outcome) -> None:
        """The outcome of the last press, toned, with field errors on the form."""
        target = self.query_one("#op-outcome", Static)
        content = outcome.content()
        news = content.plain != self._outcome_plain
        self._outcome_plain = content.plain
        target.update(content)
        target.display = True
        for tone in TONES:
            target.set_class(outcome.tone == tone, f"-tone-{tone}")
        self.query_one("#op-refresh", Button).display = outcome.offer_refresh
        self.form.show_field_errors(outcome.field_errors)
        self._show_actions()
        if news:  # a new outcome, not a reload's redraw: do not fight the operator's scroll
            self.call_after_refresh(self._reveal_outcome)

    def _reveal_outcome(self) -> None:
        """Scroll the outcome and its follow-up buttons into view (80x24: below the fold)."""
        actions = self.query_one("#followup-actions")
        target = actions if actions.display else self.query_one("#op-outcome")
        target.scroll_visible(animate=False)

    def show_followup(self, offered: bool, connector: int | None) -> None:
        """Offer (or hide) unlock and database-close for a stop still open."""
        self.query_one("#op-unlock", Button).display = offered
        self.query_one("#op-close-db", Button).display = offered
        if offered:
            label = (
                f"Unlock connector {connector} (u)"
                if connector is not None
                else "Unlock connector (u)"
            )
            self.query_one("#op-unlock", Button).label = Content(label)
        self._show_actions()
        if offered and not self._offered:
            self.call_after_refresh(self._reveal_outcome)
        self._offered = offered

    def _show_actions(self) -> None:
        self.query_one("#followup-actions").display = (
            self.query_one("#op-refresh", Button).display
            or self.query_one("#op-unlock", Button).display
        )


def stop_question(
    charge_box_id: str, tx: Transaction, card_name: str, concurrent: str | None = None
) -> Content:
    """The confirmation of a RemoteStopTransaction of the live session;
    ``concurrent`` names another operator's recent stop of it (issue 10)."""
    question = Content.assemble(
        "Stop the live session on charger ",
        (clean(charge_box_id, limit=80), "bold"),
        ", connector ",
        (str(tx.connector_id), "bold"),
        ", idTag ",
        (clean(tx.ocpp_id_tag, limit=60), "bold"),
        f" ({clean(card_name, limit=60)})" if card_name else "",
        f", transaction {tx.id}?\n\nA RemoteStopTransaction cannot be undone.",
    )
    if concurrent:
        question = Content.assemble(
            question,
            ("\n\nAnother operator is on it: ", "bold $warning"),
            clean(concurrent, limit=300),
            " Confirm only to send a second stop.",
        )
    return question


def unlock_question(charge_box_id: str, connector: int) -> Content:
    """The confirmation of the follow-up UnlockConnector."""
    return Content.assemble(
        "Send UnlockConnector to charger ",
        (clean(charge_box_id, limit=80), "bold"),
        ", connector ",
        (str(connector), "bold"),
        "?\n\nA station with a running transaction stops it first (reason UnlockCommand); "
        "this often nudges stuck firmware into sending the missing StopTransaction.",
    )


def close_in_db_question(charge_box_id: str, transaction_id: int) -> Content:
    """The confirmation of the database-only close."""
    return Content.assemble(
        "Close transaction ",
        (str(transaction_id), "bold"),
        " on ",
        (clean(charge_box_id, limit=80), "bold"),
        " in SteVe's database only?\n\nNothing is sent to the station: use this only for a "
        "session the station will never close. The session will need to be reconciled "
        "manually with billing. This is logged as DatabaseStopTransaction.",
    )


__all__ = ["RemoteOpsPanel", "close_in_db_question", "stop_question", "unlock_question"]
