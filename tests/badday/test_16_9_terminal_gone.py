"""Issue 16, bad day 9: no console outlives its terminal.

``make run`` in tmux, then ``tmux kill-session``: the kernel sends SIGHUP to
the session leader only, which was ``make``; make waits for its children,
and polaris — its terminal gone, no SIGHUP — read end-of-input in a tight
loop at a whole core, polling SteVe with its store open, for ever.

Each case starts the real demo (``polaris`` with its stand-in subprocess and
its store) in a new session on a real pseudo-terminal, waits for the fleet,
then makes the terminal go away, and waits — on a condition, with a generous
deadline — until no process of that session is left: not ``make``, not
``polaris``, not the stand-in. The store is closed cleanly (no WAL left, no
owner lock of the dead process) and the log says why it exited.

* ``polaris``, the pty not its controlling terminal: no SIGHUP at all, only
  end of input / EIO on the tty;
* ``polaris`` as session leader of its controlling terminal: SIGHUP;
* ``make run``, make the session leader: SIGHUP reaches make only;
* ``make run`` with make killed (SIGKILL) while the window stays open: the
  console's parent is gone.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

from .ptyrun import REPO, WAIT, PtyPolaris, run_on_pty
from .test_5_crash_safety import store_is_closed_cleanly

pytestmark = pytest.mark.slow

GONE_WITHIN = 30.0
"""Generous deadline for a loaded machine (the fix exits in well under 2 s)."""


def wait_until_all_gone(running: PtyPolaris, timeout: float = GONE_WITHIN) -> list[str]:
    """Reap the leader and wait until its session is empty; what is left after ``timeout``."""
    deadline = time.monotonic() + timeout
    left = running.left_behind()
    while left and time.monotonic() < deadline:
        running.proc.poll()  # reap the leader once it ends (it is our child)
        time.sleep(0.05)
        left = running.left_behind()
    return left


def polaris_pid(running: PtyPolaris) -> int:
    """The console's pid: the leader itself, or make's child running ``polaris``."""
    for line in running.left_behind():
        pid, command = line.split(" ", 1)
        if "bin/polaris" in command or "polaris_tui" in command:
            return int(pid)
    raise AssertionError(f"no polaris process in {running.left_behind()}")


def make_run_argv() -> list[str]:
    """``make run`` with this interpreter's environment standing in for ``.venv``.

    ``-o`` keeps make from (re)building that environment: the test runs
    whatever environment runs the tests.
    """
    venv = Path(sys.prefix)
    stamp = venv / ".installed"
    return [
        "make",
        "--no-print-directory",
        "-C",
        str(REPO),
        "run",
        f"VENV={venv}",
        "-o",
        str(stamp),
    ]


CASES = {
    "polaris-eof-no-sighup": dict(make=False, controlling_tty=False, how="close"),
    "polaris-sighup": dict(make=False, controlling_tty=True, how="close"),
    "make-run-sighup-to-make-only": dict(make=True, controlling_tty=True, how="close"),
    "make-run-make-killed": dict(make=True, controlling_tty=True, how="kill-parent"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_process_outlives_its_terminal(tmp_path: Path, case: str) -> None:
    make, controlling_tty, how = (CASES[case][k] for k in ("make", "controlling_tty", "how"))
    if make and shutil.which("make") is None:
        pytest.skip("make is not installed here (the README asks for it to run `make run`)")
    home = tmp_path / "home"
    argv = make_run_argv() if make else [sys.executable, "-m", "polaris_tui"]
    with run_on_pty(argv, home=home, controlling_tty=controlling_tty) as running:
        assert running.wait_for("CP-ALPHA-01", timeout=WAIT), running.output[-2000:]
        pid = polaris_pid(running)
        assert any("chargesim" in line for line in running.left_behind()), "the demo runs"
        if how == "close":
            running.close_terminal()
        else:
            os.kill(running.proc.pid, signal.SIGKILL)  # make, with the window still open
        left = wait_until_all_gone(running)
        assert left == [], f"left behind after the terminal went: {left}"
    state = home / ".state" / "polaris"
    store_is_closed_cleanly(state / "demo.sqlite", pid)
    log = (state / "polaris.log").read_text()
    assert "closing services and exiting" in log
    assert "Traceback" not in log
