"""How old a piece of data is, in the short forms panels and tables use.

Every panel says how old its data is (issue 4), and nothing stale may look
live. These helpers take "now" explicitly (the app's injected clock) so
snapshots are deterministic.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from polaris_tui.wording import coarse_ago

DATA_AGE_TICK_SECONDS = 1.0
"""How often a label showing the data's age is recomputed. A slower tick shows
data as fresher than it is ("9s ago" on data 20 s old, issue 16). Labels are
repainted only when their text changes (``widgets/quiet.py``), and their ages
are coarse (``coarse_ago``), so the tick costs no terminal bytes while idle."""


def oldest(*moments: datetime | None) -> datetime | None:
    """The earliest of the known times: the age of data assembled from several
    reads is the age of its oldest part."""
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def as_of(fetched_at: datetime | None, now: datetime, *, stale: bool = False) -> Content:
    """The "data as of" line a panel shows in its border subtitle.

    Args:
        fetched_at: when the data was fetched; None when nothing arrived yet.
        now: the app clock's now.
        stale: the source is unreachable, so the data is a snapshot, not live.
    """
    if fetched_at is None:
        return Content("no data yet")
    # To the minute: a stamp with seconds changes at every poll and repaints
    # its line each time; the age beside it says how fresh the data is.
    stamp = fetched_at.strftime("%H:%MZ")
    text = f"as of {stamp} · {coarse_ago(fetched_at, now)}"
    if stale:
        return Content.assemble(("STALE ", "bold $error"), text)
    return Content(text)
