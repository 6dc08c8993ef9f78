"""Issue 13, "quiet and quick": terminal bytes while idle, start, detail, memory.

Prints numbers, not a test (shared machines are noisy). Every number sits
beside a reference measured in the same run: Textual's own demo
(``python -m textual``), run by the pty harness ``tuibench``
(/work/shared/tools/tuibench, its README says what each metric means).

1. Quiet: bytes/s written while idle, fleet and charger detail, against a
   stand-in with its clock frozen, and on the live demo. Goal: ≤ 100 B/s
   (frozen), fleet ≤ 400 and detail ≤ 800 B/s (live); reference: the demo's.
2. Quick detail: ``enter`` on the fleet until the detail is complete (both
   read-only panels filled). Goal ≤ 300 ms; reference: ``ctrl+p`` until
   Textual's demo shows its command palette.
3. Quick start: spawn until the fleet rows are on screen, demo (``polaris``)
   and against an external stand-in. Goal ≤ 1.0x the demo's first frame.
4. Memory: the console's peak RSS at 13 and 10,000 chargers (stand-in outside
   the measured tree; goals 80 and 150 MiB); a soak on the detail screen,
   RSS after one minute and after ``--minutes`` (goal: within 10 %).

Usage: ``python bench/quiet_quick.py [--runs N] [--minutes M] [--skip-10k]
[--only quiet,detail,start,memory,soak]``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from polaris_tui.services.settings import os_login  # noqa: E402
from tests.badday.ptyrun import PtyPolaris, run_on_pty  # noqa: E402

TUIBENCH = Path(os.environ.get("TUIBENCH", "/work/shared/tools/tuibench/tuibench.py"))
PY = sys.executable
POLARIS = f"{PY} -m polaris_tui"
TEXTUAL = f"{PY} -m textual"
TEXTUAL_EXPECT = "What is Textual"
ROWS = r"CP-[A-Z]+-\d\d"
"""A fleet row on screen (the demo's ids)."""
DETAIL_DONE = (
    r"(?s)\A(?=.*?(?:Newest meter value|Meter: no meter))"
    r"(?=.*?(?:Transaction \d+ · connector|No open session))"
)
"""The charger detail complete: Live status and Current session both filled,
in either order (at 120x40 they sit side by side, so the session's first line
comes before the meter's on screen; an ordered pattern never matched)."""


@contextmanager
def stand_in(*, chargers: int = 12, frozen: bool = False) -> Iterator[dict[str, str]]:
    """An external stand-in (not in the measured process tree); yields its JSON line."""
    argv = [PY, "-m", "chargesim", "--port", "0", "--json", "--chargers", str(chargers)]
    if frozen:
        argv.append("--frozen")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(10)


def console_env(info: dict[str, str], home: Path) -> dict[str, str]:
    """The environment of a console against ``info``'s stand-in (secrets never in argv)."""
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "c"),
        "XDG_STATE_HOME": str(home / "s"),
        "POLARIS_STEVE__URL": info["steve_url"],
        "POLARIS_STEVE__API_USER": info["steve_user"],
        "POLARIS_STEVE__API_PASSWORD": info["steve_password"],
        "POLARIS_STEVE__WEB_USER": info["web_user"],
        "POLARIS_STEVE__WEB_PASSWORD": info["web_password"],
        "POLARIS_LAGO__URL": info["lago_url"],
        "POLARIS_LAGO__API_KEY": info["lago_key"],
        "POLARIS_OPERATOR__ADMINS": json.dumps([os_login()]),
    }


def home_env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "c"),
        "XDG_STATE_HOME": str(home / "s"),
    }


def tuibench(mode: str, targets: list[list[str]], *options: str) -> list[dict[str, object]]:
    """Run ``tuibench compare MODE`` and return each target's summary (medians)."""
    argv = [PY, str(TUIBENCH), "compare", mode, "-q", "--order", "abba", *options]
    for target in targets:
        argv += ["-t", *target]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=tempfile.gettempdir())
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"tuibench printed nothing: {done.stderr[-2000:]}")
    result = json.loads(lines[-1])
    out = []
    for target in result["targets"]:
        summary = {k: v["median"] for k, v in target["summary"].items() if "median" in v}
        out.append({"name": target["name"], **summary})
    return out


def env_args(env: dict[str, str]) -> list[str]:
    return [f"env={k}={v}" for k, v in env.items()]


