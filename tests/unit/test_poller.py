"""The live poller: fixed requests per cycle, diffs by key, states, snapshot, loops."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from polaris_tui.models import (
    CardMeta,
    ConnectionState,
    FleetChanged,
    SourceName,
    SourceStateChanged,
    StatusSource,
)
from polaris_tui.models.errors import LagoUnreachable, SteveAuthError, SteveRejected
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.meter_schedule import meter_reads_per_cycle
from polaris_tui.services.poller import LivePoller, next_delay
from polaris_tui.services.settings import PollSettings, Settings
from tests.unit.test_fleet_fakes import (
    NOW,
    FakeLago,
    FakeSteve,
    FakeStore,
    ago,
    box,
    connector,
    demo_data,
    demo_meters,
    meter,
    tx,
)


def make(*, steve=None, store=None, lago=None, poll: PollSettings | None = None):
    chargers, active, tags, customers, card_meta, inventory = demo_data()
    steve = steve or FakeSteve(chargers=chargers, active=active, tags=tags, meters=demo_meters())
    store = store or FakeStore(card_meta, inventory)
    lago = lago or FakeLago(customers)
    clock = FixedClock(NOW)
    events: list = []
    settings = Settings(poll=poll or PollSettings())
    poller = LivePoller(steve, lago, store, clock, settings, events.append)
    return poller, steve, store, lago, clock, events


def fleet_events(events):
    return [e for e in events if isinstance(e, FleetChanged)]


def state_events(events, source=SourceName.STEVE):
    return [
        e.state for e in events if isinstance(e, SourceStateChanged) and e.state.source == source
    ]


async def test_three_requests_per_cycle_whatever_the_fleet_size():
    big = [
        box(f"CP-SIM-{i:05d}", connector(f"CP-SIM-{i:05d}", 1, "Available", ago(hours=1)))
        for i in range(2000)
    ]
    poller, steve, *_ = make(steve=FakeSteve(chargers=big))
    await poller.refresh_now()
    await poller.refresh_now()
    assert steve.counts() == {"live_status": 2, "list_transactions": 2, "list_tags": 2}
    assert len(poller.rows()) == 2000 + 1  # plus the local-only charger


async def test_first_cycle_publishes_every_row_then_only_changes():
    # Sampler off: a meter read moves the row's meter_checked_at, which is a change
    # (tested below); here only the fixed reads run.
    poller, steve, store, lago, clock, events = make(poll=PollSettings(meter_samples_per_cycle=0))
    await poller.refresh_now()
    first = fleet_events(events)
    assert {r.charge_box_id for r in first[-1].changed} == {r.charge_box_id for r in poller.rows()}
    events.clear()
    clock.advance(5)
    await poller.refresh_now()
    assert (
        fleet_events(events) == []
    )  # nothing changed: nothing sent (fetched_at moving is not a change)

    steve.chargers[3].connectors[0].status = "Charging"  # CP-DELTA-04 connector 1
    steve.chargers[3].connectors[0].timestamp = NOW
    clock.advance(5)
    await poller.refresh_now()
    (event,) = fleet_events(events)
    assert [r.charge_box_id for r in event.changed] == ["CP-DELTA-04"]
    assert event.changed[0].status == "Charging"
    assert event.counts.total == 7 and event.fetched_at == clock.now()


def big_fleet(chargers: int, busy_every: int = 2):
    """``chargers`` stations; every ``busy_every``-th charging an open session with
    one fresh meter value."""
    boxes, active, meters = [], [], {}
    for i in range(chargers):
        cb = f"CP-SIM-{i:05d}"
        busy = i % busy_every == 0
        boxes.append(box(cb, connector(cb, 1, "Charging" if busy else "Available", ago(hours=1))))
        if busy:
            active.append(tx(10_000 + i, cb, f"TAG-{i}", ago(minutes=30 + i % 60)))
            meters[10_000 + i] = [meter(ago(minutes=1), 5000)]
    return boxes, active, meters


async def test_requests_per_cycle_are_bounded_with_many_open_sessions():
    """1,000 open sessions: each cycle still makes 3 reads + the sampler's
    budget of meter reads (never one per charger)."""
    boxes, active, meters = big_fleet(2000)
    poller, steve, *_ = make(steve=FakeSteve(chargers=boxes, active=active, meters=meters))
    per_cycle = meter_reads_per_cycle(PollSettings())
    assert per_cycle == 25, "5 reads a second over a 5 s interval"
    for cycle in range(1, 4):
        await poller.refresh_now()
        assert steve.counts() == {
            "live_status": cycle,
            "list_transactions": cycle,
            "list_tags": cycle,
            "transaction_details": per_cycle * cycle,
        }
    assert poller.meter_reads == 3 * per_cycle


async def test_sampler_rotates_never_read_first_then_least_recently_read():
    boxes, active, meters = big_fleet(40)  # 20 open sessions
    poller, steve, store, lago, clock, events = make(
        steve=FakeSteve(chargers=boxes, active=active, meters=meters),
        poll=PollSettings(meter_samples_per_cycle=6),
    )
    ids = {t.id for t in active}
    seen: list[set[int]] = []
    for _ in range(4):
        before = {pk: poller.meter_note(pk) for pk in ids}
        await poller.refresh_now()
        read = {pk for pk in ids if poller.meter_note(pk) is not before[pk]}
        assert len(read) == 6
        seen.append(read)  # the clock stands still: the rotation does not need it to move
    assert set().union(*seen[:3]) | seen[3] == ids  # 4 cycles x 6 reads cover all 20
    assert (
        not seen[0] & seen[1] and not seen[1] & seen[2]
    )  # no session read twice before all were read once
    # the fourth cycle reads the last 2 never-read sessions, then the 4 read longest ago (cycle 1)
    never = ids - seen[0] - seen[1] - seen[2]
    assert len(never) == 2 and never <= seen[3] and len(seen[3] & seen[0]) == 4


async def test_sampler_reads_the_oldest_sessions_first_when_none_were_read():
    boxes, active, meters = big_fleet(40)
    poller, steve, *_ = make(
        steve=FakeSteve(chargers=boxes, active=active, meters=meters),
        poll=PollSettings(meter_samples_per_cycle=3),
    )
    await poller.refresh_now()
    oldest = sorted(active, key=lambda t: (t.start_timestamp, t.id))[:3]
    assert {pk for pk in (t.id for t in active) if poller.meter_note(pk)} == {t.id for t in oldest}


async def test_a_failed_meter_read_keeps_the_old_note_and_the_cycle(caplog):
    poller, steve, store, lago, clock, events = make()
    await poller.refresh_now()
    bravo_note = poller.meter_note(1011)
    assert poller.row("CP-BRAVO-02").stuck
    clock.advance(5)
    steve.fail["transaction_details"] = SteveRejected("Internal Server Error", status=500)
    await poller.refresh_now()
    assert poller.state(SourceName.STEVE).state == ConnectionState.LIVE  # the fixed reads went fine
    assert poller.meter_note(1011) is bravo_note and poller.row("CP-BRAVO-02").stuck
    assert poller.row("CP-BRAVO-02").meter_checked_at == NOW  # as of the last good read
    assert "meter sample of transaction" in caplog.text
    steve.fail["transaction_details"] = KeyError("bug")  # not a domain error: logged too
    await poller.refresh_now()
    assert poller.cycles[SourceName.STEVE] == 3 and poller.meter_note(1011) is bravo_note


async def test_no_meter_reads_while_steve_is_unreachable():
    poller, steve, *_ = make()
    steve.fail_all()
    await poller.refresh_now()
    assert "transaction_details" not in steve.counts()


async def test_notes_of_closed_sessions_are_forgotten():
    poller, steve, *_ = make()
    await poller.refresh_now()
    assert poller.meter_note(1011) is not None
    steve.active = [t for t in steve.active if t.id != 1011]
    await poller.refresh_now()
    assert poller.meter_note(1011) is None and poller.row("CP-BRAVO-02").open_session is None
    assert poller.meter_note(1010) is not None


async def test_a_reread_publishes_the_row_with_its_new_check_time():
    poller, steve, store, lago, clock, events = make()
    await poller.refresh_now()
    events.clear()
    clock.advance(5)
    await poller.refresh_now()
    (event,) = fleet_events(events)
    assert sorted(r.charge_box_id for r in event.changed) == [
        "CP-ALPHA-01",
        "CP-BRAVO-02",
        "CP-JULIET-10",
    ]
    assert {r.meter_checked_at for r in event.changed} == {clock.now()}
    assert [r.charge_box_id for r in event.changed if r.stuck] == ["CP-BRAVO-02"]


async def test_removed_rows_are_published():
    poller, steve, *_, events = make()
    await poller.refresh_now()
    events.clear()
    steve.chargers = [b for b in steve.chargers if b.charge_box_id != "CP-DELTA-04"]
    await poller.refresh_now()
    (event,) = fleet_events(events)
    assert event.removed == ["CP-DELTA-04"] and event.changed == []


async def test_states_live_degraded_unreachable_and_back():
    poller, steve, store, lago, clock, events = make()
    await poller.refresh_now()
    live = poller.state(SourceName.STEVE)
    assert live.state == ConnectionState.LIVE and live.last_ok == NOW and not live.from_snapshot

    clock.advance(5)
    steve.fail["list_tags"] = SteveRejected("Internal Server Error", status=500)
    await poller.refresh_now()
    degraded = poller.state(SourceName.STEVE)
    assert degraded.state == ConnectionState.DEGRADED and degraded.last_ok == clock.now()
    assert degraded.error_title == "SteVe refused the request"

    clock.advance(5)
    good_time = clock.now() - timedelta(seconds=5)
    steve.fail_all()
    await poller.refresh_now()
    down = poller.state(SourceName.STEVE)
    assert down.state == ConnectionState.UNREACHABLE
    assert down.last_ok == good_time and down.since == clock.now()
    assert poller.rows()  # the last good data is still there
    assert poller.fetched_at == good_time

    steve.fail.clear()
    clock.advance(5)
    await poller.refresh_now()
    assert poller.state(SourceName.STEVE).state == ConnectionState.LIVE
    assert [s.state for s in state_events(events)] == [
        ConnectionState.LIVE,
        ConnectionState.DEGRADED,
        ConnectionState.UNREACHABLE,
        ConnectionState.LIVE,
    ]


async def test_auth_refusal_everywhere_is_unreachable_with_its_title():
    poller, steve, *_ = make()
    steve.fail_all(SteveAuthError("Invalid password"))
    await poller.refresh_now()
    state = poller.state(SourceName.STEVE)
    assert (
        state.state == ConnectionState.UNREACHABLE
        and state.error_title == "SteVe refused the credentials"
    )


async def test_unexpected_exception_never_escapes():
    poller, steve, *_ = make()
    steve.fail["live_status"] = KeyError("bug")
    await poller.refresh_now()
    state = poller.state(SourceName.STEVE)
    assert state.state == ConnectionState.DEGRADED and state.error_title == "Internal error"


async def test_same_state_is_not_republished():
    poller, steve, store, lago, clock, events = make()
    steve.fail_all()
    await poller.refresh_now()
    await poller.refresh_now()
    assert len(state_events(events)) == 1


async def test_snapshot_saved_throttled_and_loaded_on_next_start():
    poller, steve, store, lago, clock, events = make()
    await poller.refresh_now()
    assert store.saves == 1
    clock.advance(10)
    await poller.refresh_now()
    assert store.saves == 1  # not more often than every 30 s
    clock.advance(25)
    await poller.refresh_now()
    assert store.saves == 2
    assert store.snapshot.fetched_at == clock.now()
    assert store.customers_cache[1] == clock.now()

    # A later start while SteVe and Lago are down: the snapshot is shown, marked as such.
    chargers, active, tags, *_ = demo_data()
    down = FakeSteve(chargers=chargers, active=active, tags=tags)
    down.fail_all()
    lago_down = FakeLago([])
    lago_down.fail = LagoUnreachable("refused")
    later, _, _, _, clock2, events2 = make(steve=down, store=store, lago=lago_down)
    clock2.set(NOW + timedelta(hours=2))
    await later.load_snapshot()
    state = later.state(SourceName.STEVE)
    assert state.from_snapshot and state.last_ok == store.snapshot.fetched_at
    assert later.state(SourceName.LAGO).from_snapshot
    row = later.row("CP-ALPHA-01")
    assert row.source == StatusSource.SNAPSHOT and row.connectors[0].source == StatusSource.SNAPSHOT
    assert row.open_session.customer.email == "ada@example.com"  # customers came from the cache
    assert fleet_events(events2) and len(fleet_events(events2)[0].changed) == 7

    await later.refresh_now()
    assert later.state(SourceName.STEVE).state == ConnectionState.UNREACHABLE
    assert later.state(SourceName.STEVE).from_snapshot  # still showing the snapshot
    assert later.row("CP-ALPHA-01") is not None


async def test_first_good_cycle_clears_from_snapshot():
    poller, steve, store, *_ = make()
    await poller.refresh_now()
    again, _, _, _, _, _ = make(store=store)
    await again.load_snapshot()
    assert again.state(SourceName.STEVE).from_snapshot
    await again.refresh_now()
    state = again.state(SourceName.STEVE)
    assert not state.from_snapshot and state.state == ConnectionState.LIVE
    assert again.row("CP-ALPHA-01").source == StatusSource.CHARGEBOXES_API


async def test_card_meta_is_reread_every_cycle():
    poller, steve, store, *_ = make()
    await poller.refresh_now()
    assert poller.row("CP-BRAVO-02").open_session.customer.external_id == "cust-grace"
    store.meta["CARD-STUCK"] = CardMeta(id_tag="CARD-STUCK", lago_customer_id="cust-ada")
    await poller.refresh_now()
    assert store.meta_reads == 2
    assert poller.row("CP-BRAVO-02").open_session.customer.external_id == "cust-ada"


async def test_store_failures_are_logged_not_raised(caplog):
    poller, steve, store, *_ = make()
    store.fail_reads = True
    await poller.refresh_now()
    assert poller.state(SourceName.STEVE).state == ConnectionState.LIVE
    assert "cannot read card metadata" in caplog.text


async def test_lago_state_is_separate():
    poller, steve, store, lago, clock, events = make()
    lago.fail = LagoUnreachable("connection refused")
    await poller.refresh_now()
    assert poller.state(SourceName.LAGO).state == ConnectionState.UNREACHABLE
    assert poller.state(SourceName.STEVE).state == ConnectionState.LIVE
    lago.fail = None
    await poller.refresh_now()
    assert poller.state(SourceName.LAGO).state == ConnectionState.LIVE
    assert len(poller.customers()) == 3


async def test_a_failing_subscriber_does_not_stop_polling(caplog):
    chargers, active, tags, customers, card_meta, inventory = demo_data()

    def bad(event):
        raise RuntimeError("subscriber bug")

    poller = LivePoller(
        FakeSteve(chargers=chargers, active=active, tags=tags),
        None,
        FakeStore(card_meta, inventory),
        FixedClock(NOW),
        Settings(),
        bad,
    )
    await poller.refresh_now()
    assert poller.state(SourceName.STEVE).state == ConnectionState.LIVE
    assert "subscriber failed" in caplog.text


class GatedSteve(FakeSteve):
    """live_status waits on a gate, so a test can hold a cycle open."""

    def __init__(self, **data):
        super().__init__(**data)
        self.gate = asyncio.Event()
        self.inside = 0
        self.max_inside = 0

    async def live_status(self):
        self.inside += 1
        self.max_inside = max(self.max_inside, self.inside)
        try:
            await self.gate.wait()
            return await super().live_status()
        finally:
            self.inside -= 1


async def test_cycles_never_overlap():
    chargers, active, tags, *_ = demo_data()
    steve = GatedSteve(chargers=chargers, active=active, tags=tags)
    poller, *_ = make(steve=steve)
    first = asyncio.create_task(poller.refresh_now())
    second = asyncio.create_task(poller.refresh_now())
    for _ in range(20):
        await asyncio.sleep(0)
    assert steve.inside == 1
    steve.gate.set()
    await asyncio.gather(first, second)
    assert steve.max_inside == 1 and steve.counts()["live_status"] == 2


@pytest.mark.parametrize(
    "current, failed, expected",
    [(5, False, 5), (5, True, 10), (10, True, 20), (40, True, 60), (60, True, 60), (60, False, 5)],
)
def test_backoff_doubles_up_to_the_cap(current, failed, expected):
    assert next_delay(current, failed, 5, 60) == expected


def test_backoff_never_below_the_interval():
    assert next_delay(60, True, 60, 30) == 60  # Lago: 60 s interval, 30 s cap


async def wait_for(condition, limit=500):
    for _ in range(limit):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_loops_run_until_stopped_and_save_on_stop():
    poll = PollSettings(interval_seconds=0.01, lago_interval_seconds=0.01, max_backoff_seconds=0.02)
    poller, steve, store, lago, clock, events = make(poll=poll)
    poller.start()
    poller.start()  # idempotent
    assert poller.running
    await wait_for(
        lambda: poller.cycles[SourceName.STEVE] >= 3 and poller.cycles[SourceName.LAGO] >= 2
    )
    steve.fail_all()
    before = poller.cycles[SourceName.STEVE]
    await wait_for(
        lambda: poller.cycles[SourceName.STEVE] >= before + 3
    )  # still polling while failing
    assert poller.state(SourceName.STEVE).state == ConnectionState.UNREACHABLE
    store.snapshot = (
        None  # cycles after the first were fetched but not saved (the clock stood still)
    )
    await poller.stop()
    assert not poller.running
    assert store.snapshot is not None  # saved on the way out
    await poller.stop()  # idempotent


async def test_a_threaded_build_that_finishes_late_is_not_applied(monkeypatch):
    """A meter note arriving while a cycle builds rows in a thread must win."""
    from polaris_tui.services.fleet_rules import MeterNote

    lago = FakeLago([])
    lago.configured = False  # only the SteVe cycle builds rows here
    poller, steve, *_ = make(lago=lago, poll=PollSettings(meter_samples_per_cycle=0))
    await poller.refresh_now()
    assert not poller.row("CP-ALPHA-01").stuck  # meter not read: unknown, not stuck
    real = asyncio.to_thread
    stopped = meter(ago(minutes=30), 4000)

    async def late(fn, *args):
        poller.note_meter(
            1010,
            MeterNote(checked_at=NOW, latest=stopped, advanced_at=ago(minutes=30), advancing=False),
        )
        return await real(fn, *args)

    monkeypatch.setattr(asyncio, "to_thread", late)
    await poller.refresh_now()
    assert poller.row("CP-ALPHA-01").stuck


async def test_data_is_stamped_when_it_was_asked_for_not_when_it_came():
    """A slow answer is as old as the moment it was asked for: an age computed
    from the stamp never shows the data fresher than it is (issue 16 item 4)."""
    poller, steve, *_, clock, _events = make()
    original = steve.list_tags

    async def slow_tags(**filters):
        clock.advance(20)  # SteVe took 20 s to answer
        return await original(**filters)

    steve.list_tags = slow_tags
    await poller.refresh_now()
    assert poller.state(SourceName.STEVE).last_ok == NOW
    assert clock.now() - poller.fetched_at == timedelta(seconds=20)


def test_poll_reads_wait_half_an_interval_within_the_read_timeout():
    from polaris_tui.services.settings import SteveSettings
    from polaris_tui.services.steve_wire import poll_timeout

    assert poll_timeout(Settings()) == 2.5  # default: 5 s interval, 10 s read timeout
    assert poll_timeout(Settings(poll=PollSettings(interval_seconds=0.2))) == 2.0  # floor
    assert poll_timeout(Settings(poll=PollSettings(interval_seconds=60))) == 10.0
    tight = Settings(steve=SteveSettings(read_timeout=1.0), poll=PollSettings(interval_seconds=2))
    assert poll_timeout(tight) == 1.0


class ProbedSteve(FakeSteve):
    """Fails every cycle until ``up``; answers probes from then on."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.probes = 0
        self.up = asyncio.Event()

    async def probe(self) -> bool:
        self.probes += 1
        return self.up.is_set()


