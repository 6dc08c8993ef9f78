"""The words of the ``:`` command line (as in k9s): parse, complete, remember.

``:chargers``, ``:cards``, ``:ops [CHARGER]``, ``:audit [TAG]``,
``:charger CP-…`` and ``:card TAG`` name a place to jump to. Parsing and
completion are plain functions over the ids the console knows, so they are
tested without a screen; the dialog (dialogs/command_line.py) only shows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Place(StrEnum):
    """Where a jump goes."""

    CHARGERS = "chargers"
    CARDS = "cards"
    OPS = "ops"
    AUDIT = "audit"
    CHARGER = "charger"
    CARD = "card"


COMMANDS: dict[str, Place] = {
    "chargers": Place.CHARGERS,
    "fleet": Place.CHARGERS,
    "cards": Place.CARDS,
    "ops": Place.OPS,
    "oplog": Place.OPS,
    "audit": Place.AUDIT,
    "charger": Place.CHARGER,
    "cp": Place.CHARGER,
    "card": Place.CARD,
    "tag": Place.CARD,
}
"""Each word the command line takes (aliases included) and its place."""

SHOWN_COMMANDS = ("chargers", "cards", "ops", "audit", "charger", "card")
"""The words completion offers (aliases still work when typed in full)."""

NEEDS_TARGET = frozenset({Place.CHARGER, Place.CARD})
MAY_TAKE_TARGET = frozenset({Place.OPS, Place.AUDIT})
HISTORY_LIMIT = 50


class JumpError(ValueError):
    """The line names no place; the message says what would."""


@dataclass(frozen=True)
class Jump:
    """A parsed command line: a place and, for a charger or card, its id."""

    place: Place
    target: str | None = None

    def line(self) -> str:
        """The line that makes this jump again (for the history)."""
        return f"{self.place.value} {self.target}" if self.target else self.place.value


USAGE = "chargers, cards, ops [CHARGER], audit [TAG], charger ID, card TAG"


def parse(text: str, *, charger_ids: Sequence[str] = (), card_tags: Sequence[str] = ()) -> Jump:
    """The jump ``text`` names. Ids are matched case-insensitively against the
    known ones (an unknown id is kept as typed: the page says it is unknown).

    Raises:
        JumpError: an empty line, an unknown word, or a missing id.
    """
    words = text.strip().removeprefix(":").split(maxsplit=1)
    if not words:
        raise JumpError(f"Type a place: {USAGE}.")
    word = words[0].lower()
    place = COMMANDS.get(word)
    if place is None:
        raise JumpError(f"Unknown command {words[0][:40]!r}: try {USAGE}.")
    target = words[1].strip() if len(words) > 1 else None
    if place in NEEDS_TARGET and not target:
        raise JumpError(f"{word} needs an id: {word} {'CP-…' if place == Place.CHARGER else 'TAG'}")
    if target and place not in NEEDS_TARGET | MAY_TAKE_TARGET:
        raise JumpError(f"{word} takes no id: try {USAGE}.")
    if target:
        known = charger_ids if place in (Place.CHARGER, Place.OPS) else card_tags
        target = _canonical(target, known)
    return Jump(place, target)


def _canonical(target: str, known: Iterable[str]) -> str:
    folded = target.casefold()
    return next((k for k in known if k.casefold() == folded), target)


def complete(
    text: str,
    *,
    charger_ids: Sequence[str] = (),
    card_tags: Sequence[str] = (),
    limit: int = 20,
) -> list[str]:
    """Whole lines that ``text`` could become, best first (at most ``limit``).

    Before a space: the command words. After ``charger ``/``card `` (and
    ``ops ``/``audit ``): the known ids starting with what is typed, then
    those containing it.
    """
    stripped = text.lstrip().removeprefix(":")
    if " " not in stripped:
        word = stripped.lower()
        return [w for w in SHOWN_COMMANDS if w.startswith(word)][:limit]
    word, _, rest = stripped.partition(" ")
    place = COMMANDS.get(word.lower())
    if place is None or place not in NEEDS_TARGET | MAY_TAKE_TARGET:
        return []
    known = charger_ids if place in (Place.CHARGER, Place.OPS) else card_tags
    typed = rest.strip().casefold()
    starts = [k for k in known if k.casefold().startswith(typed)]
    contains = [k for k in known if typed in k.casefold() and k not in starts]
    return [f"{word.lower()} {k}" for k in (starts + contains)[:limit]]


class CommandHistory:
    """The lines run this session, newest last, with a cursor for up/down."""

    def __init__(self, limit: int = HISTORY_LIMIT) -> None:
        self._lines: list[str] = []
        self._limit = limit
        self._cursor = 0

    @property
    def lines(self) -> list[str]:
        return list(self._lines)

    def add(self, line: str) -> None:
        """Remember ``line`` (once: running it again moves it to the end)."""
        if line in self._lines:
            self._lines.remove(line)
        self._lines.append(line)
        del self._lines[: -self._limit]
        self.reset()

    def reset(self) -> None:
        """Put the cursor after the newest line (a new command line opens)."""
        self._cursor = len(self._lines)

    def older(self) -> str | None:
        """The line before the cursor (None: already at the oldest)."""
        if self._cursor == 0:
            return None
        self._cursor -= 1
        return self._lines[self._cursor]

    def newer(self) -> str:
        """The line after the cursor ("" past the newest: a fresh line)."""
        if self._cursor < len(self._lines):
            self._cursor += 1
        return self._lines[self._cursor] if self._cursor < len(self._lines) else ""


__all__ = [
    "COMMANDS",
    "CommandHistory",
    "Jump",
    "JumpError",
    "Place",
    "complete",
    "parse",
]
