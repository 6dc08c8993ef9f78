"""The fleet (first screen): every charger, live, filterable and sortable.

The table keeps the rows it was given: it reads them all once
(``fleet.rows()``, on mount, when the services are ready and when it comes
back on top), then applies each ``FleetChanged``'s changed and removed rows
(``FleetTable.update``: O(rows changed), not O(fleet)). A filter asks the
service for the matching keys (``fleet.search_keys``: the customer and idTag
matches need its data) and the table shows those in its current order. A
slow timer rebuilds the cells on screen so ages move. Refreshes are
coalesced: a burst of events costs one redraw. Cursor and scroll follow
their charger.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from polaris_tui.models import ChargerRow, ConnectionState, FleetChanged, FleetCounts, SourceName
from polaris_tui.screens.base import PolarisScreen
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.breadcrumb import Breadcrumb
from polaris_tui.widgets.counts_strip import CountsStrip
from polaris_tui.widgets.fleet_cells import SORT_LABEL
from polaris_tui.widgets.fleet_pending import PendingRows, merged
from polaris_tui.widgets.fleet_table import FleetTable
from polaris_tui.widgets.freshness import DATA_AGE_TICK_SECONDS, as_of, oldest
from polaris_tui.widgets.key_footer import KeyFooter
from polaris_tui.widgets.keymap import bind
from polaris_tui.widgets.quiet import set_subtitle
from polaris_tui.widgets.safe_text import clean

ORDER_IN_THREAD_ROWS = 256
"""A poll that changed at least this many rows is ordered in a worker thread
(at 10,000 live chargers ~2,000 rows change a poll: ~6 ms of the UI thread)."""
AGE_TICK_SECONDS = 15.0
"""How often the table's ages are recomputed without new data (cells only repaint
on change; their ages count in minutes). The data's own age, in seconds, is
redrawn every ``DATA_AGE_TICK_SECONDS``."""


class FleetScreen(PolarisScreen):
    """Live table of every charger with a counts strip and a filter."""

    CSS_PATH = None  # its rules are the App's (polaris.tcss), parsed at start
    STYLED_AT_MOUNT = True  # its mount styled it: no second pass at the first resume
    AUTO_FOCUS = "#fleet-table"
    """The table has the focus from the start: Textual focused the filter
    first, and the focus moving on restyled both and composed the footer
    twice before the first rows."""
    BINDINGS = [
        bind("slash"),
        bind("escape", label="Clear filter", show=False),
        bind("r"),
        bind("l"),
        bind("C"),
        bind("a", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._pending = False
        self._shown: tuple[int, int] | None = None
        self._loaded = False
        """Whether the table holds every row as last published (else: read them all)."""
        self._counts: FleetCounts | None = None
        self._pending_rows = PendingRows()
        """Rows changed and removed by events since the last redraw."""
        self._ages_moved = True
        """Every cell on screen is built again at the next redraw (time passed)."""
        self._filter_stale = True
        """The filter's matches are searched again at the next redraw."""
        self._ordering = False
        """A poll's many rows are being ordered in a worker thread: redraws wait."""

    def crumb(self) -> str:
        return "Chargers"

    def place(self) -> tuple[str, str | None]:
        return ("chargers", None)

    def compose(self) -> ComposeResult:
        yield SourceBanner()
        yield Breadcrumb()
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
        """Keep the event's rows for the next redraw, which applies those only."""
        if not self.on_top:
            # Under another screen, a redraw here repaints the whole terminal
            # (Textual refreshes the top screen for a background one's change):
            # read every row again when this screen is back on top.
            self._loaded = False
            return
        self._pending_rows.add(event.changed, event.removed)
        self._counts = event.counts
        self._request_redraw()

    def _reread(self) -> None:
        self._loaded = False
        self.schedule_refresh()

    # -- refresh ------------------------------------------------------------
    def schedule_refresh(self) -> None:
        """Redraw the rows on screen (ages moved, the filter or a source changed),
        coalesced with other requests into one redraw after pending messages."""
        self._ages_moved = self._filter_stale = True
        self._request_redraw()

    def _request_redraw(self) -> None:
        if not self.on_top:
            return  # redrawn in full when back on top (``on_screen_resume``)
        if not self._pending:
            self._pending = True
            self.call_after_refresh(self.refresh_table)

    def refresh_table(self) -> None:
        """Bring the table up to date: every row after a re-read, else only the
        rows events changed (O(rows changed)); the filter searched again when
        it or the rows changed; the cells on screen built again when time
        passed. Nothing here costs O(fleet) but a re-read and a search."""
        self._pending = False
        if self._ordering:
            return  # redrawn once the rows being ordered are in (``_order_in_thread``)
        services = self.services
        table = self.query_one(FleetTable)
        strip = self.query_one(CountsStrip)
        now = self.now()
        if services is None:
            strip.show_counts(None, None, now)
            return
        query = self.query_one("#fleet-filter", Input).value.strip()
        size = self._pending_rows.size
        events = self._pending_rows.take()
        if not self._loaded:
            self._loaded = True
            self._counts = services.fleet.counts()
            table.apply(services.fleet.rows(), now)
            self._filter_stale = self._ages_moved = True
        elif events:
            self._filter_stale = self._filter_stale or bool(query)
            if size >= ORDER_IN_THREAD_ROWS:
                self._ordering = True
                worker = self._order_in_thread(events, now)
                self.run_worker(worker, group="fleet-order", exit_on_error=False)
                return
            table.update(*merged(events), now)
        if self._ages_moved:
            self._ages_moved = False
            table.ages_moved(now)
        if self._filter_stale:
            self._filter_stale = False
            matches = services.fleet.search_keys(query)
            self._shown = table.set_filter(matches)
            note = self.query_one("#fleet-note", Static)
            note.display = matches is not None and not matches
            if note.display:
                note.update(Content(clean(services.fleet.search_note(query), limit=500)))
        else:
            self._shown = (table.row_count, table.row_count)
        self._draw_status()

    async def _order_in_thread(
        self, events: list[tuple[Sequence[ChargerRow], Sequence[str]]], now: datetime
    ) -> None:
        """Apply a poll's many rows, merged and ordered off the UI thread, then
        finish the redraw (ages, filter, counts) with whatever came meanwhile."""
        try:
            changed, removed = await asyncio.to_thread(merged, events)
            await self.query_one(FleetTable).update_in_thread(changed, removed, now)
        finally:
            self._ordering = False
        self.refresh_table()

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
        self._filter_stale = True  # the cells of rows already built stay valid
        self._request_redraw()

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
    def action_find(self) -> None:
        self.query_one("#fleet-filter", Input).focus()

    def action_back(self) -> None:
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

    def action_audit(self) -> None:
        self.console.open_audit_log()
