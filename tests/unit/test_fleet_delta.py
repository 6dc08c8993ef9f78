"""A steady build visits only the stations whose inputs changed (issue 13):
the rows it builds or keeps are what a build from scratch gives (apart from
``fetched_at``, stamped as rows are read), unchanged rows are the very
objects of the last build, and what changes with the clock alone is found."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from polaris_tui.services.fleet_delta import Built, rebuild_changed
from polaris_tui.services.fleet_rules import (
    FleetData,
    MeterNote,
    build_rows,
    count_rows,
    same_row,
)
from polaris_tui.services.settings import PollSettings
from tests.fakes.steve import FakeSteve
from tests.unit.test_fleet_fakes import NOW, box, connector, demo_data, meter, tag, tx
from tests.unit.test_poller import make

POLL = PollSettings()


def stations(count: int, at=NOW):
    return [
        box(f"CP-{i}", connector(f"CP-{i}", 1, "Charging", at), heartbeat=at) for i in range(count)
    ]


def data_at(chargers, active=(), at=NOW, **more) -> FleetData:
    return FleetData(
        chargers=chargers,
        active_transactions=list(active),
        status_fetched_at=at,
        transactions_fetched_at=at,
        **more,
    )


def step(last: Built | None, data: FleetData, now=NOW) -> Built:
    if last is None:
        return rebuild_changed({}, data, now, POLL, None, None, None, count_rows([]))
    result = last.result
    return rebuild_changed(
        result.rows, data, now, POLL, result.boxes, result.sessions, last.basis, result.counts
    )


def assert_as_from_scratch(built: Built, data: FleetData, now) -> None:
    scratch = {r.charge_box_id: r for r in build_rows(data, now, POLL)}
    rows = built.result.rows
    assert list(rows) == list(scratch), "same rows, same order"
    for key, row in rows.items():
        assert same_row(row, scratch[key]), key
    assert built.result.counts == count_rows(scratch.values())


def rebuilt(before: Built, after: Built) -> set[str]:
    """The rows that are not the very objects of the last build."""
    old = before.result.rows
    return {k for k, row in after.result.rows.items() if old.get(k) is not row}


def test_a_changed_station_is_built_and_the_others_are_kept() -> None:
    fleet = stations(6)
    first = step(None, data_at(fleet))
    assert first.full
    quiet = step(first, data_at(fleet, at=NOW + timedelta(seconds=5)), NOW + timedelta(seconds=5))
    assert not quiet.full
    assert rebuilt(first, quiet) == set(), "nothing changed: no row built, none copied"
    assert quiet.result.changed == []
    assert quiet.fetched_at == NOW + timedelta(seconds=5)

    again = list(fleet)
    again[2] = box("CP-2", connector("CP-2", 1, "Faulted", NOW), heartbeat=NOW)
    data = data_at(again)
    second = step(quiet, data, NOW + timedelta(seconds=5))
    assert not second.full
    assert rebuilt(quiet, second) == {"CP-2"}
    assert [r.charge_box_id for r in second.result.changed] == ["CP-2"]
    assert second.result.rows["CP-2"].status == "Faulted"
    assert second.result.counts.faulted == 1
    assert_as_from_scratch(second, data, NOW + timedelta(seconds=5))


def test_a_station_gone_or_added_builds_every_row_and_drops_the_gone() -> None:
    fleet = stations(4)
    first = step(None, data_at(fleet))
    fewer = data_at(fleet[:3])
    second = step(first, fewer)
    assert second.full
    assert second.result.removed == ["CP-3"]
    assert "CP-3" not in second.result.rows
    assert_as_from_scratch(second, fewer, NOW)
    third = step(second, data_at(fleet[:3]))
    assert not third.full, "back to steady builds after the change"


def test_a_heartbeat_going_stale_with_time_alone_is_found() -> None:
    fleet = stations(3)
    fleet[1] = box(
        "CP-1", connector("CP-1", 1, "Charging", NOW), heartbeat=NOW - timedelta(seconds=60)
    )
    data = data_at(fleet)
    first = step(None, data)
    later = NOW + timedelta(seconds=POLL.heartbeat_stale_seconds - 30)
    second = step(first, data, later)
    assert rebuilt(first, second) == {"CP-1"}
    assert second.result.rows["CP-1"].liveness == "stale"
    assert [r.charge_box_id for r in second.result.changed] == ["CP-1"]
    assert_as_from_scratch(second, data, later)
    last = NOW + timedelta(seconds=POLL.heartbeat_stale_seconds + 1)
    third = step(second, data, last)
    assert rebuilt(second, third) == {"CP-0", "CP-2"}
    assert_as_from_scratch(third, data, last)


def test_a_session_judged_by_the_clock_is_judged_each_build() -> None:
    """A connector that does not fit its open session (rule (a)) turns the
    row stuck after the grace, with no input changed; a charging one is kept."""
    fleet = stations(2)
    fleet[0] = box("CP-0", connector("CP-0", 1, "Available", NOW), heartbeat=NOW)
    active = [tx(7, "CP-0", "TAG-1", NOW), tx(8, "CP-1", "TAG-2", NOW)]
    data = data_at(fleet, active)
    first = step(None, data)
    assert not first.result.rows["CP-0"].stuck, "within the grace"
    later = NOW + timedelta(minutes=2)
    second = step(first, data, later)
    assert second.result.rows["CP-0"].stuck
    assert rebuilt(first, second) == {"CP-0"}
    assert second.result.counts.stuck == 1
    assert_as_from_scratch(second, data, later)


def test_a_new_meter_note_or_session_builds_that_station_only() -> None:
    fleet = stations(3)
    active = [tx(7, "CP-0", "TAG-1", NOW), tx(8, "CP-1", "TAG-2", NOW)]
    first = step(None, data_at(fleet, active))
    note = MeterNote(checked_at=NOW, latest=meter(NOW, 1500), advanced_at=NOW, advancing=True)
    noted = data_at(fleet, active, meter_notes={8: note})
    second = step(first, noted)
    assert rebuilt(first, second) == {"CP-1"}
    assert second.result.rows["CP-1"].open_session is not None
    assert second.result.rows["CP-1"].open_session.energy_wh == 500
    assert_as_from_scratch(second, noted, NOW)

    # CP-0's session ends, CP-2's starts: those two are built.
    moved = data_at(fleet, [active[1], tx(9, "CP-2", "TAG-3", NOW)], meter_notes={8: note})
    third = step(second, moved)
    assert rebuilt(second, third) == {"CP-0", "CP-2"}
    assert third.result.rows["CP-0"].open_session is None
    assert_as_from_scratch(third, moved, NOW)


def test_new_cards_build_every_row_with_a_session() -> None:
    fleet = stations(3)
    active = [tx(7, "CP-0", "TAG-1", NOW)]
    first = step(None, data_at(fleet, active, tags=[tag("TAG-1", 1)]))
    same = step(first, data_at(fleet, active, tags=[tag("TAG-1", 1)]))
    assert rebuilt(first, same) == {"CP-0"}, "new tag objects: its links are looked up again"
    kept = step(same, data_at(fleet, active, tags=same.basis.links.tags))
    assert rebuilt(same, kept) == set()


def test_the_demo_fleet_steps_like_a_build_from_scratch() -> None:
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
    )
    built = step(None, data)
    for minutes in (1, 2, 20, 60, 180):
        now = NOW + timedelta(minutes=minutes)
        built = step(built, replace(data, status_fetched_at=now), now)
        assert not built.full
        assert_as_from_scratch(built, replace(data, status_fetched_at=now), now)
    renamed = replace(
        data, inventory=[c.model_copy(update={"description": "x"}) for c in inventory]
    )
    built = step(built, renamed, now)
    assert built.full, "another inventory: every row"
    assert_as_from_scratch(built, renamed, now)


class SameStations(FakeSteve):
    """SteVe as the poll's parser hands it over: unchanged stations are the
    same objects (``wire_cache``), not copies."""

    async def live_status(self):
        self._hit("live_status")
        return list(self.chargers)


async def test_the_poller_stamps_its_builds_time_on_rows_it_kept() -> None:
    """A quiet cycle keeps the row objects; reading them gives the new time of data."""
    chargers, active, tags, _customers, _card_meta, _inventory = demo_data()
    steve = SameStations(chargers=chargers, active=active, tags=tags)
    poller, _steve, _store, _lago, clock, _events = make(
        steve=steve, poll=PollSettings(meter_samples_per_cycle=0)
    )
    await poller.refresh_now()
    kept = poller._rows["CP-DELTA-04"]
    assert poller.row("CP-DELTA-04").fetched_at == NOW
    later = clock.advance(5)
    await poller.refresh_now()
    assert poller._rows["CP-DELTA-04"] is kept, "not copied by the build"
    assert poller.row("CP-DELTA-04").fetched_at == later
    by_id = {r.charge_box_id: r for r in poller.rows()}
    assert by_id["CP-DELTA-04"].fetched_at == later
    assert by_id["LEGACY-GARAGE-99"].fetched_at is None, "an inventory row has no SteVe time"
