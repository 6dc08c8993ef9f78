"""One meaning per key across screens: a key bound on two screens does the
same thing on both (the help screen lists them from the same bindings).

Modal dialogs are left out: their y/n/escape answer the question on screen.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widget import Widget

import polaris_tui.screens
import polaris_tui.widgets
from polaris_tui.app import PolarisApp

SAME_MEANING = {
    # one meaning, named differently by each screen's action
    "clear_filter": "back",
    "focus_filter": "find",
    "audit_log": "audit",
    "open_operation_log": "operation_log",
}


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


def _meaning(action: str) -> str:
    name = action.split("(")[0]
    return SAME_MEANING.get(name, name) + action[len(name) :]


def test_no_key_means_two_things_on_two_screens() -> None:
    meanings: dict[str, dict[str, str]] = {}
    for cls in _classes():
        for binding in cls.__dict__.get("BINDINGS", []):
            if not isinstance(binding, Binding):
                continue
            for key in binding.key.split(","):
                meanings.setdefault(key.strip(), {})[cls.__name__] = _meaning(binding.action)
    clashes = {key: where for key, where in meanings.items() if len(set(where.values())) > 1}
    assert clashes == {}, f"keys with two meanings: {clashes}"


def test_the_issue_s_clashes_are_gone() -> None:
    """l, a, x and c each mean one thing now."""
    from polaris_tui.screens.card_detail import CardDetailScreen
    from polaris_tui.screens.cards import CardsScreen
    from polaris_tui.screens.charger_detail import ChargerDetailScreen

    def keys(cls) -> dict[str, str]:
        return {b.key: b.action for b in cls.BINDINGS if isinstance(b, Binding)}

    assert "l" not in keys(CardDetailScreen) and keys(CardDetailScreen)["a"] == "audit"
    assert "x" not in keys(CardsScreen) and "x" not in keys(ChargerDetailScreen)
    assert "c" not in keys(ChargerDetailScreen)
