"""The one source of "now" for the services.

Every age ("heartbeat 4m ago", "meter stopped 25 min ago") and every
threshold is computed from an injected clock, never from ``datetime.now()``,
so tests and snapshot screenshots are deterministic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Anything that can tell the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def _as_utc(moment: datetime) -> datetime:
    """Refuse naive datetimes (their zone is a guess) and normalise to UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("FixedClock needs a timezone-aware datetime")
    return moment.astimezone(UTC)


class FixedClock:
    """A clock that only moves when told to: for tests and frozen demos."""

    def __init__(self, now: datetime) -> None:
        self._now = _as_utc(now)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move forward by ``seconds`` (may be fractional); returns the new now."""
        self._now = self._now + timedelta(seconds=seconds)
        return self._now

    def set(self, dt: datetime) -> None:
        """Jump to ``dt`` (aware)."""
        self._now = _as_utc(dt)
