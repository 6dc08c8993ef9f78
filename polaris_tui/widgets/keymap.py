"""Every key of the console and the one thing it means, named in one place.

Screens build their ``BINDINGS`` from here (``bind``), the help screen
describes keys from here, and the README's key table is generated from here,
so a key cannot drift to a second meaning on another screen.

The scheme, so that a new key has an obvious place:

- ``c``, ``g``, ``U`` open *the one item* this page or row is
  about (its card, its charger, its customer); they never lead to a list;
- ``l``, ``a``, ``C``, ``S`` go to *a list* (operation log, audit log,
  cards, sessions), narrowed to this page's item when it has one;
- a screen's own keys (filters, edits, follow-ups) use letters no other
  screen uses; on a list, an uppercase letter toggles a filter or a view.

Modal dialogs are outside the scheme: their ``y``/``n``/``escape`` answer the
question on screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

EVERYWHERE = "Everywhere"
MOVING = "Moving around"
OPEN_ITEM = "Open the item of this page or row"
GO_TO_LIST = "Go to a list (narrowed to this page's item)"
FLEET = "Fleet"
CHARGER = "Charger page"
CARD = "Card page"
CARDS = "Cards list"
SESSIONS = "Sessions list"
AUDIT = "Audit log"

GROUPS: tuple[str, ...] = (
    EVERYWHERE,
    MOVING,
    OPEN_ITEM,
    GO_TO_LIST,
    FLEET,
    CHARGER,
    CARD,
    CARDS,
    SESSIONS,
    AUDIT,
)


@dataclass(frozen=True)
class Key:
    """One key, the action every screen binds it to, and what it means."""

    key: str
    """Textual's key name (``slash``, ``S``, ``ctrl+s``)."""
    action: str
    """The action, with its parameters; the same on every screen."""
    label: str
    """The footer's short word."""
    meaning: str
    """One line for help and the README (short: help is 78 columns at 80x24, with "(not now)")."""
    group: str


