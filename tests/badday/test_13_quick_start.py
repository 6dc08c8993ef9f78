"""Issue 13, quick start: the demo's stand-in starts before the settings load.

When nothing could configure a SteVe (no flag, no ``POLARIS_…`` variable,
no config file) ``polaris`` launches the stand-in as its first act
(``demo_early``). The settings are still loaded and checked after it: a bad
flag must then end the console with its one-line error and take the
already-started stand-in with it, never leave it running.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from polaris_tui.demo_early import nothing_configured

from .ptyrun import WAIT, run_polaris

pytestmark = pytest.mark.slow


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No POLARIS_ variable, a config folder of our own; returns the config file's path."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("POLARIS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "polaris" / "config.toml"


def test_only_a_console_with_nothing_configured_is_surely_the_demo(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert nothing_configured(flags=[None, None], config_file=None)
    assert not nothing_configured(flags=["http://steve:8080/steve", None], config_file=None)
    assert not nothing_configured(flags=[None, "/tmp/team.sqlite"], config_file=None)
    clean_env.parent.mkdir(parents=True)
    clean_env.write_text("[steve]\nurl = 'http://steve:8080/steve'\n")
    assert not nothing_configured(flags=[None, None], config_file=None), "a config file"
    clean_env.unlink()
    monkeypatch.setenv("polaris_steve__url", "http://steve:8080/steve")  # any case counts
    assert not nothing_configured(flags=[None, None], config_file=None)


def test_a_bad_flag_ends_the_demo_and_its_early_stand_in(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with run_polaris(["--lago-url", "ftp://billing.example"], home=home) as running:
        code = running.wait(WAIT)
        assert code == 2, running.output[-2000:]
        assert b"polaris:" in running.output and b"lago" in running.output.lower()
        assert (home / ".state" / "polaris" / "stand-in.log").exists(), "it started early"
        deadline = time.monotonic() + 30  # a bound for a loaded machine, not a pause
        while running.left_behind() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running.left_behind() == [], "the stand-in outlived the console"
