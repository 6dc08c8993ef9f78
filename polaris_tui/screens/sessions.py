"""Sessions: SteVe's transactions, open and recent, with card, customer, stop and billing.

Opened from the palette ("Sessions"), from a charger (its sessions), a card
(its sessions) or a customer; those fixed filters stay while the operator
narrows further with ``/`` (charger, idTag, e-mail or name, ``open``,
``last:2d``...: see ``services/session_filter``). SteVe's query has no
paging, so a page is the open sessions plus one window of finished ones;
``[`` and ``]`` move the window to older and newer sessions. ``enter`` opens
a session; ``g`` its charger, ``c`` its card.
"""

from __future__ import annotations

import logging

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import DataTable, Input, Static

from polaris_tui.models.errors import PolarisError
from polaris_tui.models.sessions import SessionPage, SessionQuery
from polaris_tui.screens.base import PolarisScreen
from polaris_tui.services.session_filter import FilterError, parse_filter
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.breadcrumb import Breadcrumb
from polaris_tui.widgets.key_footer import KeyFooter
from polaris_tui.widgets.keymap import bind
from polaris_tui.widgets.safe_text import clean
from polaris_tui.widgets.session_table import SessionTable

log = logging.getLogger(__name__)

STATE_CYCLE = {"all": "open", "open": "stopped", "stopped": "all"}


class SessionsScreen(PolarisScreen):
    """Sessions under fixed filters (``base``), narrowed by the ``/`` line."""

    HELP_TITLE = "Sessions"

    BINDINGS = [
        bind("slash"),
        bind("escape"),
        bind("O"),
        bind("left_square_bracket"),
        bind("right_square_bracket"),
        bind("g"),
        bind("c"),
        bind("r"),
    ]

    def crumb(self) -> str:
        return self.title or "Sessions"

    def place(self) -> tuple[str, str | None]:
        return ("sessions", self.title or None)

    def __init__(self, base: SessionQuery | None = None, *, title: str = "Sessions") -> None:
        super().__init__()
        self.base = base or SessionQuery()
        self.query_model = self.base.model_copy()
        self.page: SessionPage | None = None
        self.error: str | None = None
        self.title = title

    def compose(self) -> ComposeResult:
        yield SourceBanner()
        yield Breadcrumb()
        yield Static(Content(self.title or "Sessions"), id="sessions-title")
        yield Input(
            placeholder="charger, idTag, e-mail or name · open|stopped · last:2d · from:… to:…",
            id="sessions-filter",
        )
        yield Static("", id="sessions-status", markup=False)
        yield SessionTable(id="sessions-table")
        yield Static("", id="sessions-note", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#sessions-filter", Input).display = False
        self.query_one(SessionTable).focus()
        self.load()

    @work(exclusive=True, group="sessions-load", exit_on_error=False)
    async def load(self) -> None:
        """Ask SteVe (through the service) for the current query; keep the last page on error."""
        services = self.services
        if services is None:
            self.set_timer(0.5, self.load)
            return
        try:
            page = await services.sessions.sessions(self.query_model)
        except PolarisError as exc:
            log.warning("sessions failed to load: %s", exc)
            self.error = f"Sessions could not be fetched — {exc}"
            self._draw()
            return
        self.page, self.error = page, None
        self._draw()

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        table = self.query_one(SessionTable)
        status = self.query_one("#sessions-status", Static)
        note = self.query_one("#sessions-note", Static)
        page = self.page
        if page is None:
            status.update(Content(self.error or "loading…"))
            note.display = False
            return
        table.show(page.lines, self.now())
        counts = f"{page.open_count} open · {page.stopped_count} finished"
        if (
            self.query_model.limit is not None
            and len(page.lines) < page.open_count + page.stopped_count
        ):
            counts += f" · showing the last {len(page.lines)}"
        status.update(Content(f"{counts} — {clean(page.searched, limit=200)}"))
        status.set_class(self.error is not None, "-error")
        notes = [n for n in (self.error, page.note, page.lago_note) if n]
        note.display = bool(notes)
        note.update(Content(" · ".join(clean(n, limit=400) for n in notes)))

    # -- keys -------------------------------------------------------------------

    def action_find(self) -> None:
        field = self.query_one("#sessions-filter", Input)
        field.display = True
        field.focus()

    def action_back(self) -> None:
        field = self.query_one("#sessions-filter", Input)
        if field.has_focus:
            field.display = bool(field.value)
            self.query_one(SessionTable).focus()
            return
        super().action_back()

    @on(Input.Submitted, "#sessions-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            self.query_model = parse_filter(event.value, self.now(), self.base)
        except FilterError as exc:
            self.notify(
                clean(str(exc)), title="Filter not understood", severity="warning", markup=False
            )
            return
        self.query_one(SessionTable).focus()
        self.load()

    def action_cycle_state(self) -> None:
        self.query_model.state = STATE_CYCLE[self.query_model.state]  # type: ignore[assignment]
        self.load()

    def _shift(self, older: bool) -> None:
        page = self.page
        if page is None:
            return
        span = page.until - page.since
        if older:
            since, until = page.since - span, page.since
        else:
            until = min(page.until + span, self.now())
            since = until - span
        self.query_model = self.query_model.model_copy(update={"since": since, "until": until})
        self.load()

    def action_older(self) -> None:
        """The window of finished sessions before this one."""
        self._shift(older=True)

    def action_newer(self) -> None:
        """The window after this one (never past now)."""
        self._shift(older=False)

    def action_refresh(self) -> None:
        self.load()

    def action_open_charger(self) -> None:
        line = self.query_one(SessionTable).current()
        if line is not None:
            self.console.open_charger(line.row.transaction.charge_box_id)

    def action_open_card(self) -> None:
        line = self.query_one(SessionTable).current()
        if line is not None:
            self.console.open_card(line.row.transaction.ocpp_id_tag)

    @on(DataTable.RowSelected, "#sessions-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.console.open_session(int(event.row_key.value))


__all__ = ["SessionsScreen"]
