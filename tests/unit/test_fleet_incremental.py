"""A steady poll builds only the rows whose station changed (issue 13): the
rows it keeps are exactly what a build from scratch gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from polaris_tui.services.fleet_rules import FleetData, build_rows, rebuild
from polaris_tui.services.settings import PollSettings
from tests.unit.test_fleet_fakes import NOW, box, connector, demo_data, tx

POLL = PollSettings()


def data_at(chargers, active=(), inventory=(), at=NOW) -> FleetData:
    return FleetData(
        chargers=chargers,
        active_transactions=list(active),
        inventory=list(inventory),
        status_fetched_at=at,
        transactions_fetched_at=at,
    )


def assert_as_from_scratch(result, data, now) -> None:
    scratch = {r.charge_box_id: r for r in build_rows(data, now, POLL)}
    assert result.rows == scratch


def test_kept_rows_equal_a_build_from_scratch() -> None:
    stations = [
        box(f"CP-{i}", connector(f"CP-{i}", 1, "Available", NOW), heartbeat=NOW) for i in range(6)
    ]
    first = rebuild({}, data_at(stations), NOW, POLL)
    later = NOW + timedelta(seconds=POLL.heartbeat_stale_seconds + 1)
    # The next poll: CP-0 faulted, CP-1 heartbeats again, the others' heartbeats
    # went stale with time, CP-2 got a session, CP-5 is gone. Parsed afresh:
    # equal stations, new objects.
    again = [s.model_copy(deep=True) for s in stations[:5]]
    again[0] = box("CP-0", connector("CP-0", 1, "Faulted", later), heartbeat=NOW)
    again[1] = box("CP-1", connector("CP-1", 1, "Available", NOW), heartbeat=later)
    session = tx(7, "CP-2", "TAG-1", NOW)
    data = data_at(again, [session], at=later)
    second = rebuild(first.rows, data, later, POLL, first.boxes)
    assert_as_from_scratch(second, data, later)
    assert {r.charge_box_id for r in second.changed} == {"CP-0", "CP-1", "CP-2", "CP-3", "CP-4"}
    assert second.removed == ["CP-5"]

    # A quiet poll: nothing changed but the time of the data.
    quiet = data_at([s.model_copy(deep=True) for s in again], [session], at=later + timedelta(1))
    third = rebuild(second.rows, quiet, later, POLL, second.boxes)
    assert_as_from_scratch(third, quiet, later)
    assert third.changed == []
    assert third.rows["CP-3"].fetched_at == later + timedelta(1)
    fourth = rebuild(third.rows, quiet, later, POLL, third.boxes)
    assert fourth.rows["CP-3"] is third.rows["CP-3"], "kept, not built again"
    assert fourth.rows["CP-2"] is not third.rows["CP-2"], "no session inputs: built afresh"


def test_a_session_row_is_kept_only_while_its_inputs_and_judgement_hold() -> None:
    """A row with an open session is kept when its station, session and
    meter note are the same objects and the session is judged as before;
    time that makes the session stuck, or a new note, builds it again."""
    station = box("CP-1", connector("CP-1", 1, "Available", NOW), heartbeat=NOW)
    session = tx(7, "CP-1", "TAG-1", NOW - timedelta(minutes=5))
    data = data_at([station], [session])
    first = rebuild({}, data, NOW, POLL)
    second = rebuild(first.rows, data, NOW, POLL, first.boxes, first.sessions)
    assert second.rows["CP-1"] is first.rows["CP-1"], "same inputs, same judgement: kept"
    assert second.changed == []

    # A new list with an equal but new session object: built again, same row.
    renewed = data_at([station], [session.model_copy()])
    third = rebuild(second.rows, renewed, NOW, POLL, second.boxes, second.sessions)
    assert third.rows["CP-1"] is not second.rows["CP-1"]
    assert_as_from_scratch(third, renewed, NOW)

    # The connector has said Available for hours: the judgement changes with time.
    assert not third.rows["CP-1"].stuck, "within the grace after the status came"
    late = NOW + timedelta(hours=3)
    fourth = rebuild(third.rows, renewed, late, POLL, third.boxes, third.sessions)
    assert_as_from_scratch(fourth, renewed, late)
    assert fourth.rows["CP-1"].stuck
    assert [r.charge_box_id for r in fourth.changed] == ["CP-1"]


def test_the_demo_fleet_rebuilt_on_its_own_rows_is_unchanged() -> None:
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
    first = rebuild({}, data, NOW, POLL)
    renamed = replace(
        data, inventory=[c.model_copy(update={"description": "x"}) for c in inventory]
    )
    second = rebuild(first.rows, renamed, NOW, POLL, first.boxes)
    assert_as_from_scratch(second, renamed, NOW)
