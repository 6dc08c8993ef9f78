"""A test PostgreSQL does not outlive a killed test process (tests/pg_guard.py).

``pg_ctl`` detaches the server from whoever started it, so a pytest killed
by a CI timeout or ctrl-c used to leave ``postgres -D /tmp/polaris-pg-…``
running for good. Here a real process starts the suite's server the way
the ``pg_server`` fixture does, and is then SIGKILLed: no ``finally``, no
``atexit`` runs. The server must stop and its folder go all the same.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

HOLDER = """
import signal
from tests.pg import running_pg_server

with running_pg_server() as handle:
    print(handle.server.pgdata, handle.server.get_pid(), flush=True)
    signal.pause()  # until killed
"""

BOUND = 90.0
"""Only a broken guard reaches it (starting PostgreSQL under load is slow)."""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_killed_test_process_leaves_no_postgres_behind() -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    postmaster = 0
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()  # blocks until the server is up (or the holder died)
        assert line, "the holder never started its PostgreSQL"
        pgdata, pid = line.split()
        postmaster = int(pid)
        assert alive(postmaster)

        holder.send_signal(signal.SIGKILL)
        holder.wait(BOUND)

        deadline = time.monotonic() + BOUND
        while alive(postmaster) or Path(pgdata).exists():
            assert time.monotonic() < deadline, f"postgres {postmaster} outlived its test process"
            time.sleep(0.05)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(BOUND)
        if postmaster and alive(postmaster):
            os.kill(postmaster, signal.SIGKILL)  # a failed guard: do not leak it either
