"""Replaced data freed on the release thread, not the caller's; nothing lost
when the caller still holds it."""

from __future__ import annotations

import os
import threading

from polaris_tui.release import Releaser

WAIT = 30.0


class Witness:
    """What a ``Freed`` leaves behind: on which thread it was freed."""

    def __init__(self) -> None:
        self.thread: str | None = None
        self.done = threading.Event()


class Freed:
    """Tells its witness on which thread it was freed."""

    def __init__(self, witness: Witness) -> None:
        self._witness = witness

    def __del__(self) -> None:
        self._witness.thread = threading.current_thread().name
        self._witness.done.set()


def watched_rows() -> tuple[Witness, dict[str, Freed]]:
    """A one-row dict, as the fleet's, and the witness of its row."""
    witness = Witness()
    return witness, {"CP-1": Freed(witness)}


def test_what_is_released_is_freed_on_the_release_thread() -> None:
    releaser = Releaser("polaris-release-test")
    witness, rows = watched_rows()
    releaser.release(rows)
    del rows  # the caller lets go at once, as ``FleetOrder.adopt`` does
    assert witness.done.wait(WAIT)
    assert witness.thread == "polaris-release-test"


def test_what_the_caller_keeps_stays_whole_and_is_freed_where_dropped() -> None:
    releaser = Releaser("polaris-release-test-kept")
    witness, rows = watched_rows()
    releaser.release(rows)
    passed = Witness()
    releaser.release(Freed(passed))  # queued after rows: freed after it is let go
    assert passed.done.wait(WAIT)
    assert not witness.done.is_set() and list(rows) == ["CP-1"]  # still ours, untouched
    del rows
    assert witness.done.is_set()
    assert witness.thread == threading.current_thread().name


def test_a_forked_child_frees_on_a_release_thread_of_its_own() -> None:
    releaser = Releaser("polaris-release-test-fork")
    releaser.release(object())  # the parent's thread is running
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: only its exit status and the pipe speak
        code = 1
        try:
            witness, rows = watched_rows()
            releaser.release(rows)
            del rows
            if witness.done.wait(WAIT) and witness.thread is not None:
                os.write(write, witness.thread.encode())
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
