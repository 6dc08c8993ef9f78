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
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button

from polaris_tui.dialogs.confirm import ConfirmDialog
from polaris_tui.models import (
    OpenSession,
    OperationLogEntry,
    OperationStatus,
    Pairing,
)
from polaris_tui.models.errors import PolarisError
from polaris_tui.models.sessions import SessionQuery
from polaris_tui.screens.base import ActionDone
from polaris_tui.screens.charger_detail_view import ChargerDetailView
from polaris_tui.widgets.charger_identity import ChargerIdentityPanel
from polaris_tui.widgets.operation_form import OperationForm
from polaris_tui.widgets.operation_outcome import (
    Outcome,
    describe_entry,
    describe_error,
)
from polaris_tui.widgets.recent_operations import RecentOperations
from polaris_tui.widgets.remote_ops import (
    close_in_db_question,
    stop_question,
    unlock_question,
)
from polaris_tui.widgets.safe_text import clean
from polaris_tui.widgets.scan_panel import ScanPanel

log = logging.getLogger(__name__)


class ChargerDetailScreen(ChargerDetailView):
    """Everything about one charger, and the remote operations on it."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "open_card", "Open card"),
        Binding("o", "focus_operations", "Operations"),
        Binding("l", "operation_log", "Op log"),
        Binding("u", "unlock_followup", "Unlock connector"),
        Binding("x", "close_in_db", "Close in DB"),
        Binding("S", "sessions", "Sessions"),
        Binding("I", "identity", "Identity"),
    ]

    # -- submitting -----------------------------------------------------------
    @on(OperationForm.Submitted)
    def _submitted(self, event: OperationForm.Submitted) -> None:
        event.stop()
        session = self.session
        if (
            event.operation == "RemoteStopTransaction"
            and not event.dry_run
            and session is not None
            and event.params.get("transactionId") == session.transaction.id
        ):
            self._confirm_stop(event, session)
            return
        self._send(event.operation, event.params, event.dry_run)

    @work(exclusive=True, group="confirm-stop", exit_on_error=False)
    async def _confirm_stop(self, event: OperationForm.Submitted, session: OpenSession) -> None:
        """Ask before a live stop, naming another operator's recent stop of it."""
        tx = session.transaction
        name = session.card.display_name if session.card and session.card.display_name else ""
        other = None
        if self.services is not None:
            try:
                other = await self.services.operations.concurrent(self.charge_box_id, event.params)
            except PolarisError as error:  # the store is down: the service will refuse anyway
                log.warning("cannot look for another operator's stop: %s", error)
        body = stop_question(self.charge_box_id, tx, name, other.describe() if other else None)
        label = "Send a second stop" if other else "Stop session"
        self.app.push_screen(
            ConfirmDialog("Send RemoteStopTransaction?", body, confirm_label=label),
            callback=lambda ok: self._after_confirm(ok, event, override=other is not None),
        )

    def _after_confirm(
        self, ok: bool | None, event: OperationForm.Submitted, *, override: bool = False
    ) -> None:
        if ok:
            self._send(event.operation, event.params, event.dry_run, override=override)
        else:
            self.query_one(OperationForm).busy = False
            self._show_outcome(Outcome("Not sent: you cancelled the stop.", "info"))

    def _send(
        self,
        operation: str,
        params: dict[str, Any],
        dry_run: bool,
        *,
        label: str = "operation",
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
                override_concurrent=override,
            ),
        )

    def on_action_done(self, message: ActionDone) -> None:
        message.stop()
        form = self.query_one(OperationForm)
        if message.label in ("operation", "unlock", "close-in-db"):
            form.busy = False
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
            if entry.status == OperationStatus.DRY_RUN:
                form.dry_run = True
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
        # 80 columns); help still lists them, marked "not offered right now".
        if action == "open_card":
            return True if self.session is not None else None
        if action in ("unlock_followup", "close_in_db"):
            return self._followup_entry() is not None
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

    def action_focus_operations(self) -> None:
        self.query_one("#op-picker").focus()
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

    def action_unlock_followup(self) -> None:
        entry = self._followup_entry()
        if entry is None:
            return
        connector = self._followup_connector(entry)
        if connector is None:
            self.notify("No connector known for this session.", severity="warning", markup=False)
            return
        body = unlock_question(self.charge_box_id, connector)

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._send("UnlockConnector", {"connectorId": connector}, False, label="unlock")

        self.app.push_screen(
            ConfirmDialog("Unlock the connector?", body, confirm_label="Unlock"), callback=confirmed
        )

    def action_close_in_db(self) -> None:
        entry = self._followup_entry()
        services = self.services
        if entry is None or services is None:
            return
        tx_id = entry.params.get("transactionId")
        if not isinstance(tx_id, int):
            return
        body = close_in_db_question(self.charge_box_id, tx_id)

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            request_id = uuid.uuid4().hex
            self._show_outcome(Outcome("Closing the transaction in SteVe's database…", "info"))
            self.console.run_mutation(
                self,
                "close-in-db",
                lambda: services.operations.close_in_database(
                    self.charge_box_id, tx_id, request_id=request_id
                ),
            )

        self.app.push_screen(
            ConfirmDialog(
                "Close in SteVe's database only?", body, confirm_label="Close in database"
            ),
            callback=confirmed,
        )
