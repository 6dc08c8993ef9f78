"""The console refuses a terminal it cannot use, in one line, with status 2.

Real processes: ``python -m polaris_tui`` with no TTY at all (cron, a pipe)
and on a pseudo-terminal that says ``TERM=dumb``. Before, the first kept
running and sent escape codes to stderr, the second drew full truecolor.
The read-only commands keep working without a TTY:
``tests/functional/test_scripting.py::test_stuck_on_the_demo_exits_1_for_cp_bravo_02``
runs ``polaris stuck`` with its output captured.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.badday.ptyrun import WAIT, polaris_env, run_polaris

pytestmark = pytest.mark.slow


def test_no_tty_gets_one_line_and_status_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "polaris_tui"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=polaris_env(tmp_path),
        cwd=tmp_path,
        timeout=WAIT,
        check=False,
    )
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert err.count("\n") == 1 and "needs a terminal" in err, err
    assert "polaris fleet|stuck|ops|card" in err, "it says what works without one"
    assert b"\x1b" not in result.stdout + result.stderr, "no escape code anywhere"
    assert "stand-in" not in err, "nothing was started"


def test_term_dumb_on_a_real_pty_gets_one_line_and_status_2(tmp_path: Path) -> None:
    with run_polaris([], home=tmp_path / "home", env={"TERM": "dumb"}, cols=80, rows=24) as tty:
        assert tty.wait(WAIT) == 2, tty.screen_text()
        assert tty.wait_screen("TERM=dumb cannot draw the console"), tty.screen_text()
        assert b"\x1b[" not in tty.output, "no escape sequence was drawn"
