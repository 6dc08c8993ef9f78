"""ScanLoginService over a real store file: one tap per pairing, retries,
second cards, windows, roles, and atomic matching across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from polaris_tui.models import Operator, Role, ScanRecorded
from polaris_tui.models.errors import InvalidParams, NotFound, PermissionDenied, StoreError
from polaris_tui.services.scan_login import BLOCKED, ScanLoginService
from polaris_tui.store import Store

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ADMIN = Operator(name="ada", role=Role.ADMIN)
VIEWER = Operator(name="vic", role=Role.VIEWER)


@pytest.fixture
def published():
    return []


@pytest.fixture
def scan(store, clock, published):
    return ScanLoginService(store, clock, ADMIN, published.append)


async def test_arm_records_who_and_window(scan):
    pairing = await scan.arm("CP-FOXTROT-06", minutes=2)
    assert (pairing.armed_by, pairing.armed_at, pairing.expires_at) == (
        "ada",
        NOW,
        NOW + timedelta(minutes=2),
    )
    assert [p.id for p in await scan.pairings("CP-FOXTROT-06")] == [pairing.id]


async def test_first_tap_blocked_and_recorded_once(scan, store, published):
    pairing = await scan.arm("CP-FOXTROT-06")
    assert await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 1) == BLOCKED
    events = await store.scan_events(id_tag="CARD-KIOSK")
    assert [(e.charge_box_id, e.connector_id, e.pairing_id, e.occurred_at) for e in events] == [
        ("CP-FOXTROT-06", 1, pairing.id, NOW)
    ]
    assert [type(e) for e in published] == [ScanRecorded]
    matched = await store.get_pairing(pairing.id)
    assert (matched.matched_id_tag, matched.matched_at) == ("CARD-KIOSK", NOW)


async def test_retry_same_tap_same_answer_no_second_event(scan, store, clock, published):
    await scan.arm("CP-FOXTROT-06")
    assert await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 1) == BLOCKED
    clock.advance(3)
    assert await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 2) == BLOCKED
    assert len(await store.scan_events(id_tag="CARD-KIOSK")) == 1
    assert len(published) == 1


async def test_second_card_in_window_charges_normally(scan, store):
    await scan.arm("CP-FOXTROT-06")
    assert await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 1) == BLOCKED
    assert await scan.decide("CARD-HEALTHY", "CP-FOXTROT-06", 1, 2) is None
    assert await store.scan_events(id_tag="CARD-HEALTHY") == []


async def test_other_charger_not_intercepted(scan):
    await scan.arm("CP-FOXTROT-06")
    assert await scan.decide("CARD-KIOSK", "CP-ALPHA-01", 1, 1) is None


async def test_expired_pairing_does_not_intercept(scan, clock):
    await scan.arm("CP-FOXTROT-06", minutes=2)
    clock.advance(121)
    assert await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 1) is None


async def test_retry_after_window_is_not_blocked(scan, clock):
    await scan.arm("CP-FOXTROT-06", minutes=2)
    assert await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 1) == BLOCKED
    clock.advance(180)
    assert await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 1) is None


async def test_cancelled_pairing_does_not_intercept(scan):
    pairing = await scan.arm("CP-FOXTROT-06")
    cancelled = await scan.cancel(pairing.id)
    assert cancelled.cancelled_at == NOW
    assert await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 1) is None
    assert await scan.pairings("CP-FOXTROT-06") == []
    assert len(await scan.pairings("CP-FOXTROT-06", include_inactive=True)) == 1


async def test_cancel_after_match_changes_nothing(scan):
    pairing = await scan.arm("CP-FOXTROT-06")
    await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 1)
    after = await scan.cancel(pairing.id)
    assert (after.cancelled_at, after.matched_id_tag) == (None, "CARD-KIOSK")


async def test_cancel_unknown_pairing(scan):
    with pytest.raises(NotFound):
        await scan.cancel(999)


async def test_second_arm_on_same_charger_refused(scan):
    await scan.arm("CP-FOXTROT-06")
    with pytest.raises(InvalidParams) as info:
        await scan.arm("CP-FOXTROT-06")
    assert "already armed" in info.value.field_errors["charge_box_id"]


@pytest.mark.parametrize("minutes", [0, -1, 61])
async def test_window_bounds(scan, minutes):
    with pytest.raises(InvalidParams) as info:
        await scan.arm("CP-FOXTROT-06", minutes=minutes)
    assert "minutes" in info.value.field_errors


async def test_viewer_cannot_arm_or_cancel(store, clock, scan):
    pairing = await scan.arm("CP-FOXTROT-06")
    viewer = ScanLoginService(store, clock, VIEWER)
    with pytest.raises(PermissionDenied):
        await viewer.arm("CP-ALPHA-01")
    with pytest.raises(PermissionDenied):
        await viewer.cancel(pairing.id)
    assert len(await viewer.pairings()) == 1  # looking is fine


async def test_intercepts_filter(scan):
    await scan.arm("CP-FOXTROT-06")
    await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 2, 1)
    assert [e.id_tag for e in await scan.intercepts(charge_box_id="CP-FOXTROT-06")] == [
        "CARD-KIOSK"
    ]
    assert await scan.intercepts(id_tag="CARD-HEALTHY") == []
    assert await scan.intercepts(since=NOW + timedelta(seconds=1)) == []


async def test_past_deadline_claims_nothing(scan, store):
    await scan.arm("CP-FOXTROT-06")
    assert await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 1, deadline=0.0) is None
    assert await store.scan_events() == []
    assert len(await scan.pairings("CP-FOXTROT-06")) == 1  # still armed for the real tap


async def test_failing_subscriber_does_not_change_answer(store, clock):
    def broken(_event):
        raise RuntimeError("subscriber bug")

    scan = ScanLoginService(store, clock, ADMIN, broken)
    await scan.arm("CP-FOXTROT-06")
    assert await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 1) == BLOCKED


async def test_store_error_raises_for_the_hook_to_fail_open(tmp_path, clock):
    store = await Store.open(tmp_path / "x.sqlite", clock=clock)
    scan = ScanLoginService(store, clock, ADMIN)
    await store.close()
    with pytest.raises(StoreError):
        await scan.decide("CARD-KIOSK", "CP-FOXTROT-06", 1, 1)


WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import datetime, timezone
    from polaris_tui.models import Operator
    from polaris_tui.services.clock import FixedClock
    from polaris_tui.services.scan_login import ScanLoginService
    from polaris_tui.store import Store

    async def main(path, tag, go):
        clock = FixedClock(datetime(2026, 11, 22, 10, 0, 30, tzinfo=timezone.utc))
        store = await Store.open(path, clock=clock)
        try:
            scan = ScanLoginService(store, clock, Operator(name="hook"))
            while not __import__("os").path.exists(go):
                await asyncio.sleep(0.005)
            print(await scan.decide(tag, "CP-FOXTROT-06", 1, None))
        finally:
            await store.close()

    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
    """
)


@pytest.mark.slow
async def test_one_tap_only_across_processes(tmp_path, store_url, scan):
    """Six hook processes decide different cards at once: exactly one BLOCKED,
    exactly one event (the match and insert are one write transaction:
    SQLite BEGIN IMMEDIATE, PostgreSQL SERIALIZABLE)."""
    path = store_url
    await scan.arm("CP-FOXTROT-06", minutes=5)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), f"CARD-{i}", str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(6)
    ]
    go.write_text("go")
    answers = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        answers.append(out.strip())
    assert sorted(answers) == ["BLOCKED"] + ["None"] * 5
    # a fresh store connection sees exactly one event
    assert len(await scan.intercepts(charge_box_id="CP-FOXTROT-06")) == 1
