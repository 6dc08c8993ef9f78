"""The cyclic collector kept out of the operator's way at 10,000 chargers.

The App freezes what lives at the end of its start (``gc.freeze``). After
that every poll replaces a few thousand rows and stations, and what survives
lands in the oldest generation: within two minutes a full pass there scanned
the whole fleet's data, 50 -> 200 ms of the UI (any thread's pass holds the
GIL), every ~18 s. So:

* every ``REFREEZE_SECONDS`` what survived is frozen too, and a full pass
  only ever scans what one interval left (a few ms);
* garbage cycles frozen meanwhile (~100-200 objects a pass at 10,000) are
  freed by one whole collection every ``WHOLE_PASS_SECONDS``, taken when
  no key has come for ``QUIET_SECONDS``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

REFREEZE_SECONDS = 5.0
WHOLE_PASS_SECONDS = 600.0
QUIET_SECONDS = 3.0


class CollectorPacer:
    """Freezes survivors on each ``tick``; collects everything now and then, when quiet."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._last_whole = monotonic()
        self._last_input = float("-inf")
        self.whole_passes = 0

    def input_seen(self) -> None:
        """A key or a click came: no whole pass for ``QUIET_SECONDS``."""
        self._last_input = self._monotonic()

    def tick(self) -> None:
        now = self._monotonic()
        due = now - self._last_whole >= WHOLE_PASS_SECONDS
        if due and now - self._last_input >= QUIET_SECONDS:
            gc.unfreeze()
            gc.collect()
            self._last_whole = now
            self.whole_passes += 1
        gc.freeze()
