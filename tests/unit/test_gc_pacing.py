"""The collector pacer: survivors frozen each tick, one whole pass now and
then, never right after a key."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from polaris_tui.gc_pacing import QUIET_SECONDS, WHOLE_PASS_SECONDS, CollectorPacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def unfrozen_after() -> Iterator[None]:
    yield
    gc.unfreeze()  # leave the test process as it was


class Node:
    """Garbage only a cyclic pass can free: it refers to itself."""

    def __init__(self) -> None:
        self.me = self


def test_a_tick_freezes_what_survived(unfrozen_after: None) -> None:
    pacer = CollectorPacer(Clock())
    kept = [object() for _ in range(100)]  # noqa: F841 - alive across the tick
    gc.unfreeze()
    pacer.tick()
    assert gc.get_freeze_count() >= 100
    assert pacer.whole_passes == 0  # not due yet


def test_a_whole_pass_frees_a_frozen_cycle_when_due_and_quiet(unfrozen_after: None) -> None:
    clock = Clock()
    pacer = CollectorPacer(clock)
    node = Node()
    alive = weakref.ref(node)
    pacer.tick()  # frozen with it
    del node
    gc.collect()
    assert alive() is not None  # frozen: no pass sees it

    clock.now += WHOLE_PASS_SECONDS
    pacer.input_seen()  # the operator is typing: not now
    pacer.tick()
    assert pacer.whole_passes == 0

    assert alive() is not None

    clock.now += QUIET_SECONDS
    pacer.tick()
    assert pacer.whole_passes == 1
    assert alive() is None  # the whole pass found the frozen cycle and freed it
