"""How long one poll cycle and one row build take: demo fleet vs 10,000 chargers.

Not a test: it prints numbers. Run with ``.venv/bin/python bench/poller_10k.py``
(``--chargers N`` for another size, ``--repeat R`` for more samples).

For each fleet it starts the stand-in (frozen clock) in its own process (its
work must not count as Polaris's), then times, on the same machine in the
same run:

* a full SteVe cycle (3 HTTP reads, the meter sampler's reads, parsing, row
  build, keyed diff) — first cycle (every row is new) and a steady cycle;
* the meter sampler alone (``poll.meter_samples_per_cycle`` transaction
  details), the HTTP requests one cycle sends, and how long the rotation takes
  to read every open session once (cycles, and seconds at the poll interval);
* the row build + diff alone (what happens when card metadata or a meter note
  changes);
* the same cycle through the manager pages (vanilla SteVe: HTML parsing);
* search and counts over the rows;
* the snapshot save to a fresh SQLite store.

"Local work" of a steady cycle is the CPU time of this process (every thread:
the event loop, parsing and the row build in worker threads, the snapshot
write) while the cycle runs: what Polaris itself spends, without the wait
for SteVe. The console's clock advances one poll interval before each steady
cycle (the stand-in's stays frozen), so what depends on "now" is counted, and
``CHANGED_PER_CYCLE`` stations change a connector's status between two
steady cycles (outside the timing), so the answers are never byte for byte
the last ones. Goal (issue 13): <= 200 ms at 10,000 chargers for both live-status
sources; the UI thread's own share is printed beside it. Reference, same
run: the demo fleet's cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from chargesim.testing import SimHandle  # noqa: E402
from polaris_tui.services.clock import FixedClock  # noqa: E402
from polaris_tui.services.fleet import FleetService  # noqa: E402
from polaris_tui.services.poller import LivePoller  # noqa: E402
from polaris_tui.services.settings import Settings, SteveSettings  # noqa: E402
from polaris_tui.services.steve_client import SteveClient  # noqa: E402
from polaris_tui.store import Store  # noqa: E402

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
CHANGED_PER_CYCLE = 30
"""Stations whose connector status changes between two steady polls."""


class CountingTransport(httpx.AsyncBaseTransport):
    """Real HTTP, counting requests (what SteVe sees per cycle)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def start_sim(**options: object) -> tuple[subprocess.Popen[str], SimHandle]:
    """The stand-in in its own process, and a control client for it."""
    args = [sys.executable, "-m", "chargesim", "--json", "--frozen", "--now", NOW.isoformat()]
    for name, value in options.items():
        args += [f"--{name}", str(value)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    return proc, SimHandle(server=None, **info)  # type: ignore[arg-type]


async def cpu_timed(fn, repeat: int, prepare=None) -> tuple[list[float], list[float], list[float]]:
    """(wall, process CPU, UI-thread CPU) of each of ``repeat`` awaited calls
    (``prepare()`` runs before each, outside the timing)."""
    wall, cpu, ui = [], [], []
    for _ in range(repeat):
        if prepare is not None:
            prepare()
        w, c, u = time.perf_counter(), time.process_time(), time.thread_time()
        await fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
        ui.append(time.thread_time() - u)
    return wall, cpu, ui


def ms(samples: list[float]) -> str:
    return f"{min(samples) * 1000:8.1f} ms (median {statistics.median(samples) * 1000:.1f})"


async def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        if asyncio.iscoroutine(result):
            await result
        out.append(time.perf_counter() - start)
    return out


async def measure(
    sim: SimHandle, label: str, repeat: int, *, source: str, ref: float | None = None
) -> float:
    """Print one fleet's numbers; returns the median local work of a steady cycle."""
    clock = FixedClock(NOW)
    settings = Settings(
        steve=SteveSettings(
            url=sim.steve_url,
            api_password=sim.steve_password,
            web_password=sim.web_password,
            status_source=source,
            read_timeout=120,
        )
    )
    transport = CountingTransport()
    steve = SteveClient(settings.steve, clock=clock, retry_delays=(), transport=transport)
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.sqlite", clock=clock)
        events: list = []
        poller = LivePoller(steve, None, store, clock, settings, events.append)
        fleet = FleetService(poller, store, steve, clock, settings)
        try:
            start = time.perf_counter()
            await poller._steve_cycle()  # first cycle: every row new, snapshot written
            first = time.perf_counter() - start
            rows = len(poller.rows())
            published = sum(len(e.changed) for e in events if e.kind == "fleet")
            before = transport.count
            interval = settings.poll.interval_seconds

            async def steady_cycle() -> None:
                # The console's clock moves between polls, as a real one does:
                # every row's age (``fetched_at``), heartbeat staleness and the
                # stuck rules are judged against a new "now" each cycle.
                clock.advance(interval)
                await poller._steve_cycle()

            # Between two polls a few dozen stations change, as on a live fleet:
            # the stand-in's frozen pages would otherwise repeat byte for byte.
            idle = [r.charge_box_id for r in poller.rows() if r.open_session is None]
            turn = iter(range(10**9))

            def change_some() -> None:
                round_ = next(turn)
                status = "Unavailable" if round_ % 2 == 0 else "Available"
                for cb in idle[round_ % 7 :: max(1, len(idle) // CHANGED_PER_CYCLE)][
                    :CHANGED_PER_CYCLE
                ]:
                    sim.control(
                        "POST",
                        "/chargers/status",
                        {"chargeBoxId": cb, "connectorId": 1, "status": status},
                    )

            steady, local, ui = await cpu_timed(steady_cycle, repeat, change_some)
            requests = (transport.count - before) / repeat
            sampler = await timed(poller._sample_meters, repeat)
            active = len(poller.active_transactions())
            stuck = poller.counts().stuck
            rebuild = await timed(lambda: poller._rebuild_and_publish(), repeat)
            search = await timed(lambda: fleet.search("grace@example.com"), repeat)
            counts = await timed(lambda: fleet.counts(), repeat)

            async def save_once() -> None:
                poller._dirty = True  # as after any good cycle
                await poller._save_snapshot(force=True)

            save = await timed(save_once, max(1, repeat // 2))
        finally:
            await poller.stop()
            await steve.close()
            await store.close()
    print(f"\n{label} — {rows} rows, source {source}")
    print(
        f"  first cycle (incl. snapshot save) {first * 1000:8.1f} ms   rows published: {published}"
    )
    per_cycle = settings.poll.meter_samples_per_cycle
    rotation = math.ceil(active / per_cycle) if per_cycle else 0
    print(
        f"  steady cycle (reads + sampler)    {ms(steady)}   HTTP requests per cycle: {requests:g}"
    )
    work = statistics.median(local)
    goal = "goal <= 200 ms " + ("ok" if work <= 0.2 else "MISSED")
    versus = f"ref {ref * 1000:.1f} ms (demo fleet) ratio {work / ref:.1f}x  " if ref else ""
    print(
        f"  local work per steady cycle (CPU) {ms(local)}   {versus}"
        f"{goal if rows >= 10_000 else ''}"
    )
    print(f"  UI thread's share of it (CPU)     {ms(ui)}")
    print(f"  meter sampler alone ({min(per_cycle, active)} reads)    {ms(sampler)}")
    print(
        f"  open sessions {active}: every meter read once in {rotation} cycles"
        f" ({rotation * settings.poll.interval_seconds:g} s at {settings.poll.interval_seconds:g} s);"
        f" rows stuck: {stuck}"
    )
    print(f"  row build + diff alone            {ms(rebuild)}")
    print(f"  search by customer email          {ms(search)}")
    print(f"  counts                            {ms(counts)}")
    print(f"  snapshot save                     {ms(save)}")
    return work


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    demo_proc, demo = start_sim()
    big_proc, big = start_sim(chargers=args.chargers)
    print(
        f"stand-ins up in {time.perf_counter() - started:.1f} s"
        f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    try:
        ref = await measure(demo, "demo fleet", args.repeat, source="chargeboxes-api")
        label = f"{args.chargers} chargers"
        await measure(big, label, args.repeat, source="chargeboxes-api", ref=ref)
        big.fault("vanilla")
        await measure(big, label, max(2, args.repeat // 2), source="manager-page", ref=ref)
    finally:
        for proc in (demo_proc, big_proc):
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    asyncio.run(main())
