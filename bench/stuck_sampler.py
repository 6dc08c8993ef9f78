"""Stuck detection at 3,000 open sessions: the sampler's promise, simulated.

Prints numbers; it is not a test. A simulated hour (no clock, no HTTP: the
poller's own plan and ``read_meter`` over simulated meters, one cycle every
interval + 1 s of cycle work) of 3,000 open sessions, 10 % of which stop
charging at a random moment. For the default budget it prints the SteVe
requests per second, the longest any session went unread (goal: under the
stuck threshold) and the worst detection delay (a stopped meter's first
stuck verdict minus the moment it became stuck). Reference, same run: the
sampler before issue 13 (least recently read, 8 a cycle), and the same
rotation given the new budget.

Usage: ``python bench/stuck_sampler.py [--sessions N]``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from polaris_tui.services.meter_schedule import meter_reads_per_cycle  # noqa: E402
from polaris_tui.services.settings import PollSettings  # noqa: E402
from tests.unit.meter_sim import Outcome, least_recently_read, simulate  # noqa: E402


def show(name: str, outcome: Outcome, threshold: timedelta) -> None:
    gap = "ok" if outcome.worst_gap < threshold else "MISSED"
    print(
        f"  {name:<38} {outcome.per_second:5.2f} req/s   longest unread {outcome.worst_gap}"
        f" ({gap})   worst detection delay {outcome.worst_delay}   never seen: {outcome.missed}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=3000)
    sessions = parser.parse_args().sessions
    poll = PollSettings()
    threshold = timedelta(minutes=poll.stuck_after_minutes)
    per_cycle = meter_reads_per_cycle(poll)
    print(
        f"{sessions} open sessions, threshold {threshold}, interval {poll.interval_seconds:g} s,"
        f" budget {poll.meter_reads_per_second:g} req/s ({per_cycle} reads a cycle)"
    )
    show("polaris (deadline first)", simulate(sessions, per_cycle=per_cycle), threshold)
    show(
        "ref: old sampler (LRU, 8 a cycle)",
        simulate(sessions, per_cycle=8, plan=least_recently_read),
        threshold,
    )
    show(
        "ref: LRU with the same budget",
        simulate(sessions, per_cycle=per_cycle, plan=least_recently_read),
        threshold,
    )


if __name__ == "__main__":
    main()
