"""Small formatters shared by the screens ("x ago", times, energy).

All take "now" explicitly: the app passes its injected clock's time, so
snapshots are deterministic.
"""

from __future__ import annotations

from datetime import datetime


def ago(then: datetime | None, now: datetime) -> str:
    """Human age of ``then`` relative to ``now``: "12s ago", "4m ago", "3h 5m ago", "2d ago"."""
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return "in the future"
    if seconds < 60:
        return f"{seconds}s ago"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m ago"
    hours = minutes // 60
    if hours < 48:
        rest = minutes % 60
        return f"{hours}h {rest}m ago" if rest else f"{hours}h ago"
    return f"{hours // 24}d ago"


def duration(seconds: float | None) -> str:
    """A duration as "1h 05m" / "12m" / "45s"."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def when(then: datetime | None) -> str:
    """An absolute UTC time, "2026-11-22 10:04:05Z"."""
    if then is None:
        return "—"
    return then.strftime("%Y-%m-%d %H:%M:%SZ")


def kwh(wh: float | None) -> str:
    """Energy in kWh with 3 decimals, from Wh."""
    if wh is None:
        return "—"
    return f"{wh / 1000:.3f} kWh"
