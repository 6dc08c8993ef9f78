"""Bad day 7: hostile text everywhere, on every screen.

Markup (``[/]``, ``[@click=app.quit]x[/]``, ``[ @click=app.quit]x``,
``[$accent]x``, ``[link=…]``), terminal controls (OSC 0 title, OSC 52
clipboard, ``ESC [2J``, raw C1), bidi overrides, zero-width characters and a
10 kB value come from every source at once: charger ids, descriptions and
station free text (SteVe), idTags and notes (SteVe), a customer's name and
email (Lago), display names and types (the store), the operator's own name,
filter text and edits (the operator), and error messages.

In-process, the real App visits every screen — fleet, filter, charger
detail, operation log, cards, card detail with its verdict, audit log, help,
the palette and notifications — and each screen's text must show the values
literally with controls in visible form, while no action fires and nothing
raises. Then the real ``polaris`` runs on a pseudo-terminal over the same
data and the bytes it writes must carry none of the hostile sequences.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Input

from polaris_tui.app import PolarisApp
from polaris_tui.dialogs.help import HelpScreen
from polaris_tui.models import CardEdit, CardEditKind
from polaris_tui.models.errors import SteveRejected
from polaris_tui.screens.audit_log import AuditLogScreen
from polaris_tui.screens.card_detail import CardDetailScreen
from polaris_tui.screens.cards import CardsScreen
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.screens.fleet import FleetScreen
from polaris_tui.screens.operation_log import OperationLogScreen
from polaris_tui.services.clock import FixedClock
from polaris_tui.store import Store
from polaris_tui.widgets.fleet_table import FleetTable
from polaris_tui.widgets.operations_table import OperationsTable
from polaris_tui.widgets.safe_text import _INVISIBLE
from tests.conftest import FROZEN_NOW
from tests.functional.conftest import palette, screen_text, settle
from tests.unit.helpers import confirmed

from .conftest import build_app, settings_for
from .hostile import (
    ALL_VALUES,
    FORBIDDEN_OUTPUT,
    HOSTILE,
    VISIBLE_FORMS,
    card_id,
    charger_id,
    seed_hostile_sim,
    seed_hostile_store,
)
from .ptyrun import WAIT, run_polaris

OPERATOR = "ana[/]\x1b]0;evil\x07\u202e"
"""The operator's own name is untrusted too (it lands in every log row)."""

FORBIDDEN_CHARS = (
    {chr(c) for c in range(0x20) if c != 0x0A} | {chr(0x7F)} | {chr(c) for c in range(0x80, 0xA0)}
)
FORBIDDEN_CHARS |= {chr(c) for c in _INVISIBLE}


def assert_safe(text: str, where: str) -> None:
    """Nothing the terminal would obey, in what the screen shows."""
    bad = sorted({f"U+{ord(ch):04X}" for ch in text if ch in FORBIDDEN_CHARS})
    assert not bad, f"{where}: control or invisible characters reach the screen: {bad}"


@pytest.fixture
async def hostile_settings(sim: Any, tmp_path: Path) -> Any:
    seed_hostile_sim(sim)
    settings = settings_for(
        sim, tmp_path, operator=OPERATOR, interval_seconds=600, lago_interval_seconds=600
    )
    store = await Store.open(settings.store.path, clock=FixedClock(FROZEN_NOW))
    try:
        await seed_hostile_store(store)
    finally:
        await store.close()
    return settings


async def visit(pilot: Any, where: str) -> str:
    await settle(pilot)
    text = screen_text(pilot.app)
    assert_safe(text, where)
    assert pilot.app.is_running, where
    return text


