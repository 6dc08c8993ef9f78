"""A session's meter values drawn: energy delivered and power drawn over time.

Textual's own ``Sparkline`` draws each curve. It ships with Textual (pinned
and maintained with it, snapshot-tested upstream), needs no plotting library
or extra dependency, and fits in two lines at 80x24; a full plot widget
(``textual-plotext``) would add a package with its own release cadence for
axes an operator does not need here. Labels give the numbers the curve
cannot: the range of each curve and the times at both ends.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from polaris_tui.models.sessions import MeterPoint


def _last(values: list[float | None]) -> float | None:
    return next((v for v in reversed(values) if v is not None), None)


def _filled(values: list[float | None]) -> list[float]:
    """Gaps carry the previous value (a missing sample is not a zero)."""
    out: list[float] = []
    for value in values:
        out.append(value if value is not None else (out[-1] if out else 0.0))
    return out


class SessionChart(Vertical):
    """Energy (kWh) and power (kW) sparklines with their ranges and time span."""

    def compose(self) -> ComposeResult:
        yield Static("", id="chart-energy-label", markup=False)
        yield Sparkline([], id="chart-energy", summary_function=max)
        yield Static("", id="chart-power-label", markup=False)
        yield Sparkline([], id="chart-power", summary_function=max)
        yield Static("", id="chart-span", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Meter values"

    def show(self, points: list[MeterPoint], note: str | None) -> None:
        energy = [p.energy_wh for p in points]
        power = [p.power_w for p in points]
        has_energy = any(v is not None for v in energy)
        has_power = any(v is not None for v in power)
        energy_line = self.query_one("#chart-energy", Sparkline)
        power_line = self.query_one("#chart-power", Sparkline)
        energy_line.data = [v / 1000 for v in _filled(energy)] if has_energy else []
        power_line.data = [v / 1000 for v in _filled(power)] if has_power else []
        energy_line.display = has_energy
        power_line.display = has_power
        last_energy = _last(energy)
        self.query_one("#chart-energy-label", Static).update(
            Text(
                f"Energy delivered: {last_energy / 1000:.2f} kWh at the last reading"
                if last_energy is not None
                else "Energy: no energy readings"
            )
        )
        powers = [v for v in power if v is not None]
        last_power = _last(power)
        self.query_one("#chart-power-label", Static).update(
            Text(
                f"Power: peak {max(powers) / 1000:.1f} kW, last {last_power / 1000:.1f} kW"
                if powers and last_power is not None
                else "Power: the station sent no power readings"
            )
        )
        span = ""
        if points:
            first, last = points[0].at, points[-1].at
            span = f"{first:%m-%d %H:%M} → {last:%m-%d %H:%M} UTC · {len(points)} readings"
        if note:
            span = f"{span} · {note}" if span else note
        self.query_one("#chart-span", Static).update(Text(span, style="dim"))
