"""Wording: the plain-text forms of ages, times, durations and energy.

One module for every screen, widget and the triage's evidence lines, so a
time or an age reads the same everywhere and is written once. Pure
functions over ``str`` (no Textual, no Rich), taking "now" explicitly: the
app passes its injected clock's time, so snapshots are deterministic.
"""

from __future__ import annotations

from datetime import datetime


def _age_parts(then: datetime, now: datetime) -> tuple[int, int, int] | None:
    """(seconds, minutes, hours) between ``then`` and ``now``; None in the future."""
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return None
    return seconds, seconds // 60, seconds // 3600


def ago(then: datetime | None, now: datetime) -> str:
    """Human age of ``then`` relative to ``now``: "12s ago", "4m ago", "3h 5m ago", "2d ago"."""
    if then is None:
        return "never"
    parts = _age_parts(then, now)
    if parts is None:
        return "in the future"
    seconds, minutes, hours = parts
    if seconds < 60:
        return f"{seconds}s ago"
    if minutes < 60:
        return f"{minutes}m ago"
    if hours < 48:
        rest = minutes % 60
        return f"{hours}h {rest}m ago" if rest else f"{hours}h ago"
    return f"{hours // 24}d ago"


COARSE_SECOND_STEPS = (10, 20, 30, 45)
"""Where a coarse age in seconds changes: "<10s ago", then "10s ago" up to 20 s,
and so on; from a minute on it counts whole minutes like ``ago``."""


def coarse_ago(then: datetime | None, now: datetime) -> str:
    """``ago`` in coarse steps, for labels that stay on screen: "<10s ago",
    "10s ago", "20s ago", "30s ago", "45s ago", "1m ago", "3h 5m ago".

    A label is redrawn only when its text changes, so coarse steps keep an idle
    screen quiet. Each step is the age rounded down to the step ("20s ago" on
    data 20 to 29 s old), as "1m ago" is for 60 to 119 s: the label never
    shows a younger step than the data's age has reached.
    """
    if then is None:
        return "never"
    parts = _age_parts(then, now)
    if parts is None:
        return "in the future"
    seconds = parts[0]
    if seconds >= 60:
        return ago(then, now)
    if seconds < COARSE_SECOND_STEPS[0]:
        return f"<{COARSE_SECOND_STEPS[0]}s ago"
    step = max(s for s in COARSE_SECOND_STEPS if s <= seconds)
    return f"{step}s ago"


def short_age(then: datetime | None, now: datetime) -> str:
    """A compact age for table cells: "<1m", "4m", "3h05m", "2d", "—".

    Coarse on purpose: a cell whose text does not change is not repainted, so
    a 10,000-row fleet does not rewrite every age cell on every poll.
    """
    if then is None:
        return "—"
    parts = _age_parts(then, now)
    if parts is None:
        return "future"
    seconds, minutes, hours = parts
    if seconds < 60:
        return "<1m"
    if minutes < 60:
        return f"{minutes}m"
    if hours < 48:
        return f"{hours}h{minutes % 60:02d}m"
    return f"{hours // 24}d"


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
