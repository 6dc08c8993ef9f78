"""What every repository shares: the backend, the clock, this console's origin."""

from __future__ import annotations

import uuid

from polaris_tui.store.backend import Backend, Clock
from polaris_tui.store.origin import Origin
from polaris_tui.store.values import to_text


class Repository:
    def __init__(self, backend: Backend, clock: Clock, origin: Origin) -> None:
        self.backend = backend
        self.clock = clock
        self.origin = origin

    def _now(self) -> str:
        return to_text(self.clock.now())  # type: ignore[return-value]


def new_uid() -> str:
    """A natural key for a history row: the same row in every store it is copied to."""
    return uuid.uuid4().hex
