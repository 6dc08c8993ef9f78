"""The cards list: every card (SteVe's tags joined with local metadata), found as you type.

The runbook's step 1 ("find the card by idTag or display name"): ``/`` opens
the filter, ``enter`` opens the card. Keys narrow the list to the cards an
operator hunts for (blocked, expired, unlinked, meta-cards); the active
filters, the counts and the data's age sit on one line above the table.
The table is diffed by key, so a refresh keeps the cursor.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import DataTable, Input, Static

from polaris_tui.models import CardRow, ConnectionState, SourceName
from polaris_tui.models.errors import PolarisError
from polaris_tui.screens.base import FilteredScreen
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.breadcrumb import Breadcrumb
from polaris_tui.widgets.card_format import source_age
from polaris_tui.widgets.card_table import CardTable
from polaris_tui.widgets.freshness import DATA_AGE_TICK_SECONDS
from polaris_tui.widgets.key_footer import KeyFooter
from polaris_tui.widgets.keymap import bind
from polaris_tui.widgets.refused_tags import RefusedTagsPanel
from polaris_tui.widgets.safe_text import clean
from polaris_tui.wording import ago

log = logging.getLogger(__name__)

FLAGS: dict[str, str] = {
    "blocked": "blocked",
    "expired": "expired",
    "unlinked": "unlinked",
    "meta": "meta-cards",
}
"""Filter flag → how the status line names it."""

RELOAD_SECONDS = 30.0
"""Background reload period (the list is also reloaded on every card edit)."""

AGE_TICK_SECONDS = DATA_AGE_TICK_SECONDS
"""How often the "x ago" labels are redrawn (seconds count: a slower tick shows
the data fresher than it is)."""


def matches(row: CardRow, query: str, flags: set[str]) -> bool:
    """Whether ``row`` passes the text query (idTag or display name) and every flag."""
    if query:
        needle = query.casefold()
        fields = (row.id_tag, row.display_name, row.customer_name, row.customer_email)
        if not any(needle in (f or "").casefold() for f in fields):
            return False
    if "blocked" in flags and not row.blocked:
        return False
    if "expired" in flags and not row.expired:
        return False
    if "unlinked" in flags and row.linked:
        return False
    if "meta" in flags and not row.is_meta:
        return False
    return True


def filter_cards(rows: Sequence[CardRow], query: str, flags: set[str]) -> list[CardRow]:
    """The rows to show, sorted by idTag."""
    return sorted((r for r in rows if matches(r, query, flags)), key=lambda r: r.id_tag.casefold())


class CardsScreen(FilteredScreen):
    """Every card; ``/`` to find, flags to narrow, ``enter`` to open."""

    FILTER_ID = "cards-filter"
    TABLE_ID = "cards-table"
    SUBMIT_TO_TOP = True

    HELP_TITLE = "Cards"
    """Title of the ``?`` key list."""

    BINDINGS = [
        bind("slash", label="Find"),
        bind("escape", label="Back / clear"),
        bind("r"),
        bind("B"),
        bind("X"),
        bind("N"),
        bind("M"),
        bind("a"),
        bind("h", show=False),
        bind("R"),
    ]

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.rows: list[CardRow] = []
        self.flags: set[str] = set()
        self.query_text = ""
        self.loaded_at: datetime | None = None
        self.load_error: PolarisError | None = None
        self.title = "Cards"

    def place(self) -> tuple[str, str | None]:
        return ("cards", None)

    def compose(self) -> ComposeResult:
        yield SourceBanner()
        yield Breadcrumb()
        yield Static(Content.from_markup("[b]Cards[/b]"), id="cards-title")
        yield Input(
            placeholder="find by idTag, display name, or customer name or e-mail",
            id="cards-filter",
        )
        yield Static("", id="cards-status", markup=False)
        yield CardTable(id="cards-table")
        yield RefusedTagsPanel(id="refused-tags")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.console.card_signal.subscribe(self, lambda _event: self.load())
        self.console.source_signal.subscribe(self, lambda _event: self.load())
        self.console.store_signal.subscribe(
            self, lambda e: self.load() if "cards" in e.topics else None
        )
        self.set_interval(AGE_TICK_SECONDS, self._draw_status)
        self.set_interval(RELOAD_SECONDS, self.load)
        self.query_one("#cards-filter", Input).display = False
        self.query_one(CardTable).focus()
        self.load()

    @work(exclusive=True, group="cards-load", exit_on_error=False)
    async def load(self) -> None:
        """Fetch every card; a failure keeps the previous list and says so."""
        services = self.services
        if services is None:  # the app is still opening its services
            self.set_timer(0.5, self.load)
            return
        started = self.now()  # the data is as old as the moment it was asked for
        try:
            rows = await services.cards.cards()
        except PolarisError as exc:
            log.warning("cards failed to load: %s", exc)
            self.load_error = exc
            self._draw_status()
            return
        self.rows, self.load_error = rows, None
        self.loaded_at = started
        self._draw()
        names = {r.id_tag: r.display_name or "yes" for r in rows}
        self.query_one(RefusedTagsPanel).load(names)

    def shown(self) -> list[CardRow]:
        """The cards that pass the current query and flags."""
        return filter_cards(self.rows, self.query_text, self.flags)

    def _draw(self) -> None:
        self.query_one(CardTable).show(self.shown())
        self._draw_status()

    def _draw_status(self) -> None:
        if not self.is_mounted:
            return
        now = self.now()
        shown = len(self.shown())
        parts = [f"{shown} of {len(self.rows)} cards"]
        if self.query_text:
            parts.append(f"matching “{clean(self.query_text, limit=60)}”")
            if not shown and self.rows:
                parts.append(
                    "no idTag, display name or linked customer's name or e-mail contains it"
                    + (" with these flags" if self.flags else "")
                    + " (a customer's cards: ctrl+p and the name)"
                )
        if self.flags:
            parts.append("only " + " and ".join(FLAGS[f] for f in sorted(self.flags)))
        services = self.services
        steve = services.source_state(SourceName.STEVE) if services else None
        if self.loaded_at is None or steve is None:
            parts.append("loading…")
        else:
            parts.append(f"loaded {ago(self.loaded_at, now)}")
            fetched = services.poller.fetched_at if services else None
            parts.append(f"SteVe {source_age(steve, fetched or steve.last_ok, now)}")
        if self.load_error is not None:
            parts.append(f"refresh failed — {self.load_error}")
        status = self.query_one("#cards-status", Static)
        unreachable = steve is not None and steve.state == ConnectionState.UNREACHABLE
        status.set_class(unreachable or self.load_error is not None, "-error")
        status.update(Content(" · ".join(parts)))

    # -- keys -----------------------------------------------------------------

    def action_toggle_flag(self, flag: str) -> None:
        """Show only cards with ``flag`` too (or stop filtering by it)."""
        self.flags ^= {flag}
        self._draw()

    def action_refresh(self) -> None:
        self.load()

    def action_audit(self) -> None:
        self.console.open_audit_log(None)

    def action_refused(self) -> None:
        """Move to SteVe's refused tags (a new card that "just doesn't work")."""
        self.query_one("#refused-table", DataTable).focus()

    def has_filters(self) -> bool:
        return bool(self.flags) or super().has_filters()

    def clear_filters(self) -> None:
        self.flags.clear()
        super().clear_filters()

    @on(DataTable.RowSelected, "#cards-table")
    @on(DataTable.RowSelected, "#refused-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.console.open_card(event.row_key.value)
