"""Issue 13: the stuck sampler keeps its promise at scale, within its budget.

Every open session's meter is read at least once per stuck threshold, the
sessions whose last reads were flat are rechecked first, and a stopped meter
is seen stuck within a cycle or two of becoming stuck, at a stated number of
SteVe requests a second.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from polaris_tui.services.meter_schedule import meter_reads_per_cycle, plan_meter_reads
from polaris_tui.services.settings import PollSettings
from polaris_tui.services.stuck_rules import read_meter
from tests.unit.meter_sim import least_recently_read, simulate
from tests.unit.test_fleet_fakes import ago, meter, tx

THRESHOLD = timedelta(minutes=15)
PROMISE = timedelta(minutes=1)
"""A stopped meter is seen stuck within this long of becoming stuck."""


def test_the_budget_is_reads_per_second_over_an_interval_capped_per_cycle() -> None:
    assert meter_reads_per_cycle(PollSettings()) == 25  # 5/s x 5 s
    assert meter_reads_per_cycle(PollSettings(meter_reads_per_second=0.5)) == 3
    assert meter_reads_per_cycle(PollSettings(meter_reads_per_second=20)) == 50
    assert meter_reads_per_cycle(PollSettings(meter_samples_per_cycle=0)) == 0


def test_never_read_first_then_a_flat_meter_before_a_steady_one() -> None:
    steady, flat, new = (
        tx(1, "CP-1", "T1", ago(hours=2)),
        tx(2, "CP-2", "T2", ago(hours=2)),
        tx(3, "CP-3", "T3", ago(minutes=5)),
    )
    notes = {
        # read 10 min ago, the meter moving then
        1: read_meter(
            steady,
            [meter(ago(minutes=11), 900), meter(ago(minutes=10), 1000)],
            ago(minutes=10),
            THRESHOLD,
        ),
        # read just now, but flat for 12 minutes: could be stuck in 3
        2: read_meter(
            flat,
            [
                meter(ago(minutes=13), 900),
                meter(ago(minutes=12), 1000),
                meter(ago(minutes=1), 1000),
            ],
            ago(minutes=0),
            THRESHOLD,
        ),
    }
    last_read = {2: 5, 1: 4}
    order = plan_meter_reads([steady, flat, new], notes, last_read, THRESHOLD, 3)
    assert [t.id for t in order] == [3, 2, 1]


@pytest.mark.slow
def test_3000_sessions_each_read_every_threshold_and_stops_seen_at_once() -> None:
    """The default budget (5 reads/s) over a simulated hour of 3,000 open
    sessions, 10 % of which stop charging: no session waits a threshold, every
    stopped meter is seen stuck within a minute of becoming stuck."""
    per_cycle = meter_reads_per_cycle(PollSettings())
    ours = simulate(3000, per_cycle=per_cycle, duration=timedelta(minutes=40))
    assert ours.per_second <= PollSettings().meter_reads_per_second
    assert ours.worst_gap < THRESHOLD, ours.worst_gap
    assert ours.missed == 0 and ours.delays
    assert ours.worst_delay < PROMISE, ours.worst_delay


@pytest.mark.slow
def test_the_old_rotation_misses_the_promise_on_the_same_budget() -> None:
    """The reference: least-recently-read at the same number of reads sees a
    stopped meter stuck too late (why the order changed). The test above
    shows the deadline-first order keeps the promise on the same hour; it is
    not simulated a second time here (~5 CPU-s)."""
    per_cycle = meter_reads_per_cycle(PollSettings())
    old = simulate(
        3000, per_cycle=per_cycle, duration=timedelta(minutes=40), plan=least_recently_read
    )
    assert old.worst_delay >= PROMISE, old.worst_delay
