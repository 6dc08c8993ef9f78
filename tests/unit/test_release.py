"""Replaced data freed on the release thread, not the caller's; nothing lost
when the caller still holds it."""

from __future__ import annotations

import threading

from polaris_tui.release import Releaser

WAIT = 30.0


class Freed:
    """Says on which thread it was freed."""

    def __init__(self, seen: dict[str, str], done: threading.Event) -> None:
        self._seen, self._done = seen, done

    def __del__(self) -> None:
        self._seen["thread"] = threading.current_thread().name
        self._done.set()


def test_what_is_released_is_freed_on_the_release_thread() -> None:
    releaser = Releaser("polaris-release-test")
    seen: dict[str, str] = {}
    done = threading.Event()
    rows = {"CP-1": Freed(seen, done)}
    releaser.release(rows)
    del rows  # the caller lets go at once, as ``FleetOrder.adopt`` does
    assert done.wait(WAIT)
    assert seen["thread"] == "polaris-release-test"


def test_what_the_caller_keeps_stays_whole_and_is_freed_where_dropped() -> None:
    releaser = Releaser("polaris-release-test-kept")
    seen: dict[str, str] = {}
    done = threading.Event()
    rows = {"CP-1": Freed(seen, done)}
    releaser.release(rows)
    passed, passed_seen = threading.Event(), {}
    releaser.release(Freed(passed_seen, passed))  # queued after rows: freed after it is let go
    assert passed.wait(WAIT)
    assert not done.is_set() and list(rows) == ["CP-1"]  # still ours, untouched
    del rows
    assert done.is_set()
    assert seen["thread"] == threading.current_thread().name
