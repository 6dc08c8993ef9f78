"""What changed in the store, told to every console on it (issue 10, "live").

A write transaction notes which tables its statements touched (``Touched``);
each table belongs to a topic a screen cares about. Before the commit the
backend announces the topics:

* PostgreSQL: ``pg_notify(CHANNEL, "<owner token> <topics>")`` inside the
  transaction, so the notice goes out exactly when (and only if) the rows
  are visible; every console LISTENs on a connection of its own.
* SQLite: one row per topic in ``store_changes`` is bumped in the same
  transaction; other processes poll ``PRAGMA data_version`` (cheap, no I/O
  unless the file changed) and, when it moved, diff that table.

Tables that change on every poll cycle (the fleet snapshot, the Lago cache)
have no topic: each console polls SteVe itself, and announcing them would
wake every other console every few seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

CHANNEL = "polaris_changes"

OPERATIONS = "operations"
CARDS = "cards"
PAIRINGS = "pairings"
OPERATORS = "operators"
ALL_TOPICS = frozenset({OPERATIONS, CARDS, PAIRINGS, OPERATORS})

TABLE_TOPICS: dict[str, str] = {
    "charger_operation_log": OPERATIONS,
    "audit_log": CARDS,
    "card_meta": CARDS,
    "pairings": PAIRINGS,
    "scan_events": PAIRINGS,
    "operators": OPERATORS,
    "operator_audit": OPERATORS,
}

ChangeCallback = Callable[[frozenset[str]], None]
"""Called (in the store's event loop) with the topics another console changed."""

LinkCallback = Callable[[str | None], None]
"""Called with why live updates are down (what is on screen may be stale),
or None once they are live again."""

_WRITE = re.compile(r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.I)


def topic_of_statement(sql: str) -> str | None:
    """The topic a write statement touches, or None (a read, or an unwatched table)."""
    match = _WRITE.match(sql)
    return TABLE_TOPICS.get(match.group(1).lower()) if match else None


class Touched:
    """The topics one transaction has written so far."""

    def __init__(self) -> None:
        self.topics: set[str] = set()

    def statement(self, sql: str) -> None:
        topic = topic_of_statement(sql)
        if topic is not None:
            self.topics.add(topic)

    def table(self, table: str) -> None:
        topic = TABLE_TOPICS.get(table)
        if topic is not None:
            self.topics.add(topic)


def encode(token: str, topics: Iterable[str]) -> str:
    """The NOTIFY payload: who wrote, then the topics."""
    return " ".join([token, *sorted(topics)])


def decode(payload: str) -> tuple[str, frozenset[str]]:
    token, *topics = payload.split()
    return token, frozenset(topic for topic in topics if topic in ALL_TOPICS)
