"""The card page against hand-built views: outage notes, untrusted text, roles, app-level edits.

These cases are hard or slow to stage against the stand-in (a SteVe outage
while a snapshot is on hand, a hostile note, an edit still in flight when the
operator leaves the page), so the real App serves the page hand-built
``CardView`` models from fake services with the contract's method names.
The runbook walks against the stand-in live in ``test_card_detail_runbook.py``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from textual import events
from textual.app import App
from textual.widgets import Static

from polaris_tui.app import PolarisApp
from polaris_tui.dialogs.card_edit import CardEditDialog
from polaris_tui.models import (
    AuditEntry,
    CardEdit,
    CardMeta,
    CardView,
    ConnectionState,
    LagoCustomer,
    OcppTag,
    Operator,
    RelatedTag,
    Role,
    SessionRow,
    SourceName,
    SourceState,
    Transaction,
    TriageAnswer,
    TriageVerdict,
)
from polaris_tui.models.errors import NotFound, SteveTimeout
from polaris_tui.models.identity import TapQuery
from polaris_tui.screens.card_detail import CardDetailScreen
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.settings import Settings
from polaris_tui.widgets.card_format import STEVE_UNREACHABLE_BANNER
from polaris_tui.widgets.card_record import CardRecord
from polaris_tui.widgets.card_relations import CardRelations
from polaris_tui.widgets.card_sessions import CardSessions

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
HOSTILE = "[@click=app.quit]x[/] [red]\x1b[2J"


def answer(text: str, value: str = "yes", healthy: bool | None = True) -> TriageAnswer:
    return TriageAnswer(
        question=text,
        answer=value,
        summary=f"{text} summary",  # type: ignore[arg-type]
        evidence=[f"{text} evidence"],
        healthy=healthy,
    )


def make_view(
    *,
    steve: ConnectionState = ConnectionState.LIVE,
    lago: ConnectionState = ConnectionState.LIVE,
    note: str | None = None,
) -> CardView:
    tx = Transaction(
        id=1003,
        charge_box_id="CP-ALPHA-01",
        connector_id=1,
        ocpp_id_tag="FLEET-CHILD-1",
        start_timestamp=NOW - timedelta(hours=3),
        stop_timestamp=NOW - timedelta(hours=2),
        start_value="0",
        stop_value="5000",
    )
    return CardView(
        id_tag="FLEET-CHILD-1",
        tag=OcppTag(ocpp_tag_pk=7, id_tag="FLEET-CHILD-1", parent_id_tag="FLEET-PARENT", note=note),
        meta=CardMeta(id_tag="FLEET-CHILD-1", display_name=note or "Van 1"),
        parents=[RelatedTag(id_tag="FLEET-PARENT", blocked=True, is_cause=True)],
        recent=[]
        if steve == ConnectionState.UNREACHABLE
        else [
            SessionRow(
                transaction=tx, energy_kwh=5.0, duration_seconds=3600, sync_state="not_synced"
            )
        ],
        recent_available=steve != ConnectionState.UNREACHABLE,
        customer=LagoCustomer(lago_id="l", external_id="cust-acme", name="ACME Logistics"),
        link_from_id_tag="FLEET-PARENT",
        verdict=TriageVerdict(
            valid_in_steve=answer("valid", "no", False),
            linked_with_active_subscription=answer("linked"),
            intercepted_by_scan_login=answer("intercepted", "no"),
            charger_accepted=answer("accepted", "unknown", None),
        ),
        steve_state=SourceState(
            source=SourceName.STEVE,
            state=steve,
            last_ok=NOW - timedelta(minutes=12),
            since=NOW - timedelta(minutes=10),
            from_snapshot=steve == ConnectionState.UNREACHABLE,
        ),
        lago_state=SourceState(
            source=SourceName.LAGO, state=lago, last_ok=NOW - timedelta(minutes=30)
        ),
        data_as_of=NOW - timedelta(minutes=12),
    )


class FakeCards:
    """``CardService`` as the page uses it; ``gate`` holds edits until released."""

    def __init__(self, view: CardView) -> None:
        self.view = view
        self.gate = asyncio.Event()
        self.gate.set()
        self.edits: list[CardEdit] = []
        self.fail: Exception | None = None
        """Raised by the next ``card()`` when set."""

    async def card(self, id_tag: str, *, tap: TapQuery | None = None) -> CardView:
        if self.fail is not None:
            raise self.fail
        return self.view

    async def edit(self, id_tag: str, edit: CardEdit) -> AuditEntry:
        await self.gate.wait()
        self.edits.append(edit)
        return AuditEntry(
            id=41,
            actor="ops",
            action=edit.kind.value,
            id_tag=id_tag,
            status="applied",
            created_at=NOW,
        )


class FakeServices:
    def __init__(self, view: CardView, role: Role) -> None:
        self.cards = FakeCards(view)
        self.operator = Operator(name="ops", role=role)
        self.interrupted_at_start: list[Any] = []
        self.interrupted_audits_at_start: list[Any] = []
        self.live_updates_down = None

    async def close(self) -> None:
        """Nothing to close (the app calls it on exit)."""

    def source_state(self, source: SourceName) -> SourceState:
        return (
            self.cards.view.steve_state
            if source == SourceName.STEVE
            else self.cards.view.lago_state
        )


class FakeApp(PolarisApp):
    """The real App (signals, run_action, CSS) serving the card page from fakes."""

    def __init__(self, view: CardView, role: Role = Role.ADMIN) -> None:
        super().__init__(Settings(), clock=FixedClock(NOW))
        self.services = FakeServices(view, role)
        self.opened: list[tuple[str, str | None]] = []

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # not PolarisApp's: no fleet screen, no real services
        self.push_screen(CardDetailScreen("FLEET-CHILD-1"))

    def open_card(self, id_tag: str) -> None:
        self.opened.append(("card", id_tag))

    def open_charger(self, charge_box_id: str) -> None:
        self.opened.append(("charger", charge_box_id))

    def open_audit_log(self, id_tag: str | None = None) -> None:
        self.opened.append(("audit", id_tag))


async def settle(app: App, pilot: Any) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def text_of(app: App, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


class TestSourceNotes:
    async def test_steve_unreachable_uses_the_runbook_words_and_the_data_age(self) -> None:
        app = FakeApp(make_view(steve=ConnectionState.UNREACHABLE))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            note = text_of(app, "#card-steve-note")
            assert STEVE_UNREACHABLE_BANNER in note
            assert "Data shown is from 12m ago (since 10m ago)" in note
            assert app.screen.query_one("#card-steve-note").display
            sessions_note = text_of(app, "#card-sessions-note")
            assert "SteVe is unreachable" in sessions_note
            assert "stale" in str(app.screen.query_one(CardRecord).border_subtitle)

    async def test_lago_unreachable_has_its_own_note(self) -> None:
        app = FakeApp(make_view(lago=ConnectionState.UNREACHABLE))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            assert not app.screen.query_one("#card-steve-note").display
            assert "Lago is unreachable right now" in text_of(app, "#card-lago-note")
            assert "last good answer 30m ago" in text_of(app, "#card-lago-note")

    async def test_inherited_link_and_cause_are_shown(self) -> None:
        app = FakeApp(make_view())
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            header = text_of(app, "#card-header")
            assert "ACME Logistics" in header and "inherited from FLEET-PARENT" in header
            relations = app.screen.query_one(CardRelations)
            assert relations.get_cell("parent:FLEET-PARENT", "cause").plain.startswith("CAUSE")
            sessions = app.screen.query_one(CardSessions)
            assert sessions.get_cell("1003", "synced").plain == "not synced"


class TestUntrustedText:
    async def test_hostile_note_and_name_render_literally(self) -> None:
        app = FakeApp(make_view(note=HOSTILE))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            record = app.screen.query_one(CardRecord).text
            assert "[@click=app.quit]x[/] [red]^[[2J" in record
            assert "\x1b" not in record
            await pilot.click(CardRecord)
            await pilot.pause()
            assert app.is_running


class TestNavigation:
    async def test_enter_opens_the_relation_and_the_charger(self) -> None:
        app = FakeApp(make_view())
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            app.screen.query_one(CardRelations).focus()
            await pilot.press("enter")
            app.screen.query_one(CardSessions).focus()
            await pilot.press("enter")
            await pilot.press("h")
            await pilot.pause()
        assert app.opened == [
            ("card", "FLEET-PARENT"),
            ("charger", "CP-ALPHA-01"),
            ("audit", "FLEET-CHILD-1"),
        ]


class TestEdits:
    async def test_viewer_is_told_and_no_dialog_opens(self) -> None:
        app = FakeApp(make_view(), role=Role.VIEWER)
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await settle(app, pilot)
            await pilot.press("b")
            await pilot.pause()
            assert not isinstance(app.screen, CardEditDialog)
            titles = [n.title for n in app._notifications]
            assert "Not allowed for your role" in titles
            assert "Read-only: editing cards needs the admin role" in str(
                app.screen.query_one(CardRecord).text
            )
        assert app.services.cards.edits == []

    async def test_edit_runs_on_the_app_and_survives_leaving_the_page(self) -> None:
        app = FakeApp(make_view())
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await settle(app, pilot)
            app.services.cards.gate.clear()  # the edit will wait for SteVe
            await pilot.press("b")
            await pilot.pause()
            assert isinstance(app.screen, CardEditDialog)
            await pilot.press("y")
            await pilot.pause()
            workers = [w for w in app.workers if w.name == "action:card-edit"]
            assert len(workers) == 1 and workers[0].node is app
            await pilot.press("b")  # a second press while in flight sends nothing
            await pilot.pause()
            assert not isinstance(app.screen, CardEditDialog)
            app.pop_screen()  # the operator leaves the card page mid-request
            await pilot.pause()
            app.services.cards.gate.set()
            await app.workers.wait_for_complete()
            await pilot.pause()
            messages = [n.message for n in app._notifications]
        assert [e.kind.value for e in app.services.cards.edits] == ["block"]
        assert any("applied (audit #41)" in m for m in messages)


class TestLoadFailures:
    async def test_unknown_id_tag_says_so(self) -> None:
        app = FakeApp(make_view())
        app.services.cards.fail = NotFound("no such card")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            note = text_of(app, "#card-steve-note")
            assert "No card FLEET-CHILD-1: neither SteVe nor Polaris' card metadata knows" in note
            assert not app.screen.query_one("#card-body").display

    async def test_a_failed_refresh_keeps_the_page_and_says_how_old_it_is(self) -> None:
        app = FakeApp(make_view())
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            app.services.cards.fail = SteveTimeout("no answer in 10 s")
            app.clock.advance(90)
            await pilot.press("r")
            await settle(app, pilot)
            note = text_of(app, "#card-steve-note")
            assert "Refresh failed: SteVe did not answer in time: no answer in 10 s" in note
            assert "Showing the previous load (1m ago)" in note
            assert app.screen.query_one(CardRelations).row_count == 1