def line(label: str, value: float, unit: str, reference: float, ref_label: str, goal: str) -> None:
    ratio = value / reference if reference else float("inf")
    print(
        f"  {label:<44} {value:9.1f} {unit:<5} ref {reference:8.1f} ({ref_label}) "
        f"ratio {ratio:5.2f}  goal {goal}",
        flush=True,
    )


def detail_idle(console: PtyPolaris, seconds: float) -> float:
    """Open the first row's detail, let it settle, count bytes for ``seconds``."""
    console.burst("\r")
    assert console.wait_screen(lambda text: "Live status" in text and "Loading" not in text)
    console.settle(1.0, timeout=15)
    time.sleep(3.0)  # as tuibench's --idle-after: deferred work is not idle
    mark = console.mark()
    time.sleep(seconds)
    return (console.mark() - mark) / seconds


def measure_quiet(runs: int, seconds: float) -> None:
    print("1. quiet: bytes/s to the terminal while idle (120x40, 256 colours)", flush=True)
    with tempfile.TemporaryDirectory() as tmp, stand_in(frozen=True) as info:
        homes = iter(Path(tmp) / f"h{i}" for i in range(10_000))
        against = [
            "frozen",
            POLARIS,
            f"expect={ROWS}",
            *env_args(console_env(info, next(homes))),
        ]
        live = ["demo", POLARIS, f"expect={ROWS}", *env_args(home_env(next(homes)))]
        textual = ["textual-demo", TEXTUAL, f"expect={TEXTUAL_EXPECT}"]
        fleet = tuibench(
            "idle", [textual, against, live], "--runs", str(runs), "--seconds", str(seconds)
        )
        ref = float(fleet[0]["idle_bytes_per_s"])  # type: ignore[arg-type]
        line(
            "fleet, stand-in clock frozen",
            float(fleet[1]["idle_bytes_per_s"]),
            "B/s",
            ref,
            "textual demo",
            "<= 100 B/s",
        )  # type: ignore[arg-type]
        line(
            "fleet, live demo",
            float(fleet[2]["idle_bytes_per_s"]),
            "B/s",
            ref,
            "textual demo",
            "<= 400 B/s",
        )  # type: ignore[arg-type]
        env_frozen = {**console_env(info, next(homes)), "TERM": "xterm-256color", "COLORTERM": ""}
        frozen_rates, live_rates = [], []
        for _ in range(runs):
            with run_on_pty([PY, "-m", "polaris_tui"], home=next(homes), env=env_frozen) as c:
                assert c.wait_screen("CP-ALPHA-01")
                frozen_rates.append(detail_idle(c, seconds))
            demo_env = {**home_env(next(homes)), "COLORTERM": ""}
            with run_on_pty([PY, "-m", "polaris_tui"], home=next(homes), env=demo_env) as c:
                assert c.wait_screen("CP-ALPHA-01")
                live_rates.append(detail_idle(c, seconds))
        line(
            "detail, stand-in clock frozen",
            statistics.median(frozen_rates),
            "B/s",
            ref,
            "textual demo",
            "<= 100 B/s",
        )
        line(
            "detail, live demo",
            statistics.median(live_rates),
            "B/s",
            ref,
            "textual demo",
            "<= 800 B/s",
        )


