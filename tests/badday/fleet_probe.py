"""``python -m tests.badday.fleet_probe``: the real fleet table on a real
terminal, its clock moved ten seconds per ``n`` key.

The rows' heartbeats are chosen so that each step rolls exactly one age
over ("<1m" -> "1m", then "1m" -> "2m" on another row): the test
(``test_13_quiet_repaint.py``) counts what the step writes and checks the
terminal shows every line as a fresh paint would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import Static

from polaris_tui.models import ChargerRow, Liveness
from polaris_tui.partial_updates import install
from polaris_tui.widgets.fleet_table import FleetTable
from polaris_tui.widgets.quiet import update_static

START = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
STEP = timedelta(seconds=10)
HEARTBEAT_AGES = (55, 100, 300, 900, 1500, 2400)
"""Seconds old at the start: only the first row rolls over at the first step."""


def fleet_rows() -> list[ChargerRow]:
    return [
        ChargerRow(
            charge_box_id=f"CP-PROBE-{i:02d}",
            description=f"Bay {i}",
            status="Available",
            status_since=START - timedelta(hours=5),
            liveness=Liveness.ONLINE,
            last_heartbeat=START - timedelta(seconds=age),
        )
        for i, age in enumerate(HEARTBEAT_AGES)
    ]


class FleetProbe(App[None]):
    CSS = "FleetTable { height: 1fr; } #step { height: 1; }"

    def __init__(self) -> None:
        super().__init__()
        install()  # as the console does: a dirty region is sent alone
        self.step = 0

    def compose(self) -> ComposeResult:
        yield FleetTable()
        yield Static(Content("step 0"), id="step")

    def on_mount(self) -> None:
        table = self.query_one(FleetTable)
        table.set_sort("id", reverse=False)
        table.apply(fleet_rows(), START)
        table.focus()

    def on_key(self, event: object) -> None:
        if getattr(event, "key", "") != "n":
            return
        self.step += 1
        self.query_one(FleetTable).ages_moved(START + self.step * STEP)
        update_static(self.query_one("#step", Static), Content(f"step {self.step}"))


if __name__ == "__main__":
    FleetProbe().run()
