"""Issue 13, quick detail: ``enter`` shows a complete charger page at once.

The detail screen first draws what the fleet row already holds (header,
Live status, Current session, the ``c`` key) without waiting for
``services.fleet.detail``; the panels the row says nothing about (recent
operations, pairings) keep "Loading…" and claim no age until the detail
lands. Here ``detail`` is held back until the test releases it, so every
assertion before that sees only the row's data.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual.widgets import Static

from .conftest import make_row, settle

ROWS = [make_row("CP-LIVE", description="Main St", status="Charging", id_tag="CARD-A")]


async def test_the_first_frame_is_drawn_from_the_fleet_row(fake_app, monkeypatch) -> None:
    app, services = fake_app(ROWS)
    original = services.fleet.detail
    release = asyncio.Event()
    asked = asyncio.Event()

    async def held_back(charge_box_id: str, *, fresh: bool = True) -> Any:
        asked.set()
        await release.wait()
        return await original(charge_box_id, fresh=fresh)

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(services.fleet, "detail", held_back)
        await app.open_charger("CP-LIVE")
        await asyncio.wait_for(asked.wait(), 30)
        await pilot.pause()
        screen = app.screen
        live = str(screen.query_one("#live-status", Static).render())
        session = str(screen.query_one("#current-session", Static).render())
        assert "Loading" not in live and "Charging" in live
        assert "Loading" not in session and "CARD-A" in session
        assert "as of" in str(screen.query_one("#live-status").border_subtitle)
        assert screen.check_action("open_card", ()) is True, "c is offered from the start"
        recent = screen.query_one("#recent-ops")
        assert not recent.border_subtitle, "no age on a panel still loading"

        release.set()
        await settle(pilot)
        assert "as of" in str(recent.border_subtitle)
        assert "Card name" in str(screen.query_one("#current-session", Static).render())


async def test_o_before_the_form_is_built_builds_it_and_lands_on_submit(
    fake_app, monkeypatch
) -> None:
    """The operations form mounts its widgets after the first frame; an ``o``
    typed before that (``enter o`` in one read) must still land on Submit,
    and the ``enter`` behind it submit the session's stop, dry run."""
    from textual.widgets import Button

    from polaris_tui.widgets.operation_form import OperationForm

    app, services = fake_app(ROWS)
    # Hold the build back: only ``o`` may build the form here.
    monkeypatch.setattr(OperationForm, "on_mount", lambda self: None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.open_charger("CP-LIVE")
        await settle(pilot)
        screen = app.screen
        form = screen.query_one(OperationForm)
        assert not form.built and not form.query(Button), "the form is not built yet"
        assert form.dry_run is True, "ON before the form is built, too"

        await pilot.press("o")
        assert form.built
        assert app.focused is not None and app.focused.id == "op-submit"
        assert form.values() == {
            "transactionId": services.fleet.rows_by_id["CP-LIVE"].open_session.transaction.id
        }
        await pilot.press("enter")
        await settle(pilot)
        assert [e.dry_run for e in services.operations.entries] == [True]


async def test_the_body_is_styled_focused_only_when_it_has_the_focus(fake_app) -> None:
    """The page body is built marked focused (one styling of the page, not
    two); the mark stays only when the auto focus really chose it. With the
    terminal unfocused Textual focuses nothing: the mark must go, or the page
    would look focused while keys reach no widget of it."""
    app, _services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.open_charger("CP-LIVE")
        await settle(pilot)
        body = app.screen.query_one("#detail-body")
        assert app.screen.focused is body and body.has_focus
        app.pop_screen()
        await settle(pilot)

        app.app_focus = False  # the terminal reported losing focus
        await app.open_charger("CP-LIVE")
        await settle(pilot)
        body = app.screen.query_one("#detail-body")
        assert app.screen.focused is None
        assert not body.has_focus, "marked focused while nothing has focus"


async def test_the_page_finds_its_css_parsed_before_it_first_opens(fake_app) -> None:
    """After the first poll the console parses the charger page's widget CSS
    (``ChargerDetailScreen.WIDGET_TYPES``); the page's first opening then
    adds no CSS source, built form included. A widget class added to the
    page and not to the list fails here."""
    from polaris_tui.widgets.css_warmup import default_css_sources
    from polaris_tui.widgets.operation_form import OperationForm

    app, _services = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = set(app.stylesheet.source)
        await app.open_charger("CP-LIVE")
        await settle(pilot)
        screen = app.screen
        assert screen.query_one(OperationForm).built
        assert set(app.stylesheet.source) == before
        # And the reader matches Textual's own, on a mounted widget of each class.
        for widget in screen.walk_children():
            assert default_css_sources(type(widget)) == widget._get_default_css()
