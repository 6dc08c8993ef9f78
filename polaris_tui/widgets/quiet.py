"""Repaint only what changed: set a widget's text or subtitle when it differs.

Textual repaints a ``Static`` on every ``update`` and a widget on every
``border_subtitle`` assignment, even with the same text. A subtitle on a
container repaints everything inside it (the whole fleet table: ~12 KB over
the terminal). Screens recompute their labels every second so ages never
lag; these helpers keep that recomputation off the wire when nothing changed.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static


def same_content(old: object, new: Content) -> bool:
    """Whether ``old`` (what a widget holds) draws exactly as ``new``: same text, same styles."""
    return isinstance(old, Content) and old.plain == new.plain and old.spans == new.spans


def set_subtitle(widget: Widget, subtitle: Content) -> bool:
    """Set ``widget``'s border subtitle unless it already reads the same, and
    repaint only the bottom border row it sits on; True if set."""
    drawn = widget.render_str(subtitle).expand_tabs(4).split()[0]
    if same_content(widget._border_subtitle, drawn):
        return False
    width, height = widget.outer_size
    if not widget.is_mounted or height < 1 or width < 1:
        widget.border_subtitle = subtitle  # not laid out yet: the first paint draws it
        return True
    # What Textual's ``border_subtitle`` setter stores, without its whole-widget
    # refresh (which repaints a container's children: the fleet table).
    widget._border_subtitle = drawn
    left, top = widget.content_offset
    widget.refresh(Region(-left, height - 1 - top, width, 1))
    return True


def update_static(static: Static, content: Content) -> bool:
    """``static.update(content)`` unless it already shows the same; True if updated."""
    if same_content(static.content, content):
        return False
    static.update(content)
    return True
