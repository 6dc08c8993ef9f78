"""Issue 16, item 5 (argv half): no secret on any process's command line.

The demo used to start the stand-in with ``--hook-key KEY``: every user of a
shared host could read the key in ``ps`` (``/proc/PID/cmdline`` is world
readable) and sign pre-authorize calls. It now goes in the child's
environment (``/proc/PID/environ`` is readable only by its owner).

The real ``polaris`` runs in demo mode on a pseudo-terminal; the command
lines of it and every process under it are read from ``/proc``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from .ptyrun import run_polaris

SECRET_WORDS = re.compile(r"key|passw|secret|token", re.IGNORECASE)


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: the ppid follows its closing ")".
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            ppid = parent_of(int(entry.name))
            if ppid is not None:
                parents[int(entry.name)] = ppid
    found, frontier = [], [root]
    while frontier:
        current = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == current]
        found += children
        frontier += children
    return found


def argv(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (part.decode("utf-8", "replace").partition("=") for part in raw.split(b"\0") if part)
    return {name: value for name, _, value in pairs}


def hook_key_of(pid: int) -> str | None:
    """The stand-in's hook key, wherever it was given."""
    args = argv(pid)
    if "--hook-key" in args:
        return args[args.index("--hook-key") + 1]
    return environment(pid).get("CHARGESIM_HOOK_KEY")


@pytest.mark.slow
def test_the_demo_puts_no_secret_on_any_command_line(tmp_path: Path) -> None:
    with run_polaris([], home=tmp_path / "home") as polaris:
        assert polaris.wait_for("Demo:", timeout=60), polaris.output[-2000:]
        deadline = time.monotonic() + 30
        stand_in = []
        while not stand_in and time.monotonic() < deadline:
            stand_in = [p for p in descendants(polaris.proc.pid) if "chargesim" in argv(p)]
            time.sleep(0.1)
        assert stand_in, "the demo's stand-in process was not found"
        key = hook_key_of(stand_in[0])
        assert key, "the stand-in got no hook key at all"

        for pid in [polaris.proc.pid, *descendants(polaris.proc.pid)]:
            args = argv(pid)
            assert not any(key in arg for arg in args), (pid, args)
            assert not any(SECRET_WORDS.search(arg) for arg in args), (pid, args)
        polaris.type("q")
        assert polaris.wait(20) is not None