@pytest.mark.slow
@pytest.mark.timeout(900)  # every screen, twice over: minutes on a loaded 2-core machine
async def test_every_screen_shows_hostile_text_literally_and_fires_nothing(
    hostile_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fired: list[str] = []
    monkeypatch.setattr(PolarisApp, "action_quit", lambda self: fired.append("quit"))
    app = build_app(hostile_settings)
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        text = await visit(pilot, "fleet")
        services = app.services
        table = app.screen.query_one(FleetTable)
        for name in HOSTILE:
            assert charger_id(name) in table.keys
        assert (
            "[@click=app.quit]x[/]" in text
            and "[$accent]x" in text
            and "[link=https://example.com]x[/link]" in text
        )

        # The operator pastes hostile text into the filter (as the terminal delivers a paste).
        box = app.screen.query_one("#fleet-filter", Input)
        box.focus()
        app.post_message(events.Paste("[/]\x1b]52;c;\u202e\x9b"))
        await visit(pilot, "fleet filter after a paste")
        assert box.value == "[/]]52;c;", "the paste arrives without its control characters"
        box.value = ""
        table.focus()
        await visit(pilot, "fleet unfiltered")

        # Every hostile charger's page, and a dry run on each (hostile log rows).
        for name in HOSTILE:
            app.open_charger(charger_id(name))
            text = await visit(pilot, f"charger {name}")
            assert isinstance(app.screen, ChargerDetailScreen)
            if name in VISIBLE_FORMS:
                assert VISIBLE_FORMS[name] in text, f"{name}: the id is shown in visible form"
            else:
                assert HOSTILE[name] in text, f"{name}: the id is shown literally"
            assert "info " in text, "the station's free text is shown"
            await services.operations.submit(
                charger_id(name),
                "RemoteStartTransaction",
                {"idTag": "CARD-HEALTHY", "connectorId": 2},
                dry_run=True,
                request_id=uuid.uuid4().hex,
            )
            app.open_chargers()
        # A real operation on a hostile charger (a stale stop would be refused
        # before the row): the station's answer is recorded and shown.
        await services.operations.submit(
            charger_id("click"),
            "UnlockConnector",
            {"connectorId": 9},
            confirmation=confirmed(
                services.operations, charger_id("click"), "UnlockConnector", {"connectorId": 9}
            ),
            dry_run=False,
            request_id=uuid.uuid4().hex,
        )
        rows = await services.operations.recent()
        assert {r.charge_box_id for r in rows} == {charger_id(n) for n in HOSTILE}, (
            "the store keeps raw ids"
        )
        assert {r.requested_by for r in rows} == {OPERATOR}

        app.open_operation_log()
        await visit(pilot, "operation log")
        assert isinstance(app.screen, OperationLogScreen)
        log_table = app.screen.query_one(OperationsTable)
        assert log_table.row_count == len(HOSTILE) + 1
        for _ in range(log_table.row_count):
            await pilot.press("down")
            await visit(pilot, "operation log detail")
        app.open_chargers()

        # Cards, each hostile card's page (header, notes, verdict, relations, sessions).
        app.open_cards()
        text = await visit(pilot, "cards")
        assert isinstance(app.screen, CardsScreen)
        for name in (
            "click_space",
            "upper",
            "link",
            "osc52",
            "c1",
            "bidi",
        ):  # the table showed them all
            app.open_card(card_id(name))
            text = await visit(pilot, f"card {name}")
            assert isinstance(app.screen, CardDetailScreen) and app.screen.view is not None
            assert app.screen.view.customer is not None, "the hostile Lago customer is shown"
            await pilot.press("escape")
            await settle(pilot)

        # Edits with hostile values, then the audit log with its before/after.
        for name in ("click", "osc52", "bidi"):
            await services.cards.edit(
                card_id(name),
                CardEdit(kind=CardEditKind.RENAME, value="".join(HOSTILE.values())[:200]),
            )
            await services.cards.edit(
                card_id(name), CardEdit(kind=CardEditKind.SET_TYPE, value=HOSTILE[name] + "!")
            )
        app.open_audit_log()
        await visit(pilot, "audit log")
        assert isinstance(app.screen, AuditLogScreen)
        for _ in range(6):
            await pilot.press("down")
            await visit(pilot, "audit log entry")

        # Help over a hostile card's page, the palette, a notification.
        app.open_card(card_id("link"))
        await visit(pilot, "card link")
        app.action_help()
        await visit(pilot, "help")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        app.open_chargers()
        await settle(pilot)
        # Each list is checked once it holds the hostile hits, not after a guess.
        await palette(pilot, "EV-", "EV-", first=False)
        await visit(pilot, "palette chargers")
        await pilot.press("escape")
        await palette(pilot, "TAG-", "TAG-", first=False)
        await visit(pilot, "palette cards")
        await pilot.press("escape")
        app.show_error(
            SteveRejected("".join(HOSTILE.values()) + ALL_VALUES["big"]), title=HOSTILE["click"]
        )
        text = await visit(pilot, "notification")
        assert "[@click=app.quit]x[/]" in text

        # Clicking on hostile cells fires nothing either.
        app.open_chargers()
        await settle(pilot)
        for name in ("click", "click_space", "link"):
            row = table.keys.index(charger_id(name))
            table.move_cursor(row=row)
            await pilot.pause()
            region = table.row_region(row)
            for x in (3, 30, 60, 90):
                await pilot.click(FleetTable, offset=(x, region.y + 1 - int(table.scroll_y)))
                await pilot.pause()
                if not isinstance(app.screen, FleetScreen):  # a click on the cursor row opens it
                    app.open_chargers()
                    await pilot.pause()
        await visit(pilot, "fleet after clicks")
        assert fired == [], "no action fired from data"
        assert app.is_running


def test_no_markup_escape_is_relied_on() -> None:
    """``markup.escape`` lets ``[ @click=…]``, ``[$var]`` and ``[RED]`` through
    (PITFALLS): Polaris must never count on it."""
    from .ptyrun import REPO

    users = [
        str(path.relative_to(REPO))
        for path in (REPO / "polaris_tui").rglob("*.py")
        if "markup import escape" in path.read_text() or "markup.escape" in path.read_text()
    ]
    assert users == []


# -- the real process, the bytes on the terminal --------------------------------------


def footer(screen: str) -> str:
    """The key bar (the last line): it tells which widget has focus."""
    return screen.rstrip().rsplit("\n", 1)[-1]


@pytest.mark.slow
def test_no_escape_byte_from_data_reaches_the_terminal(
    hostile_settings: Any, sim: Any, tmp_path: Path
) -> None:
    settings = hostile_settings
    args = [
        "--steve-url",
        sim.steve_url,
        "--lago-url",
        sim.lago_url,
        "--store",
        str(settings.store.path),
        "--config",
        str(tmp_path / "none.toml"),
    ]
    env = {
        "POLARIS_STEVE__API_PASSWORD": sim.steve_password,
        "POLARIS_LAGO__API_KEY": sim.lago_key,
        "POLARIS_STEVE__WEB_PASSWORD": sim.web_password,
    }
    with run_polaris(args, home=tmp_path / "home", env=env, cols=160, rows=50) as polaris:
        # Each key waits for the screen it needs: keys that land early go astray,
        # and an escape followed at once by a key reads as alt+key.
        def step(keys: tuple[str, ...], condition: Any, what: str) -> None:
            polaris.type(*keys)
            assert polaris.wait_screen(condition), f"{what}:\n{polaris.screen_text()}"

        step((), lambda s: "CP-ALPHA-01" in s and "s Sort" in footer(s), "the fleet")
        step(("/",), lambda s: "s Sort" not in footer(s), "the fleet filter has focus")
        step(tuple("EV-"), lambda s: "CP-ALPHA-01" not in s, "the hostile chargers only")
        step(("enter",), lambda s: "s Sort" in footer(s), "the fleet table has focus")
        for _ in range(2):  # open the charger under the cursor, then the next one
            step(("enter",), lambda s: "Live status" in s and "Loading" not in s, "a charger")
            step(("escape",), lambda s: "Live status" not in s and "s Sort" in footer(s), "back")
            polaris.type("down")
        step(("C",), lambda s: "B Blocked" in footer(s) and " cards · " in s, "the cards")
        step(("/",), lambda s: "B Blocked" not in footer(s), "the cards filter has focus")
        step(tuple("TAG-"), "matching “TAG-”", "the hostile cards only")
        step(("enter",), lambda s: "B Blocked" in footer(s), "the cards table has focus")
        for _ in range(2):  # a hostile card's page: verdict, customer, note
            step(("enter",), "consider this card valid", "a card's page")
            step(
                ("escape",),
                lambda s: "consider this card valid" not in s and "B Blocked" in footer(s),
                "back to the cards",
            )
            polaris.type("down")
        step(("escape",), lambda s: "matching “TAG-”" not in s, "the cards unfiltered")
        step(("escape",), lambda s: "s Sort" in footer(s), "back to the fleet")
        step(("ctrl+p",), "Search for commands", "the palette")
        step(tuple("EV-"), "EV-close", "the palette's hostile chargers")
        step(("escape",), lambda s: "Search for commands" not in s, "the palette closed")
        step(("?",), "Keys — Fleet", "the help")
        step(("escape",), lambda s: "Keys — Fleet" not in s, "the help closed")
        polaris.type("q")
        code = polaris.wait(WAIT)
        output = polaris.output
    assert code == 0, output[-3000:]
    found = {name: seq for name, seq in FORBIDDEN_OUTPUT.items() if seq in output}
    assert not found, f"hostile sequences reached the terminal: {found}"
    # The hostile values were on screen (in visible form): the check above saw them pass by.
    for name in ("osc52", "clear", "osc_title"):
        assert VISIBLE_FORMS[name].encode() in output, name
    assert b"[@click=app.quit]x[/]" in output
