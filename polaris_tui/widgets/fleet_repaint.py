"""What each fleet table line showed when drawn, and what to repaint now.

A line whose row, place, cursor and scroll are unchanged but whose cells
differ (an age rolled over) repaints only those cells: ~40 B over the
terminal instead of a ~900 B line (issue 13). Anything else repaints the
whole line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.geometry import Region

from polaris_tui.widgets.fleet_lines import changed_cell_regions

Signature = tuple[object, ...]
"""(key, version, cursor, parity, scroll x) for a row; shorter for the header
and blank lines (``FleetTable._line_signature``)."""


class DrawnLines:
    """Screen line -> its signature and cells when last drawn."""

    def __init__(self) -> None:
        self._lines: dict[int, tuple[Signature, Sequence[Text]]] = {}

    def clear(self) -> None:
        self._lines.clear()

    def record(self, y: int, signature: Signature, cells: Sequence[Text]) -> None:
        self._lines[y] = (signature, cells)

    def dirty(
        self,
        y: int,
        signature: Signature,
        cells: Callable[[int], Sequence[Text]],
        widths: Sequence[int],
        width: int,
    ) -> list[Region]:
        """The regions of line ``y`` to repaint (none when it draws the same)."""
        drawn = self._lines.get(y)
        if drawn is not None and drawn[0] == signature:
            return []
        whole = [Region(0, y, width, 1)]
        if drawn is None or len(signature) != 5 or len(drawn[0]) != 5:
            return whole
        old = drawn[0]
        if old[0] != signature[0] or old[2:] != signature[2:]:
            return whole
        scroll_x = signature[4]
        assert isinstance(scroll_x, int)
        return changed_cell_regions(drawn[1], cells(y), widths, scroll_x, y)
