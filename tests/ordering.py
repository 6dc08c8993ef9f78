"""Start the longest tests first, so that no worker is left with one at the end.

``make test`` spreads the suite over pytest-xdist workers. A few tests take
many times longer than the rest (a walk through every screen, real
processes on ptys); if one of them happens to be handed out last, the whole
run waits for it on a single worker while the others sit idle. So the
controller remembers how long each test took (in pytest's cache,
``.pytest_cache``), and the next run puts the known long tests first, the
longest first; everything else keeps its collection order. In a fresh clone
there is no cache yet, and the tests marked ``slow`` go first instead.

Nothing is skipped or reordered within a test, and every worker sorts the
same cached numbers, so xdist sees the same collection on each of them.
"""

from __future__ import annotations

from typing import Any

import pytest

CACHE_KEY = "polaris/durations"

LONG = 1.0
"""Seconds above which a remembered test goes to the front."""

SLOW_GUESS = 5.0
"""What a ``slow`` test with no remembered time counts as."""


def _remembered(config: pytest.Config) -> dict[str, float]:
    cache = getattr(config, "cache", None)
    if cache is None:  # -p no:cacheprovider
        return {}
    known = cache.get(CACHE_KEY, {})
    return known if isinstance(known, dict) else {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    known = _remembered(config)

    def cost(item: pytest.Item) -> float:
        if item.nodeid in known:
            return float(known[item.nodeid])
        return SLOW_GUESS if item.get_closest_marker("slow") else 0.0

    long = sorted((i for i in items if cost(i) >= LONG), key=cost, reverse=True)
    rest = [i for i in items if cost(i) < LONG]
    items[:] = long + rest


class DurationRecorder:
    """In the controller (or a run without xdist): sum each test's phases."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        cache: Any = getattr(session.config, "cache", None)
        if cache is None or not self.seconds:
            return
        known = _remembered(session.config)
        known.update({k: round(v, 2) for k, v in self.seconds.items()})
        cache.set(CACHE_KEY, known)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # not an xdist worker
        config.pluginmanager.register(DurationRecorder(), "polaris-durations")
