"""The injected clock: aware UTC always, and a fixed clock that moves only when told."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from polaris_tui.services.clock import Clock, FixedClock, SystemClock

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_system_clock_is_aware_utc():
    now = SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert isinstance(SystemClock(), Clock)


def test_fixed_clock_advance_and_set():
    clock = FixedClock(T0)
    assert clock.now() == T0
    assert clock.advance(90.5) == T0 + timedelta(seconds=90.5)
    assert clock.now() == T0 + timedelta(seconds=90.5)
    clock.set(T0 - timedelta(hours=1))
    assert clock.now() == T0 - timedelta(hours=1)
    assert isinstance(clock, Clock)


def test_fixed_clock_normalises_other_zones_to_utc():
    plus_two = timezone(timedelta(hours=2))
    clock = FixedClock(datetime(2026, 11, 22, 12, 0, tzinfo=plus_two))
    assert clock.now() == T0
    assert clock.now().utcoffset() == timedelta(0)


def test_fixed_clock_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 11, 22, 10, 0))
    with pytest.raises(ValueError):
        FixedClock(T0).set(datetime(2026, 11, 22))
