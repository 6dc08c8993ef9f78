"""The stand-in's clock, and the wire format of its timestamps.

Everything the stand-in stamps (status notifications, meter values, heartbeats,
transactions, error bodies) reads the time from one ``SimClock`` so that a test
can freeze it (``--now ISO --frozen``) and move it on only through the control
endpoint. Timers that model *how long a station takes to answer* are real
asyncio delays instead: they are about wall-clock latency, not about the
simulated day.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

UTC = UTC


def iso_z(dt: datetime | None) -> str | None:
    """SteVe's and Lago's wire format: ISO-8601 UTC, milliseconds, ``Z``."""
    if dt is None:
        return None
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 date or date-time; a value without zone is UTC.

    Mirrors SteVe's lenient query parser (``2024-08-25``, ``2024-08-25T14:30``,
    ``...Z``, ``...+01:00``) and refuses a space instead of ``T`` as SteVe does.
    Raises ValueError on anything else.
    """
    text = text.strip()
    if not text or " " in text:
        raise ValueError(f"not an ISO-8601 date-time: {text!r}")
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def floor_minute(dt: datetime) -> datetime:
    """The whole minute at or before ``dt`` (meter ticks happen on these)."""
    return dt.replace(second=0, microsecond=0)


class SimClock:
    """Real time by default; frozen at a given instant when asked.

    Args:
        start: the instant "now" begins at (``None`` = the wall clock).
        frozen: if true, ``now()`` only changes through ``advance``/``set``.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self.frozen = frozen
        self.start = (start or datetime.now(UTC)).astimezone(UTC)
        self._base = self.start
        self._mono = time.monotonic()

    def now(self) -> datetime:
        """The simulated current time (timezone-aware UTC)."""
        if self.frozen:
            return self._base
        return self._base + timedelta(seconds=time.monotonic() - self._mono)

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (works frozen or running). Returns the new now."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._base = self.now() + timedelta(seconds=seconds)
        self._mono = time.monotonic()
        return self._base

    def set(self, when: datetime) -> datetime:
        """Jump to ``when`` (forward only, so meter histories stay ordered)."""
        when = when.astimezone(UTC)
        if when < self.now():
            raise ValueError("the clock only moves forward")
        self._base = when
        self._mono = time.monotonic()
        return self._base

    def epoch_ms(self) -> int:
        """Now as Unix epoch milliseconds (the hook body's ``ts``)."""
        return int(self.now().timestamp() * 1000)
