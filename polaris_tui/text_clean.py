"""The one sanitiser for text that comes from outside Polaris.

SteVe, Lago, a station, the store and the operator can all hand Polaris
text holding terminal controls: an OSC 52 clipboard write, an OSC 0 window
title, ``ESC [2J``, raw C1 bytes, bidi overrides, zero-width characters.
Written to a terminal, the terminal obeys them. So text is cleaned where it
enters the models (``models.py`` types its fields with ``CleanText``): every
character below 0x20 except newline, DEL, 0x80–0x9F, and the invisible or
direction-changing code points become visible forms (``ESC`` -> ``^[``,
``0x9B`` -> ``<U+009B>``, ``U+202E`` -> ``<RLO>``); a tab becomes a space.

The raw value is not lost: a cleaned string is a ``Cleaned`` (a ``str`` whose
text is the visible form) that remembers what arrived, and models serialise
it back to the raw value, so the store keeps what arrived and a round trip
through the store is cleaned again when the model is rebuilt.

Identifiers (charge box ids, idTags, Lago ids) and text Polaris writes back
(a tag's note, card names) stay raw in the models (``Key``, ``Kept``): they
address or restore outside data. The render boundary (``widgets/safe_text``)
cleans them with the same function.

No Textual, no Rich: this sits beside the models.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, PlainSerializer

INVISIBLE: dict[int, str] = {
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
"""Invisible or direction-changing code points that must be shown, not obeyed."""

_INVISIBLE_CLASS = "".join(re.escape(chr(code)) for code in INVISIBLE)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f" + _INVISIBLE_CLASS + "]")
"""Anything ``visible_char`` would change, newline included."""
_UNSAFE_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f" + _INVISIBLE_CLASS + "]")
"""The same without the newline, which multi-line text keeps."""


def visible_char(ch: str) -> str:
    """The visible form of one character (itself when it is harmless)."""
    code = ord(ch)
    if code < 0x20:
        return "^" + chr(code + 0x40)  # ESC -> ^[ , NUL -> ^@
    if code == 0x7F:
        return "^?"
    if 0x80 <= code <= 0x9F:
        return f"<U+{code:04X}>"
    name = INVISIBLE.get(code)
    if name is not None:
        return f"<{name}>"
    return ch


def _replace(match: re.Match[str], keep_newlines: bool) -> str:
    ch = match.group()
    if ch == "\t":
        return " "
    if ch == "\n" and keep_newlines:
        return ch
    return visible_char(ch)


def visible(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with every control, bidi and zero-width character in visible form.

    Harmless text (the common case) is returned as is, found with one regex
    search, so cleaning a 10,000-charger poll costs little.
    """
    pattern = _UNSAFE_BUT_NEWLINE if keep_newlines else _UNSAFE
    if not pattern.search(text):
        return text
    return pattern.sub(lambda m: _replace(m, keep_newlines), text)


def is_clean(text: str) -> bool:
    """True when ``text`` holds nothing a terminal would obey (newlines allowed)."""
    return _UNSAFE_BUT_NEWLINE.search(text) is None


class Cleaned(str):
    """Text in visible form that remembers the raw value it was made from."""

    raw: str

    def __new__(cls, raw: str) -> Cleaned:
        made = super().__new__(cls, visible(raw))
        made.raw = raw
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Cleaned, (self.raw,))


def clean_text(value: str) -> str:
    """The model-side cleaning of one string: itself if harmless, else a ``Cleaned``."""
    if value.isascii() and value.isprintable():
        # No control character (the only unsafe ASCII): half the regex's cost,
        # and the sampler cleans ~18,000 short strings a cycle at 10,000 chargers.
        return value
    if isinstance(value, Cleaned) or not _UNSAFE_BUT_NEWLINE.search(value):
        return value
    return Cleaned(value)


def raw_text(value: str) -> str:
    """What arrived: the raw value behind a ``Cleaned``, or the string itself."""
    return value.raw if isinstance(value, Cleaned) else value


def clean_tree(value: Any) -> Any:
    """Every string inside ``value`` (dict keys too) cleaned, for free-form fields."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_tree(item) for item in value]
    if isinstance(value, tuple):
        return tuple(clean_tree(item) for item in value)
    if isinstance(value, dict):
        return {clean_tree(key): clean_tree(item) for key, item in value.items()}
    return value


def raw_tree(value: Any) -> Any:
    """``clean_tree`` undone: the raw values, for the store."""
    if isinstance(value, str):
        return raw_text(value)
    if isinstance(value, list):
        return [raw_tree(item) for item in value]
    if isinstance(value, tuple):
        return tuple(raw_tree(item) for item in value)
    if isinstance(value, dict):
        return {raw_tree(key): raw_tree(item) for key, item in value.items()}
    return value


class FieldRole:
    """Marks what a string field of a model is, so a test can check every field."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"FieldRole({self.name!r})"


CLEANED = FieldRole("cleaned")
KEY = FieldRole("key")
KEPT = FieldRole("kept")

CleanText = Annotated[str, AfterValidator(clean_text), PlainSerializer(raw_text), CLEANED]
"""Free text from outside that Polaris only shows: cleaned when the model is built."""

CleanTree = Annotated[Any, AfterValidator(clean_tree), PlainSerializer(raw_tree), CLEANED]
"""Free-form data (a station's JSON answer): every string inside is cleaned."""

CleanDict = Annotated[
    dict[str, Any], AfterValidator(clean_tree), PlainSerializer(raw_tree), CLEANED
]
"""A JSON object (operation params and results, event properties), cleaned inside."""

Key = Annotated[str, KEY]
"""An identifier Polaris sends back to SteVe, Lago or the store (charge box id,
idTag, Lago id, operator name): kept raw, cleaned where it is displayed."""

Kept = Annotated[str, KEPT]
"""Free text Polaris writes back whole (a tag's note in SteVe's PUT, card names
and types in the store): kept raw so an edit or a revert never rewrites it,
cleaned where it is displayed."""

KeptTree = Annotated[Any, KEPT]
"""Free-form data Polaris acts on (the value of a card edit)."""

KeptDict = Annotated[dict[str, Any], KEPT]
"""A JSON object written back (an audit entry's before/after, restored by a revert)."""
