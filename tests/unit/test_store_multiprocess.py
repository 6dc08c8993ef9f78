"""Several real Polaris processes sharing one store, on both backends
(one SQLite file; one database of a real PostgreSQL).

* 4 processes start at once on a fresh file (concurrent migration), then
  insert and finish operation rows and audit rows as fast as they can: every
  row must be there and no process may see "database is locked".
* A process SIGKILLed with a committed ``pending`` row: the next start marks
  that row ``interrupted`` (never resent), while a pending row of a process
  that is still alive is left alone. On PostgreSQL the dead console is found
  through its session's advisory lock, which works from any host.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from polaris_tui.models import OperationStatus
from polaris_tui.services.clock import FixedClock
from polaris_tui.store import Store
from tests.pg import is_postgres, raw_rows, wait_console_gone

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

WRITER = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from datetime import UTC, datetime
    from polaris_tui.models import OperationStatus
    from polaris_tui.services.clock import SystemClock
    from polaris_tui.store import Store

    path, worker, count, go_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])

    async def main():
        while time.time() < go_at:          # start together: migrations race too
            await asyncio.sleep(0.005)
        store = await Store.open(path, clock=SystemClock())
        errors = []
        try:
            async def one(i):
                try:
                    entry = await store.insert_operation(
                        charge_box_id=f"CP-{worker}", operation="RemoteStopTransaction",
                        params={"transactionId": i + 1}, requested_by=f"w{worker}",
                        dry_run=False, request_id=f"w{worker}-{i}",
                    )
                    await store.finish_operation(entry.id, OperationStatus.SUBMITTED, task_id=i)
                    audit = await store.insert_audit(
                        actor=f"w{worker}", action="block", id_tag=f"TAG-{worker}-{i}",
                        before={}, after={"i": i},
                    )
                    await store.finish_audit(audit.id, "applied")
                except Exception as exc:
                    errors.append(repr(exc))
            # several coroutines per process too, to mix in-process and cross-process contention
            for start in range(0, count, 5):
                await asyncio.gather(*(one(i) for i in range(start, min(start + 5, count))))
        finally:
            await store.close()
        print(json.dumps({"worker": worker, "errors": errors}))

    asyncio.run(main())
    """
)

HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    from polaris_tui.services.clock import SystemClock
    from polaris_tui.store import Store

    async def main():
        store = await Store.open(sys.argv[1], clock=SystemClock())
        entry = await store.insert_operation(
            charge_box_id="CP-BRAVO-02", operation="RemoteStopTransaction",
            params={"transactionId": int(sys.argv[2])}, requested_by="crashy",
            dry_run=False, request_id=sys.argv[3],
        )
        print(entry.id, flush=True)
        await asyncio.sleep(120)   # "waiting for SteVe" until killed

    asyncio.run(main())
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


async def test_four_processes_write_at_once_and_lose_nothing(store_url: str):
    path = store_url
    count = 60
    go_at = time.time() + 1.5
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(w), str(count), str(go_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            cwd=REPO,
        )
        for w in range(4)
    ]
    outputs = await asyncio.gather(*(asyncio.to_thread(p.communicate, timeout=120) for p in procs))
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err.lower(), err
        report = json.loads(out.strip().splitlines()[-1])
        assert report["errors"] == []

    ops = await raw_rows(path, "SELECT request_id, status FROM charger_operation_log")
    audits = await raw_rows(path, "SELECT id_tag, status FROM audit_log")
    expected_ids = {f"w{w}-{i}" for w in range(4) for i in range(count)}
    assert {r for r, _ in ops} == expected_ids and len(ops) == 4 * count
    assert {s for _, s in ops} == {"submitted"}
    assert {t for t, _ in audits} == {f"TAG-{w}-{i}" for w in range(4) for i in range(count)}
    assert {s for _, s in audits} == {"applied"}


def _start_holder(path: str, tx: int, request_id: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(tx), request_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=REPO,
    )
    line = proc.stdout.readline()
    assert line.strip(), proc.stderr.read()
    return proc, int(line)


async def test_sigkilled_pending_row_is_marked_interrupted_at_next_start(store_url: str):
    path = store_url
    crashed, crashed_id = _start_holder(path, 1001, "press-crash")
    alive, alive_id = _start_holder(path, 1002, "press-alive")
    try:
        # While both processes live, a new start marks nothing.
        store = await Store.open(path, clock=FixedClock(NOW))
        try:
            assert await store.mark_interrupted() == []
        finally:
            await store.close()

        os.kill(crashed.pid, signal.SIGKILL)
        crashed.wait(timeout=10)
        await wait_console_gone(path, crashed.pid)

        store = await Store.open(path, clock=FixedClock(NOW))
        try:
            marked = await store.mark_interrupted()
            assert [e.id for e in marked] == [crashed_id]
            row = await store.get_operation(crashed_id)
            assert row.status == OperationStatus.INTERRUPTED
            assert row.task_id is None  # never sent, never resent
            assert (await store.get_operation(alive_id)).status == OperationStatus.PENDING
        finally:
            await store.close()
        # The dead console's session was swept; the live one's stays.
        if is_postgres(path):
            sessions = await raw_rows(path, "SELECT pid FROM console_sessions")
            assert sessions == [(alive.pid,)]
        else:
            owners = list(Path(f"{path}-owners").glob("*.lock"))
            assert [f.name.split("_")[-2] for f in owners] == [str(alive.pid)]
    finally:
        for proc in (crashed, alive):
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            proc.stdout.close()
            proc.stderr.close()


OPEN_CLOSE = textwrap.dedent(
    """
    import asyncio, sys
    from polaris_tui.services.clock import SystemClock
    from polaris_tui.store import Store

    async def main():
        store = await Store.open(sys.argv[1], clock=SystemClock())
        try:
            await store.recent_operations()
        finally:
            await store.close()

    asyncio.run(main())
    print("done", flush=True)
    """
)


def test_a_process_that_used_the_store_exits(tmp_path: Path):
    """PITFALLS: aiosqlite's thread is non-daemon; Store.close() must end it,
    or the interpreter would hang at exit (the timeout would fire)."""
    out = subprocess.run(
        [sys.executable, "-c", OPEN_CLOSE, str(tmp_path / "exit.sqlite")],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=REPO,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "done"
