"""The charger detail's view half: its panels, loading ``services.fleet.detail``
in an exclusive worker (one reload path, no own timer), and reloading on live
updates.
``ChargerDetailScreen`` (charger_detail.py) adds the keys, the remote
operations and their follow-ups on top."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Container, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from polaris_tui.models import (
    ChargerDetail,
    ChargerRow,
    FleetChanged,
    OpenSession,
    OperationChanged,
    OperationLogEntry,
    ScanRecorded,
    SourceName,
    StopFollowup,
    StoreChanged,
)
from polaris_tui.models.confirmation import CloseReadiness
from polaris_tui.models.errors import NotFound, PolarisError
from polaris_tui.screens.base import PolarisScreen
from polaris_tui.screens.stop_followup import (
    close_offered,
    db_close_note,
    followup_connector,
    followup_entry,
    last_closed_stop,
)
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.breadcrumb import Breadcrumb
from polaris_tui.widgets.charger_identity import ChargerIdentityPanel
from polaris_tui.widgets.charger_sessions import ChargerSessions
from polaris_tui.widgets.detail_panels import (
    LiveStatusPanel,
    SessionPanel,
    header_content,
    is_stale,
)
from polaris_tui.widgets.freshness import DATA_AGE_TICK_SECONDS, as_of
from polaris_tui.widgets.key_footer import KeyFooter
from polaris_tui.widgets.operation_form import OperationForm
from polaris_tui.widgets.operation_outcome import Outcome, describe_entry
from polaris_tui.widgets.prefocus import prefocused, settle_prefocus
from polaris_tui.widgets.quiet import set_subtitle, update_static
from polaris_tui.widgets.recent_operations import RecentOperations
from polaris_tui.widgets.remote_ops import RemoteOpsPanel
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


class ChargerDetailView(PolarisScreen):
    """Everything shown about one charger (see ``ChargerDetailScreen``)."""

    HELP_TITLE = "Charger"

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    STYLED_AT_MOUNT = True
    AUTO_FOCUS = "#detail-body"  # built marked focused (prefocus): the focus goes there

    def __init__(self, charge_box_id: str) -> None:
        super().__init__()
        # The breakpoint class Textual would add at the first resize, set now:
        # added then, it restyles every widget of the page once more.
        width = self.app.size.width
        self.add_class(*self._get_breakpoint_classes(width, self.HORIZONTAL_BREAKPOINTS))
        self.charge_box_id = charge_box_id
        """The charger shown (raw id; cleaned wherever it is displayed)."""
        self.detail: ChargerDetail | None = None
        self.not_found: str | None = None
        self._tracked_op: int | None = None
        self._entries: dict[int, OperationLogEntry] = {}
        self._basis: ChargerRow | None = None
        """The fleet row of the load shown or in flight (see ``_on_fleet``)."""
        self._offered: tuple[bool, bool, bool, bool] | None = None
        """The follow-up keys the footer shows (see ``_refresh_footer``)."""
        self._partial = False
        """``detail`` is only the fleet row (``_take_row``): the panels it
        says nothing about are still loading, so they get no age either."""
        self._facts_running = False
        self._facts_again = False
        self._readiness: CloseReadiness | None = None
        """The last resort's guard for the stop still open (None: not offered)."""
        self._way_back: dict[int, tuple[str, int] | None] = {}
        """RemoteStop id -> (idTag, connector) of the session it ended."""

    # -- layout -------------------------------------------------------------
    def crumb(self) -> str:
        return f"Charger {self.charge_box_id}"

    def place(self) -> tuple[str, str | None]:
        return ("charger", self.charge_box_id)

    def compose(self) -> ComposeResult:
        services = self.services
        can_act = bool(services and services.operator.can_act)
        self._take_row()
        yield SourceBanner()
        yield Breadcrumb()
        yield Static(Content(clean(self.charge_box_id, limit=80)), id="detail-header")
        yield Static(Content(""), id="db-close-note")
        with prefocused(VerticalScroll(id="detail-body")):
            with Container(id="detail-top"):
                yield LiveStatusPanel(Content("Loading…"), id="live-status")
                yield SessionPanel(Content("Loading…"), id="current-session")
            with Container(id="detail-bottom"):
                yield RemoteOpsPanel(can_submit=can_act, id="remote-ops", classes="panel")
                yield ScanPanel(self.charge_box_id, can_act=can_act, id="scan-panel")
            yield RecentOperations(id="recent-ops", classes="panel")
            yield ChargerSessions(self.charge_box_id, id="charger-sessions", classes="panel")
            yield ChargerIdentityPanel(self.charge_box_id, id="charger-identity", classes="panel")
        yield KeyFooter()

    def on_mount(self) -> None:
        settle_prefocus(self.query_one("#detail-body"))
        self.query_one("#db-close-note").display = False
        console = self.console
        console.fleet_signal.subscribe(self, self._on_fleet)
        console.operation_signal.subscribe(self, self._on_operation)
        console.scan_signal.subscribe(self, self._on_scan)
        console.source_signal.subscribe(self, lambda _event: self._reload())
        console.store_signal.subscribe(self, self._on_store_changed)
        self._show_followup(None)
        self.set_interval(DATA_AGE_TICK_SECONDS, self._draw_ages, name="detail-ages")
        if self._partial and self.detail is not None:
            self.query_one(OperationForm).set_context(self._form_context(self.detail))
            self._draw_ages()
        self._reload(quick_first=True)

    # -- loading ------------------------------------------------------------
    def _take_row(self) -> None:
        """Start from what the fleet row already says (no await): header, Live
        status and Current session are complete at the first frame, and the
        footer offers ``c`` from the start. The panels the row says nothing
        about (recent operations, pairings) keep "Loading…" until
        ``load_detail`` brings the whole detail."""
        services = self.services
        row = services.fleet.row(self.charge_box_id) if services is not None else None
        if services is None or row is None:
            return
        session = row.open_session
        self.detail = ChargerDetail(
            row=row,
            sessions=[session] if session is not None else [],
            fetched_at=row.fetched_at,
            steve_state=services.source_state(SourceName.STEVE),
        )
        self._basis = row
        self._partial = True

    def _reload(self, *, quick_first: bool = False) -> None:
        if self.services is not None:
            self.load_detail(quick_first=quick_first)

    @work(exclusive=True, group="charger-detail", exit_on_error=False)
    async def load_detail(self, *, quick_first: bool = False) -> ChargerDetail | None:
        """Fetch the detail (one charger's extra requests) and redraw; with
        ``quick_first``, show the poller's data before asking SteVe."""
        services = self.services
        if services is None:
            return None
        try:
            if quick_first:
                self.show_detail(await services.fleet.detail(self.charge_box_id, fresh=False))
            detail = await services.fleet.detail(self.charge_box_id)
        except NotFound as error:
            if self._partial:  # the row's data must not redraw over the message
                self.detail = None
            self.not_found = error.message or f"{self.charge_box_id} is not known."
            self._show_not_found()
            return None
        self.not_found = None
        self.show_detail(detail)
        self._refresh_followup_facts()
        return detail

    def _refresh_followup_facts(self) -> None:
        # One at a time and never cancelled half-way (its reads complete);
        # a request while one runs makes one more run after it.
        if self._facts_running:
            self._facts_again = True
            return
        self._facts_running = True
        self.load_followup_facts()

    @work(group="followup-facts", exit_on_error=False)
    async def load_followup_facts(self) -> None:
        """The follow-up facts for the detail just shown (see ``_load_followup_facts``)."""
        try:
            if self.detail is not None:
                await self._load_followup_facts(self.detail)
        finally:
            self._facts_running = False
            if self._facts_again and self.is_attached:
                self._facts_again = False
                self.call_later(self._refresh_followup_facts)

    async def _load_followup_facts(self, detail: ChargerDetail) -> None:
        """The last resort's guard, the way back after a stop, and settling
        follow-ups whose session closed since (all reads but ``settle``)."""
        services = self.services
        if services is None:
            return
        open_ids = {s.transaction.id for s in detail.sessions}
        if any(
            e.followup == StopFollowup.STILL_OPEN
            and e.params.get("transactionId") not in open_ids
            and e.operation == "RemoteStopTransaction"
            for e in self._entries.values()
        ):
            self.console.run_mutation(
                self, "settle", lambda: services.operations.settle(self.charge_box_id)
            )
        readiness = None
        entry = self._followup_entry()
        tx_id = entry.params.get("transactionId") if entry is not None else None
        if isinstance(tx_id, int):
            try:
                readiness = await services.operations.close_readiness(self.charge_box_id, tx_id)
            except PolarisError as exc:
                log.info("close readiness of %s: %s", tx_id, exc)
        self._readiness = readiness
        stop = last_closed_stop(self._entries.values())
        if stop is not None and stop.id not in self._way_back:
            self._way_back[stop.id] = await services.operations.way_back(stop)
        self._show_followup(self._followup_entry())

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
        self._partial = False
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
            self._show_db_close_note(detail)

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
        with self.app.batch_update():  # each repaints only if its text changed
            update_static(self.query_one("#detail-header", Static), header_content(detail, now))
            self.query_one(LiveStatusPanel).show(detail, now)
            self.query_one(SessionPanel).show(detail, now, stuck_after_minutes=stuck_after)
            if self._partial:
                return
            set_subtitle(
                self.query_one("#remote-ops"), as_of(detail.fetched_at, now, stale=is_stale(detail))
            )
            set_subtitle(self.query_one("#recent-ops"), as_of(detail.fetched_at, now))
            set_subtitle(self.query_one(ScanPanel), as_of(detail.fetched_at, now))

    def _show_db_close_note(self, detail: ChargerDetail) -> None:
        """After a database-only close, say it while the station still reports a session."""
        note = self.query_one("#db-close-note", Static)
        text = db_close_note(self._entries.values(), detail)
        note.update(Content.styled(text, "bold $warning") if text else Content(""))
        note.display = text is not None

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

    def _close_offered(self, entry: OperationLogEntry | None) -> bool:
        return close_offered(self._readiness, entry)

    def _restart_offer(self) -> tuple[str, int] | None:
        stop = last_closed_stop(self._entries.values())
        return self._way_back.get(stop.id) if stop is not None else None

    def _show_followup(self, entry: OperationLogEntry | None) -> None:
        panel = self.query_one(RemoteOpsPanel)
        if entry is not None and self._tracked_op in (None, entry.id):
            self._show_outcome(describe_entry(entry))
        connector = self._followup_connector(entry) if entry is not None else None
        panel.show_followup(
            entry is not None,
            connector,
            close_offered=self._close_offered(entry),
            restart=self._restart_offer(),
        )
        self._refresh_footer()

    def _refresh_footer(self) -> None:
        """Redraw the footer when a key it offers came or went (``check_action``):
        every ``refresh_bindings`` rebuilds and repaints the whole footer."""
        entry = self._followup_entry()
        offered = (
            self.session is not None,
            entry is not None,
            self._close_offered(entry),
            self._restart_offer() is not None,
        )
        if offered != self._offered:
            self._offered = offered
            self.refresh_bindings()

    def _show_outcome(self, outcome: Outcome) -> None:
        self.query_one(RemoteOpsPanel).show_outcome(outcome)

    # -- live updates ---------------------------------------------------------
    def _on_fleet(self, event: FleetChanged) -> None:
        # Reload only when the row differs from the one this screen last
        # loaded (or is loading) in what it shows. The detail's own meter read
        # reaches the fleet row at the poller's next build, and the sampler's
        # reads only move "meter read ... ago" (a confirming poll moves the
        # ages only): reloading on those fed itself, one load per build.
        if self.charge_box_id in event.removed:
            self._basis = None
            self._reload()
            return
        for row in event.changed:
            if row.charge_box_id == self.charge_box_id:
                if self._basis is None or not same_shown(row, self._basis):
                    self._basis = row
                    self._reload()
                else:
                    self._confirmed(row)
                return

    def _confirmed(self, row: ChargerRow) -> None:
        """A poll found this charger as shown: the data is as new as that poll
        (the ages say so), with no reload and no repaint but the ages'."""
        detail = self.detail
        if detail is None or row.fetched_at is None or detail.row.fetched_at is None:
            return
        if row.fetched_at <= detail.row.fetched_at:
            return
        # The poll read the same statuses and open sessions; the meter keeps its
        # own "meter read … ago", from the detail's read.
        fetched_at = max(t for t in (detail.fetched_at, row.fetched_at) if t is not None)
        self.detail = detail.model_copy(
            update={
                "row": detail.row.model_copy(update={"fetched_at": row.fetched_at}),
                "fetched_at": fetched_at,
            }
        )
        self._draw_ages()

    def _on_operation(self, event: OperationChanged) -> None:
        entry = event.entry
        if entry.charge_box_id != self.charge_box_id:
            return
        self._entries[entry.id] = entry
        self.query_one(RecentOperations).upsert(entry, self.now())
        if entry.id == self._tracked_op:
            self._show_outcome(describe_entry(entry))
        if entry.followup is not None and entry.followup != StopFollowup.WATCHING:
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
