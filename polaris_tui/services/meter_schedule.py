"""Which open sessions' meters the next SteVe cycle reads (the stuck sampler).

The stuck rule needs a meter read after a session's meter may have stopped,
and asking SteVe for every open session each cycle would be one request per
charger. So the sampler has a request budget, ``poll.meter_reads_per_second``
(default 5: one ``GET /transactions/{pk}`` is a small indexed query for
SteVe, and 5 a second is less than one busy operator clicking through
charger pages), spent as ``ceil(rate × interval)`` reads a cycle, at most
``poll.meter_samples_per_cycle``.

Reads are ordered earliest deadline first. A session's deadline is the first
moment it could be stuck: its last meter advance seen (or its start) plus
the stuck threshold. A session whose last reads were flat has an early
deadline and is rechecked first; one whose meter moves steadily comes back
0.9 of a threshold after its last read, so each is read at least once per
threshold while the budget covers ``open sessions / threshold`` (3,000
sessions at 15 min need 3.3 reads a second). A session already judged
stuck comes back like any other (to see it recover). Sessions
never read come first of all, the oldest start first.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from polaris_tui.models import Transaction
from polaris_tui.services.settings import PollSettings
from polaris_tui.services.stuck_rules import MeterNote


def meter_reads_per_cycle(poll: PollSettings) -> int:
    """Meter reads one SteVe cycle may send: the per-second budget over one
    interval, capped by ``meter_samples_per_cycle`` (0 turns the sampler off)."""
    budget = math.ceil(poll.meter_reads_per_second * poll.interval_seconds)
    return max(0, min(budget, poll.meter_samples_per_cycle))


COVERAGE = 0.9
"""Every session is due again this share of a threshold after its last read:
the rest is slack for cycles that run late, so none goes a threshold unread."""


def read_deadline(tx: Transaction, note: MeterNote, threshold: timedelta) -> datetime:
    """When this session should be read again at the latest: the first moment
    its meter could have been flat for ``threshold``, and never later than
    ``COVERAGE`` of a threshold after its last read."""
    moved = note.advanced_at or tx.start_timestamp
    could_be_stuck = moved + threshold
    covered = note.checked_at + threshold * COVERAGE
    if could_be_stuck > note.checked_at:
        return min(could_be_stuck, covered)
    return covered


def plan_meter_reads(
    active: Sequence[Transaction],
    notes: Mapping[int, MeterNote],
    last_read: Mapping[int, int],
    threshold: timedelta,
    limit: int,
) -> list[Transaction]:
    """The open sessions to read this cycle: at most ``limit``, never-read
    first (oldest start first), then by ``read_deadline``, equal deadlines
    the least recently read first (``last_read``: a transaction id's read
    sequence number, a counter, so reads under a frozen clock keep an order).
    O(n log limit)."""
    if limit <= 0:
        return []
    unique = {tx.id: tx for tx in active}

    def key(tx: Transaction) -> tuple[int, datetime, int, int]:
        note = notes.get(tx.id)
        if note is None:
            return (0, tx.start_timestamp, 0, tx.id)
        return (1, read_deadline(tx, note, threshold), last_read.get(tx.id, -1), tx.id)

    return heapq.nsmallest(limit, unique.values(), key=key)
