"""The render boundary for untrusted text.

Anything that came from SteVe, Lago, the store or the operator goes through
``plain()`` (or ``clean()``) before it reaches a widget, even when the model
already cleaned it (``text_clean``; identifiers stay raw there):

* it becomes a ``rich.text.Text`` (never parsed as markup, so ``[/]`` or
  ``[@click=app.quit]`` are just characters);
* control characters (C0, DEL, C1), bidi overrides and zero-width characters
  are replaced with visible forms, so an OSC 52 or ``ESC [2J`` in a charger id
  cannot reach the terminal. The raw value stays in the store.
"""

from __future__ import annotations

from rich.text import Text

from polaris_tui.text_clean import INVISIBLE, visible, visible_char

# The sanitiser itself lives beside the models (``text_clean``), which clean
# outside text once when they are built; this is the render boundary's second
# look, and the cleaning of identifiers, which the models keep raw.
_INVISIBLE = INVISIBLE

MAX_CHARS = 2000
"""Longer values are cut (with a marker) so one field cannot flood a screen."""


def clean(value: object, *, limit: int = MAX_CHARS, keep_newlines: bool = False) -> str:
    """Return ``value`` as a string safe to put on a terminal.

    Args:
        value: anything; None becomes "".
        limit: longest result (characters of the source) before it is cut.
        keep_newlines: keep ``\\n`` (for multi-line panels); tabs become spaces.
    """
    if value is None:
        return ""
    text = str(value)
    cut = len(text) > limit
    if cut:
        text = text[:limit]
    result = visible(text, keep_newlines=keep_newlines)
    return result + f"… (+{len(str(value)) - limit} chars)" if cut else result


def strip_controls(text: str) -> str:
    """``text`` without the characters ``clean()`` would have to show in visible
    form (line breaks kept, tabs as spaces): for operator input such as a
    paste, where ``^[`` in a filter would match nothing anyway."""
    out = []
    for ch in text:
        if ch in "\n\r":
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif visible_char(ch) == ch:
            out.append(ch)
    return "".join(out)


def plain(value: object, style: str = "", *, limit: int = MAX_CHARS) -> Text:
    """A ``Text`` holding ``value`` literally (no markup), cleaned of controls."""
    return Text(clean(value, limit=limit), style=style, no_wrap=False)
