"""How values are written to the store, the same on every backend.

Times are ISO-8601 UTC text with microseconds (fixed width, so they sort and
compare as text on SQLite and PostgreSQL alike, and copy between backends
byte for byte). Structured values are canonical JSON text (sorted keys), so
equal params give equal text and ``params = ?`` finds an identical operation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, overload


class _Unset:
    """Marker for "leave this column as it is" in partial updates."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def to_text(dt: datetime | None) -> str | None:
    """Store a datetime as ISO-8601 UTC text with microseconds (sortable)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


@overload
def from_text(text: str) -> datetime: ...
@overload
def from_text(text: None) -> None: ...
@overload
def from_text(text: str | None) -> datetime | None: ...


def from_text(text: str | None) -> datetime | None:
    """Read back what ``to_text`` wrote (always aware UTC)."""
    if text is None:
        return None
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def to_json(value: Any) -> str | None:
    """Canonical JSON (sorted keys): equal params give equal text."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)
