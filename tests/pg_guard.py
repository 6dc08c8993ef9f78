"""Stop a test PostgreSQL even when the test process dies without cleaning up.

``pg_ctl`` starts the server as a daemon, detached from the test process, so
when pytest is killed (a CI timeout, ctrl-c on xdist workers, SIGKILL) its
fixtures' ``finally`` never runs and the server would run on forever. So
each server gets a guard: a small process in a session of its own that
holds the read end of a pipe whose write end only the test process has.
However the test process ends, the kernel closes that end; the guard then
reads EOF, stops the server (SIGQUIT: PostgreSQL's immediate shutdown;
SIGKILL if it lingers) and deletes its folder. A normal session end has
already stopped the server, and the guard finds nothing left to do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GUARD = r"""
import os, shutil, signal, sys, time

# ctrl-c reaches the terminal's whole process group: outlive it to clean up.
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
folder, pgdata = sys.argv[1], sys.argv[2]
sys.stdin.buffer.read()  # EOF: the test process has ended, however it ended


def postmaster():
    try:
        with open(os.path.join(pgdata, "postmaster.pid")) as f:
            pid = int(f.readline())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except (OSError, ValueError):
        return None
    return pid if pgdata.encode() in cmdline else None  # not a recycled pid


pid = postmaster()
if pid is not None:
    os.kill(pid, signal.SIGQUIT)
    deadline = time.monotonic() + 30
    while postmaster() == pid:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
shutil.rmtree(folder, ignore_errors=True)
"""


class PgGuard:
    """The guard of one server's folder; ``release()`` when the server is
    stopped normally (optional: the guard also acts at process exit)."""

    def __init__(self, folder: Path, pgdata: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", GUARD, str(folder), str(pgdata)],
            stdin=subprocess.PIPE,
            start_new_session=True,
        )

    def release(self) -> None:
        """Close our end now: the guard cleans up what is left, then exits."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        self.process.wait(60)


def guard_server(folder: Path, pgdata: Path) -> PgGuard:
    """Start the guard of ``pgdata`` (inside ``folder``) before starting the server."""
    os.makedirs(folder, exist_ok=True)
    return PgGuard(folder, pgdata)
