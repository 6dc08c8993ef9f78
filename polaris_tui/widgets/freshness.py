"""How old a piece of data is, in the short forms panels and tables use.

Every panel says how old its data is (issue 4), and nothing stale may look
live. These helpers take "now" explicitly (the app's injected clock) so
snapshots are deterministic.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from polaris_tui.widgets.formatting import ago


def short_age(then: datetime | None, now: datetime) -> str:
    """A compact age for table cells: "<1m", "4m", "3h05m", "2d", "—".

    Coarse on purpose: a cell whose text does not change is not repainted, so
    a 10,000-row fleet does not rewrite every age cell on every poll.
    """
    if then is None:
        return "—"
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return "future"
    if seconds < 60:
        return "<1m"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h{minutes % 60:02d}m"
    return f"{hours // 24}d"


def as_of(fetched_at: datetime | None, now: datetime, *, stale: bool = False) -> Content:
    """The "data as of" line a panel shows in its border subtitle.

    Args:
        fetched_at: when the data was fetched; None when nothing arrived yet.
        now: the app clock's now.
        stale: the source is unreachable, so the data is a snapshot, not live.
    """
    if fetched_at is None:
        return Content("no data yet")
    stamp = fetched_at.strftime("%H:%M:%SZ")
    text = f"as of {stamp} · {ago(fetched_at, now)}"
    if stale:
        return Content.assemble(("STALE ", "bold $error"), text)
    return Content(text)
