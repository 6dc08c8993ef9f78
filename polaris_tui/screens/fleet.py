"""The fleet (first screen): every charger, live, filterable and sortable.

The screen keeps the rows it was given: it reads them all once
(``fleet.rows()``, on mount, when the services are ready and when it comes
back on top), then applies each ``FleetChanged``'s changed and removed rows
to them, and redraws only those rows. A filter asks the service
(``fleet.search(query)``: the customer and idTag matches need its data). A
slow timer redraws every row so ages move. Refreshes are coalesced: a burst
of events costs one redraw. The table diffs by key (see ``FleetTable``), so
cursor and scroll survive.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from polaris_tui.models import ChargerRow, ConnectionState, FleetChanged, FleetCounts, SourceName
from polaris_tui.screens.base import PolarisScreen
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.counts_strip import CountsStrip
from polaris_tui.widgets.fleet_cells import SORT_LABEL
from polaris_tui.widgets.fleet_table import FleetTable
from polaris_tui.widgets.freshness import DATA_AGE_TICK_SECONDS, as_of, oldest
from polaris_tui.widgets.key_footer import KeyFooter
from polaris_tui.widgets.quiet import set_subtitle
from polaris_tui.widgets.safe_text import clean

AGE_TICK_SECONDS = 15.0
"""How often the table's ages are recomputed without new data (cells only repaint
on change; their ages count in minutes). The data's own age, in seconds, is
redrawn every ``DATA_AGE_TICK_SECONDS``."""


class FleetScreen(PolarisScreen):
    """Live table of every charger with a counts strip and a filter."""

    BINDINGS = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("r", "refresh", "Refresh"),
        Binding("l", "operation_log", "Op log"),
        Binding("c", "cards", "Cards"),
        Binding("a", "audit_log", "Audit log", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._pending = False
        self._shown: tuple[int, int] | None = None
        self._rows: dict[str, ChargerRow] | None = None
        """Every row as last published (None: read them all at the next redraw)."""
        self._counts: FleetCounts | None = None
        self._touched: set[str] | None = None
        """Rows changed since the last redraw (None: redraw every row)."""

    def compose(self) -> ComposeResult:
        yield SourceBanner()
        yield CountsStrip(Content("Loading the fleet…"), id="counts")
        yield Input(
            placeholder="/ filter by ChargeBox ID, description, idTag or customer email",
            id="fleet-filter",
            compact=True,
        )
        with Vertical(id="fleet-panel"):
            yield FleetTable(id="fleet-table")
        note = Static("", id="fleet-note", markup=False)
        note.display = False  # only for a search that matched nothing
        yield note
        yield KeyFooter()

    def on_mount(self) -> None:
        panel = self.query_one("#fleet-panel")
        panel.border_title = Content("Chargers")
        console = self.console
        console.fleet_signal.subscribe(self, self._on_fleet)
        console.source_signal.subscribe(self, lambda _event: self.schedule_refresh())
        console.ready_signal.subscribe(self, lambda _services: self._reread())
        self.set_interval(AGE_TICK_SECONDS, self.schedule_refresh, name="fleet-ages")
        self.set_interval(DATA_AGE_TICK_SECONDS, self._draw_status, name="fleet-data-age")
        self.query_one(FleetTable).focus()
        self.schedule_refresh()

    @property
    def on_top(self) -> bool:
        """Whether this screen is the one on top (``is_current`` is also true
        under an opaque screen pushed over it)."""
        return self.app.screen is self

    def on_screen_resume(self) -> None:
        # Events are not delivered while the app is busy elsewhere (another
        # screen's modal, a suspend): start again from the service's rows.
        self._reread()

    def _on_fleet(self, event: FleetChanged) -> None:
        """Apply the event's rows to the ones shown, and redraw those only."""
        if not self.on_top:
            # Under another screen, a redraw here repaints the whole terminal
            # (Textual refreshes the top screen for a background one's change):
            # read every row again when this screen is back on top.
            self._rows = None
            return
        if self._rows is None:
            self.schedule_refresh()
            return
        for key in event.removed:
            self._rows.pop(key, None)
        for row in event.changed:
            self._rows[row.charge_box_id] = row
        self._counts = event.counts
        if not self._pending:
            self._touched = set()
        if self._touched is not None:  # else a full redraw is already due
            self._touched.update(row.charge_box_id for row in event.changed)
        self._request_redraw()

    def _reread(self) -> None:
        self._rows = None
        self.schedule_refresh()

    # -- refresh ------------------------------------------------------------
    def schedule_refresh(self) -> None:
        """Redraw every row (ages moved, the filter or a source changed),
        coalesced with other requests into one redraw after pending messages."""
        self._touched = None
        self._request_redraw()

    def _request_redraw(self) -> None:
        if not self.on_top:
            return  # redrawn in full when back on top (``on_screen_resume``)
        if not self._pending:
            self._pending = True
            self.call_after_refresh(self.refresh_table)

    def refresh_table(self) -> None:
        """Diff the rows into the table (every row, or those events changed)."""
        self._pending = False
        touched, self._touched = self._touched, None
        services = self.services
        table = self.query_one(FleetTable)
        strip = self.query_one(CountsStrip)
        now = self.now()
        if services is None:
            strip.show_counts(None, None, now)
            return
        if self._rows is None:
            self._rows = {row.charge_box_id: row for row in services.fleet.rows()}
            self._counts = services.fleet.counts()
            touched = None
        query = self.query_one("#fleet-filter", Input).value.strip()
        rows = services.fleet.search(query) if query else list(self._rows.values())
        self._shown = table.apply(rows, now, only=touched)
        note = self.query_one("#fleet-note", Static)
        note.display = bool(query) and not rows
        if note.display:
            note.update(Content(clean(services.fleet.search_note(query), limit=500)))
        self._draw_status()

    def _draw_status(self) -> None:
        """The counts strip and the panel's subtitle, with the data's age (cheap:
        runs every second so the age never lags behind the data; each repaints
        only when its text changed)."""
        services = self.services
        if services is None or self._shown is None or not self.on_top:
            return
        now = self.now()
        table = self.query_one(FleetTable)
        strip = self.query_one(CountsStrip)
        steve = services.source_state(SourceName.STEVE)
        stale = steve.state == ConnectionState.UNREACHABLE
        poller = services.poller
        fetched_at = oldest(poller.fetched_at, getattr(poller, "transactions_fetched_at", None))
        counts: FleetCounts = self._counts or services.fleet.counts()
        strip.show_counts(
            counts, fetched_at, now, stale=stale, shown=self._shown[0], matched=self._shown[1]
        )
        panel = self.query_one("#fleet-panel")
        panel.set_class(stale, "-stale")
        order = SORT_LABEL.get(table.sort_by, table.sort_by)
        arrow = "↑" if table.sort_reverse else "↓"
        subtitle = Content.assemble(
            f"sort: {order} {arrow} (s)  ", as_of(fetched_at, now, stale=stale)
        )
        set_subtitle(panel, subtitle)  # a new subtitle repaints the whole table: only on change

    @on(Input.Changed, "#fleet-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.schedule_refresh()

    @on(Input.Submitted, "#fleet-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(FleetTable).focus()

    @on(FleetTable.RowSelected, "#fleet-table")
    async def _open(self, event: FleetTable.RowSelected) -> None:
        event.stop()
        pushed = self.console.open_charger(event.key)
        if pushed is not None:
            await pushed  # the detail is on screen when this message is done

    # -- actions --------------------------------------------------------------
    def action_focus_filter(self) -> None:
        self.query_one("#fleet-filter", Input).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#fleet-filter", Input)
        if box.has_focus and box.value:
            box.value = ""
        self.query_one(FleetTable).focus()

    def action_refresh(self) -> None:
        self.console.action_refresh_now()

    def action_operation_log(self) -> None:
        self.console.open_operation_log()

    def action_cards(self) -> None:
        self.console.open_cards()

    def action_audit_log(self) -> None:
        self.console.open_audit_log()
