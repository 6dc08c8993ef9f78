"""The collector rests during the console's start and always comes back."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from polaris_tui.startup_gc import pause_collector, resume_collector


@pytest.fixture(autouse=True)
def _collector_back_on() -> Iterator[None]:
    resume_collector()
    gc.enable()
    yield
    resume_collector()
    gc.enable()


def test_paused_for_the_start_then_back_on_with_the_garbage_gone() -> None:
    pause_collector()
    assert not gc.isenabled()
    cycle: list[object] = []
    cycle.append(cycle)  # garbage only the cyclic collector frees
    del cycle
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        resume_collector()
        assert gc.isenabled()
        assert any(isinstance(o, list) and o and o[0] is o for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_resume_leaves_a_collector_someone_else_turned_off_alone() -> None:
    gc.disable()
    pause_collector()  # already off: not ours to turn back on
    resume_collector()
    assert not gc.isenabled()


def test_a_console_that_never_ran_leaves_the_collector_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process callers of the CLI (tests, ``polaris`` without a terminal)
    get the collector back even though no App resumed it."""
    from polaris_tui.cli import main

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "s"))
    assert main(["--steve-url", "http://127.0.0.1:9/steve"]) != 0  # not a terminal
    assert gc.isenabled()
