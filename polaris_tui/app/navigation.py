"""Jumps: a new screen replaces the stack instead of piling on it.

Every way to open a screen (a row's Enter, ``c``/``g``/``U``, the palette, the ``:``
command line) goes through ``jump``. Above the first screen (the fleet) the
stack keeps only the screen the operator came from and the new one, so
Escape goes back where they came from and a second Escape goes home; the
breadcrumb line (widgets/breadcrumb.py) shows that path. Before, each jump
pushed another screen: about 15 escapes to get home after a triage.

The screen the operator came from is kept as it was (its filter, its
cursor): it is installed while the screens under it are popped, then pushed
back, which is how Textual keeps a popped screen alive.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen

from polaris_tui.widgets.breadcrumb import crumb_of

KEPT = "polaris-jump-origin"
"""The name the origin is installed under while the stack is rebuilt."""


def place_of(screen: Screen[Any]) -> tuple[str, str | None] | None:
    """Where ``screen`` is (``PolarisScreen.place``), None for a dialog."""
    place = getattr(screen, "place", None)
    return place() if callable(place) else None


def _home_index(stack: list[Screen[Any]]) -> int:
    """The index of the first screen of the path (the fleet): it always stays."""
    return next((i for i, s in enumerate(stack) if crumb_of(s) is not None), len(stack) - 1)


async def jump(app: App[Any], new: Screen[Any]) -> None:
    """Show ``new`` above the home screen and the screen the operator was on.

    A jump to where the operator already is closes what covers it (a dialog,
    the help) and stays; a jump to the home screen pops to it.
    """
    stack = list(app.screen_stack)
    home = _home_index(stack)
    path = [s for s in stack[home + 1 :] if crumb_of(s) is not None]
    origin = path[-1] if path else None
    target = place_of(new)
    if place_of(stack[home]) == target:
        while len(app.screen_stack) > home + 1:
            await app.pop_screen()
        return
    if origin is not None and place_of(origin) == target:
        while app.screen is not origin:
            await app.pop_screen()
        return
    if stack[home + 1 :] == path and len(path) <= 1:
        await app.push_screen(new)  # nothing to drop: the plain case
        return
    with app.batch_update():
        if origin is not None:
            app.install_screen(origin, KEPT)
        while len(app.screen_stack) > home + 1:
            await app.pop_screen()
        if origin is not None:
            app.uninstall_screen(KEPT)
            await app.push_screen(origin)
        await app.push_screen(new)


__all__ = ["jump", "place_of"]
