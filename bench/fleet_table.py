"""How responsive the fleet screen stays with the stand-in's 10,000-charger fleet.

Prints numbers; it is not a test (shared machines are noisy). Each Polaris
number has its baseline measured in the same run, on the same rows:

* baseline: a plain ``DataTable`` loaded with all rows (``add_rows``), and
  a refresh done the naive way (``clear()`` + reload) — PITFALLS measured
  2-3.6 s with the UI frozen;
* Polaris: the ``FleetTable`` first load (capped at ``max_rows``, sorted),
  a refresh where 50 chargers changed (keyed diff: only changed cells), a
  filter keystroke (``fleet.search`` over every row + diff), and the worst
  single event-loop stall while the screen loads, measured by a ticker.

Usage: ``python bench/fleet_table.py [--chargers N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from chargesim.testing import start_sim_thread  # noqa: E402
from polaris_tui.app import make_app  # noqa: E402
from polaris_tui.screens.fleet import FleetScreen  # noqa: E402
from polaris_tui.services.clock import SystemClock  # noqa: E402
from polaris_tui.services.settings import load_settings  # noqa: E402
from polaris_tui.widgets.fleet_table import FleetTable, row_cells  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


class Ticker:
    """Measures the longest gap between event-loop ticks (how long the UI froze)."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last)
            last = now

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
        return self.worst


class Baseline(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()


async def baseline(rows: list[Any]) -> dict[str, float]:
    """A plain DataTable: every row at once, then clear() + reload."""
    app = Baseline()
    now = SystemClock().now()
    cells = [row_cells(r, now) for r in rows]
    out: dict[str, float] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        table = app.query_one(DataTable)
        table.add_columns(*[f"c{i}" for i in range(len(cells[0]))])
        start = time.perf_counter()
        table.add_rows(cells)
        await pilot.pause()
        out["load all rows"] = time.perf_counter() - start
        start = time.perf_counter()
        table.clear()
        table.add_rows(cells)
        await pilot.pause()
        out["clear + reload"] = time.perf_counter() - start
    return out


async def polaris(sim: Any, tmp: Path, max_rows: int) -> tuple[dict[str, float], int]:
    settings = load_settings(
        {
            "steve": {
                "url": sim.steve_url,
                "api_user": sim.steve_user,
                "api_password": sim.steve_password,
            },
            "lago": {"url": sim.lago_url, "api_key": sim.lago_key},
            "store": {"path": tmp / "bench.sqlite"},
            "operator": {"name": "bench", "admins": ["bench"]},
            "poll": {"interval_seconds": 3600, "lago_interval_seconds": 3600},
        },
        config_file=tmp / "none.toml",
    )
    app = make_app(settings, fleet_max_rows=max_rows)
    ticker = Ticker()
    out: dict[str, float] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        ticker.start()
        start = time.perf_counter()
        await asyncio.wait_for(app.data_loaded.wait(), 300)
        out["services open + first poll (info)"] = time.perf_counter() - start
        screen = app.screen
        assert isinstance(screen, FleetScreen)
        table = screen.query_one(FleetTable)
        await pilot.pause()
        out["worst UI stall while loading"] = ticker.stop()
        rows = app.services.fleet.rows()

        start = time.perf_counter()
        table.apply(rows, app.clock.now())
        await pilot.pause()
        out["redraw, nothing changed"] = time.perf_counter() - start

        changed = list(rows)
        shown = set(table.keys)
        touched = 0
        for i, row in enumerate(changed):
            if row.charge_box_id in shown and touched < 50:
                changed[i] = row.model_copy(
                    update={"status": "Faulted" if row.status != "Faulted" else "Available"}
                )
                touched += 1
        start = time.perf_counter()
        table.apply(changed, app.clock.now())
        await pilot.pause()
        out[f"refresh, {touched} rows changed (diff)"] = time.perf_counter() - start

        samples = []
        for query in (
            "CP-SIM-0",
            "CP-SIM-01",
            "CP-SIM-012",
            "CP-SIM-0123",
            "grace@example.com",
            "",
        ):
            start = time.perf_counter()
            found = app.services.fleet.search(query) if query else app.services.fleet.rows()
            table.apply(found, app.clock.now())
            await pilot.pause()
            samples.append(time.perf_counter() - start)
        out["filter keystroke (median of 6)"] = statistics.median(samples)
        out["filter keystroke (worst of 6)"] = max(samples)
        total = len(rows)
    return out, total


async def main(chargers: int, max_rows: int) -> None:
    print(f"starting the stand-in with {chargers} chargers…", flush=True)
    sim = start_sim_thread(chargers=chargers)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ours, total = await polaris(sim, Path(tmp), max_rows)

            # Baseline on the same rows the services built.
            settings_rows = await rows_from_services(sim, Path(tmp))
            base = await baseline(settings_rows)
    finally:
        sim.stop()
    print(f"fleet rows: {total} (table shows at most {max_rows})")
    print("baseline (plain DataTable, every row):")
    for name, value in base.items():
        print(f"  {name:<40} {ms(value)}")
    print("polaris FleetTable:")
    for name, value in ours.items():
        print(f"  {name:<40} {ms(value)}")


async def rows_from_services(sim: Any, tmp: Path) -> list[Any]:
    from polaris_tui.services.core import PolarisServices

    settings = load_settings(
        {
            "steve": {
                "url": sim.steve_url,
                "api_user": sim.steve_user,
                "api_password": sim.steve_password,
            },
            "lago": {"url": sim.lago_url, "api_key": sim.lago_key},
            "store": {"path": tmp / "rows.sqlite"},
        },
        config_file=tmp / "none.toml",
    )
    services = await PolarisServices.open(settings)
    try:
        await services.poller.refresh_now()
        return services.fleet.rows()
    finally:
        await services.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chargers", type=int, default=10_000)
    parser.add_argument("--max-rows", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.chargers, args.max_rows))
