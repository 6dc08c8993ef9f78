"""A widget built already marked focused, for the one a page auto-focuses.

The charger page gives its scrolling body focus as it opens (Textual's auto
focus), and Textual restyles a widget that gains focus together with every
widget inside it: a second styling of most of the page before its first
frame (~25 ms of CPU out of ~115 on this machine). Marked focused when it
is built, the body and everything in it are styled once, at the mount, as
they look with the body focused; the auto focus then changes nothing and
restyles nothing. ``settle_prefocus`` runs after the auto focus: it removes
the mark when the focus went elsewhere (an unfocused terminal: Textual
focuses nothing), which restyles as before.
"""

from __future__ import annotations

from typing import TypeVar

from textual.widget import Widget

W = TypeVar("W", bound=Widget)


def prefocused(widget: W) -> W:
    """``widget``, marked focused without a watcher (nothing is styled yet)."""
    widget.set_reactive(Widget.has_focus, True)
    return widget


def settle_prefocus(widget: Widget) -> None:
    """Keep the mark only if ``widget`` really has its screen's focus."""
    if widget.has_focus and widget.screen.focused is not widget:
        widget.has_focus = False  # restyles it and everything in it
