"""The render boundary for untrusted text.

Anything that came from SteVe, Lago, the store or the operator goes through
``plain()`` (or ``clean()``) before it reaches a widget:

* it becomes a ``rich.text.Text`` (never parsed as markup, so ``[/]`` or
  ``[@click=app.quit]`` are just characters);
* control characters (C0, DEL, C1), bidi overrides and zero-width characters
  are replaced with visible forms, so an OSC 52 or ``ESC [2J`` in a charger id
  cannot reach the terminal. The raw value stays in the store.
"""

from __future__ import annotations

from rich.text import Text

# Invisible or direction-changing code points that must be shown, not obeyed.
_INVISIBLE = {
    0x200B: "ZWSP",
    0x200C: "ZWNJ",
    0x200D: "ZWJ",
    0x2060: "WJ",
    0xFEFF: "BOM",
    0x200E: "LRM",
    0x200F: "RLM",
    0x061C: "ALM",
    0x202A: "LRE",
    0x202B: "RLE",
    0x202C: "PDF",
    0x202D: "LRO",
    0x202E: "RLO",
    0x2066: "LRI",
    0x2067: "RLI",
    0x2068: "FSI",
    0x2069: "PDI",
    0x2028: "LSEP",
    0x2029: "PSEP",
}

MAX_CHARS = 2000
"""Longer values are cut (with a marker) so one field cannot flood a screen."""


def _visible(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return "^" + chr(code + 0x40)  # ESC -> ^[ , NUL -> ^@
    if code == 0x7F:
        return "^?"
    if 0x80 <= code <= 0x9F:
        return f"<U+{code:04X}>"
    name = _INVISIBLE.get(code)
    if name is not None:
        return f"<{name}>"
    return ch


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
    out = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        else:
            out.append(_visible(ch))
    result = "".join(out)
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
        elif _visible(ch) == ch:
            out.append(ch)
    return "".join(out)


def plain(value: object, style: str = "", *, limit: int = MAX_CHARS) -> Text:
    """A ``Text`` holding ``value`` literally (no markup), cleaned of controls."""
    return Text(clean(value, limit=limit), style=style, no_wrap=False)
