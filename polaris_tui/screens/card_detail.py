"""The card page ("EV Card details" / "Meta-EV Card details"): the card runbook on one screen.

Top to bottom, in the runbook's order of reading: the page title and any
source notes (SteVe unreachable in the runbook's words, Lago separately), the
header strip (idTag, type, active, linked), the triage verdict (the four
questions the runbook ends with), the SteVe record with the edit keys, the
relations, and the recent transactions. Every panel says how old its data is.

The page only reads in its own worker (``card-load``); edits are confirmed in
``CardEditDialog`` and applied by an app-level worker (``screens/card_edit``),
so leaving the page never cuts an edit off.
"""

from __future__ import annotations

import logging
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Static

from polaris_tui.dialogs.card_edit import EDIT_ACTION, CardEditDialog, apply_card_edit
from polaris_tui.dialogs.tap_window import TapWindowDialog
from polaris_tui.models import (
    AuditEntry,
    CardChanged,
    CardEdit,
    CardEditKind,
    CardView,
    ConnectionState,
    SourceStateChanged,
)
from polaris_tui.models.errors import NotFound, PolarisError
from polaris_tui.models.identity import TapQuery
from polaris_tui.models.sessions import SessionQuery
from polaris_tui.screens.base import ActionDone, PolarisScreen
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.breadcrumb import Breadcrumb
from polaris_tui.widgets.card_format import EDIT_LABELS, lago_note, page_title, steve_note
from polaris_tui.widgets.card_header import CardHeader
from polaris_tui.widgets.card_record import CardRecord
from polaris_tui.widgets.card_relations import CardRelations
from polaris_tui.widgets.card_sessions import CardSessions
from polaris_tui.widgets.card_verdict import CardVerdict
from polaris_tui.widgets.freshness import DATA_AGE_TICK_SECONDS
from polaris_tui.widgets.key_footer import KeyFooter
from polaris_tui.widgets.keymap import bind
from polaris_tui.widgets.safe_text import clean
from polaris_tui.wording import ago

log = logging.getLogger(__name__)

STEVE_EDITS = {
    CardEditKind.BLOCK,
    CardEditKind.UNBLOCK,
    CardEditKind.SET_PARENT,
    CardEditKind.SET_EXPIRY,
}
"""Edits that change SteVe's record (impossible for a card SteVe does not know)."""

AGE_TICK_SECONDS = DATA_AGE_TICK_SECONDS
"""How often the "x ago" labels are redrawn (seconds count: a slower tick shows
the data fresher than it is)."""


