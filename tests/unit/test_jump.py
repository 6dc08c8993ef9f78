"""The ``:`` command line's words: parse, complete, history (services/jump.py)."""

from __future__ import annotations

import pytest

from polaris_tui.services.jump import CommandHistory, Jump, JumpError, Place, complete, parse

CHARGERS = ["CP-ALPHA-01", "CP-BRAVO-02", "LEGACY-GARAGE-99"]
CARDS = ["CARD-HEALTHY", "CARD-STUCK", "ACME-01"]


@pytest.mark.parametrize(
    ("line", "jump"),
    [
        (":chargers", Jump(Place.CHARGERS)),
        ("cards", Jump(Place.CARDS)),
        ("  :ops ", Jump(Place.OPS)),
        ("audit", Jump(Place.AUDIT)),
        (":charger cp-alpha-01", Jump(Place.CHARGER, "CP-ALPHA-01")),
        (":card card-stuck", Jump(Place.CARD, "CARD-STUCK")),
        (":ops CP-BRAVO-02", Jump(Place.OPS, "CP-BRAVO-02")),
        (":audit ACME-01", Jump(Place.AUDIT, "ACME-01")),
        (":fleet", Jump(Place.CHARGERS)),
        (":CHARGER NEW-ONE", Jump(Place.CHARGER, "NEW-ONE")),
    ],
)
def test_each_place_parses(line: str, jump: Jump) -> None:
    assert parse(line, charger_ids=CHARGERS, card_tags=CARDS) == jump


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("", "Type a place"),
        (":", "Type a place"),
        (":pods", "Unknown command 'pods'"),
        (":charger", "charger needs an id"),
        (":card  ", "card needs an id"),
        (":cards ACME-01", "cards takes no id"),
    ],
)
def test_a_line_that_names_no_place_says_what_would(line: str, says: str) -> None:
    with pytest.raises(JumpError, match=says):
        parse(line, charger_ids=CHARGERS, card_tags=CARDS)


def test_completion_offers_words_then_ids() -> None:
    assert complete("") == ["chargers", "cards", "ops", "audit", "charger", "card"]
    assert complete(":ch") == ["chargers", "charger"]
    assert complete(":car") == ["cards", "card"]
    assert complete("charger cp-", charger_ids=CHARGERS) == [
        "charger CP-ALPHA-01",
        "charger CP-BRAVO-02",
    ]
    # Starting with what is typed first, then containing it.
    assert complete("card 01", card_tags=["X-01", "01-Y"]) == ["card 01-Y", "card X-01"]
    assert complete("cards x", card_tags=CARDS) == [], "cards takes no id"
    assert complete("charger ", charger_ids=CHARGERS, limit=2) == [
        "charger CP-ALPHA-01",
        "charger CP-BRAVO-02",
    ]


def test_history_walks_back_and_forth_and_keeps_each_line_once() -> None:
    history = CommandHistory(limit=3)
    assert history.older() is None and history.newer() == ""
    for line in ("cards", "charger CP-ALPHA-01", "ops", "cards"):
        history.add(line)
    assert history.lines == ["charger CP-ALPHA-01", "ops", "cards"]
    assert history.older() == "cards"
    assert history.older() == "ops"
    assert history.older() == "charger CP-ALPHA-01"
    assert history.older() is None, "the oldest stays"
    assert history.newer() == "ops"
    assert history.newer() == "cards"
    assert history.newer() == "", "past the newest: a fresh line"
    history.add("audit")
    assert history.lines == ["ops", "cards", "audit"], "the limit drops the oldest"
