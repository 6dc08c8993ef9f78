"""The cards list's filtering and its keyed table.

Filtering is a pure function (find by idTag or display name; flags narrow);
the table is diffed by key so a refresh or a filter change keeps the
operator's cursor on the same card (STYLE 9; PITFALLS: ``clear()`` resets it).
"""

from __future__ import annotations

from textual.app import App, ComposeResult

from polaris_tui.models import CardRow
from polaris_tui.screens.cards import filter_cards
from polaris_tui.widgets.card_table import CardTable, current_key

ROWS = [
    CardRow(
        id_tag="CARD-HEALTHY", display_name="Ada's card", linked=True, lago_customer_id="cust-ada"
    ),
    CardRow(id_tag="CARD-BLOCKED", blocked=True, linked=True),
    CardRow(id_tag="CARD-EXPIRED", expired=True, linked=True),
    CardRow(id_tag="FLEET-PARENT", blocked=True, is_meta=True, linked=True),
    CardRow(id_tag="CARD-UNLINKED", linked=False),
    CardRow(id_tag="CARD-NEW-0001", display_name="New card, unissued", in_steve=False),
]


def ids(rows: list[CardRow]) -> list[str]:
    return [r.id_tag for r in rows]


class TestFilterCards:
    def test_find_by_id_tag_or_display_name_case_insensitive(self) -> None:
        assert ids(filter_cards(ROWS, "blocked", set())) == ["CARD-BLOCKED"]
        assert ids(filter_cards(ROWS, "ada's", set())) == ["CARD-HEALTHY"]
        assert ids(filter_cards(ROWS, "UNISSUED", set())) == ["CARD-NEW-0001"]

    def test_sorted_by_id_tag(self) -> None:
        assert ids(filter_cards(ROWS, "", set())) == sorted(ids(ROWS), key=str.casefold)

    def test_flags_narrow_and_combine(self) -> None:
        assert ids(filter_cards(ROWS, "", {"blocked"})) == ["CARD-BLOCKED", "FLEET-PARENT"]
        assert ids(filter_cards(ROWS, "", {"expired"})) == ["CARD-EXPIRED"]
        assert ids(filter_cards(ROWS, "", {"unlinked"})) == ["CARD-NEW-0001", "CARD-UNLINKED"]
        assert ids(filter_cards(ROWS, "", {"meta"})) == ["FLEET-PARENT"]
        assert ids(filter_cards(ROWS, "", {"blocked", "meta"})) == ["FLEET-PARENT"]
        assert ids(filter_cards(ROWS, "card", {"blocked"})) == ["CARD-BLOCKED"]


class TableApp(App):
    def compose(self) -> ComposeResult:
        yield CardTable()


class TestCardTable:
    async def test_refresh_keeps_the_cursor_on_the_same_card(self) -> None:
        app = TableApp()
        async with app.run_test() as pilot:
            table = app.query_one(CardTable)
            table.show(filter_cards(ROWS, "", set()))
            await pilot.pause()
            table.move_cursor(row=table.get_row_index("CARD-UNLINKED"))
            # A refresh in which a card before the cursor disappears and one changes.
            changed = [
                r.model_copy(update={"blocked": True}) if r.id_tag == "CARD-HEALTHY" else r
                for r in ROWS
                if r.id_tag != "CARD-BLOCKED"
            ]
            table.show(filter_cards(changed, "", set()))
            await pilot.pause()
            assert current_key(table) == "CARD-UNLINKED"
            assert table.row_count == len(ROWS) - 1
            assert table.get_cell("CARD-HEALTHY", "blocked").plain == "yes"

    async def test_filter_change_restores_order_and_cursor(self) -> None:
        app = TableApp()
        async with app.run_test() as pilot:
            table = app.query_one(CardTable)
            table.show(filter_cards(ROWS, "", {"blocked"}))
            await pilot.pause()
            table.move_cursor(row=table.get_row_index("FLEET-PARENT"))
            table.show(filter_cards(ROWS, "", set()))  # new rows land before and after it
            await pilot.pause()
            shown = [row.key.value for row in table.ordered_rows]
            assert shown == ids(filter_cards(ROWS, "", set()))
            assert current_key(table) == "FLEET-PARENT"

    async def test_markup_in_a_display_name_is_literal(self) -> None:
        app = TableApp()
        async with app.run_test(size=(120, 40)) as pilot:  # 80 columns drop the name
            table = app.query_one(CardTable)
            table.show(
                [CardRow(id_tag="X1", display_name="[@click=app.quit]x[/] \x1b]52;c;aGk=\x07")]
            )
            await pilot.pause()
            cell = table.get_cell("X1", "name")
            assert cell.plain == "[@click=app.quit]x[/] ^[]52;c;aGk=^G"
            assert app.is_running
