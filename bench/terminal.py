"""How a real ``polaris`` (the demo, on a pseudo-terminal) handles its terminal.

Prints numbers; it is not a test (shared machines are noisy). Each number has
its reference measured in the same run, on the same kind of process:

* type-ahead: a 40-key burst in ONE write into the fleet filter, until the
  whole text is drawn; reference: one key, until it is drawn. Keys are
  handled one at a time (``polaris_tui/typeahead.py``), so the burst costs
  about N single keys at most, never a lost key.
* terminal gone: from closing the pty until no process of the session is
  left (console, stand-in, make), for ``polaris`` and for ``make run``;
  reference: from ``q`` until the same is true. Issue 16 asks for 2 s.

Usage: ``python bench/terminal.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.badday.ptyrun import PtyPolaris, run_on_pty  # noqa: E402
from tests.badday.test_16_9_terminal_gone import make_run_argv  # noqa: E402

POLARIS = [sys.executable, "-m", "polaris_tui"]
TEXT = "cp-" + "x" * 37


def seconds_until(condition: Callable[[], bool], timeout: float = 60.0) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            return float("inf")
        time.sleep(0.002)
    return time.perf_counter() - start


def started(argv: list[str], home: Path, *, controlling_tty: bool = True):
    return run_on_pty(argv, home=home, controlling_tty=controlling_tty)


def ready(console: PtyPolaris) -> None:
    assert console.wait_for("CP-ALPHA-01", timeout=60), "the demo did not start"
    console.settle()


def all_gone(console: PtyPolaris) -> Callable[[], bool]:
    def check() -> bool:
        console.proc.poll()
        return not console.left_behind()

    return check


def type_ahead(home: Path) -> tuple[float, float]:
    with started(POLARIS, home) as console:
        ready(console)
        console.burst("/")  # into the filter
        console.settle()
        mark = console.mark()
        start = time.perf_counter()
        console.burst(TEXT)
        seconds_until(lambda: TEXT.encode() in console.output[mark:])
        burst = time.perf_counter() - start
        mark = console.mark()
        start = time.perf_counter()
        console.burst("\x7f")  # one backspace: one key, until its text is drawn
        seconds_until(lambda: TEXT[:-1].encode() in console.output[mark:])
        one = time.perf_counter() - start
    return one, burst


def gone(argv: list[str], home: Path, how: str) -> float:
    with started(argv, home) as console:
        ready(console)
        start = time.perf_counter()
        if how == "q":
            console.burst("q")
        else:
            console.close_terminal()
        seconds_until(all_gone(console))
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        homes = iter(Path(tmp) / f"h{i}" for i in range(1000))
        ones, bursts = zip(*(type_ahead(next(homes)) for _ in range(rounds)), strict=True)
        one, burst = statistics.median(ones), statistics.median(bursts)
        print(f"  one key drawn (reference)          {one * 1000:8.1f} ms")
        print(
            f"  {len(TEXT)}-key burst, all drawn in order   {burst * 1000:8.1f} ms"
            f"  ({burst / len(TEXT) * 1000:.1f} ms per key)"
        )
        for name, argv in (("polaris", POLARIS), ("make run", make_run_argv())):
            quit_ = statistics.median(gone(argv, next(homes), "q") for _ in range(rounds))
            closed = statistics.median(gone(argv, next(homes), "close") for _ in range(rounds))
            print(f"  {name:8}: q until no process left (reference) {quit_ * 1000:8.1f} ms")
            print(f"  {name:8}: pty closed until no process left    {closed * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
