"""The fleet table's data model at scale: incremental moves and filters agree
with sorting and filtering the whole fleet from scratch (issue 13)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from polaris_tui.models import ChargerRow, Liveness
from polaris_tui.widgets.fleet_cells import SORT_ORDER, SORTS
from polaris_tui.widgets.fleet_order import FleetOrder

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
STATUSES = ("Available", "Charging", "Faulted", "Offline", "Preparing")


def row(i: int, rng: random.Random) -> ChargerRow:
    return ChargerRow(
        charge_box_id=f"CP-{i:05d}",
        description=rng.choice(("Depot", "Harbour", None, "depot")),
        status=rng.choice(STATUSES),
        status_since=NOW - timedelta(minutes=rng.randrange(100)),
        liveness=Liveness.ONLINE,
        last_heartbeat=rng.choice((None, NOW - timedelta(seconds=rng.randrange(900)))),
        stuck=rng.random() < 0.05,
    )


def expected(rows: dict[str, ChargerRow], sort_by: str, reverse: bool, match=None) -> list[str]:
    key = SORTS[sort_by]
    ordered = sorted(rows, key=lambda k: (key(rows[k]), k), reverse=reverse)
    return [k for k in ordered if match is None or k in match]


@pytest.mark.parametrize("sort_by", SORT_ORDER)
@pytest.mark.parametrize("reverse", [False, True])
def test_polls_filters_and_sorts_agree_with_a_full_sort(sort_by: str, reverse: bool) -> None:
    rng = random.Random(f"{sort_by}{reverse}")
    rows = {r.charge_box_id: r for r in (row(i, rng) for i in range(600))}
    model = FleetOrder()
    model.replace(rows.values())
    model.set_sort(sort_by, reverse)
    match = None
    for step in range(40):
        # A poll: a few rows (small batches move by bisection, big ones sort).
        size = rng.choice((1, 3, 20, 200))
        changed = [row(rng.randrange(700), rng) for _ in range(size)]
        removed = rng.sample(sorted(rows), 2) if step % 5 == 0 else []
        for key in removed:
            rows.pop(key)
        for new in changed:
            rows[new.charge_box_id] = new
        model.update(changed, [k for k in removed if k not in {c.charge_box_id for c in changed}])
        if step % 7 == 0:
            match = None if match else {k for k in rows if rng.random() < 0.3}
            model.set_filter(match)
        assert model.order == expected(rows, sort_by, reverse, match), step
        assert set(model.rows) == set(rows)
    assert all(model.index_of(k) == i for i, k in enumerate(model.order))


def test_replace_reports_the_rows_that_are_new_objects() -> None:
    rng = random.Random(1)
    first = [row(i, rng) for i in range(10)]
    model = FleetOrder()
    assert model.replace(first) == {r.charge_box_id for r in first}
    second = first[:5] + [row(i, rng) for i in range(5, 9)]
    assert model.replace(second) == {f"CP-{i:05d}" for i in range(5, 9)}
    assert set(model.order) == {r.charge_box_id for r in second}


@pytest.mark.parametrize("size", [1, 20, 300])
def test_an_update_planned_off_the_ui_thread_ends_as_one_applied_in_place(size: int) -> None:
    rng = random.Random(size)
    rows = {r.charge_box_id: r for r in (row(i, rng) for i in range(600))}
    model = FleetOrder()
    model.replace(rows.values())
    model.set_filter({k for k in rows if rng.random() < 0.5})
    changed = [row(rng.randrange(650), rng) for _ in range(size)]
    removed = [
        k for k in rng.sample(sorted(rows), 3) if k not in {c.charge_box_id for c in changed}
    ]
    before = (list(model.order), dict(model.rows))
    plan = model.planned(changed, removed)
    # Planning touched nothing the table draws from.
    assert (model.order, model.rows) == before
    assert model.adopt(plan)
    for key in removed:
        rows.pop(key)
    rows.update((r.charge_box_id, r) for r in changed)
    assert model.rows == rows
    assert model.order == expected(rows, "attention", False, model.match)


def test_a_plan_older_than_a_sort_is_not_adopted() -> None:
    rng = random.Random(7)
    model = FleetOrder()
    model.replace(row(i, rng) for i in range(50))
    plan = model.planned([row(3, rng)])
    model.set_sort("id", reverse=False)  # the operator pressed s meanwhile
    assert not model.adopt(plan)
    assert model.sort_by == "id" and model.order == sorted(model.rows)