async def test_a_backing_off_loop_probes_every_interval_and_resumes_at_once(monkeypatch):
    import polaris_tui.services.poller as poller_module

    # At the backoff cap: a failed cycle is followed by a 30 s wait.
    monkeypatch.setattr(
        poller_module, "next_delay", lambda cur, failed, iv, cap: cap if failed else iv
    )
    chargers, active, tags, *_ = demo_data()
    steve = ProbedSteve(chargers=chargers, active=active, tags=tags)
    steve.fail_all()
    poll = PollSettings(interval_seconds=0.05, max_backoff_seconds=30.0)
    poller, *_ = make(steve=steve, poll=poll)
    poller.lago = None
    poller.start()
    try:
        # Failing: the 30 s wait is probed every 0.05 s.
        while steve.probes < 3:
            await asyncio.sleep(0.01)
        assert poller.state(SourceName.STEVE).state == ConnectionState.UNREACHABLE
        cycles = poller.cycles[SourceName.STEVE]
        steve.fail.clear()
        steve.up.set()
        # The state turns LIVE inside the cycle, just before the cycle is
        # counted: wait for both, never on a guess of how long that takes.
        for _ in range(1000):
            if (
                poller.state(SourceName.STEVE).state == ConnectionState.LIVE
                and poller.cycles[SourceName.STEVE] > cycles
            ):
                break
            await asyncio.sleep(0.01)
        assert poller.state(SourceName.STEVE).state == ConnectionState.LIVE
        # Live again long before the 30 s: a probe answered, then a full cycle ran.
        assert poller.cycles[SourceName.STEVE] >= cycles + 1
    finally:
        await poller.stop()


async def test_first_poll_waits_for_the_loops_first_cycles_lago_after_steve():
    # At start the console waited on refresh_now(), which polled every source a
    # second time beside the first rows; Lago's pages also ran beside SteVe's.
    poller, steve, _store, lago, *_ = make()
    order: list[str] = []
    steve_cycle, lago_cycle = poller._steve_cycle, poller._lago_cycle

    async def noted_steve() -> bool:
        order.append("steve")
        failed = await steve_cycle()
        order.append("steve done")
        return failed

    async def noted_lago() -> bool:
        order.append("lago")
        return await lago_cycle()

    poller._steve_cycle, poller._lago_cycle = noted_steve, noted_lago  # type: ignore[method-assign]
    poller.start()
    try:
        await asyncio.wait_for(poller.first_poll(), 30)
    finally:
        await poller.stop()
    assert steve.counts()["live_status"] == 1  # one cycle, not two
    assert lago.calls == 1
    assert order == ["steve", "steve done", "lago"]


async def test_first_poll_without_loops_polls_once():
    poller, steve, _store, lago, *_ = make()
    await poller.first_poll()
    assert steve.counts()["live_status"] == 1  # one cycle, not two
    assert lago.calls == 1
