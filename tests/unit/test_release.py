"""Replaced data freed on the release thread, not the caller's; nothing lost
when the caller still holds it."""

from __future__ import annotations

import os
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


def test_a_forked_child_frees_on_a_release_thread_of_its_own() -> None:
    releaser = Releaser("polaris-release-test-fork")
    releaser.release(object())  # the parent's thread is running
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: only its exit status and the pipe speak
        code = 1
        try:
            seen: dict[str, str] = {}
            done = threading.Event()
            rows = {"CP-1": Freed(seen, done)}
            releaser.release(rows)
            del rows
            if done.wait(WAIT):
                os.write(write, seen["thread"].encode())
                code = 0
        finally:
            os._exit(code)
    os.close(write)
    try:
        got = os.read(read, 64)
    finally:
        os.close(read)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert got == b"polaris-release-test-fork"
