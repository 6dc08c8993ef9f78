"""Charger detail (``enter`` on a fleet row): the force-close runbook's page.

Panels: Live status | Current session, then Remote operations | Scan-to-login,
then Recent operations across the full width (its six columns need it). At
120x40 every title is on screen without scrolling; below ~110 columns the
panels stack in one scrollable column, so at 80x24 everything is reachable
by keyboard (tab moves focus and scrolls it into view).

Data: ``services.fleet.detail(id)`` in an exclusive worker. On open it first
shows what the poller already knows (``fresh=False``: no request, so the page
is complete at once), then the charger's own fresh reads. One reload path
after that: the fleet poll changed this charger, an operation on it changed,
another console wrote, or ``r``. A poll that confirms the row as shown only
moves the data's age. Each panel repaints only when its text changed, and
the footer only when the offered keys changed. Mutations
(operations, the database-only close, pairings) run in app-level workers
(``PolarisApp.run_mutation``), so nothing is cancelled if this screen closes.

The panels, loading and live updates are ``ChargerDetailView``; this module
adds the keys, the remote operations and their follow-ups.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from textual import on, work
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.widgets import Button, Checkbox, Input, Label, Select, Static
from textual.widgets._select import SelectCurrent, SelectOverlay

from polaris_tui.dialogs.confirm import ConfirmDialog
from polaris_tui.dialogs.typed_confirm import TypedConfirmDialog
from polaris_tui.models import (
    OperationLogEntry,
    Pairing,
)
from polaris_tui.models.confirmation import OperationPreview
from polaris_tui.models.errors import PolarisError
from polaris_tui.models.sessions import SessionQuery
from polaris_tui.screens.base import ActionDone
from polaris_tui.screens.charger_detail_view import ChargerDetailView
from polaris_tui.widgets.charger_identity import ChargerIdentityPanel
from polaris_tui.widgets.charger_sessions import ChargerSessions
from polaris_tui.widgets.detail_panels import LiveStatusPanel, SessionPanel
from polaris_tui.widgets.keymap import bind
from polaris_tui.widgets.operation_form import OperationForm
from polaris_tui.widgets.operation_outcome import (
    Outcome,
    describe_entry,
    describe_error,
)
from polaris_tui.widgets.operations_table import OperationsTable
from polaris_tui.widgets.recent_operations import RecentOperations
from polaris_tui.widgets.remote_ops import (
    RemoteOpsPanel,
    close_question,
    confirm_label,
    preview_question,
    preview_title,
)
from polaris_tui.widgets.safe_text import clean
from polaris_tui.widgets.scan_panel import ScanPanel
from polaris_tui.widgets.session_table import SessionTable

log = logging.getLogger(__name__)


class ChargerDetailScreen(ChargerDetailView):
    """Everything about one charger, and the remote operations on it."""

    BINDINGS = [
        bind("escape"),
        bind("r"),
        bind("c"),
        bind("o"),
        bind("l"),
        bind("u"),
        bind("d"),
        bind("w"),
        bind("S"),
        bind("I"),
    ]

    WIDGET_TYPES: tuple[type[DOMNode], ...] = (
        *(Container, Horizontal, Vertical, VerticalScroll, Static, Label, Button, Input),
        *(Checkbox, Select, SelectCurrent, SelectOverlay, LiveStatusPanel, SessionPanel),
        *(RemoteOpsPanel, OperationForm, ScanPanel, RecentOperations, OperationsTable),
        *(ChargerSessions, SessionTable, ChargerIdentityPanel),
    )
    """Every widget class on the page: their CSS is parsed before it first
    opens (``css_warmup``); a test checks the page adds no CSS after that."""

    # -- submitting -----------------------------------------------------------
    @on(OperationForm.Submitted)
    def _submitted(self, event: OperationForm.Submitted) -> None:
        event.stop()
        if event.dry_run:
            self._send(event.operation, event.params, True)
            return
        self._confirm_live(event.operation, event.params)

    def _confirm_live(
        self, operation: str, params: dict[str, Any], *, label: str = "operation"
    ) -> None:
        """Every live operation, from any path, asks first: the service's preview
        (which refuses a stale transaction with SteVe's facts) becomes the dialog."""
        self._show_outcome(Outcome(f"Checking {operation} before asking you…", "info"))
        self._prepare(operation, params, label)

    @work(group="prepare", exit_on_error=False)
    async def _prepare(self, operation: str, params: dict[str, Any], label: str) -> None:
        services = self.services
        form = self.query_one(OperationForm)
        if services is None:
            form.busy = False
            return
        try:
            preview = await services.operations.prepare(self.charge_box_id, operation, params)
        except PolarisError as error:
            form.busy = False
            self._show_outcome(describe_error(error, operation))
            return
        self._show_outcome(
            Outcome(f"{operation}: waiting for your answer; nothing sent yet.", "info")
        )
        self.app.push_screen(
            ConfirmDialog(
                preview_title(preview),
                preview_question(preview),
                confirm_label=confirm_label(operation, again=preview.concurrent is not None),
                danger=preview.default_no,
                default_no=preview.default_no,
            ),
            callback=lambda ok: self._after_confirm(ok, preview, label),
        )

    def _after_confirm(self, ok: bool | None, preview: OperationPreview, label: str) -> None:
        if ok:
            self._send(
                preview.operation,
                dict(preview.params),
                False,
                label=label,
                confirmation=preview.token,
                override=preview.concurrent is not None,
            )
        else:
            form = self.query_one(OperationForm)
            form.busy = False
            form.dry_run = True
            self._show_outcome(Outcome(f"Not sent: you cancelled the {preview.operation}.", "info"))

    def _send(
        self,
        operation: str,
        params: dict[str, Any],
        dry_run: bool,
        *,
        label: str = "operation",
        confirmation: str | None = None,
        override: bool = False,
    ) -> None:
        services = self.services
        if services is None:
            self.query_one(OperationForm).busy = False
            return
        request_id = uuid.uuid4().hex  # one press = one request
        self._show_outcome(
            Outcome(f"Sending {operation}{' (dry run)' if dry_run else ''}…", "info")
        )
        self.console.run_mutation(
            self,
            label,
            lambda: services.operations.submit(
                self.charge_box_id,
                operation,
                params,
                dry_run=dry_run,
                request_id=request_id,
                confirmation=confirmation,
                override_concurrent=override,
            ),
        )

    def on_action_done(self, message: ActionDone) -> None:
        message.stop()
        form = self.query_one(OperationForm)
        if message.label == "settle":
            return
        if message.label in ("operation", "unlock", "close-in-db"):
            form.busy = False
            form.dry_run = True  # dry run again after every submit: live is a choice each time
            if message.error is not None:
                if isinstance(message.error, PolarisError):
                    operation = form.operation if message.label == "operation" else ""
                    self._show_outcome(describe_error(message.error, operation))
                else:
                    self._show_outcome(Outcome("Unexpected error — see the notice", "error"))
                return
            entry = message.result
            if not isinstance(entry, OperationLogEntry):
                return
            self._tracked_op = entry.id
            self._entries[entry.id] = entry
            self.query_one(RecentOperations).upsert(entry, self.now())
            self._show_outcome(describe_entry(entry))
            self._reload()
        elif message.label in ("arm", "cancel-pairing"):
            self._reload()

    @on(ScanPanel.Requested)
    def _pairing_requested(self, event: ScanPanel.Requested) -> None:
        event.stop()
        services = self.services
        if services is None:
            return
        scan, app = services.scan, self.app

        async def job() -> Pairing:
            pairing = await event.call(scan)
            app.notify(event.done(pairing), title="Scan-to-login", markup=False)
            return pairing

        self.console.run_mutation(self, event.label, job)

    # -- actions --------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Follow-ups are hidden until offered (the footer stays readable at
        # 80 columns); help still lists them, marked "not now".
        if action == "open_card":
            return self.session is not None  # hidden without a session
        if action == "unlock_followup":
            return self._followup_entry() is not None
        if action == "close_in_db":
            return self._close_offered(self._followup_entry())
        if action == "way_back":
            return self._restart_offer() is not None
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        self.console.action_refresh_now()
        self._reload()
        identity = self.query_one(ChargerIdentityPanel)
        if identity.display:
            identity.load()

    def action_identity(self) -> None:
        """Bring the identity panel into view (runbook 2, step 6)."""
        self.query_one(ChargerIdentityPanel).reveal()

    def action_open_card(self) -> None:
        session = self.session
        if session is not None:
            self.console.open_card(session.transaction.ocpp_id_tag)

    async def action_focus_operations(self) -> None:
        """To the form: its Submit when the page filled it in (the open session's
        stop; an Enter is then a dry run, on each time the form opens), else
        the operation picker."""
        # ``o`` right after ``enter`` can come before the form is built (it is
        # mounted after the first frame). The focus is set here, not queued:
        # a key typed behind ``o`` waits for this action, then finds it.
        await self.query_one(OperationForm).ensure_built()
        submit = self.query_one("#op-submit", Button)
        if self.session is not None and submit.display and not submit.disabled:
            self.set_focus(submit)
        else:
            self.set_focus(self.query_one("#op-picker"))
        # The whole panel from its top (at 80x24 focus alone shows one line of it).
        self.query_one("#detail-body", VerticalScroll).scroll_to_widget(
            self.query_one("#remote-ops"), animate=False, top=True
        )

    def action_operation_log(self) -> None:
        self.console.open_operation_log(self.charge_box_id)

    def action_sessions(self) -> None:
        query = SessionQuery(charge_box_id=self.charge_box_id)
        self.console.open_sessions(query, title=f"Sessions on {clean(self.charge_box_id)}")

    @on(Button.Pressed, "#op-refresh")
    def _refresh_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_refresh()

    @on(Button.Pressed, "#op-unlock")
    def _unlock_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_unlock_followup()

    @on(Button.Pressed, "#op-close-db")
    def _close_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close_in_db()

    @on(Button.Pressed, "#op-restart")
    async def _restart_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.action_way_back()

    def action_unlock_followup(self) -> None:
        entry = self._followup_entry()
        if entry is None:
            return
        connector = self._followup_connector(entry)
        if connector is None:
            self.notify("No connector known for this session.", severity="warning", markup=False)
            return
        self._confirm_live("UnlockConnector", {"connectorId": connector}, label="unlock")

    async def action_way_back(self) -> None:
        """After a stop: RemoteStart with the stopped session's idTag and connector,
        in the form, dry run first (the operator submits it twice to send it)."""
        offer = self._restart_offer()
        if offer is None:
            return
        id_tag, connector = offer
        form = self.query_one(OperationForm)
        await form.select_operation(
            "RemoteStartTransaction", {"idTag": id_tag, "connectorId": connector}
        )
        form.dry_run = True
        self._show_outcome(
            Outcome(
                f"RemoteStart for {clean(id_tag, limit=40)} on connector {connector} is in the "
                "form, dry run ON: submit it once to check, then turn dry run off to send.",
                "info",
            )
        )
        self.query_one("#op-submit").focus()

    def action_close_in_db(self) -> None:
        entry = self._followup_entry()
        readiness = self._readiness
        services = self.services
        if entry is None or services is None or not self._close_offered(entry):
            return
        assert readiness is not None  # noqa: S101 - _close_offered checked it
        tx_id = readiness.transaction_id

        def confirmed(typed: str | None) -> None:
            if typed is None:
                self._show_outcome(Outcome("Not closed: you cancelled.", "info"))
                return
            request_id = uuid.uuid4().hex
            self._show_outcome(Outcome("Closing the transaction in SteVe's database…", "info"))
            self.console.run_mutation(
                self,
                "close-in-db",
                lambda: services.operations.close_in_database(
                    self.charge_box_id, tx_id, request_id=request_id, typed=typed
                ),
            )

        self.app.push_screen(
            TypedConfirmDialog(
                "Last resort: close in SteVe's database only?",
                close_question(readiness, self.now()),
                str(tx_id),
                confirm_label="Close in database",
            ),
            callback=confirmed,
        )
