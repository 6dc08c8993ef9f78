"""The breadcrumb line: the path of screens under this one.

``Chargers › Card CARD-A › Charger CP-ALPHA-01``: what Escape walks back
through, one screen per press. A jump keeps at most the screen the operator
came from (see ``app.navigation``), so the path stays short. On the first
screen alone the line takes no space.

Each screen names itself with ``crumb()`` (``PolarisScreen``); the widget
asks by name because widgets sit below screens in the layers.
"""

from __future__ import annotations

from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from polaris_tui.widgets.safe_text import clean

SEPARATOR = " › "


def crumb_of(screen: Screen[object]) -> str | None:
    """The screen's name in the path, or None for one outside it (a dialog)."""
    name = getattr(screen, "crumb", None)
    return name() if callable(name) else None


def path_of(stack: list[Screen[object]]) -> list[str]:
    """The crumbs of ``stack``, bottom first, dialogs left out."""
    return [c for c in (crumb_of(screen) for screen in stack) if c is not None]


class Breadcrumb(Static):
    """Where this screen sits: the screens Escape goes back through."""

    DEFAULT_CSS = """
    Breadcrumb { height: 1; padding: 0 1; color: $text-muted; display: none; }
    Breadcrumb.-visible { display: block; }
    """

    def on_mount(self) -> None:
        self.app.screen_change_signal.subscribe(self, lambda _screen: self.redraw())
        self.redraw()

    def redraw(self) -> None:
        """Show the path up to this widget's screen (called on resume, too)."""
        stack = list(self.app.screen_stack)
        own = self.screen
        if own in stack:
            stack = stack[: stack.index(own) + 1]
        path = path_of(stack)
        self.set_class(len(path) > 1, "-visible")
        if len(path) <= 1:
            self.update("")
            return
        parts = [Content.styled(clean(p, limit=48), "") for p in path[:-1]]
        parts.append(Content.styled(clean(path[-1], limit=48), "bold"))
        self.update(Content.assemble(Content(SEPARATOR).join(parts), "   esc: back"))
