"""Does the pre-authorize hook keep SteVe's budget under a connection flood?
(not a test: prints numbers)

SteVe forks wait about 200 ms for the hook (contracts/STEVE.md §6). Issue 16:
1,100 idle unauthenticated connections starved every signed call. This script
starts the real hook in-process over a real store file and measures signed
calls, each on a fresh connection (as SteVe makes after an idle spell), in the
same run:

* with no other connection open (the reference);
* while a separate process holds 1,000 idle connections that never send a
  complete request, opening a new one whenever the hook closes one (at most
  500 a second).

Usage: .venv/bin/python bench/hook_flood.py [--calls 200] [--idle 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import httpx

from polaris_tui.models import Operator, Role
from polaris_tui.services.clock import SystemClock
from polaris_tui.services.hook_connections import connection_cap
from polaris_tui.services.hook_server import sign, start_hook_server
from polaris_tui.services.scan_login import ScanLoginService
from polaris_tui.services.store import Store

KEY = "bench-key"
BUDGET_MS = 200.0

# The flood, in its own process so its work is not counted in ours: N idle
# connections sending one byte of a request line, re-opened when closed.
FLOOD = textwrap.dedent(
    """
    import errno, resource, select, socket, sys, time
    port, count = int(sys.argv[1]), int(sys.argv[2])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 256), hard))

    def connect():
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        return s

    socks, reopened = [], 0
    while len(socks) < count:  # in batches: a burst past the listen queue is lost
        socks += [connect() for _ in range(min(100, count - len(socks)))]
        time.sleep(0.05)
    for s in socks:
        try:
            s.send(b"P")
        except OSError:
            pass
    print("ready", flush=True)
    while True:
        poller = select.poll()
        for s in socks:
            poller.register(s.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
        round_start = time.monotonic()
        closed = {fd for fd, _ in poller.poll(100)}
        budget = 50  # re-opened per round at most (500 a second): a bounded attacker
        for i, s in enumerate(socks):
            if s.fileno() in closed and budget > 0:
                budget -= 1
                s.close()
                socks[i] = connect()
                reopened += 1
        time.sleep(max(0.0, 0.1 - (time.monotonic() - round_start)))
    """
)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def report(name: str, samples: list[float], failed: int) -> None:
    over = sum(1 for s in samples if s > BUDGET_MS) + failed
    print(
        f"{name:<34} n={len(samples):<4} p50={percentile(samples, 50):7.2f} ms  "
        f"p99={percentile(samples, 99):7.2f} ms  max={max(samples):8.2f} ms  "
        f"over {BUDGET_MS:.0f} ms or failed: {over}"
    )


async def signed_calls(url: str, calls: int) -> tuple[list[float], int]:
    """``calls`` signed calls, each on a new connection; (latencies ms, failures)."""
    samples: list[float] = []
    failed = 0
    # No keep-alive: every call opens its own connection, as after an idle spell.
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=2.0, limits=fresh) as client:
        for i in range(calls):
            raw = json.dumps(
                {"idTag": f"CARD-{i % 50}", "chargeBoxId": f"CP-BENCH-{i}", "connectorId": 1}
            ).encode()
            headers = {"Content-Type": "application/json", "X-Signature": sign(raw, KEY)}
            start = time.perf_counter()
            try:
                response = await client.post(url, content=raw, headers=headers)
                response.raise_for_status()
            except httpx.HTTPError:
                failed += 1
                continue
            samples.append((time.perf_counter() - start) * 1000)
    return samples, failed


async def main(calls: int, idle: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    print(
        f"pre-authorize hook, {calls} signed calls on fresh connections (loopback); "
        f"open-file limit {soft}; hook cap {connection_cap()} connections"
    )
    with tempfile.TemporaryDirectory() as tmp:
        clock = SystemClock()
        store = await Store.open(Path(tmp) / "bench.sqlite", clock=clock)
        scan = ScanLoginService(store, clock, Operator(name="bench", role=Role.ADMIN))
        handle = await start_hook_server(scan, KEY, "127.0.0.1", 0)
        try:
            await signed_calls(handle.url, 20)  # warm-up
            quiet = await signed_calls(handle.url, calls)
            flood = subprocess.Popen(
                [sys.executable, "-c", FLOOD, str(handle.port), str(idle)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            try:
                assert flood.stdout is not None
                ready = await asyncio.to_thread(flood.stdout.readline)
                if ready.strip() != "ready":
                    raise SystemExit(f"the flood process did not start: {ready!r}")
                flooded = await signed_calls(handle.url, calls)
                guard = handle.guard
                held = guard.open_connections() if guard else -1
                evicted = guard.evicted if guard else -1
            finally:
                flood.terminate()
                flood.wait(timeout=10)
        finally:
            await handle.stop()
            await store.close()
    report("no other connection (reference)", *quiet)
    report(f"{idle} idle connections kept open", *flooded)
    print(
        f"during the flood the hook held {held} connections (cap {connection_cap()}); "
        f"it closed {evicted} to make room"
    )
    print("SteVe's budget: ~200 ms (PREAUTH_TIMEOUT_MS)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--idle", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the hook's flood warnings are not the result
    asyncio.run(main(args.calls, args.idle))
