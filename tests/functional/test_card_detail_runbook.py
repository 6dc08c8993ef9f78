"""The card runbook ("Diagnose a card that won't charge"), walked by keyboard against the stand-in.

Each demo case of docs/demo-fleet.md: palette → Cards → ``/`` idTag → ``enter``,
then what the operator reads on the page — the title, the header strip, the
SteVe record, the relations, the recent transactions and the four answers of
the triage verdict — exactly as the runbook says they look.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Label, Static

from polaris_tui.models import ConnectionState, SourceName
from polaris_tui.screens.card_detail import CardDetailScreen
from polaris_tui.screens.cards import CardsScreen
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.widgets.card_format import STEVE_UNREACHABLE_BANNER
from polaris_tui.widgets.card_record import CardRecord
from polaris_tui.widgets.card_relations import CardRelations
from polaris_tui.widgets.card_sessions import CardSessions
from polaris_tui.widgets.card_table import CardTable
from polaris_tui.widgets.card_verdict import VerdictAnswer

from .conftest import palette, settle, type_keys

VALID, LINKED, INTERCEPTED, ACCEPTED = range(4)


async def open_cards(pilot: Any) -> CardsScreen:
    """Palette → "Cards", as an operator does from the first screen."""
    await settle(pilot)
    await palette(pilot, "Cards", "Cards")
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CardsScreen)
    return screen


async def open_card(pilot: Any, id_tag: str) -> CardDetailScreen:
    """Runbook step 1: find the card by idTag (``/``) and open it (``enter``)."""
    await open_cards(pilot)
    await pilot.press("slash", *type_keys(id_tag), "enter")
    await pilot.pause()
    table = pilot.app.screen.query_one(CardTable)
    assert table.current_id_tag == id_tag, f"{id_tag} is the first match"
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CardDetailScreen) and screen.id_tag == id_tag
    return screen


def text(widget: Static) -> str:
    return str(widget.content)


def page(screen: CardDetailScreen) -> dict[str, str]:
    """The page's plain text, panel by panel."""
    return {
        "title": text(screen.query_one("#card-title", Static)),
        "header": text(screen.query_one("#card-header", Static)),
        "steve_note": text(screen.query_one("#card-steve-note", Static)),
        "lago_note": text(screen.query_one("#card-lago-note", Static)),
        "record": screen.query_one(CardRecord).text,
        "relations_note": text(screen.query_one("#card-relations-note", Static)),
        "sessions_note": text(screen.query_one("#card-sessions-note", Static)),
    }


def answers(screen: CardDetailScreen) -> list[tuple[str, str]]:
    """The verdict as shown: (badge, body) for each of the four questions."""
    out = []
    for widget in screen.query(VerdictAnswer):
        badge = str(widget.query_one(".verdict-badge", Label).content)
        body = str(widget.query_one(".verdict-body", Static).content)
        out.append((badge, body))
    return out


def cells(table: Any, key: str) -> list[str]:
    return [cell.plain for cell in table.get_row(key)]


class TestHealthyAndSynced:
    async def test_healthy_card_reads_valid_linked_and_synced(self, sim_app) -> None:
        app = sim_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_card(pilot, "CARD-HEALTHY")
            shown = page(screen)
            assert shown["title"].startswith("EV Card details · CARD-HEALTHY")
            assert "idTag CARD-HEALTHY" in shown["header"] and "Type RFID" in shown["header"]
            assert "Active yes" in shown["header"]
            assert "Linked Ada Lovelace · sub-ada (active)" in shown["header"]
            assert not screen.query_one("#card-steve-note").display
            assert "Blocked                 no" in shown["record"]
            verdict = answers(screen)
            assert [badge for badge, _ in verdict] == ["YES", "YES", "NO", "YES"]
            assert "CP-ALPHA-01" in verdict[ACCEPTED][1]
            sessions = screen.query_one(CardSessions)
            assert sessions.row_count >= 2
            finished = [
                key.value for key in sessions.rows if cells(sessions, key.value)[7][:4] == "2026"
            ]
            assert finished, "a finished session shows when its Lago event was created"

    async def test_enter_on_a_session_opens_its_charger_and_escape_comes_back(
        self, sim_app
    ) -> None:
        app = sim_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_card(pilot, "CARD-HEALTHY")
            sessions = screen.query_one(CardSessions)
            sessions.focus()
            await pilot.pause()
            charger = cells(sessions, sessions.ordered_rows[0].key.value)[1]
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ChargerDetailScreen)
            assert app.screen.charge_box_id == charger
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen

    async def test_unsynced_session_says_not_synced(self, sim_app) -> None:
        app = sim_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_card(pilot, "CARD-UNSYNCED")
            sessions = screen.query_one(CardSessions)
            synced = [cells(sessions, row.key.value)[7] for row in sessions.ordered_rows]
            assert "not synced" in synced
            assert answers(screen)[VALID][0] == "YES"