KEYS: tuple[Key, ...] = (
    Key("q", "quit", "Quit", "quit", EVERYWHERE),
    Key("question_mark", "help", "Help", "every key of this screen", EVERYWHERE),
    Key(
        "colon",
        "command_line",
        "Command (:chargers, :card TAG…)",
        "command mode (:chargers, :card TAG…)",
        EVERYWHERE,
    ),
    Key(
        "ctrl+s",
        "export_table",
        "Export the table (CSV or JSON)",
        "save the table as CSV (c) or JSON (j)",
        EVERYWHERE,
    ),
    Key("y", "copy_id", "Copy the id", "copy the id under the cursor (OSC 52)", EVERYWHERE),
    Key("enter", "select_cursor", "Open", "open the row under the cursor", MOVING),
    Key("up", "cursor_up", "Cursor up", "the row above", MOVING),
    Key("down", "cursor_down", "Cursor down", "the row below", MOVING),
    Key("pageup", "page_up", "Page up", "a page up", MOVING),
    Key("pagedown", "page_down", "Page down", "a page down", MOVING),
    Key("home", "cursor_home", "First row", "the first row", MOVING),
    Key("ctrl+home", "cursor_home", "First row", "the first row", MOVING),
    Key("end", "cursor_end", "Last row", "the last row", MOVING),
    Key("ctrl+end", "cursor_end", "Last row", "the last row", MOVING),
    Key("slash", "find", "Filter", "filter the list", MOVING),
    Key("escape", "back", "Back", "back (leave, then clear the filter)", MOVING),
    Key("r", "refresh", "Refresh", "refresh now", MOVING),
    Key("c", "open_card", "Card", "open the card of this session or row", OPEN_ITEM),
    Key("g", "open_charger", "Charger", "open the charger of this session or row", OPEN_ITEM),
    Key("U", "open_customer", "Customer", "open the Lago customer of this card", OPEN_ITEM),
    Key("l", "operation_log", "Op log", "go to the operation log", GO_TO_LIST),
    Key("a", "audit", "Audit log", "go to the audit log of card edits", GO_TO_LIST),
    Key("h", "audit", "Audit log", "go to the audit log (as a)", GO_TO_LIST),
    Key("C", "cards", "Cards", "go to the cards list", GO_TO_LIST),
    Key("S", "sessions", "Sessions", "go to the sessions of this page's item", GO_TO_LIST),
    Key("s", "cycle_sort", "Sort", "sort by the next column", FLEET),
    Key("minus", "reverse_sort", "Reverse", "reverse the sort order", FLEET),
    Key("o", "focus_operations", "Operations", "the remote operations form", CHARGER),
    Key(
        "u",
        "unlock_followup",
        "Unlock connector",
        "UnlockConnector after a stop stayed open",
        CHARGER,
    ),
    Key(
        "d",
        "close_in_db",
        "Close in DB",
        "close in SteVe's DB only (last resort)",
        CHARGER,
    ),
    Key(
        "w",
        "way_back",
        "Way back (RemoteStart)",
        "way back: restart the stopped session",
        CHARGER,
    ),
    Key("I", "identity", "Identity", "its identity (vendor, firmware…)", CHARGER),
    Key("b", "edit('block')", "Block/unblock", "block or unblock", CARD),
    Key("p", "edit('set_parent')", "Parent", "set the parent (meta-card)", CARD),
    Key("e", "edit('set_expiry')", "Expiry", "set the expiry", CARD),
    Key("k", "edit('relink')", "Relink", "relink to a Lago customer", CARD),
    Key("n", "edit('rename')", "Name", "rename", CARD),
    Key("t", "edit('set_type')", "Type", "set the tag type", CARD),
    Key("i", "edit('set_active')", "Active", "set active or inactive", CARD),
    Key("T", "tap_window", "Tap when", "when and where the failing tap happened", CARD),
    Key("E", "toggle_evidence", "Evidence", "show or hide the verdict's evidence", CARD),
    Key("B", "toggle_flag('blocked')", "Blocked", "only blocked cards", CARDS),
    Key("X", "toggle_flag('expired')", "Expired", "only expired cards", CARDS),
    Key("N", "toggle_flag('unlinked')", "No customer", "only cards with no customer", CARDS),
    Key("M", "toggle_flag('meta')", "Meta-cards", "only meta-cards", CARDS),
    Key("R", "refused", "Refused tags", "SteVe's refused (unknown) idTags", CARDS),
    Key("O", "cycle_state", "Open/stopped/all", "open, stopped or all sessions", SESSIONS),
    Key("left_square_bracket", "older", "Older", "the window before this one", SESSIONS),
    Key("right_square_bracket", "newer", "Newer", "the window after this one", SESSIONS),
    Key("A", "all_cards", "All cards", "every card's edits, not only this card's", AUDIT),
    Key("v", "revert", "Revert (admin)", "revert the edit under the cursor (admin)", AUDIT),
)

BY_KEY: dict[str, Key] = {k.key: k for k in KEYS}


def bind(key: str, *, show: bool = True, label: str | None = None) -> Binding:
    """The ``Binding`` for ``key``, with the action it has on every screen."""
    meaning = BY_KEY[key]
    return Binding(key, meaning.action, label or meaning.label, show=show, tooltip=meaning.meaning)


def meaning_of(key: str) -> str | None:
    """What ``key`` means on every screen, or None for a key outside the scheme."""
    found = BY_KEY.get(key)
    return found.meaning if found is not None else None


_DISPLAY = {
    "question_mark": "?",
    "colon": ":",
    "slash": "/",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "minus": "-",
}


def keys_markdown() -> str:
    """The README's key table, grouped as above."""
    lines = ["| key | does | where |", "|---|---|---|"]
    for group in GROUPS:
        for k in KEYS:
            if k.group == group:
                shown = _DISPLAY.get(k.key, k.key)
                lines.append(f"| `{shown}` | {k.meaning} | {group} |")
    return "\n".join(lines)


__all__ = ["BY_KEY", "GROUPS", "KEYS", "Key", "bind", "keys_markdown", "meaning_of"]
