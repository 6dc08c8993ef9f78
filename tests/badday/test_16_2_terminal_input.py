"""Issue 16, bad day 2: terminal input that is not UTF-8 never kills the console.

An operator on PuTTY set to Latin-1 searched "Müller": the ``é``/``ü`` byte
alone (0xE9), a bare 0xFF, or a pasted lone surrogate (its UTF-8-style
encoding ED A0 80, which strict UTF-8 refuses) ended Polaris with a
``UnicodeDecodeError`` traceback, exit status 0, and nothing in the log.

A real ``polaris`` on a real pseudo-terminal gets those bytes typed (each
burst in one write) and pasted: the filter shows U+FFFD for them, the
console keeps running and quits normally, and the log says so once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from polaris_tui.services.settings import os_login

from .ptyrun import WAIT, run_polaris

pytestmark = pytest.mark.slow

FFFD = "\ufffd"
PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"


def console_against(sim: Any, tmp_path: Path) -> tuple[list[str], dict[str, str], Path]:
    """Arguments, environment and log path for a real ``polaris`` against the stand-in."""
    store = tmp_path / "state" / "polaris.sqlite"
    args = [
        "--steve-url",
        sim.steve_url,
        "--lago-url",
        sim.lago_url,
        "--store",
        str(store),
        "--config",
        str(tmp_path / "none.toml"),
    ]
    env = {
        "POLARIS_STEVE__API_PASSWORD": sim.steve_password,
        # the operator is the OS login (never a flag outside the demo)
        "POLARIS_OPERATOR__ADMINS": json.dumps([os_login()]),
        "POLARIS_LAGO__API_KEY": sim.lago_key,
    }
    return args, env, store.parent / "polaris.log"


def test_bytes_that_are_not_utf8_become_u_fffd_and_the_console_lives(
    sim: Any, tmp_path: Path
) -> None:
    args, env, log_path = console_against(sim, tmp_path)
    with run_polaris(args, home=tmp_path / "home", env=env) as polaris:
        assert polaris.wait_for("CP-ALPHA-01", timeout=WAIT), polaris.output[-2000:]
        polaris.settle()

        mark = polaris.mark()
        polaris.burst(b"/M\xe9ller")  # "Müller" from a Latin-1 terminal: é is one byte
        assert polaris.wait_for(f"M{FFFD}ller", timeout=WAIT, after=mark), polaris.output[-2000:]

        mark = polaris.mark()
        polaris.burst(b"\xff")
        assert polaris.wait_for(f"M{FFFD}ller{FFFD}", timeout=WAIT, after=mark), polaris.output[
            -2000:
        ]

        mark = polaris.mark()
        polaris.burst(b"\xed\xa0\x80")  # a lone surrogate, typed
        polaris.burst(PASTE_START + b"x\xed\xa0\x80y" + PASTE_END)  # and pasted
        assert polaris.wait_for(f"x{FFFD * 3}y", timeout=WAIT, after=mark), polaris.output[-2000:]
        assert polaris.proc.poll() is None, "the console is still running"

        polaris.type("escape", "escape")  # leave the filter, clear it
        polaris.type("q")
        assert polaris.wait(WAIT) == 0
        output = polaris.output
    assert b"Traceback" not in output and b"UnicodeDecodeError" not in output
    log = log_path.read_text()
    assert log.count("not UTF-8") == 1, "logged once, not for every bad byte"
    assert "Traceback" not in log
