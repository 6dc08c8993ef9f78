"""Issue 13: an update repaints only the cells whose text changed, and the
terminal still shows every line exactly.

``widgets/quiet.py`` repaints the changed part of a row (an age that grows)
and the end of a bottom border (a subtitle) instead of the whole panel. A
real process on a real pty (``quiet_probe``) steps a bordered panel through
the changes a charger detail sees, and the emulated terminal must show each
step's rows as a fresh paint would: a repaint of the wrong cells would leave
stale characters ("1m  ago", "310s ago") that no later wait clears.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .ptyrun import PtyPolaris, run_on_pty

WIDTH = 40
"""The panel's width: a border and one cell of padding each side."""
TEXT = WIDTH - 4
WRAP_1 = "a note long enough to wrap onto a"
WRAP_2 = "second row of this narrow panel"
EXPECTED: list[tuple[list[str], str]] = [
    (["last heartbeat 45s ago", "meter read 20s ago", WRAP_1, WRAP_2], "as of 07:26Z · 45s ago"),
    (["last heartbeat 1m ago", "meter read 30s ago", WRAP_1, WRAP_2], "as of 07:27Z · 1m ago"),
    (["last heartbeat 2m ago", "meter read 30s ago", WRAP_1, WRAP_2], "as of 07:27Z · 1m ago"),
    (["last heartbeat 2m ago", "meter read 45s ago", WRAP_1, WRAP_2], "as of 07:28Z · 10m ago"),
    (
        ["last heartbeat 2m ago", "meter read 45s ago", WRAP_1, WRAP_2 + " and", "a third row now"],
        "<10s ago",
    ),
    (["last heartbeat 3m ago", "meter read 1m ago"], "as of 07:30Z · <10s ago"),
    (["last heartbeat 3m ago", "meter read 1m ago"], "as of 07:31Z · <10s ago"),
]
"""Each step's text rows (wrapped at ``TEXT`` cells) and subtitle."""
ONE_AGE_BUDGET = 120
"""Bytes for "2m" replacing "1m" in one row, and the step counter: only the
changed characters (``partial_updates``), ~80 B in truecolour. Textual sent
each row from the panel's left edge (~180 B); the whole panel was 1,630 B."""

STAMP_BUDGET = 260
"""Bytes for the subtitle's "07:30Z" becoming "07:31Z", and the step
counter: the end of the bottom border only. The whole border row, from
the panel's left edge, was ~300 B; a charger detail has five such panels."""


def panel_as_expected(text: str, step: int) -> bool:
    rows, subtitle = EXPECTED[step]
    lines = text.split("\n")
    want = [f"│ {row:<{TEXT}} │" for row in rows]
    bottom = f" {subtitle} ─╯"
    border = "╰" + "─" * (WIDTH - 1 - len(bottom)) + bottom
    drawn = [line[:WIDTH] for line in lines[1 : 2 + len(rows)]]
    return f"step {step}" in text and drawn == [*want, border]


def test_a_partial_repaint_leaves_the_screen_exact(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "tests.badday.quiet_probe"]
    with run_on_pty(argv, home=tmp_path) as probe:
        check(probe, 0)
        for step in range(1, len(EXPECTED)):
            probe.settle()
            mark = probe.mark()
            probe.burst("n")
            check(probe, step)
            probe.settle()
            written = len(probe.output) - mark
            if step == 2:
                assert written <= ONE_AGE_BUDGET, (
                    f"one age changing wrote {written} B: {probe.output[mark:][:300]!r}"
                )
            if step == len(EXPECTED) - 1:
                assert written <= STAMP_BUDGET, (
                    f"the stamp's minute moving wrote {written} B: {probe.output[mark:][:300]!r}"
                )


def check(probe: PtyPolaris, step: int) -> None:
    assert probe.wait_screen(lambda text: panel_as_expected(text, step)), (
        f"step {step}:\n{probe.screen_text()}"
    )


def test_a_crop_never_splits_a_wide_character() -> None:
    """A dirty span starting or ending inside a double-width character is
    widened to the whole character: half of one is sent as a space, and the
    terminal blanks the character."""
    from rich.segment import Segment
    from textual.strip import Strip

    from polaris_tui.partial_updates import char_bounds

    strip = Strip([Segment("│ "), Segment("充电站 ok")])  # wide chars at 2-7
    assert char_bounds(strip, 3, 5) == (2, 6)
    assert char_bounds(strip, 4, 9) == (4, 9)


ONE_CELL_BUDGET = 200
"""Bytes for one fleet age rolling over ("<1m" -> "1m") and the step
counter: that cell alone, ~60 B in truecolour. The old table repainted the
whole 120-column line: ~900 B."""


def heartbeat_of(text: str, charger: str) -> str | None:
    """The Heartbeat cell of ``charger``'s line, as the terminal shows it."""
    line = next((line for line in text.split("\n") if charger in line), None)
    header = text.split("\n")[0]
    if line is None or "Heartbeat" not in header:
        return None
    start = header.index("Heartbeat")
    return line[start - 1 : start + 13].strip()


def test_an_age_rolling_over_repaints_only_its_fleet_cell(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "tests.badday.fleet_probe"]
    with run_on_pty(argv, home=tmp_path) as probe:
        assert probe.wait_screen(
            lambda text: "step 0" in text and heartbeat_of(text, "CP-PROBE-00") == "<1m"
        ), probe.screen_text()
        probe.settle()
        mark = probe.mark()
        probe.burst("n")
        assert probe.wait_screen(
            lambda text: "step 1" in text and heartbeat_of(text, "CP-PROBE-00") == "1m"
        ), probe.screen_text()
        probe.settle()
        written = probe.output[mark:]
        assert len(written) <= ONE_CELL_BUDGET, f"one age wrote {len(written)} B: {written!r}"
        text = probe.screen_text()
        assert [heartbeat_of(text, f"CP-PROBE-{i:02d}") for i in range(6)] == [
            "1m",
            "1m",
            "5m",
            "15m",
            "25m",
            "40m",
        ], text
