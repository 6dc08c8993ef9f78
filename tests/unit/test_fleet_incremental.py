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
    assert fourth.rows["CP-2"] is not third.rows["CP-2"], "a session is judged afresh"


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
