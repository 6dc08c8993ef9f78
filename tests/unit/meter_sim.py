"""A simulated hour of the stuck sampler: sessions, meters, cycles, reads.

No I/O and no clock: each cycle picks its reads with the poller's own plan
(``plan_meter_reads``, or the old least-recently-read rotation for the
reference), reads the simulated meters with the real ``read_meter``, and
records when each stopped meter was first seen stuck. Used by the unit tests
and by ``bench/stuck_sampler.py``.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from polaris_tui.models import MeterValue, Transaction
from polaris_tui.services.meter_schedule import plan_meter_reads
from polaris_tui.services.stuck_rules import MeterNote, read_meter

START = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
METER_EVERY = timedelta(seconds=60)
"""A charging station reports its energy register once a minute."""

Plan = Callable[
    [Sequence[Transaction], Mapping[int, MeterNote], Mapping[int, int], timedelta, int],
    list[Transaction],
]


def least_recently_read(
    active: Sequence[Transaction],
    notes: Mapping[int, MeterNote],
    last_read: Mapping[int, int],
    threshold: timedelta,
    limit: int,
) -> list[Transaction]:
    """The sampler before issue 13: never-read first, then least recently read."""
    del notes, threshold
    return heapq.nsmallest(
        limit, active, key=lambda tx: (last_read.get(tx.id, -1), tx.start_timestamp, tx.id)
    )


@dataclass
class Outcome:
    reads: int = 0
    seconds: float = 0.0
    worst_gap: timedelta = timedelta(0)
    """Longest time any session went unread (from the start, or between reads)."""
    delays: list[timedelta] = field(default_factory=list)
    """For each stopped meter: first read that showed it stuck minus the moment it became stuck."""
    missed: int = 0
    """Stopped meters never seen stuck within the simulated time."""

    @property
    def per_second(self) -> float:
        return self.reads / self.seconds if self.seconds else 0.0

    @property
    def worst_delay(self) -> timedelta:
        return max(self.delays, default=timedelta(0))


def simulate(
    sessions: int,
    *,
    per_cycle: int,
    interval: float = 5.0,
    cycle_cost: float = 1.0,
    threshold: timedelta = timedelta(minutes=15),
    duration: timedelta = timedelta(hours=1),
    stopped_share: float = 0.1,
    plan: Plan = plan_meter_reads,
    seed: int = 13,
) -> Outcome:
    """Run the sampler over ``sessions`` open sessions for ``duration``; a
    ``stopped_share`` of them stops advancing at a random moment in the first half."""
    rng = random.Random(seed)
    active = [
        Transaction(
            id=i,
            charge_box_id=f"CP-{i:05d}",
            connector_id=1,
            ocpp_id_tag=f"TAG-{i}",
            start_timestamp=START - timedelta(seconds=rng.uniform(60, 3 * 3600)),
            start_value="0",
        )
        for i in range(sessions)
    ]
    stops: dict[int, datetime] = {
        tx.id: START + timedelta(seconds=rng.uniform(0, duration.total_seconds() / 2))
        for tx in active
        if rng.random() < stopped_share
    }
    notes: dict[int, MeterNote] = {}
    last_read: dict[int, int] = {}
    last_seen: dict[int, datetime] = dict.fromkeys((tx.id for tx in active), START)
    detected: dict[int, datetime] = {}
    outcome = Outcome()
    now = START
    end = START + duration
    while now < end:
        for tx in plan(active, notes, last_read, threshold, per_cycle):
            notes[tx.id] = read_meter(tx, _values(tx, now, stops.get(tx.id)), now, threshold)
            last_read[tx.id] = outcome.reads
            outcome.reads += 1
            outcome.worst_gap = max(outcome.worst_gap, now - last_seen[tx.id])
            last_seen[tx.id] = now
            if tx.id in stops and tx.id not in detected and notes[tx.id].advancing is False:
                detected[tx.id] = now
        now += timedelta(seconds=interval + cycle_cost)
    outcome.seconds = duration.total_seconds()
    outcome.worst_gap = max(outcome.worst_gap, max(end - t for t in last_seen.values()))
    for tx_id, stop in stops.items():
        stuck_at = stop + threshold
        if tx_id in detected:
            outcome.delays.append(max(timedelta(0), detected[tx_id] - stuck_at))
        elif stuck_at < end:
            outcome.missed += 1
            outcome.delays.append(end - stuck_at)
    return outcome


def _values(tx: Transaction, now: datetime, stop: datetime | None) -> list[MeterValue]:
    """What SteVe would answer: the register once a minute, flat after ``stop``."""
    elapsed = (now - tx.start_timestamp) // METER_EVERY
    latest = tx.start_timestamp + elapsed * METER_EVERY
    moving_until = latest if stop is None or stop > latest else stop
    ticks = (moving_until - tx.start_timestamp) // METER_EVERY
    last_move = tx.start_timestamp + ticks * METER_EVERY
    values = [(last_move - METER_EVERY, ticks * 100 - 100), (last_move, ticks * 100)]
    if latest > last_move:
        values.append((latest, ticks * 100))
    return [
        MeterValue(
            value_timestamp=at, value=str(wh), unit="Wh", measurand="Energy.Active.Import.Register"
        )
        for at, wh in values
        if at >= tx.start_timestamp
    ]
