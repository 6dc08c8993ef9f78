"""Hostile text for the untrusted-text bad day (issue 6, item 7; PITFALLS "Rendering").

Every value here is something SteVe, a station, Lago, the store or an
operator can hand Polaris. Shown as markup it would raise (``[/]``), fire an
action (``[@click=app.quit]x``, also with a leading space that
``markup.escape`` lets through), pull in a theme variable or a link; written
raw to a terminal it would set the window title, write the operator's
clipboard (OSC 52), clear the screen, or reorder/hide text (C1 controls,
bidi overrides, zero-width characters). The 10 kB value checks that one
field cannot flood a screen or a log line.

``seed_hostile_sim`` loads them into a running stand-in the way a station or
an admin would have put them into SteVe and Lago; ``seed_hostile_store``
loads the local half (card metadata: display names, types, links).
"""

from __future__ import annotations

from typing import Any

from polaris_tui.models import CardMeta
from polaris_tui.store import Store

HOSTILE: dict[str, str] = {
    "close": "st[/]x",
    "click": "[@click=app.quit]x[/]",
    "click_space": "[ @click=app.quit]x",
    "variable": "[$accent]x",
    "upper": "[RED]x[/RED]",
    "link": "[link=https://example.com]x[/link]",
    "osc_title": "t\x1b]0;evil\x07t",
    "osc52": "c\x1b]52;c;aGkK\x07c",
    "clear": "k\x1b[2Jk",
    "c1": "c1\x9b2J\x9d0;evil\x9c",
    "bidi": "bi\u202eevil\u202cdi",
    "zero_width": "z\u200bw\ufeffj\u200dz",
}
"""Short hostile values (usable as ids)."""

BIG = "B" * 5_000 + "[/]\x1b]52;c;aGkK\x07" + "G" * 5_000
"""A 10 kB value with a markup error and an OSC 52 buried in the middle."""

ALL_VALUES: dict[str, str] = {**HOSTILE, "big": BIG}

# Byte sequences that must never reach the terminal from data. Textual itself
# writes many CSI sequences, but never these (checked by the pty test on a
# harmless run, see ``test_7_untrusted_text.py``).
FORBIDDEN_OUTPUT: dict[str, bytes] = {
    "OSC 0 window title": b"\x1b]0;evil",
    "OSC 52 clipboard": b"\x1b]52;",
    "ESC [2J clear screen": b"\x1b[2J",
    "raw C1 CSI": b"\x9b2J",
    "UTF-8 encoded C1 CSI": "\x9b".encode(),
    "UTF-8 encoded C1 OSC": "\x9d".encode(),
    "RLO bidi override": "\u202e".encode(),
    "zero-width space": "\u200b".encode(),
    "OSC 8 hyperlink (a parsed [link=...])": b"\x1b]8;",
}

VISIBLE_FORMS: dict[str, str] = {
    "osc_title": "t^[]0;evil^Gt",
    "osc52": "c^[]52;c;aGkK^Gc",
    "clear": "k^[[2Jk",
    "c1": "c1<U+009B>2J<U+009D>0;evil<U+009C>",
    "bidi": "bi<RLO>evil<PDF>di",
    "zero_width": "z<ZWSP>w<BOM>j<ZWJ>z",
}
"""How ``safe_text.clean`` shows the control-bearing values (what the operator sees)."""


def charger_id(name: str) -> str:
    """The hostile charger carrying ``HOSTILE[name]`` in its id."""
    return f"EV-{name}-{HOSTILE[name]}"


def card_id(name: str) -> str:
    """The hostile card carrying ``HOSTILE[name]`` in its idTag."""
    return f"TAG-{name}-{HOSTILE[name]}"


CUSTOMER_ID = "cust-evil"
"""The hostile Lago customer (external id), linked to every hostile card."""


def seed_hostile_sim(sim: Any, *, sessions: int = 3) -> None:
    """One charger and one card per hostile value, station free text, a Lago
    customer, and open sessions of hostile cards on hostile chargers.

    The 10 kB value goes into descriptions, notes, station info and the
    customer's name (an id that long would not fit SteVe's URLs)."""
    names = list(HOSTILE)
    for name in names:
        value = HOSTILE[name]
        sim.control(
            "POST",
            "/chargers",
            {"chargeBoxId": charger_id(name), "description": f"{value} {BIG}", "connectors": 2},
        )
        sim.control(
            "POST",
            "/chargers/status",
            {
                "chargeBoxId": charger_id(name),
                "connectorId": 2,
                "status": "Faulted",
                "errorCode": "OtherError",
                "info": f"info {value} {BIG}",
                "vendorErrorCode": value,
            },
        )
        sim.control(
            "POST",
            "/cards",
            {"idTag": card_id(name), "maxActiveTransactionCount": 1, "note": f"{value} {BIG}"},
        )
    for name in names[:sessions]:
        sim.control(
            "POST",
            "/sessions/start",
            {"chargeBoxId": charger_id(name), "connectorId": 1, "idTag": card_id(name)},
        )

    async def add_customer() -> None:
        lago = sim.server.sim.lago
        lago.add_customer(
            CUSTOMER_ID,
            name="".join(HOSTILE.values()) + BIG,
            email="evil[/]\x1b]52;c;aGkK\x07@example.com",
            created_at=sim.server.sim.clock.now(),
        )

    sim.run(add_customer)


async def seed_hostile_store(store: Store) -> None:
    """Card metadata written by an operator: hostile display names and types,
    every hostile card linked to the hostile Lago customer."""
    for name, value in HOSTILE.items():
        await store.upsert_card_meta(
            CardMeta(
                id_tag=card_id(name),
                display_name=f"{value} {BIG}",
                tag_type=value,
                lago_customer_id=CUSTOMER_ID,
            )
        )