def measure_detail(runs: int) -> None:
    print("2. quick detail: enter until the charger detail is complete", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        target = [
            "polaris",
            POLARIS,
            f"expect={ROWS}",
            "keys=sleep:2 enter",
            f"expect_after={DETAIL_DONE}",
            *env_args(home_env(Path(tmp))),
        ]
        textual = [
            "textual-demo",
            TEXTUAL,
            f"expect={TEXTUAL_EXPECT}",
            "keys=sleep:2 ctrl+p",
            "expect_after=Search for commands",
        ]
        result = tuibench("keys", [textual, target], "--runs", str(runs))
        if "key_latency_s" not in result[1]:
            print("  enter -> detail: every run failed (see tuibench's screen dump)", flush=True)
            return
        ref = float(result[0]["key_latency_s"]) * 1000  # type: ignore[arg-type]
        value = float(result[1]["key_latency_s"]) * 1000  # type: ignore[arg-type]
        line("enter -> detail complete (demo)", value, "ms", ref, "textual ctrl+p", "<= 300 ms")


def measure_start(runs: int) -> None:
    print("3. quick start: spawn until fleet rows are on screen", flush=True)
    with tempfile.TemporaryDirectory() as tmp, stand_in() as info:
        textual = ["textual-demo", TEXTUAL, f"expect={TEXTUAL_EXPECT}"]
        demo = ["demo", POLARIS, f"expect={ROWS}", *env_args(home_env(Path(tmp) / "d"))]
        make_run = [
            "make-run",
            "make -s run",
            f"expect={ROWS}",
            f"cwd={ROOT}",
            *env_args(home_env(Path(tmp) / "m")),
        ]
        against = [
            "stand-in",
            POLARIS,
            f"expect={ROWS}",
            *env_args(console_env(info, Path(tmp) / "s")),
        ]
        result = tuibench("startup", [textual, demo, make_run, against], "--runs", str(runs))
        ref = float(result[0]["first_frame_s"])  # type: ignore[arg-type]
        for row in result[1:]:
            line(
                f"first frame, {row['name']}",
                float(row["first_frame_s"]),
                "s",
                ref,
                "textual demo",
                "<= 1.0x",
            )  # type: ignore[arg-type]


def measure_memory(runs: int, skip_10k: bool) -> None:
    print("4. memory: the console's peak RSS (stand-in outside the tree)", flush=True)
    sizes = [13] if skip_10k else [13, 10_000]
    with tempfile.TemporaryDirectory() as tmp:
        textual = ["textual-demo", TEXTUAL, f"expect={TEXTUAL_EXPECT}"]
        for size in sizes:
            with stand_in(chargers=size - 1) as info:  # the demo fleet adds one unmanaged
                target = [
                    f"{size}",
                    POLARIS,
                    "expect=CP-",
                    *env_args(console_env(info, Path(tmp) / str(size))),
                ]
                result = tuibench(
                    "startup", [textual, target], "--runs", str(runs), "--timeout", "120"
                )
                goal = "<= 80 MiB" if size == 13 else "<= 150 MiB"
                line(
                    f"peak RSS, {size} chargers",
                    float(result[1]["hwm_sum_mib"]),
                    "MiB",
                    float(result[0]["hwm_sum_mib"]),
                    "textual demo",
                    goal,
                )  # type: ignore[arg-type]


def rss_mib(pid: int) -> float:
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith("VmRSS:"):
            return int(text.split()[1]) / 1024
    return float("nan")


def measure_soak(minutes: float) -> None:
    print(f"4b. soak: RSS on the charger detail after 1 min and after {minutes:g} min", flush=True)
    with tempfile.TemporaryDirectory() as tmp, stand_in() as info:
        env = console_env(info, Path(tmp))
        with run_on_pty([PY, "-m", "polaris_tui"], home=Path(tmp), env=env) as console:
            assert console.wait_screen("CP-ALPHA-01")
            console.burst("\r")
            assert console.wait_screen("Live status")
            start = time.monotonic()
            time.sleep(max(0.0, 60 - (time.monotonic() - start)))
            first = rss_mib(console.proc.pid)
            time.sleep(max(0.0, minutes * 60 - (time.monotonic() - start)))
            last = rss_mib(console.proc.pid)
    line(f"RSS after {minutes:g} min on the detail", last, "MiB", first, "after 1 min", "<= 1.10x")


def compile_bytecode() -> None:
    """Compile Polaris' and the stand-in's bytecode first, as ``pip install``
    does for the wheel (and for Textual, the reference, in site-packages).

    An editable checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (this
    machine's default) never writes it, so every start compiled its ~200
    modules: ~0.3 s of the console's CPU and ~0.1 s of the stand-in's,
    which no installed Polaris spends."""
    for package in ("polaris_tui", "chargesim"):
        compileall.compile_dir(ROOT / package, quiet=1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="idle window")
    parser.add_argument("--minutes", type=float, default=2.0, help="soak length")
    parser.add_argument("--skip-10k", action="store_true")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run (default all: {','.join(PARTS)})",
    )
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    compile_bytecode()
    print(f"   ({shlex.join(sys.argv)}; medians of {args.runs} interleaved runs)")
    print(f"   load average before: {os.getloadavg()[0]:.2f}", flush=True)
    for part in parts:
        if part == "quiet":
            measure_quiet(args.runs, args.seconds)
        elif part == "detail":
            measure_detail(args.runs)
        elif part == "start":
            measure_start(args.runs)
        elif part == "memory":
            measure_memory(args.runs, args.skip_10k)
        elif part == "soak":
            measure_soak(args.minutes)
    print(f"   load average after: {os.getloadavg()[0]:.2f}", flush=True)
    return 0


PARTS = ("quiet", "detail", "start", "memory", "soak")


if __name__ == "__main__":
    sys.exit(main())
