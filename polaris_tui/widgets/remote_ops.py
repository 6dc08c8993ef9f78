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

from polaris_tui.models import ChargerDetail, Liveness
from polaris_tui.models.confirmation import CloseReadiness, OperationPreview
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
                Content("Close in SteVe DB only (d)"),
                id="op-close-db",
                compact=True,
                variant="error",
            )
            yield Button(Content("Restart session (w)"), id="op-restart", compact=True)

    def on_mount(self) -> None:
        self.border_title = Content("Remote operations")
        self.query_one("#op-refresh", Button).display = False
        self.query_one("#op-restart", Button).display = False
        self.query_one("#op-outcome", Static).display = False
        # Until ``show_notice`` has the detail: most chargers have no notice,
        # and the first frame then has the panel's final height.
        self.query_one("#ops-notice", Static).display = False

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

    def show_followup(
        self,
        offered: bool,
        connector: int | None,
        *,
        close_offered: bool = False,
        restart: tuple[str, int | None] | None = None,
    ) -> None:
        """Offer (or hide) unlock for a stop still open, the database-only close
        once its guard is met, and the way back (RemoteStart) after a stop.

        Args:
            restart: (idTag, connector) of the stopped session, when offered.
        """
        self.query_one("#op-unlock", Button).display = offered
        self.query_one("#op-close-db", Button).display = close_offered
        restart_button = self.query_one("#op-restart", Button)
        restart_button.display = restart is not None
        if restart is not None:
            tag, conn = restart
            where = f" on connector {conn}" if conn else ""
            restart_button.label = Content(
                f"Way back: RemoteStart {clean(tag, limit=40)}{where} (w)"
            )
        if offered:
            label = (
                f"Unlock connector {connector} (u)"
                if connector is not None
                else "Unlock connector (u)"
            )
            self.query_one("#op-unlock", Button).label = Content(label)
        self._show_actions()
        anything = offered or close_offered or restart is not None
        if anything and not self._offered:
            self.call_after_refresh(self._reveal_outcome)
        self._offered = anything

    def _show_actions(self) -> None:
        self.query_one("#followup-actions").display = any(
            self.query_one(f"#{name}", Button).display
            for name in ("op-refresh", "op-unlock", "op-close-db", "op-restart")
        )


def _fact(label: str, value: str | None, limit: int = 80) -> Content:
    return Content.assemble(
        (f"{label:<12}", "$text-muted"), (clean(value or "—", limit=limit), "bold")
    )


def preview_question(preview: OperationPreview) -> Content:
    """The confirmation of a live operation, from the service's preview: who,
    where, what happens, and whether it can be undone."""
    tag = preview.id_tag
    if tag and preview.card_name:
        tag = f"{tag} ({preview.card_name})"
    lines: list[Content] = [
        _fact("Charger", preview.charge_box_id),
        _fact(
            "Connector",
            str(preview.connector_id) if preview.connector_id is not None else None,
        ),
        _fact("idTag", tag),
        _fact("Customer", preview.customer),
        _fact(
            "Transaction",
            str(preview.transaction_id) if preview.transaction_id is not None else None,
        ),
        Content(""),
        Content.assemble(("What happens: ", "bold"), clean(preview.effect, limit=400)),
        Content.assemble(("Undo: ", "bold"), clean(preview.undo, limit=400)),
    ]
    if preview.charger_state:
        lines.append(Content.styled(clean(preview.charger_state, limit=200), "bold $warning"))
    if preview.concurrent:
        lines.append(
            Content.assemble(
                ("Another operator is on it: ", "bold $warning"),
                clean(preview.concurrent, limit=300),
                " Confirm only to send it again.",
            )
        )
    if preview.default_no:
        lines.append(Content.styled("This stops or refuses charging: Enter answers No.", "$error"))
    return Content("\n").join(lines)


def preview_title(preview: OperationPreview) -> str:
    """The dialog's title: the operation, live."""
    return f"Send {preview.operation} to SteVe? (not a dry run)"


def confirm_label(operation: str, *, again: bool = False) -> str:
    """The dialog's Yes button; ``again`` when another operator sent it already."""
    if again and operation == "RemoteStopTransaction":
        return "Send a second stop"
    return {
        "RemoteStopTransaction": "Stop session",
        "UnlockConnector": "Unlock",
        "RemoteStartTransaction": "Start session",
    }.get(operation, "Send")


def _minutes(value: float | None) -> str:
    if value is None:
        return "unknown"
    whole = int(value)
    return f"{whole // 60} h {whole % 60:02d} min" if whole >= 60 else f"{whole} min"


def close_question(readiness: CloseReadiness, now: datetime) -> Content:
    """The last resort's dialog: the meter, the connector, the billing consequence."""
    if readiness.meter_wh is not None and readiness.meter_at is not None:
        meter = (
            f"last value {readiness.meter_wh:,.0f} Wh at {readiness.meter_at:%H:%M} UTC "
            f"({ago(readiness.meter_at, now)}); not advancing for "
            f"{_minutes(readiness.meter_flat_minutes)}"
        )
    else:
        meter = f"no meter value (flat since the start, {_minutes(readiness.meter_flat_minutes)})"
    status = readiness.connector_status or "unknown"
    if readiness.connector_status_at is not None:
        status += f" (since {ago(readiness.connector_status_at, now)})"
    tried = f"RemoteStop #{readiness.stop_op_id} accepted, still open" + (
        f"; UnlockConnector #{readiness.unlock_op_id} tried" if readiness.unlock_op_id else ""
    )
    return Content("\n").join(
        [
            Content.assemble(
                "Close transaction ",
                (str(readiness.transaction_id), "bold"),
                " on ",
                (clean(readiness.charge_box_id, limit=80), "bold"),
                " in SteVe's database only. Nothing is sent to the station; it cannot be "
                "undone from here.",
            ),
            Content(""),
            _fact("Tried", tried, limit=120),
            _fact("Meter", meter, limit=160),
            _fact(
                "Connector",
                f"{readiness.connector_id}: the station reports {status}",
                limit=120,
            ),
            _fact(
                "idTag",
                readiness.id_tag
                and readiness.id_tag + (f" ({readiness.card_name})" if readiness.card_name else ""),
            ),
            _fact("Customer", readiness.customer),
            Content(""),
            Content.assemble(("Billing: ", "bold $warning"), clean(readiness.billing, limit=500)),
            Content(""),
            Content.assemble(
                "Type the transaction id ",
                (str(readiness.transaction_id), "bold"),
                " to confirm.",
            ),
        ]
    )


__all__ = ["RemoteOpsPanel", "close_question", "confirm_label", "preview_question", "preview_title"]
