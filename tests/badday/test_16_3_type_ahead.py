"""Issue 16, bad day 3: keys that arrive together land where the operator meant.

Over a laggy SSH link, or from a fast typist, several keys arrive in one
read. Textual routed each to the widget focused when it arrived, before the
first key's effect (the filter taking focus) had landed:

* ``/grace@example.com`` opened the audit log (``a``) instead of filtering;
* ``/quay`` quit the console (``q``) with a NoMatches traceback;
* ``qa`` printed a traceback while quitting.

A real ``polaris`` on a real pseudo-terminal gets each burst in ONE write;
the bytes it draws show where the keys went, and it quits cleanly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .ptyrun import WAIT, PtyPolaris, run_polaris
from .test_16_2_terminal_input import console_against

pytestmark = pytest.mark.slow

AUDIT_LOG_EMPTY = b"No audited edits yet."
"""What the audit log screen says in a store without card edits."""


def quit_cleanly(polaris: PtyPolaris) -> bytes:
    """Leave and clear the filter, quit with ``q``: status 0; every byte drawn."""
    polaris.type("escape", "escape", "q")
    assert polaris.wait(WAIT) == 0, polaris.output[-2000:]
    output = polaris.output
    assert b"Traceback" not in output and b"NoMatches" not in output
    return output


@pytest.fixture
def console(sim: Any, tmp_path: Path):
    args, env, log_path = console_against(sim, tmp_path)
    with run_polaris(args, home=tmp_path / "home", env=env) as polaris:
        assert polaris.wait_for("CP-ALPHA-01", timeout=WAIT), polaris.output[-2000:]
        polaris.settle()
        yield polaris
    assert "Traceback" not in log_path.read_text()


@pytest.mark.parametrize(
    ("burst", "strip"),
    [
        ("/grace@example.com", "showing 0 of 0"),  # no charger of this stand-in: none shown
        ("/cp-alpha-01", "showing 1 of 1"),  # c, l, a: cards, operation log, audit log
    ],
)
def test_slash_then_text_filters_and_opens_nothing(
    console: PtyPolaris, burst: str, strip: str
) -> None:
    mark = console.mark()
    console.burst(burst)
    assert console.wait_screen(burst[1:]), console.screen_text()
    assert console.wait_screen(strip), console.screen_text()
    console.settle_screen()  # the filter has focus: its cursor blinks
    drawn = console.output[mark:]
    assert AUDIT_LOG_EMPTY not in drawn, "`a` must not open the audit log"
    assert b"Operation log" not in drawn and b"No operations" not in drawn, "nor `l` the op log"
    quit_cleanly(console)


def test_slash_then_q_types_q_and_does_not_quit(console: PtyPolaris) -> None:
    console.burst("/quay")
    assert console.wait_screen("quay"), console.screen_text()
    assert console.wait_screen("showing 0 of 0"), console.screen_text()
    console.settle_screen()  # the filter has focus: its cursor blinks
    assert console.proc.poll() is None, "`q` in the filter is text, not quit"
    quit_cleanly(console)


def test_keys_after_q_do_not_act_on_the_closing_console(console: PtyPolaris) -> None:
    console.burst("qa")
    assert console.wait(WAIT) == 0, console.output[-2000:]
    output = console.output
    assert b"Traceback" not in output and b"Error" not in output


def test_enter_o_enter_runs_the_dry_run_of_the_stop(console: PtyPolaris) -> None:
    """``enter o enter`` in one write: the page opens, ``o`` lands in the
    operations form (mounted just after the page's first frame, so ``o`` can
    come before it) and the last ``enter`` submits the open session's stop,
    dry run: runbook 1's keys, typed ahead."""
    console.burst("\ro\r")
    assert console.wait_screen("dry run — params are valid"), console.screen_text()
    text = console.screen_text()
    assert "RemoteStopTransaction transactionId=" in text, text
    quit_cleanly(console)
