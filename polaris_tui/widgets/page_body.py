"""The scrolling body of a detail page, whose focus restyles only itself."""

from __future__ import annotations

from textual.containers import VerticalScroll


class PageBody(VerticalScroll):
    """A ``VerticalScroll`` whose focus restyles only itself.

    Textual restyles a widget that gains or loses focus together with every
    widget inside it (for rules like ``Select:focus > SelectCurrent``). No
    rule styles anything inside a page body by the body's focus, and the
    body takes focus as the page opens: restyling the charger page's ~45
    widgets then was ~0.3 s of CPU on a loaded machine (issue 13, quick
    detail).
    """

    def watch_has_focus(self, _has_focus: bool) -> None:
        self.app.stylesheet.update_nodes([self], animate=True)