class TestRefusedInSteve:
    async def test_blocked_card(self, sim_app) -> None:
        app = sim_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_card(pilot, "CARD-BLOCKED")
            assert "Blocked                 yes" in page(screen)["record"]
            assert "Max active transactions 0 (blocked)" in page(screen)["record"]
            badge, body = answers(screen)[VALID]
            assert badge == "NO" and "blocked in SteVe" in body

    async def test_expired_card(self, sim_app) -> None:
        app = sim_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_card(pilot, "CARD-EXPIRED")
            assert "(expired)" in page(screen)["record"]
            badge, body = answers(screen)[VALID]
            assert badge == "NO" and "expired" in body

    async def test_parent_blocked_is_the_cause_and_opens_the_meta_card(self, sim_app) -> None:
        app = sim_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_card(pilot, "FLEET-CHILD-1")
            relations = screen.query_one(CardRelations)
            row = cells(relations, "parent:FLEET-PARENT")
            assert row[0] == "parent" and row[3] == "yes" and row[6].startswith("CAUSE")
            badge, body = answers(screen)[VALID]
            assert badge == "NO" and "FLEET-PARENT" in body and "children inherit" in body
            assert "Blocked                 no" in page(screen)["record"], (
                "its own SteVe flag: not blocked"
            )
            relations.focus()
            await pilot.press("enter")
            await settle(pilot)
            meta = app.screen
            assert isinstance(meta, CardDetailScreen) and meta.id_tag == "FLEET-PARENT"
            assert page(meta)["title"].startswith("Meta-EV Card details · FLEET-PARENT")
            children = meta.query_one(CardRelations)
            assert {r.key.value for r in children.ordered_rows} == {
                "child:FLEET-CHILD-1",
                "child:FLEET-CHILD-2",
            }
            assert cells(children, "child:FLEET-CHILD-1")[6] == "refused too: inherits it"

    async def test_unknown_to_steve(self, sim_app) -> None:
        app = sim_app()
        async with app.run_test(size=(120, 40)) as pilot:
            cards = await open_cards(pilot)
            table = cards.query_one(CardTable)
            assert cells(table, "CARD-NEW-0001")[5] == "not in SteVe"
            screen = await open_card(pilot, "CARD-NEW-0001")
            shown = page(screen)
            assert "Not in SteVe" in shown["record"] and "New card, unissued" in shown["record"]
            assert "SteVe does not know this idTag" in shown["sessions_note"]
            badge, body = answers(screen)[VALID]
            assert badge == "NO" and "does not know this idTag" in body


class TestBilling:
    async def test_unlinked_card(self, sim_app) -> None:
        app = sim_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_card(pilot, "CARD-UNLINKED")
            assert "Linked not linked" in page(screen)["header"]
            badge, body = answers(screen)[LINKED]
            assert badge == "NO" and "Not linked" in body
            assert answers(screen)[VALID][0] == "YES", "unlinked does not block charging"

    async def test_terminated_subscription(self, sim_app) -> None:
        app = sim_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_card(pilot, "CARD-TERMINATED")
            assert "Tom Turner · sub-tom (terminated)" in page(screen)["header"]
            badge, body = answers(screen)[LINKED]
            assert badge == "NO" and "terminated" in body


class TestScanToLogin:
    async def test_intercepted_tap_is_the_hook_doing_its_job(self, sim_app) -> None:
        app = sim_app()
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_card(pilot, "CARD-KIOSK")
            verdict = answers(screen)
            assert verdict[INTERCEPTED][0] == "YES" and "CP-FOXTROT-06" in verdict[INTERCEPTED][1]
            assert verdict[ACCEPTED][0] == "NO" and "scan-to-login" in verdict[ACCEPTED][1]
            assert verdict[VALID][0] == "YES", "the card itself is fine"


class TestSteveOutage:
    async def test_page_opens_from_the_snapshot_with_the_runbook_banner(self, sim, sim_app) -> None:
        app = sim_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)  # one good poll: the snapshot holds every tag
            sim.fault("steve_down")
            await app.services.poller.refresh_now()  # the banner goes up first
            assert app.services.source_state(SourceName.STEVE).state == ConnectionState.UNREACHABLE
            screen = await open_card(pilot, "FLEET-CHILD-1")
            shown = page(screen)
            assert STEVE_UNREACHABLE_BANNER in shown["steve_note"]
            assert "Data shown is from" in shown["steve_note"]
            assert "stale" in str(screen.query_one(CardRecord).border_subtitle)
            assert "FLEET-PARENT" in shown["record"], "hierarchy still shown, from the snapshot"
            assert "SteVe is unreachable" in shown["sessions_note"]
            assert not screen.query_one(CardSessions).display
