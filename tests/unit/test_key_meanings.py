"""One meaning per key across screens: every key a screen or widget binds
comes from ``widgets.keymap`` with the action the map gives it, so a key bound
on two screens does the same thing on both (help and the README read the
same map).

Modal dialogs are left out: their y/n/escape answer the question on screen.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widget import Widget

import polaris_tui.screens
import polaris_tui.widgets
from polaris_tui.app import PolarisApp
from polaris_tui.widgets.keymap import BY_KEY, GO_TO_LIST, KEYS, OPEN_ITEM, keys_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def _classes():
    for package in (polaris_tui.screens, polaris_tui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(cls, Widget)
                    and cls.__module__ == module.__name__
                    and not issubclass(cls, ModalScreen)
                ):
                    yield cls
    yield PolarisApp


def _bindings():
    for cls in _classes():
        for binding in cls.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding):
                for key in binding.key.split(","):
                    yield cls.__name__, key.strip(), binding.action


def test_every_key_comes_from_the_key_map() -> None:
    strays = [
        (where, key, action)
        for where, key, action in _bindings()
        if key not in BY_KEY or BY_KEY[key].action != action
    ]
    assert strays == [], f"keys outside widgets.keymap, or with another action: {strays}"


def test_no_key_means_two_things_on_two_screens() -> None:
    meanings: dict[str, dict[str, str]] = {}
    for where, key, action in _bindings():
        meanings.setdefault(key, {})[where] = action
    clashes = {key: where for key, where in meanings.items() if len(set(where.values())) > 1}
    assert clashes == {}, f"keys with two meanings: {clashes}"


def test_the_map_names_each_key_once_and_keeps_items_apart_from_lists() -> None:
    keys = [k.key for k in KEYS]
    assert len(keys) == len(set(keys))
    item_keys = {k.key for k in KEYS if k.group == OPEN_ITEM}
    list_keys = {k.key for k in KEYS if k.group == GO_TO_LIST}
    item_actions = {k.action for k in KEYS if k.group == OPEN_ITEM}
    list_actions = {k.action for k in KEYS if k.group == GO_TO_LIST}
    assert not item_keys & list_keys and not item_actions & list_actions
    # every other key's action is its own: no key shares an action with another
    # group's key (``a``/``h`` are both the audit log, in the same group)
    by_action: dict[str, set[str]] = {}
    for k in KEYS:
        by_action.setdefault(k.action, set()).add(k.group)
    assert all(len(groups) == 1 for groups in by_action.values()), by_action


def test_the_clashes_found_walking_the_runbook_are_gone() -> None:
    """Issue 12's (l, a, x, c) and the second round's (v, S, U, g, o, c)."""
    from polaris_tui.screens.card_detail import CardDetailScreen
    from polaris_tui.screens.cards import CardsScreen
    from polaris_tui.screens.charger_detail import ChargerDetailScreen
    from polaris_tui.screens.fleet import FleetScreen
    from polaris_tui.screens.sessions import SessionsScreen

    def keys(cls) -> dict[str, str]:
        return {b.key: b.action for b in cls.BINDINGS if isinstance(b, Binding)}

    assert "l" not in keys(CardDetailScreen) and keys(CardDetailScreen)["a"] == "audit"
    assert "x" not in keys(CardsScreen) and "x" not in keys(ChargerDetailScreen)
    assert keys(ChargerDetailScreen)["c"] == keys(SessionsScreen)["c"] == "open_card"
    assert keys(SessionsScreen)["g"] == "open_charger" and "g" not in keys(ChargerDetailScreen)
    assert keys(FleetScreen)["C"] == "cards" and "c" not in keys(FleetScreen)
    assert "o" not in keys(SessionsScreen) and keys(ChargerDetailScreen)["o"] == "focus_operations"
    assert keys(CardDetailScreen)["U"] == "open_customer" and "U" not in keys(CardsScreen)
    assert "v" not in keys(CardDetailScreen)


def test_each_meaning_fits_the_help_screen_at_80_columns() -> None:
    too_long = [k.meaning for k in KEYS if len(k.meaning) > 40]
    assert too_long == []


def test_readme_key_table_is_the_key_map() -> None:
    readme = README.read_text(encoding="utf-8")
    assert keys_markdown() in readme, (
        "README's key table is behind: paste polaris_tui.widgets.keymap.keys_markdown()"
    )
