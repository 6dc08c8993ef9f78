"""Fleet views: roll-up, liveness, stuck rules, search, counts, detail, unmanaged chargers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from polaris_tui.models import (
    ConnectionState,
    Liveness,
    OperationLogEntry,
    OperationStatus,
    SourceName,
    StatusSource,
)
from polaris_tui.models.errors import InvalidParams, NotFound, SteveUnreachable
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.fleet import FleetService
from polaris_tui.services.fleet_rules import (
    FleetData,
    Lookups,
    build_rows,
    count_rows,
    liveness,
    read_meter,
    rollup_status,
    row_session,
    same_row,
)
from polaris_tui.services.poller import LivePoller
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

POLL = PollSettings()
THRESHOLD = timedelta(minutes=POLL.stuck_after_minutes)


def demo_notes(at=NOW):
    """What the poller's sampler notes after reading every demo session at ``at``."""
    active = {t.id: t for t in demo_data()[1]}
    return {
        pk: read_meter(active[pk], values, at, THRESHOLD) for pk, values in demo_meters().items()
    }


def rows_of(**overrides):
    chargers, active, tags, customers, card_meta, inventory = demo_data()
    data = FleetData(
        chargers=chargers,
        active_transactions=active,
        tags=tags,
        customers=customers,
        card_meta=card_meta,
        inventory=inventory,
        status_fetched_at=NOW,
        transactions_fetched_at=NOW,
        meter_notes=demo_notes(),
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return {r.charge_box_id: r for r in build_rows(data, NOW, POLL)}


# --------------------------------------------------------------------------- roll-up and liveness


@pytest.mark.parametrize(
    "statuses, expected",
    [
        (["Available", "Charging"], "Charging"),
        (["Faulted", "Available"], "Faulted"),
        (["SuspendedEVSE", "Preparing"], "SuspendedEVSE"),
        (["Reserved", "Unavailable"], "Unavailable"),
        (["Finishing", "Faulted"], "Finishing"),
        (["Available", "Reserved"], "Reserved"),
        ([], "Unknown"),
    ],
)
def test_rollup_priority(statuses, expected):
    b = box("CP", *[connector("CP", i, s, ago(minutes=i)) for i, s in enumerate(statuses, 1)])
    assert rollup_status(b)[0] == expected


def test_rollup_offline_wins_and_keeps_heartbeat_time():
    b = box(
        "CP", connector("CP", 1, "Charging", ago(hours=1)), online=False, heartbeat=ago(hours=3)
    )
    assert rollup_status(b) == ("Offline", ago(hours=3))


def test_rollup_since_is_the_deciding_connectors_time():
    b = box(
        "CP",
        connector("CP", 1, "Available", ago(hours=5)),
        connector("CP", 2, "Faulted", ago(minutes=30)),
    )
    assert rollup_status(b) == ("Faulted", ago(minutes=30))


def test_liveness_rules():
    assert liveness(box("A", online=False), NOW, 900) == Liveness.OFFLINE
    assert liveness(box("A", heartbeat=ago(minutes=16)), NOW, 900) == Liveness.STALE
    assert liveness(box("A", heartbeat=ago(minutes=14)), NOW, 900) == Liveness.ONLINE
    page_box = box("A", online=None)
    page_box.last_heartbeat = None
    assert liveness(page_box, NOW, 900) == Liveness.UNKNOWN
    open_box = box("A", online=True)
    open_box.last_heartbeat = None
    assert liveness(open_box, NOW, 900) == Liveness.ONLINE


# --------------------------------------------------------------------------- rows


def test_demo_rows():
    rows = rows_of()
    assert (
        rows["CP-CHARLIE-03"].status == "Offline"
        and rows["CP-CHARLIE-03"].liveness == Liveness.OFFLINE
    )
    assert rows["CP-ECHO-05"].status == "Faulted"
    assert rows["CP-DELTA-04"].status == "Available" and rows["CP-DELTA-04"].open_session is None
    legacy = rows["LEGACY-GARAGE-99"]
    assert (
        legacy.status == "Unmanaged"
        and legacy.liveness == Liveness.UNMANAGED
        and not legacy.managed
    )
    alpha = rows["CP-ALPHA-01"]
    assert alpha.open_session.transaction.id == 1010
    assert alpha.open_session.customer.email == "ada@example.com"
    assert alpha.open_session.card.id_tag == "CARD-HEALTHY"
    assert alpha.fetched_at == NOW and alpha.source == StatusSource.CHARGEBOXES_API


def test_child_card_inherits_parent_customer():
    juliet = rows_of()["CP-JULIET-10"]
    assert juliet.open_session.card is None  # ACME-01 has no metadata of its own
    assert juliet.open_session.customer.external_id == "cust-acme"


def test_row_fetched_at_is_the_older_part():
    rows = rows_of(transactions_fetched_at=NOW - timedelta(minutes=3))
    assert rows["CP-ALPHA-01"].fetched_at == NOW - timedelta(minutes=3)


def test_stuck_rule_a_connector_no_longer_charging():
    chargers = [box("CP-X", connector("CP-X", 1, "Available", ago(minutes=5)))]
    active = [tx(1, "CP-X", "T", ago(minutes=6))]
    row = build_rows(FleetData(chargers=chargers, active_transactions=active), NOW, POLL)[0]
    assert row.stuck and "reports Available" in row.open_session.stuck_reason


def test_stuck_rule_a_has_a_grace_period():
    chargers = [box("CP-X", connector("CP-X", 1, "Finishing", ago(seconds=20)))]
    active = [tx(1, "CP-X", "T", ago(minutes=6))]
    assert not build_rows(FleetData(chargers=chargers, active_transactions=active), NOW, POLL)[
        0
    ].stuck


def test_stuck_rule_b_demo_only_bravo_is_stuck():
    """The demo after the sampler read every session: BRAVO's values stopped 25 min
    ago; ALPHA advances; JULIET's meter is flat but the car paused (SuspendedEV)."""
    rows = rows_of()
    bravo, alpha, juliet = rows["CP-BRAVO-02"], rows["CP-ALPHA-01"], rows["CP-JULIET-10"]
    assert bravo.stuck and bravo.open_session.stuck_reason == "Newest meter value is 25 min old"
    assert bravo.meter_checked_at == NOW and bravo.open_session.meter_checked_at == NOW
    assert bravo.open_session.meter_advanced_at == ago(minutes=25)
    assert not alpha.stuck and alpha.open_session.meter_advancing is True
    assert alpha.open_session.latest_meter.value_timestamp == ago(minutes=1)
    assert alpha.open_session.energy_wh == 3900
    assert not juliet.stuck and juliet.open_session.meter_advancing is False  # flat, and it says so
    assert juliet.open_session.meter_advanced_at == ago(minutes=35)
    assert [r.charge_box_id for r in rows.values() if r.stuck] == ["CP-BRAVO-02"]


def test_old_rule_gone_long_quiet_sessions_are_not_stuck_without_meter_knowledge():
    """The rule this replaced marked every session older than the threshold whose
    connector had not reported a change (healthy ALPHA and paused JULIET in the
    demo). With no meter read yet a session is unknown, not stuck."""
    rows = rows_of(meter_notes={})
    for cb in ("CP-ALPHA-01", "CP-BRAVO-02", "CP-JULIET-10"):
        row = rows[cb]
        assert not row.stuck and row.open_session.stuck_reason is None
        assert row.meter_checked_at is None and row.open_session.meter_advancing is None
        assert row.open_session.latest_meter is None


def test_stuck_rule_b_flat_meter_while_charging():
    t = tx(2, "CP-Y", "T", ago(minutes=60))
    values = [
        meter(ago(minutes=m), 1000 + min(60 - m, 20) * 100) for m in range(59, 0, -1)
    ]  # flat 40 min
    note = read_meter(t, values, NOW, THRESHOLD)
    for status, stuck in (("Charging", True), ("SuspendedEVSE", False), ("SuspendedEV", False)):
        chargers = [box("CP-Y", connector("CP-Y", 1, status, ago(minutes=59)))]
        row = build_rows(
            FleetData(chargers=chargers, active_transactions=[t], meter_notes={2: note}), NOW, POLL
        )[0]
        assert row.stuck is stuck, status
        assert row.open_session.meter_advancing is False
    assert row.open_session.meter_advanced_at == ago(minutes=40)


def test_stuck_rule_b_no_values_since_an_old_start():
    """Read, but not one meter value: stuck once the start is older than the threshold."""
    chargers = [box("CP-Y", connector("CP-Y", 1, "Charging", ago(minutes=30)))]
    old, young = (
        tx(2, "CP-Y", "T", ago(minutes=30)),
        tx(3, "CP-Y", "U", ago(minutes=5), connector_id=2),
    )
    notes = {2: read_meter(old, [], NOW, THRESHOLD), 3: read_meter(young, [], NOW, THRESHOLD)}
    (row,) = build_rows(
        FleetData(chargers=chargers, active_transactions=[old, young], meter_notes=notes), NOW, POLL
    )
    assert row.stuck and row.open_session.transaction.id == 2
    assert row.open_session.stuck_reason == "No meter value since the start 30 min ago"


def test_stuck_rule_b_is_judged_as_of_the_read():
    """A note read healthy stays healthy until the next read, even when the
    clock has moved past the threshold (a 10k fleet's rotation can be longer);
    the row says when the meter was read. A note read stuck stays stuck."""
    chargers, active, *_ = demo_data()
    notes = demo_notes(at=NOW)
    later = NOW + timedelta(minutes=45)
    rows = {
        r.charge_box_id: r
        for r in build_rows(
            FleetData(chargers=chargers, active_transactions=active, meter_notes=notes), later, POLL
        )
    }
    assert not rows["CP-ALPHA-01"].stuck and rows["CP-ALPHA-01"].meter_checked_at == NOW
    assert (
        rows["CP-BRAVO-02"].stuck
        and rows["CP-BRAVO-02"].open_session.stuck_reason == "Newest meter value is 25 min old"
    )


def test_stuck_rule_a_wins_over_a_healthy_meter():
    """Connector Available with the transaction still open: stuck whatever the meter said."""
    t = tx(1010, "CP-ALPHA-01", "CARD-HEALTHY", ago(minutes=40))
    chargers = [box("CP-ALPHA-01", connector("CP-ALPHA-01", 1, "Available", ago(minutes=3)))]
    notes = {1010: demo_notes()[1010]}
    row = build_rows(
        FleetData(chargers=chargers, active_transactions=[t], meter_notes=notes), NOW, POLL
    )[0]
    assert row.stuck and "reports Available for 3 min" in row.open_session.stuck_reason
    assert row.open_session.meter_advancing is True


def test_unknown_connector_is_never_stuck_on_rule_a():
    chargers = [box("CP-Z")]
    active = [tx(3, "CP-Z", "T", ago(hours=5))]
    assert not build_rows(FleetData(chargers=chargers, active_transactions=active), NOW, POLL)[
        0
    ].stuck
    # rule (b) needs no connector status: a meter that stopped is enough
    stopped = {3: read_meter(active[0], [meter(ago(minutes=50), 2000)], NOW, THRESHOLD)}
    row = build_rows(
        FleetData(chargers=chargers, active_transactions=active, meter_notes=stopped), NOW, POLL
    )[0]
    assert row.stuck and row.open_session.stuck_reason == "Newest meter value is 50 min old"


def test_counts():
    counts = count_rows(rows_of().values())
    assert counts.total == 7
    assert counts.offline == 1 and counts.online == 5
    assert counts.charging == 3  # ALPHA, BRAVO (Charging), JULIET (SuspendedEV)
    assert counts.faulted == 1
    assert counts.stuck == 1  # BRAVO only


def test_same_row_ignores_fetched_at_only():
    a = rows_of()["CP-ALPHA-01"]
    assert same_row(a, a.model_copy(update={"fetched_at": NOW + timedelta(seconds=5)}))
    assert not same_row(a, a.model_copy(update={"status": "Finishing"}))


# --------------------------------------------------------------------------- meter analysis


def analyse_session(t, values, conn, now, threshold):
    """The detail's path: read the meter values into a note, then judge the
    session with it (its connector in a station of its own)."""
    note = read_meter(t, values, now, threshold)
    station = box(t.charge_box_id, conn) if conn is not None else None
    return row_session(t, station, Lookups({}, {}, {}), now, threshold, note)


def test_meter_advancing_is_not_stuck():
    t = tx(1, "CP", "T", ago(minutes=40))
    values = [meter(ago(minutes=m), 1000 + (40 - m) * 100) for m in range(39, 0, -1)]
    s = analyse_session(t, values, connector("CP", 1, "Charging", ago(minutes=40)), NOW, THRESHOLD)
    assert s.meter_advancing is True and not s.stuck
    assert s.latest_meter.value_timestamp == ago(minutes=1)
    assert s.energy_wh == 3900


def test_meter_stopped_arriving_is_stuck():
    t = tx(1, "CP", "T", ago(hours=3))
    values = [meter(ago(minutes=m), 1000 + (180 - m) * 100) for m in range(179, 24, -1)]
    s = analyse_session(t, values, connector("CP", 1, "Charging", ago(hours=3)), NOW, THRESHOLD)
    assert s.stuck and s.meter_advancing is False
    assert "Newest meter value is 25 min old" == s.stuck_reason


def test_flat_meter_while_charging_is_stuck_but_not_while_suspended():
    t = tx(1, "CP", "T", ago(minutes=95))
    values = [
        meter(ago(minutes=m), 5000 if m < 35 else 1000 + (95 - m) * 100) for m in range(94, 0, -1)
    ]
    charging = analyse_session(
        t, values, connector("CP", 1, "Charging", ago(minutes=90)), NOW, THRESHOLD
    )
    assert charging.stuck and "has not advanced" in charging.stuck_reason
    paused = analyse_session(
        t, values, connector("CP", 1, "SuspendedEV", ago(minutes=35)), NOW, THRESHOLD
    )
    assert not paused.stuck and paused.meter_advancing is False


def test_no_meter_values_after_threshold_is_stuck():
    t = tx(1, "CP", "T", ago(minutes=20))
    s = analyse_session(t, [], None, NOW, THRESHOLD)
    assert s.stuck and s.meter_advancing is None and "No meter value" in s.stuck_reason
    young = analyse_session(tx(2, "CP", "T", ago(minutes=5)), [], None, NOW, THRESHOLD)
    assert not young.stuck


def test_kwh_values_are_converted():
    t = tx(1, "CP", "T", ago(minutes=5), start_value="1000")
    values = [meter(ago(minutes=1), 0).model_copy(update={"value": "2.5", "unit": "kWh"})]
    s = analyse_session(t, values, None, NOW, THRESHOLD)
    assert s.energy_wh == 1500


# --------------------------------------------------------------------------- the service


async def make_service(steve=None, store=None, poll=None):
    chargers, active, tags, customers, card_meta, inventory = demo_data()
    steve = steve or FakeSteve(chargers=chargers, active=active, tags=tags, meters=demo_meters())
    store = store or FakeStore(card_meta, inventory)
    clock = FixedClock(NOW)
    settings = Settings(poll=poll or PollSettings())
    events = []
    poller = LivePoller(steve, FakeLago(customers), store, clock, settings, events.append)
    await poller.refresh_now()
    return FleetService(poller, store, steve, clock, settings), poller, steve, store, events


async def test_search_by_id_description_tag_and_customer():
    fleet, *_ = await make_service()
    ids = lambda q: sorted(r.charge_box_id for r in fleet.search(q))  # noqa: E731
    assert ids("alpha") == ["CP-ALPHA-01"]
    assert ids("harbour") == ["CP-BRAVO-02"]
    assert ids("card-stuck") == ["CP-BRAVO-02"]
    assert ids("ada@example.com") == ["CP-ALPHA-01"]
    assert ids("GRACE") == ["CP-BRAVO-02"]
    assert ids("fleet@acme") == ["CP-JULIET-10"]  # via the parent card's link
    assert ids("garage") == ["LEGACY-GARAGE-99"]
    assert ids("nothing-like-this") == []
    assert len(fleet.search("  ")) == 7


async def test_detail_reads_the_meter_and_feeds_rows():
    """With the sampler off, rows know nothing of the meter (not stuck, unknown);
    opening a charger reads its meter, and its row follows at the next cycle.
    The read itself rebuilds and publishes nothing: the detail that made it
    would reload on its own event and read again, for ever."""
    fleet, poller, steve, store, events = await make_service(
        poll=PollSettings(meter_samples_per_cycle=0)
    )
    assert "transaction_details" not in steve.counts()
    assert (
        not poller.row("CP-BRAVO-02").stuck and poller.row("CP-BRAVO-02").meter_checked_at is None
    )
    published = len(events)
    detail = await fleet.detail("CP-ALPHA-01")
    assert not detail.row.stuck and detail.sessions[0].meter_advancing is True
    assert detail.sessions[0].meter_checked_at == NOW and detail.row.meter_checked_at == NOW
    assert poller.meter_note(1010).checked_at == NOW  # the poller keeps the read
    assert len(events) == published  # and nothing was rebuilt or published for it

    bravo = await fleet.detail("CP-BRAVO-02")
    assert bravo.row.stuck and bravo.sessions[0].stuck
    assert bravo.sessions[0].stuck_reason == "Newest meter value is 25 min old"
    assert bravo.steve_state.state == ConnectionState.LIVE
    assert steve.counts()["transaction_details"] == 2
    assert len(events) == published

    await poller.refresh_now()  # the next cycle's build uses the detail's reads
    assert poller.row("CP-ALPHA-01").meter_checked_at == NOW
    assert poller.row("CP-BRAVO-02").stuck
    changed = {r.charge_box_id for e in events[published:] if e.kind == "fleet" for r in e.changed}
    assert {"CP-ALPHA-01", "CP-BRAVO-02"} <= changed


async def test_detail_and_row_agree_after_the_sampler():
    fleet, poller, steve, store, events = await make_service()
    assert steve.counts()["transaction_details"] == 3  # the sampler read every open session
    for cb in ("CP-ALPHA-01", "CP-BRAVO-02", "CP-JULIET-10"):
        row = poller.row(cb)
        detail = await fleet.detail(cb)
        assert detail.row.stuck == row.stuck == (cb == "CP-BRAVO-02"), cb
        assert detail.sessions[0].stuck_reason == row.open_session.stuck_reason
        assert detail.sessions[0].meter_advancing == row.open_session.meter_advancing


async def test_detail_with_local_records():
    fleet, poller, steve, store, _ = await make_service()
    store.operations = [
        OperationLogEntry(
            id=1,
            charge_box_id="CP-BRAVO-02",
            operation="RemoteStopTransaction",
            requested_by="ana",
            status=OperationStatus.SUBMITTED,
            created_at=NOW,
        ),
        OperationLogEntry(
            id=2,
            charge_box_id="CP-ALPHA-01",
            operation="UnlockConnector",
            requested_by="ana",
            status=OperationStatus.SUBMITTED,
            created_at=NOW,
        ),
    ]
    detail = await fleet.detail("CP-BRAVO-02")
    assert [o.id for o in detail.recent_operations] == [1]


async def test_detail_falls_back_when_steve_is_down():
    fleet, poller, steve, store, _ = await make_service()
    steve.fail_all()
    await poller.refresh_now()
    assert poller.state(SourceName.STEVE).state == ConnectionState.UNREACHABLE
    calls_before = steve.counts()
    detail = await fleet.detail("CP-BRAVO-02")
    assert steve.counts() == calls_before  # no per-charger request while SteVe is unreachable
    assert detail.steve_state.state == ConnectionState.UNREACHABLE
    assert detail.row.open_session.transaction.id == 1011  # from the last good data
    session = detail.sessions[0]  # the sampler's last read, dated
    assert (
        session.latest_meter.value_timestamp == ago(minutes=25) and session.meter_checked_at == NOW
    )
    assert session.stuck and detail.row.meter_checked_at == NOW


async def test_detail_survives_a_failing_per_charger_request():
    fleet, poller, steve, store, _ = await make_service()
    steve.fail["transaction_details"] = SteveUnreachable("reset by peer")
    detail = await fleet.detail("CP-ALPHA-01")
    assert detail.steve_state.state == ConnectionState.DEGRADED
    assert detail.steve_state.error_title == "SteVe is unreachable"
    assert len(detail.sessions) == 1


async def test_detail_survives_a_store_failure():
    fleet, poller, steve, store, _ = await make_service()
    store.fail_reads = True
    detail = await fleet.detail("CP-ALPHA-01")
    assert detail.recent_operations == []


async def test_detail_unknown_and_unmanaged():
    fleet, *_ = await make_service()
    with pytest.raises(NotFound):
        await fleet.detail("CP-NOPE")
    legacy = await fleet.detail("LEGACY-GARAGE-99")
    assert not legacy.row.managed and legacy.sessions == []


async def test_register_unmanaged():
    fleet, poller, steve, store, events = await make_service()
    await fleet.register_unmanaged(" BARN-1 ", "Farm barn socket")
    row = fleet.row("BARN-1")
    assert (
        row is not None
        and row.liveness == Liveness.UNMANAGED
        and row.description == "Farm barn socket"
    )
    assert events[-1].changed[-1].charge_box_id == "BARN-1"
    with pytest.raises(InvalidParams):
        await fleet.register_unmanaged("CP-ALPHA-01", "dup")
    with pytest.raises(InvalidParams):
        await fleet.register_unmanaged("  ", None)
