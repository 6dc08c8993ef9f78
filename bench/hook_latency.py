"""How fast does the pre-authorize hook answer? (not a test: prints numbers)

SteVe forks wait about 200 ms for the hook (contracts/STEVE.md §6;
ExpresSync's own target is p99 < 50 ms). This script starts the real hook
in-process over a real store file, sends a few hundred signed calls — taps on
chargers without a pairing, plus a pairing armed and claimed every 20 calls
(the write path: BEGIN IMMEDIATE + event insert) — and, in the same run, the
same number of calls to a trivial aiohttp handler as a baseline.

Usage: .venv/bin/python bench/hook_latency.py [--calls 400]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout


import httpx
from aiohttp import web

from polaris_tui.models import Operator, Role
from polaris_tui.services.clock import SystemClock
from polaris_tui.services.hook_server import sign, start_hook_server
from polaris_tui.services.scan_login import ScanLoginService
from polaris_tui.store import Store

KEY = "bench-key"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def report(name: str, samples: list[float]) -> None:
    print(
        f"{name:<28} n={len(samples):<5} p50={percentile(samples, 50):7.2f} ms  "
        f"p99={percentile(samples, 99):7.2f} ms  max={max(samples):7.2f} ms  "
        f"mean={statistics.fmean(samples):7.2f} ms"
    )


async def timed_calls(url: str, bodies: list[bytes], before=None) -> list[float]:
    samples = []
    async with httpx.AsyncClient(timeout=5) as client:
        for i, raw in enumerate(bodies):
            if before is not None:
                await before(i)
            headers = {"Content-Type": "application/json", "X-Signature": sign(raw, KEY)}
            start = time.perf_counter()
            response = await client.post(url, content=raw, headers=headers)
            samples.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
    return samples


async def baseline(bodies: list[bytes]) -> list[float]:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"override": None})

    app = web.Application()
    app.router.add_post("/api/ocpp/pre-authorize", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        return await timed_calls(f"http://127.0.0.1:{port}/api/ocpp/pre-authorize", bodies)
    finally:
        await runner.cleanup()


async def hook(bodies: list[bytes], folder: Path) -> tuple[list[float], list[float], int]:
    clock = SystemClock()
    store = await Store.open(folder / "bench.sqlite", clock=clock)
    scan = ScanLoginService(store, clock, Operator(name="bench", role=Role.ADMIN))
    handle = await start_hook_server(scan, KEY, "127.0.0.1", 0)
    claim_calls: set[int] = set()

    async def arm_sometimes(i: int) -> None:
        if i % 20 == 0:
            await scan.arm(f"CP-BENCH-{i}", minutes=5)
            claim_calls.add(i)

    try:
        samples = await timed_calls(handle.url, bodies, before=arm_sometimes)
        intercepts = len(await scan.intercepts(limit=10_000))
    finally:
        await handle.stop()
        await store.close()
    reads = [s for i, s in enumerate(samples) if i not in claim_calls]
    writes = [s for i, s in enumerate(samples) if i in claim_calls]
    return reads, writes, intercepts


async def main(calls: int) -> None:
    bodies = [
        json.dumps(
            {
                "idTag": f"CARD-{i % 50}",
                "chargeBoxId": f"CP-BENCH-{i}",
                "connectorId": 1,
                "isStartTx": False,
                "ts": int(time.time() * 1000),
            }
        ).encode()
        for i in range(calls)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        await baseline(bodies[:20])  # warm-up
        base = await baseline(bodies)
        reads, writes, intercepts = await hook(bodies, Path(tmp))
    print(f"pre-authorize hook latency, {calls} signed calls each (keep-alive client, loopback)")
    report("baseline aiohttp handler", base)
    report("hook, no pairing", reads)
    report("hook, fresh intercept", writes)
    print(f"intercepts recorded: {intercepts} (expected {len(writes)})")
    print("SteVe's budget: ~200 ms (PREAUTH_TIMEOUT_MS); ExpresSync target p99 < 50 ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400)
    asyncio.run(main(parser.parse_args().calls))
