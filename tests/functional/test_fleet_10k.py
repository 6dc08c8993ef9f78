"""Issue 13: a 10,000-charger fleet from the stand-in, every row reachable.

The old table held at most 500 rows; the virtual one draws only what is on
screen, so `end` reaches the last charger, a filter narrows to one and `s`
sorts all 10,000, each shown on screen. A poll that changes hundreds of
rows has them ordered in a worker thread. One console serves every step (a
10,000-charger start is the test's cost).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polaris_tui.app import make_app
from polaris_tui.screens.fleet import ORDER_IN_THREAD_ROWS
from polaris_tui.services.clock import FixedClock
from polaris_tui.widgets.fleet_cells import SORTS
from polaris_tui.widgets.fleet_order import FleetOrder
from polaris_tui.widgets.fleet_table import FleetTable
from tests.conftest import FROZEN_NOW

from .conftest import screen_text, settle, sim_settings, type_keys

CHARGERS = 10_000


@pytest.mark.slow
async def test_10000_chargers_scroll_to_the_last_filter_and_sort(
    sim_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned: list[int] = []
    plan = FleetOrder.planned

    def noting(self: FleetOrder, changed: Any, removed: Any = ()) -> Any:
        planned.append(len(changed))
        return plan(self, changed, removed)

    monkeypatch.setattr(FleetOrder, "planned", noting)
    sim = sim_factory(now=FROZEN_NOW, frozen=True, chargers=CHARGERS)
    settings = sim_settings(sim, tmp_path, interval_seconds=3600)
    app = make_app(settings, clock=FixedClock(FROZEN_NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(FleetTable)
        total = table.row_count
        assert total >= CHARGERS, total

        # A poll that changes hundreds of rows: ordered in a worker thread,
        # shown in the attention order.
        services = app.services
        assert services is not None
        calm = [r.charge_box_id for r in services.fleet.rows() if r.status == "Available"]
        faulted = calm[:: max(1, len(calm) // 300)][:300]
        assert len(faulted) >= ORDER_IN_THREAD_ROWS
        for charge_box_id in faulted:
            sim.control(
                "POST",
                "/chargers/status",
                {"chargeBoxId": charge_box_id, "connectorId": 1, "status": "Faulted"},
            )
        await services.poller.refresh_now()
        await settle(pilot)
        assert planned and max(planned) >= len(faulted)
        assert all(table.model.rows[k].status == "Faulted" for k in faulted)
        attention = SORTS["attention"]
        keys = table.keys
        assert keys == sorted(keys, key=lambda k: (attention(table.model.rows[k]), k))
        assert keys[0] in screen_text(app)

        await pilot.press("end")
        await pilot.pause()
        last = table.keys[-1]
        assert table.cursor_key == last
        assert last in screen_text(app), "the last row is on screen"

        await pilot.press("home", "s")  # by ChargeBox ID
        await settle(pilot)
        assert table.sort_by == "id"
        keys = table.keys
        assert keys == sorted(keys) and len(keys) == total
        await pilot.press("minus")  # reverse
        await settle(pilot)
        assert table.keys[0] == keys[-1]
        assert keys[-1] in screen_text(app)

        target = keys[len(keys) // 2]
        await pilot.press("slash", *type_keys(target), "enter")
        await settle(pilot)
        assert table.keys == [target]
        assert target in screen_text(app)
