"""SQLite and PostgreSQL side by side, in one run (not a test: prints numbers).

* operation-row insert: ``insert_operation`` (the audit-first row committed
  before SteVe is called), one after the other; p50/p99;
* snapshot write: ``save_snapshot`` of 10,000 chargers (2 connectors each,
  1,000 open sessions, 10,000 tags) in one transaction, as the poller does;
* change seen on a second console: one store writes an operation row, a
  second store on the same URL is told (PostgreSQL LISTEN/NOTIFY; SQLite
  ``data_version`` polled every 0.5 s); from the write call to the callback.
  The issue's promise is 2 s.

SQLite runs on a file in a temporary folder (WAL, synchronous=FULL);
PostgreSQL is a throwaway server started here with ``pgserver``, with its
default durability (fsync on), on a Unix socket. Both share this machine,
so compare them with each other, not with another day's numbers.

Usage: .venv/bin/python bench/store_backends.py [--inserts 300] [--snapshots 5] [--changes 40]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from polaris_tui.models import (  # noqa: E402
    ChargeBox,
    ConnectorStatus,
    OcppTag,
    Snapshot,
    Transaction,
)
from polaris_tui.services.clock import SystemClock  # noqa: E402
from polaris_tui.store import Store  # noqa: E402

CHARGERS = 10_000
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def fleet() -> Snapshot:
    chargers = [
        ChargeBox(
            charge_box_id=f"CP-{i:05d}",
            charge_box_pk=i,
            description=f"Bench charger {i}",
            last_heartbeat=NOW,
            online=i % 17 != 0,
            connectors=[
                ConnectorStatus(charge_box_id=f"CP-{i:05d}", connector_id=c, status="Available")
                for c in (1, 2)
            ],
        )
        for i in range(CHARGERS)
    ]
    sessions = [
        Transaction(
            id=100_000 + i,
            charge_box_id=f"CP-{i * 10:05d}",
            connector_id=1,
            ocpp_id_tag=f"TAG-{i:05d}",
            start_timestamp=NOW - timedelta(hours=1),
            start_value="1000",
        )
        for i in range(CHARGERS // 10)
    ]
    tags = [OcppTag(ocpp_tag_pk=i, id_tag=f"TAG-{i:05d}") for i in range(CHARGERS)]
    return Snapshot(chargers=chargers, active_transactions=sessions, tags=tags, fetched_at=NOW)


async def measure_changes(name: str, url: str, changes: int) -> None:
    writer = await Store.open(url, clock=SystemClock())
    watcher = await Store.open(url, clock=SystemClock())
    heard = asyncio.Event()
    try:
        await watcher.watch_changes(lambda _topics: heard.set())
        samples = []
        for i in range(changes):
            heard.clear()
            start = time.perf_counter()
            await writer.insert_operation(
                charge_box_id="CP-00001",
                operation="UnlockConnector",
                params={"connectorId": 1, "n": i},
                requested_by="bench",
                dry_run=True,
                request_id=f"change-{i}",
            )
            await asyncio.wait_for(heard.wait(), 30)
            samples.append((time.perf_counter() - start) * 1000)
            # Start the next write at a random point of the poll cycle.
            await asyncio.sleep(random.uniform(0, 0.5))
        print(
            f"{name:<11} change seen on a second console  n={changes:<3} "
            f"p50={percentile(samples, 50):7.1f} ms  p99={percentile(samples, 99):7.1f} ms"
        )
    finally:
        await watcher.close()
        await writer.close()


async def measure(
    name: str, url: str, inserts: int, snapshots: int, snap: Snapshot, changes: int
) -> None:
    store = await Store.open(url, clock=SystemClock())
    try:
        samples = []
        for i in range(inserts):
            start = time.perf_counter()
            await store.insert_operation(
                charge_box_id=f"CP-{i % CHARGERS:05d}",
                operation="RemoteStopTransaction",
                params={"transactionId": i},
                requested_by="bench",
                dry_run=False,
                request_id=f"bench-{i}",
            )
            samples.append((time.perf_counter() - start) * 1000)
        print(
            f"{name:<11} operation-row insert  n={inserts:<4} "
            f"p50={percentile(samples, 50):7.2f} ms  p99={percentile(samples, 99):7.2f} ms  "
            f"mean={statistics.fmean(samples):7.2f} ms"
        )
        writes = []
        for _ in range(snapshots):
            start = time.perf_counter()
            await store.save_snapshot(snap)
            writes.append(time.perf_counter() - start)
        loaded = await store.load_snapshot()
        assert loaded is not None and len(loaded.chargers) == CHARGERS
        print(
            f"{name:<11} snapshot write {CHARGERS:,} chargers  n={snapshots:<2} "
            f"p50={percentile(writes, 50):6.2f} s  max={max(writes):6.2f} s"
        )
    finally:
        await store.close()
    await measure_changes(name, url, changes)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--inserts", type=int, default=300)
    parser.add_argument("--snapshots", type=int, default=5)
    parser.add_argument("--changes", type=int, default=40)
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
        import pgserver

    folder = Path(tempfile.mkdtemp(prefix="polaris-bench-"))
    server = pgserver.get_server(folder / "pg", cleanup_mode="delete")
    try:
        snap = fleet()
        asyncio.run(
            measure(
                "sqlite",
                str(folder / "bench.sqlite"),
                args.inserts,
                args.snapshots,
                snap,
                args.changes,
            )
        )
        asyncio.run(
            measure(
                "postgresql", server.get_uri(), args.inserts, args.snapshots, snap, args.changes
            )
        )
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
