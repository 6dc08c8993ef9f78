"""How an alarm looks: the same legible chip in every theme and terminal.

Faulted, Offline, Unavailable and stuck used to be red or yellow text. Under
``NO_COLOR`` Textual turns colours into greys, and red became the dimmest
text on screen (about 1.3:1 against its background); a 16-colour terminal
maps dark reds onto its own palette. So an alarm is a chip: bold, reversed,
with both of its colours fixed rather than taken from the theme.

* ``reverse`` with explicit colours draws ``BACKGROUND`` text on the alarm
  colour. Under ``NO_COLOR`` with an ANSI theme Textual drops every colour,
  and ``reverse`` still makes a chip out of the terminal's own colours.
* The colour pairs keep at least 4.5:1 (WCAG AA) in truecolor, in Textual's
  greys (``NO_COLOR``), and downgraded to 256 and 16 colours:
  ``tests/functional/test_no_colour.py`` measures them on screen, per theme.
* The word itself (and ``STUCK``) tells the statuses apart without colour.
"""

from __future__ import annotations

ALARM = "bold reverse #8b0000 on #ffffff"
"""White on dark red: Faulted, Offline, stuck (10:1; 16:1 in greys, black in 16 greys)."""

WARNING = "bold reverse #ffc107 on #000000"
"""Black on amber: Unavailable, a heartbeat overdue (12.9:1)."""

ALARM_STATUSES: dict[str, str] = {
    "Faulted": ALARM,
    "Offline": ALARM,
    "Unavailable": WARNING,
}
"""Charger and connector statuses that need an operator, with their chip."""

ALARM_WORDS: tuple[str, ...] = ("Faulted", "Offline", "Unavailable", "STUCK", "OFFLINE")
"""The alarm words as they appear on screen (the tests look for them)."""
