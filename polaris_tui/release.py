"""Replaced fleet data freed on a thread of its own, not the UI's.

At 10,000 chargers each poll replaces a fleet's worth of containers (the
stations' list, the rows' dict, the sort keys) and a few thousand rows and
stations within them. Whoever drops the last reference pays for freeing
them: ~1 ms a container on the UI thread, several a poll (issue 13: one
frame, 16 ms). ``release`` hands them to a daemon thread that drops them a
moment later, once the caller's own references (its locals) are gone.

Purely a matter of where the time goes: if the caller still holds a
reference when the thread lets go, the data is freed where that one is
dropped, as before.
"""

from __future__ import annotations

import os
import queue
import threading
import time

HOLD_SECONDS = 0.2
"""How long the thread keeps what it was given before letting go: the
caller's locals referring to it are gone by then."""


class Releaser:
    """A daemon thread that drops what it is given, started at the first ``release``."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._queue: queue.SimpleQueue[tuple[float, object]] = queue.SimpleQueue()
        self._started = False
        self._start_lock = threading.Lock()
        os.register_at_fork(after_in_child=self._forget)  # a forked child has no such thread

    def _forget(self) -> None:
        self._queue = queue.SimpleQueue()
        self._started = False
        self._start_lock = threading.Lock()

    def release(self, *objects: object) -> None:
        """Let ``objects`` be freed on the release thread (call it as the last
        holder, just before dropping them)."""
        if not self._started:
            self._start()
        self._queue.put((time.monotonic() + HOLD_SECONDS, objects))

    def _start(self) -> None:
        with self._start_lock:
            if not self._started:
                threading.Thread(target=self._serve, name=self._name, daemon=True).start()
                self._started = True

    def _serve(self) -> None:
        held = self._queue
        while True:
            due, objects = held.get()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            del objects  # the last reference, if the caller let go: freed here


RELEASER = Releaser("polaris-release")
release = RELEASER.release
