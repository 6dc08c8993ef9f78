"""Issue 13: an idle console writes (almost) nothing to its terminal.

A real ``polaris`` on a real pty against the stand-in, both clocks frozen
(``frozen_console``): polls keep running, and return the same data, so no
text on screen changes. Every byte written in a window of whole poll cycles
is a repaint of unchanged text. The window is counted by the stand-in's own
request log (poll cycles completed), never by a pause: on a busy machine it
just takes longer.

Before the fix an idle fleet wrote ~11.5 KB each second (its subtitle,
reassigned every second, repaints the whole table), and the charger detail
~15 KB at each poll (the fleet underneath redrawn, which Textual answers by
repainting the whole terminal).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import FROZEN_NOW

from .ptyrun import WAIT, PtyPolaris, run_on_pty
from .test_16_2_terminal_input import console_against

CYCLES = 3
"""Poll cycles in the measured window."""
BUDGET = 200
"""Bytes allowed over the whole window: near nothing (a cursor move or two).
One repainted line is ~300 bytes in truecolour; the table alone ~11 KB."""


def cycles_done(sim: Any) -> int:
    """Poll cycles the stand-in has answered (one charger list per cycle)."""
    log = sim.control("GET", "/requests")
    return sum(
        1 for entry in log if entry["path"].endswith("/chargeBoxes") and entry["status"] is not None
    )


def wait_cycles(sim: Any, at_least: int) -> int:
    deadline = time.monotonic() + WAIT
    while (done := cycles_done(sim)) < at_least:
        assert time.monotonic() < deadline, f"only {done} poll cycles after {WAIT} s"
        time.sleep(0.05)
    return done


def idle_bytes(console: PtyPolaris, sim: Any) -> bytes:
    """What the console writes while ``CYCLES`` whole poll cycles complete."""
    start = wait_cycles(sim, cycles_done(sim) + 1)  # a cycle boundary
    mark = console.mark()
    wait_cycles(sim, start + CYCLES)
    return console.output[mark:]


def frozen_console(sim: Any, tmp_path: Path) -> Any:
    args, env, _log = console_against(sim, tmp_path)
    env = {
        **env,
        "FROZEN_CONSOLE_AT": FROZEN_NOW.isoformat(),
        "POLARIS_POLL__INTERVAL_SECONDS": "1",
    }
    argv = [sys.executable, "-m", "tests.badday.frozen_console", *args]
    return run_on_pty(argv, home=tmp_path / "home", env=env)


def test_an_idle_fleet_and_detail_write_near_nothing(sim: Any, tmp_path: Path) -> None:
    with frozen_console(sim, tmp_path) as console:
        assert console.wait_screen("CP-ALPHA-01"), console.screen_text()
        assert console.wait_screen(lambda text: "Total " in text and "as of" in text), (
            console.screen_text()
        )
        wait_cycles(sim, 2)  # the first full frame and one more poll are drawn
        console.settle()
        fleet = idle_bytes(console, sim)
        assert len(fleet) <= BUDGET, f"idle fleet wrote {len(fleet)} B: {fleet[:400]!r}"

        console.burst("\r")  # the first row's detail
        assert console.wait_screen(lambda text: "Live status" in text and "Loading" not in text)
        wait_cycles(sim, cycles_done(sim) + 2)
        console.settle()
        detail = idle_bytes(console, sim)
        assert len(detail) <= BUDGET, f"idle detail wrote {len(detail)} B: {detail[:400]!r}"