class CardDetailScreen(PolarisScreen):
    """One card, by idTag: triage, record, relations, recent transactions, edits."""

    HELP_TITLE = "EV Card details"
    """Title of the ``?`` key list."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    """Record columns side by side from 100 columns, stacked below."""

    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    """Below 32 rows the verdict shows its answers without evidence (``E``)."""

    BINDINGS = [
        bind("escape"),
        bind("r"),
        bind("b"),
        bind("p"),
        bind("e"),
        bind("k"),
        bind("n"),
        bind("t"),
        bind("i"),
        bind("a"),
        bind("h", show=False),
        bind("E", show=False),
        bind("S"),
        bind("U"),
        bind("T"),
    ]

    def __init__(
        self,
        id_tag: str,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.id_tag = id_tag
        self.view: CardView | None = None
        """The last view loaded (None until the first load finishes)."""
        self.loaded_at: datetime | None = None
        self.load_error: PolarisError | None = None
        self.editing = False
        """True while an edit of this card is being applied (one press, one request)."""
        self.title = "EV Card details"
        self.tap: TapQuery | None = None
        """The operator's when and where of the failing tap (None: the last hour, anywhere)."""
        self.tap_text = ("", "")
        """What the operator typed for it, to prefill the next ``T``."""

    def action_toggle_evidence(self) -> None:
        """Show or hide the verdict's evidence on a short screen."""
        self.toggle_class("-evidence")

    # -- layout ---------------------------------------------------------------

    def crumb(self) -> str:
        return f"Card {self.id_tag}"

    def place(self) -> tuple[str, str | None]:
        return ("card", self.id_tag)

    def compose(self) -> ComposeResult:
        yield SourceBanner()
        yield Breadcrumb()
        yield Static(self._title_content(), id="card-title")
        yield Static("", id="card-steve-note", classes="card-note", markup=False)
        yield Static("", id="card-lago-note", classes="card-note", markup=False)
        yield CardHeader(id="card-header", markup=False)
        with VerticalScroll(id="card-body"):
            yield CardVerdict(id="card-verdict", classes="card-panel")
            yield CardRecord(id="card-record", classes="card-panel")
            yield CardRelations(id="card-relations", classes="card-panel")
            yield Static("", id="card-relations-note", classes="card-empty", markup=False)
            yield CardSessions(id="card-sessions", classes="card-panel")
            yield Static("", id="card-sessions-note", classes="card-empty", markup=False)
            yield Static("", id="card-edit-result", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.console.card_signal.subscribe(self, self._on_card_changed)
        self.console.source_signal.subscribe(self, self._on_source_changed)
        self.console.store_signal.subscribe(
            self, lambda e: self.load() if "cards" in e.topics else None
        )
        self.set_interval(AGE_TICK_SECONDS, self._redraw)
        self.query_one("#card-body").display = False
        for note in self.query(".card-note, .card-empty, #card-edit-result"):
            note.display = False
        self.load()

    # -- data -----------------------------------------------------------------

    @property
    def can_edit(self) -> bool:
        return self.services is not None and self.services.operator.can_act

    @work(exclusive=True, group="card-load", exit_on_error=False)
    async def load(self) -> None:
        """Fetch the card view; a failure is shown on the page, not raised."""
        services = self.services
        if services is None:  # the app is still opening its services
            self.set_timer(0.5, self.load)
            return
        started = self.now()  # the data is as old as the moment it was asked for
        try:
            view = await services.cards.card(self.id_tag, tap=self.tap)
        except PolarisError as exc:
            log.warning("card %r failed to load: %s", self.id_tag, exc)
            self.load_error = exc
            self._redraw()
            return
        self.view, self.load_error = view, None
        self.loaded_at = started
        self._redraw()

    def _on_card_changed(self, event: CardChanged) -> None:
        """Reload when this card or one of its relations changed."""
        related = {self.id_tag}
        if self.view is not None:
            related |= {t.id_tag for t in self.view.parents + self.view.children}
        if event.id_tag in related:
            self.load()

    def _on_source_changed(self, _event: SourceStateChanged) -> None:
        """SteVe or Lago changed state: the notes and answers may change too."""
        self.load()

    # -- rendering ------------------------------------------------------------

    def _title_content(self) -> Content:
        heading = page_title(self.view) if self.view else "EV Card details"
        age = f"loaded {ago(self.loaded_at, self.now())}" if self.loaded_at else "loading…"
        return Content.from_markup(
            "[b]$heading[/b] · $tag · [dim]$age[/dim]",
            heading=heading,
            tag=clean(self.id_tag),
            age=age,
        )

    def _redraw(self) -> None:
        """Draw everything from ``self.view`` (called after a load and on each age tick)."""
        if not self.is_mounted:
            return
        now = self.now()
        if self.view is not None:
            self.title = page_title(self.view)
        self.query_one("#card-title", Static).update(self._title_content())
        steve = self.query_one("#card-steve-note", Static)
        if self.load_error is not None and self.view is None:
            self._show_note(steve, self._load_error_text(), error=True)
            return
        view = self.view
        if view is None:
            return
        self.query_one("#card-body").display = True
        lines = [steve_note(view, now)]
        if self.load_error is not None:  # a reload failed: the data shown is older
            lines.append(
                f"Refresh failed: {self.load_error}. Showing the previous load "
                f"({ago(self.loaded_at, now)})."
            )
        unreachable = view.steve_state.state == ConnectionState.UNREACHABLE
        self._show_note(
            steve,
            "\n".join(line for line in lines if line) or None,
            error=unreachable or self.load_error is not None,
        )
        lago = self.query_one("#card-lago-note", Static)
        self._show_note(lago, lago_note(view, now), error=False)
        self.query_one(CardHeader).show(view, now)
        verdict = self.query_one(CardVerdict)
        verdict.show(view.verdict, self.loaded_at or now, now)
        if view.tap is not None:
            place = clean(view.tap.place, limit=40)
            verdict.border_title = Content(f"Triage verdict · tap {view.tap.label} {place} (T)")
        self.query_one(CardRecord).show(view, now, can_edit=self.can_edit)
        for table, note_id in (
            (self.query_one(CardRelations), "#card-relations-note"),
            (self.query_one(CardSessions), "#card-sessions-note"),
        ):
            note = table.show(view, now)
            table.display = table.row_count > 0
            self._show_note(self.query_one(note_id, Static), note, error=False)

    def _load_error_text(self) -> str:
        exc = self.load_error
        assert exc is not None
        if isinstance(exc, NotFound):
            return (
                f"No card {clean(self.id_tag)}: neither SteVe nor Polaris' card metadata "
                "knows this idTag."
            )
        return f"Could not load this card — {exc.title}: {clean(exc.message)}"

    @staticmethod
    def _show_note(widget: Static, text: str | None, *, error: bool) -> None:
        widget.display = bool(text)
        widget.set_class(error, "-error")
        widget.update(Text(clean(text or "", keep_newlines=True)))

    # -- navigation -----------------------------------------------------------

    def action_refresh(self) -> None:
        self.load()

    def action_tap_window(self) -> None:
        """Ask when and at which charger the failing tap happened, then re-triage."""
        when, where = self.tap_text
        dialog = TapWindowDialog(clean(self.id_tag), self.now(), when, where)
        self.app.push_screen(dialog, self._tap_given)

    def _tap_given(self, tap: TapQuery | None) -> None:
        if tap is None:
            return
        self.tap = tap
        self.tap_text = (tap.typed_when, tap.charge_box_id or "")
        self.load()

    def action_audit(self) -> None:
        self.console.open_audit_log(self.id_tag)

    def action_open_customer(self) -> None:
        """The page of the Lago customer this card bills to (own or inherited link)."""
        view = self.view
        customer = None
        if view is not None:
            own = view.meta.lago_customer_id if view.meta else None
            customer = view.customer.external_id if view.customer else own
        if customer:
            self.console.open_customer(customer)
        else:
            self.notify("This card is not linked to a Lago customer.", markup=False)

    def action_sessions(self) -> None:
        query = SessionQuery(id_tag=self.id_tag, days=90)
        self.console.open_sessions(query, title=f"Sessions of card {clean(self.id_tag)}")

    @on(DataTable.RowSelected, "#card-relations")
    def _open_relation(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key:
            self.console.open_card(CardRelations.id_tag_of(key))

    @on(DataTable.RowSelected, "#card-sessions")
    def _open_charger(self, event: DataTable.RowSelected) -> None:
        event.stop()
        charger = self.query_one(CardSessions).charger_of(event.row_key.value or "")
        if charger:
            self.console.open_charger(charger)

    # -- edits ----------------------------------------------------------------

    def action_edit(self, kind_name: str) -> None:
        """Open the confirmation dialog for one edit (admin only; one at a time)."""
        kind = CardEditKind(kind_name)
        view = self.view
        if not self.can_edit:
            role = self.services.operator.role if self.services else "unknown"
            self.notify(
                f"Editing cards needs the admin role; you are {role}. You can look and triage.",
                title="Not allowed for your role",
                severity="warning",
                markup=False,
            )
            return
        if view is None:
            self.notify("The card has not loaded yet.", title="Not ready", markup=False)
            return
        if self.editing:
            self.notify(
                "An edit of this card is still being applied; wait for its result.",
                title="Edit in progress",
                severity="warning",
                markup=False,
            )
            return
        if kind == CardEditKind.BLOCK and view.tag is not None and view.tag.blocked:
            kind = CardEditKind.UNBLOCK
        if kind in STEVE_EDITS and view.tag is None:
            self.notify(
                "SteVe does not know this idTag, so its SteVe record cannot be edited "
                "(add the card in SteVe first).",
                title="Not in SteVe",
                severity="warning",
                markup=False,
            )
            return
        self.app.push_screen(CardEditDialog(view, kind, now=self.now()), self._confirmed)

    def _confirmed(self, edit: CardEdit | None) -> None:
        if edit is None:
            return
        self.editing = True
        self._result(f"Applying: {EDIT_LABELS[edit.kind]}…", error=False)
        apply_card_edit(self, self.id_tag, edit)

    @on(ActionDone)
    def _edit_done(self, message: ActionDone) -> None:
        """The app-level worker answered: show applied, failed (with reason) or refused."""
        if message.label != EDIT_ACTION:
            return
        message.stop()
        self.editing = False
        entry = message.result if isinstance(message.result, AuditEntry) else None
        error = message.error
        if entry is not None and entry.status == "applied":
            self._result(f"Audit #{entry.id}: {entry.action} applied.", error=False)
        elif entry is not None:
            self._result(
                f"Audit #{entry.id}: {entry.action} failed — {entry.error or 'no reason given'}",
                error=True,
            )
        elif isinstance(error, PolarisError):
            self._result(f"Edit refused — {error.title}: {error.message}", error=True)
        elif error is not None:
            self._result(f"Edit failed — {type(error).__name__}: {error}", error=True)
        self.load()

    def _result(self, text: str, *, error: bool) -> None:
        self._show_note(self.query_one("#card-edit-result", Static), text, error=error)
