"""The footer of every screen: on a narrow terminal, the keys that matter stay.

Textual's ``Footer`` lays the keys out in order and cuts what does not fit:
at 80 columns the charger page showed "u Unlock ▏^p palette", with no ``x``
and no ``? Help``, and the card page lost ``?`` even at 120. When the keys
do not fit, this footer is compact, leaves out the palette key (``ctrl+p``
still works and ``?`` lists it), and drops the keys an operator needs least
(``DROP_FIRST``, then from the end) until the rest fit, never ``?``; a
screen's own actions (sort, filter, operations, the follow-ups) go last.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_CELLS = 13
"""The palette key on the right ("▏^p palette" and its padding)."""

HELP_ACTION = "help"

DROP_FIRST: tuple[str, ...] = (
    "refresh",
    "quit",
    "back",
    "operation_log",
    "audit",
    "all_cards",
    "cards",
)
"""Actions whose keys go first when the footer is short of room: each is in
``?`` help, and most have another way (the screen refreshes by itself)."""


def key_width(key_display: str, description: str, *, compact: bool = True) -> int:
    """Cells a footer key takes: key, space, description, margin (and the
    padding around the key in the normal style)."""
    return len(key_display) + 1 + len(description) + (1 if compact else 3)


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


def _born_wide(widget: Widget) -> Widget:
    """A key of a wide footer, made wide before it mounts.

    ``FooterKey.compact`` starts True and its binding sets it from the
    footer once mounted: each key of a wide footer was styled compact, then
    restyled wide, ~1 ms of CPU per key on every compose of the footer
    (the first frame paid it twice). The palette's key is not bound and
    stays compact: it gets its class before it mounts.
    """
    if isinstance(widget, FooterKey):
        if widget.has_class("-command-palette"):
            widget.add_class("-compact")  # not bound: it stays compact, as Textual shows it
        else:
            widget.set_reactive(FooterKey.compact, False)
    return widget


class KeyFooter(Footer):
    """``Footer`` that keeps ``?`` and the screen's own keys on a narrow screen."""

    _shown_width = 0
    _shown_keys: tuple[tuple[str, str, bool, str], ...] | None = None
    """The keys the last compose showed, or the one scheduled will."""

    def on_resize(self) -> None:
        if self.app.size.width != self._shown_width:
            self.call_after_refresh(self.recompose)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # Textual recomposes the footer on every bindings signal (each focus
        # change, each mount): ten new keys restyled each time, four times
        # while a charger page opens. Recompose only when the keys shown (or
        # already scheduled to be) would differ. Without app focus Textual
        # schedules nothing, so nothing is recorded as shown.
        if screen is self.screen and screen.app.app_focus and self.is_attached:
            keys = self._key_summary()
            if self._bindings_ready and keys == self._shown_keys:
                return
            self._shown_keys = keys
        super().bindings_changed(screen)

    def _key_summary(self) -> tuple[tuple[str, str, bool, str], ...]:
        return tuple((b.key, b.description, enabled, tip) for b, enabled, tip in self._keys())

    def _keys(self) -> list[tuple[Binding, bool, str]]:
        """The shown keys, one per action (as ``Footer`` shows them)."""
        keys: list[tuple[Binding, bool, str]] = []
        seen: set[str] = set()
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                keys.append((binding, enabled, tooltip))
        return keys

    def compose(self) -> ComposeResult:
        width = self._shown_width = self.app.size.width
        keys = self._keys() if self._bindings_ready else []
        self._shown_keys = self._key_summary() if self._bindings_ready else None
        normal = PALETTE_CELLS + sum(
            key_width(self.app.get_key_display(b), b.description, compact=False) for b, _, _ in keys
        )
        short = normal > width
        self.set_reactive(Footer.compact, short)
        self.set_class(short, "-compact")
        self.set_reactive(Footer.show_command_palette, not short)
        if not short:
            yield from map(_born_wide, super().compose())
            return
        yield from self._short_keys(keys, width)

    def _short_keys(self, keys: list[tuple[Binding, bool, str]], width: int) -> Iterator[FooterKey]:
        measured = [
            (b, enabled, tooltip, key_width(self.app.get_key_display(b), b.description))
            for b, enabled, tooltip in keys
        ]
        chosen = choose_keys(measured, width)
        self.styles.grid_size_columns = len(chosen)
        for binding, enabled, tooltip, _ in chosen:
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
                classes="-compact",  # as it starts (see ``_born_wide``): no restyle at mount
            ).data_bind(compact=Footer.compact)
