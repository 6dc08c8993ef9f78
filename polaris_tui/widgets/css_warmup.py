"""Parse a page's widget CSS before the page first opens.

Textual parses a widget class's ``DEFAULT_CSS`` the first time one of its
widgets mounts, and re-reads the whole stylesheet once per new class. The
charger page brings 13 new classes (DataTable, Select, Button...): on its
first opening that parsing was ~60 ms of CPU before its first frame (the
pty bench opens it in a fresh console every run). ``warm_default_css``
adds the same sources the mount would add, once, while the console is idle
after its first poll; the mount then finds each one there and parses
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode


def default_css_sources(widget_type: type[DOMNode]) -> list[tuple[Any, str, int, str]]:
    """(location, css, tie breaker, scope) of ``widget_type`` and its bases, exactly
    as Textual reads them when one of its widgets mounts (``Widget._post_register``)."""
    # Textual's own reader, on a stand-in that only carries the class chain it uses.
    node: Any = SimpleNamespace(_node_bases=DOMNode._css_bases(widget_type))
    return DOMNode._get_default_css(node)


def warm_default_css(stylesheet: Stylesheet, widget_types: Iterable[type[DOMNode]]) -> int:
    """Add the default CSS of ``widget_types`` and parse it now; how many sources were new."""
    added = 0
    for widget_type in widget_types:
        for read_from, css, tie_breaker, scope in default_css_sources(widget_type):
            known = stylesheet.source.get(read_from)
            if known is not None and known.content == css:
                continue
            stylesheet.add_source(
                css, read_from=read_from, is_default_css=True, tie_breaker=tie_breaker, scope=scope
            )
            added += 1
    if added:
        _ = stylesheet.rules_map  # parse here, not at the page's first mount
    return added
