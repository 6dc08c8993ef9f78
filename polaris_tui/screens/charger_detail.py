"""Charger detail (``enter`` on a fleet row): the force-close runbook's page.

Panels: Live status | Current session, then Remote operations | Scan-to-login,
then Recent operations across the full width (its six columns need it). At
120x40 every title is on screen without scrolling; below ~110 columns the
panels stack in one scrollable column, so at 80x24 everything is reachable
by keyboard (tab moves focus and scrolls it into view).

Data: ``services.fleet.detail(id)`` in an exclusive worker, reloaded when
the fleet poll changes this charger, when an operation on it changes, and on
a one-shot timer re-armed after each load (never piling up). Mutations
(operations, the database-only close, pairings) run in app-level workers
(``PolarisApp.run_mutation``), so nothing is cancelled if this screen closes.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Button, Footer, Static

from polaris_tui.dialogs.confirm import ConfirmDialog
from polaris_tui.models import (
    ChargerDetail,
    ChargerRow,
    FleetChanged,
    OpenSession,
    OperationChanged,
    OperationLogEntry,
    OperationStatus,
    Pairing,
    ScanRecorded,
    StopFollowup,
    StoreChanged,
)
from polaris_tui.models.errors import NotFound, PolarisError
from polaris_tui.screens.base import ActionDone, PolarisScreen
from polaris_tui.screens.stop_followup import followup_connector, followup_entry
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.detail_panels import (
    LiveStatusPanel,
    SessionPanel,
    header_content,
    is_stale,
)
from polaris_tui.widgets.freshness import DATA_AGE_TICK_SECONDS, as_of
from polaris_tui.widgets.operation_form import OperationForm
from polaris_tui.widgets.operation_outcome import (
    Outcome,
    describe_entry,
    describe_error,
)
from polaris_tui.widgets.recent_operations import RecentOperations
from polaris_tui.widgets.remote_ops import (
    RemoteOpsPanel,
    close_in_db_question,
    stop_question,
    unlock_question,
)
from polaris_tui.widgets.safe_text import clean
from polaris_tui.widgets.scan_panel import ScanPanel

log = logging.getLogger(__name__)

RECENT_LIMIT = 20


def same_shown(new: ChargerRow, old: ChargerRow) -> bool:
    """Whether ``new`` changes nothing the detail shows of ``old``, apart from
    when the meter was last read (the detail reads it itself) and when the
    row was fetched (both move every poll without anything else changing)."""

    def shown(row: ChargerRow) -> ChargerRow:
        session = row.open_session
        if session is not None:
            session = session.model_copy(update={"meter_checked_at": None})
        return row.model_copy(
            update={"fetched_at": None, "meter_checked_at": None, "open_session": session}
        )

    return shown(new) == shown(old)


class ChargerDetailScreen(PolarisScreen):
    """Everything about one charger, and the remote operations on it."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "open_card", "Open card"),
        Binding("o", "focus_operations", "Operations"),
        Binding("l", "operation_log", "Op log"),
        Binding("u", "unlock_followup", "Unlock connector"),
        Binding("x", "close_in_db", "Close in DB"),
    ]

    def __init__(self, charge_box_id: str) -> None:
        super().__init__()
        self.charge_box_id = charge_box_id
        """The charger shown (raw id; cleaned wherever it is displayed)."""
        self.detail: ChargerDetail | None = None
        self.not_found: str | None = None
        self._tracked_op: int | None = None
        self._timer: Timer | None = None
        self._entries: dict[int, OperationLogEntry] = {}
        self._basis: ChargerRow | None = None
        """The fleet row of the load shown or in flight (see ``_on_fleet``)."""

    # -- layout -------------------------------------------------------------
    def compose(self) -> ComposeResult:
        services = self.services
        can_act = bool(services and services.operator.can_act)
        yield SourceBanner()
        yield Static(Content(clean(self.charge_box_id, limit=80)), id="detail-header")
        with VerticalScroll(id="detail-body"):
            with Container(id="detail-top"):
                yield LiveStatusPanel(Content("Loading…"), id="live-status")
                yield SessionPanel(Content("Loading…"), id="current-session")
            with Container(id="detail-bottom"):
                yield RemoteOpsPanel(can_submit=can_act, id="remote-ops", classes="panel")
                yield ScanPanel(self.charge_box_id, can_act=can_act, id="scan-panel")
            yield RecentOperations(id="recent-ops", classes="panel")
        yield Footer()

    def on_mount(self) -> None:
        console = self.console
        console.fleet_signal.subscribe(self, self._on_fleet)
        console.operation_signal.subscribe(self, self._on_operation)
        console.scan_signal.subscribe(self, self._on_scan)
        console.source_signal.subscribe(self, lambda _event: self._reload())
        console.store_signal.subscribe(self, self._on_store_changed)
        self._show_followup(None)
        self.set_interval(DATA_AGE_TICK_SECONDS, self._draw_ages, name="detail-ages")
        self._reload()

    # -- loading ------------------------------------------------------------
    def _reload(self) -> None:
        if self.services is not None:
            self.load_detail()

    @work(exclusive=True, group="charger-detail", exit_on_error=False)
    async def load_detail(self) -> ChargerDetail | None:
        """Fetch the detail (one charger's extra requests) and redraw."""
        services = self.services
        if services is None:
            return None
        try:
            detail = await services.fleet.detail(self.charge_box_id)
        except NotFound as error:
            self.not_found = error.message or f"{self.charge_box_id} is not known."
            self._show_not_found()
            return None
        finally:
            self._arm_timer()
        self.not_found = None
        self.show_detail(detail)
        return detail

    def _arm_timer(self) -> None:
        # One-shot, re-armed after each load: polls cannot pile up.
        if self._timer is not None:
            self._timer.stop()
        interval = 5.0
        services = self.services
        if services is not None:
            interval = float(services.settings.poll.interval_seconds)
        self._timer = self.set_timer(interval, self._tick, name="detail-refresh")

    def _tick(self) -> None:
        if self.is_current:
            self._reload()
        else:
            self._arm_timer()

    # -- drawing ------------------------------------------------------------
    def _show_not_found(self) -> None:
        message = clean(self.not_found or "", limit=300)
        self.query_one("#detail-header", Static).update(
            Content.assemble(
                (clean(self.charge_box_id, limit=80), "bold"), "  ", (message, "$error")
            )
        )
        for panel_id in ("#live-status", "#current-session"):
            self.query_one(panel_id, Static).update(Content(message))
        self.query_one("#op-form").display = False

    def show_detail(self, detail: ChargerDetail) -> None:
        """Redraw every panel from ``detail``."""
        self.detail = detail
        self._basis = detail.row
        now = self.now()
        with self.app.batch_update():
            self._show_ops_notice(detail)
            form = self.query_one(OperationForm)
            form.set_context(self._form_context(detail))
            entries = detail.recent_operations[:RECENT_LIMIT]
            self._entries = {e.id: e for e in entries}
            self.query_one(RecentOperations).show(entries, now, detail.fetched_at)
            self.query_one(ScanPanel).show(
                detail.pairings, detail.intercepts, now, detail.fetched_at
            )
            self._draw_ages(now)
            self._show_followup(self._followup_entry())
        self.refresh_bindings()

    def _draw_ages(self, now: datetime | None = None) -> None:
        """Everything that shows an age in seconds, from the detail on hand.

        Runs after each load and every second in between: a load can take a
        while (SteVe slow or hung), and the ages must keep counting meanwhile.
        """
        detail = self.detail
        if detail is None:
            return
        now = now or self.now()
        services = self.services
        stuck_after = services.settings.poll.stuck_after_minutes if services else 15.0
        with self.app.batch_update():
            self.query_one("#detail-header", Static).update(header_content(detail, now))
            self.query_one(LiveStatusPanel).show(detail, now)
            self.query_one(SessionPanel).show(detail, now, stuck_after_minutes=stuck_after)
            self.query_one("#remote-ops").border_subtitle = as_of(
                detail.fetched_at, now, stale=is_stale(detail)
            )
            self.query_one("#recent-ops").border_subtitle = as_of(detail.fetched_at, now)
            self.query_one(ScanPanel).border_subtitle = as_of(detail.fetched_at, now)

    def _form_context(self, detail: ChargerDetail) -> dict[str, Any]:
        session = self.session
        if session is None:
            return {}
        tx = session.transaction
        return {"transactionId": tx.id, "connectorId": tx.connector_id, "idTag": tx.ocpp_id_tag}

    @property
    def session(self) -> OpenSession | None:
        """The open session shown first (normally the only one)."""
        if self.detail is None or not self.detail.sessions:
            return None
        return self.detail.sessions[0]

    def _show_ops_notice(self, detail: ChargerDetail) -> None:
        services = self.services
        viewer = (
            services.operator.name
            if services is not None and not services.operator.can_act
            else None
        )
        self.query_one(RemoteOpsPanel).show_notice(detail, self.now(), viewer_name=viewer)

    # -- follow-ups (stop accepted but still open) ------------------------------
    def _followup_entry(self) -> OperationLogEntry | None:
        return followup_entry(self._entries.values(), self.detail)

    def _followup_connector(self, entry: OperationLogEntry) -> int | None:
        return followup_connector(entry, self.detail)

    def _show_followup(self, entry: OperationLogEntry | None) -> None:
        panel = self.query_one(RemoteOpsPanel)
        if entry is not None and self._tracked_op in (None, entry.id):
            self._show_outcome(describe_entry(entry))
        connector = self._followup_connector(entry) if entry is not None else None
        panel.show_followup(entry is not None, connector)
        self.refresh_bindings()

    def _show_outcome(self, outcome: Outcome) -> None:
        self.query_one(RemoteOpsPanel).show_outcome(outcome)

    # -- live updates ---------------------------------------------------------
    def _on_fleet(self, event: FleetChanged) -> None:
        # Reload only when the row differs from the one this screen last
        # loaded (or is loading) in what it shows. The detail's own meter read
        # reaches the fleet row at the poller's next build, and the sampler's
        # reads only move "meter read ... ago" (the detail re-reads on its
        # timer): reloading on those fed itself, one load per build.
        if self.charge_box_id in event.removed:
            self._basis = None
            self._reload()
            return
        for row in event.changed:
            if row.charge_box_id == self.charge_box_id:
                if self._basis is None or not same_shown(row, self._basis):
                    self._basis = row
                    self._reload()
                return

    def _on_operation(self, event: OperationChanged) -> None:
        entry = event.entry
        if entry.charge_box_id != self.charge_box_id:
            return
        self._entries[entry.id] = entry
        self.query_one(RecentOperations).upsert(entry, self.now())
        if entry.id == self._tracked_op:
            self._show_outcome(describe_entry(entry))
        if entry.followup in (StopFollowup.CLOSED, StopFollowup.STILL_OPEN):
            # The session closed (or not): poll now so every panel and the fleet agree.
            self.console.action_refresh_now()
            self._reload()
        self._show_followup(self._followup_entry())

    def _on_store_changed(self, event: StoreChanged) -> None:
        """Another console sent an operation or armed a pairing: show it."""
        if {"operations", "pairings"} & set(event.topics):
            self._reload()

    def _on_scan(self, event: ScanRecorded) -> None:
        if event.event.charge_box_id == self.charge_box_id:
            self._reload()

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

    def action_open_card(self) -> None:
        session = self.session
        if session is not None:
            self.console.open_card(session.transaction.ocpp_id_tag)

    def action_focus_operations(self) -> None:
        self.query_one("#op-picker").focus()

    def action_operation_log(self) -> None:
        self.console.open_operation_log(self.charge_box_id)

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
