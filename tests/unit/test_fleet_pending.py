"""Poll events kept as they came and merged at the fleet screen's redraw."""

from __future__ import annotations

from polaris_tui.models import ChargerRow, Liveness
from polaris_tui.widgets.fleet_pending import PendingRows, merged


def row(key: str, status: str = "Available") -> ChargerRow:
    return ChargerRow(charge_box_id=key, status=status, liveness=Liveness.ONLINE)


def test_one_event_is_taken_as_it_came() -> None:
    pending = PendingRows()
    pending.add([row("A"), row("B")], ["C"])
    assert pending.size == 3
    changed, removed = merged(pending.take())
    assert [r.charge_box_id for r in changed] == ["A", "B"] and removed == {"C"}
    assert pending.size == 0 and pending.take() == []


def test_later_events_win_and_a_removal_and_a_change_cancel_out() -> None:
    pending = PendingRows()
    pending.add([row("A"), row("B")], [])
    pending.add([row("A", "Faulted")], ["B", "D"])
    pending.add([row("D", "Charging")], [])
    changed, removed = merged(pending.take())
    assert {r.charge_box_id: r.status for r in changed} == {"A": "Faulted", "D": "Charging"}
    assert removed == {"B"}
