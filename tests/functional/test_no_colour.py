"""Alarms stay legible without colour and in few colours, in every built-in theme.

Under ``NO_COLOR`` "Faulted" used to be grey 237 on 235 (about 1.3:1). This
reads what the screen really draws: the compositor's segments (after
Textual's ``NO_COLOR`` filter), the colours of every cell of each alarm
word, downgraded as a 256- or 16-colour terminal would show them, and
measures the WCAG contrast between its text and its background.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from rich.color import Color, ColorSystem
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from textual.theme import BUILTIN_THEMES

from polaris_tui.models import Liveness

from .conftest import make_row, settle

ROWS = [
    make_row("CP-FAULT", status="Faulted"),
    make_row("CP-GONE", status="Offline", liveness=Liveness.OFFLINE),
    make_row("CP-UNAV", status="Unavailable"),
    make_row("CP-STUCK", status="Charging", id_tag="CARD-S", stuck=True),
    make_row("CP-OK", status="Available"),
]
ALARMS = re.compile(r"(?<![\w-])(Faulted|Offline|Unavailable|STUCK|OFFLINE|offline)(?![\w-])")
"""Alarm words as drawn: the statuses, the stuck cell, the detail's online state."""
MINIMUM = 4.5
"""WCAG AA for normal text."""
COLOUR_SYSTEMS = {
    "truecolor": ColorSystem.TRUECOLOR,
    "256": ColorSystem.EIGHT_BIT,
    "16": ColorSystem.STANDARD,
}


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


def shown_rgb(color: Color, system: ColorSystem) -> tuple[int, int, int]:
    """What a terminal of ``system`` shows for ``color`` (xterm's palette for 16/256)."""
    triplet = color.downgrade(system).get_truecolor(DEFAULT_TERMINAL_THEME)
    return (triplet.red, triplet.green, triplet.blue)


def screen_cells(app) -> Iterator[tuple[int, str, list[Style]]]:
    """Each screen line: its number, its text, and the style of each of its cells."""
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        text, styles = "", []
        for segment in Segment.filter_control(strip):
            text += segment.text
            styles.extend([segment.style or Style()] * len(segment.text))
        yield y, text, styles


def alarm_findings(app, systems: dict[str, ColorSystem]) -> tuple[list[str], list[str]]:
    """(alarm words seen, problems): each alarm word must be bold or reversed and
    reach ``MINIMUM`` in each colour system."""
    seen, problems = [], []
    for y, text, styles in screen_cells(app):
        for match in ALARMS.finditer(text):
            seen.append(match.group())
            cells = styles[match.start() : match.end()]
            where = f"{match.group()!r} on line {y}"
            if not all(s.bold or s.reverse for s in cells):
                problems.append(f"{where} is neither bold nor reversed")
            for style in cells:
                fg, bg = style.color, style.bgcolor
                if style.reverse:
                    fg, bg = bg, fg
                if fg is None or bg is None or fg.is_default or bg.is_default:
                    # Textual's NO_COLOR with an ANSI theme: only the terminal's own
                    # colours, reversed for an alarm (checked above).
                    if not style.reverse:
                        problems.append(f"{where} has default colours and no reverse")
                    break
                for name, system in systems.items():
                    ratio = contrast(shown_rgb(fg, system), shown_rgb(bg, system))
                    if ratio < MINIMUM:
                        problems.append(
                            f"{where}: {ratio:.2f}:1 in {name} ({fg.name} on {bg.name})"
                        )
                        break
                break  # one cell stands for the word: a chip is one style
    return seen, problems


async def walk_themes(app, pilot) -> list[str]:
    """Every built-in theme on the fleet and on an offline charger: the problems."""
    problems: list[str] = []
    for theme in BUILTIN_THEMES:
        app.theme = theme
        await pilot.pause()
        seen, found = alarm_findings(app, COLOUR_SYSTEMS)
        assert {"Faulted", "Unavailable", "STUCK", "offline"} <= set(seen), (theme, seen)
        problems += [f"{theme} fleet: {p}" for p in found]
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
async def test_alarms_are_bold_and_legible_in_every_theme(
    fake_app, monkeypatch: pytest.MonkeyPatch, no_color: bool
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app, _ = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.no_color is no_color
        problems = await walk_themes(app, pilot)
        app.open_charger("CP-GONE")
        await settle(pilot)
        for theme in BUILTIN_THEMES:
            app.theme = theme
            await pilot.pause()
            seen, found = alarm_findings(app, COLOUR_SYSTEMS)
            assert "OFFLINE" in seen, (theme, seen)
            problems += [f"{theme} detail: {p}" for p in found]
    assert problems == [], "\n".join(problems)


async def test_each_status_reads_apart_without_colour(
    fake_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under NO_COLOR every row still says its status in words; alarms are set off."""
    monkeypatch.setenv("NO_COLOR", "1")
    app, _ = fake_app(ROWS)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        lines = {text.split()[1]: text for _, text, _ in screen_cells(app) if " CP-" in text}
        assert "Faulted" in lines["CP-FAULT"] and "Offline" in lines["CP-GONE"]
        assert "Unavailable" in lines["CP-UNAV"] and "STUCK" in lines["CP-STUCK"]
        assert "Available" in lines["CP-OK"] and not ALARMS.search(lines["CP-OK"])


class TestNoColourSnapshots:
    """`NO_COLOR=1 polaris`: every alarm state on screen, told apart without colour."""

    def test_demo_fleet_no_color_120x40(
        self, snap_compare, sim, sim_app, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Greys only. CP-BRAVO-02's STUCK, CP-ECHO-05 Faulted, CP-CHARLIE-03 Offline
        (and "offline" by its heartbeat), CP-DELTA-04 Unavailable: each a reversed
        bold chip (light on dark, dark on light for Unavailable); the counts strip's
        Offline, Faulted and Stuck chips; every other status plain text."""
        monkeypatch.setenv("NO_COLOR", "1")
        for connector in (1, 2):
            sim.control(
                "POST",
                "/chargers/status",
                {"chargeBoxId": "CP-DELTA-04", "connectorId": connector, "status": "Unavailable"},
            )
        app = sim_app(demo=True)
        assert snap_compare(app, terminal_size=(120, 40), run_before=settle)
