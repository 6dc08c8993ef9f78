"""The footer of every screen: on a narrow terminal, the keys that matter stay.

Textual's ``Footer`` lays the keys out in order and cuts what does not fit:
at 80 columns the charger page showed "u Unlock ▏^p palette", with no ``x``
and no ``? Help``. Below ``NARROW`` columns this footer is compact, leaves
out the palette key (``ctrl+p`` still works and ``?`` lists it), and drops
the keys an operator needs least (``DROP_FIRST``, then from the end) until
the rest fit, never ``?``; a screen's own actions (sort, filter, operations,
the follow-ups) go last.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

NARROW = 100
"""Below this many columns the footer is compact and chooses its keys."""

HELP_ACTION = "help"

DROP_FIRST: tuple[str, ...] = (
    "refresh",
    "quit",
    "back",
    "operation_log",
    "audit_log",
    "audit",
    "all_cards",
    "cards",
)
"""Actions whose keys go first when the footer is short of room: each is in
``?`` help, and most have another way (the screen refreshes by itself)."""


def key_width(key_display: str, description: str) -> int:
    """Cells a compact footer key takes: key, space, description, margin."""
    return len(key_display) + 1 + len(description) + 1


def choose_keys(
    keys: list[tuple[Binding, bool, str, int]], width: int
) -> list[tuple[Binding, bool, str, int]]:
    """``keys`` (binding, enabled, tooltip, cells) cut to ``width`` cells:
    ``DROP_FIRST`` actions go first, then the last keys; help always stays."""
    kept = list(keys)

    def total() -> int:
        return sum(cells for *_, cells in kept)

    droppable = [k for action in DROP_FIRST for k in kept if k[0].action == action]
    droppable += [k for k in reversed(kept) if k not in droppable]
    for key in droppable:
        if total() <= width:
            break
        if key[0].action != HELP_ACTION:
            kept.remove(key)
    return kept


class KeyFooter(Footer):
    """``Footer`` that keeps ``?`` and the screen's own keys on a narrow screen."""

    def _narrow(self) -> bool:
        return self.app.size.width < NARROW

    def on_resize(self) -> None:
        if self._narrow() != self.compact:
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        narrow = self._narrow()
        self.set_reactive(Footer.compact, narrow)
        self.set_class(narrow, "-compact")
        self.set_reactive(Footer.show_command_palette, not narrow)
        if not narrow or not self._bindings_ready:
            yield from super().compose()
            return
        yield from self._narrow_keys()

    def _narrow_keys(self) -> Iterator[FooterKey]:
        keys: list[tuple[Binding, bool, str, int]] = []
        seen: set[str] = set()
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            display = self.app.get_key_display(binding)
            keys.append((binding, enabled, tooltip, key_width(display, binding.description)))
        chosen = choose_keys(keys, self.app.size.width)
        self.styles.grid_size_columns = len(chosen)
        for binding, enabled, tooltip, _ in chosen:
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
