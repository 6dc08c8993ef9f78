"""The cells of the fleet rows that were on screen, built once per row and time.

The virtual table builds a row's cells only when the row is drawn, and keeps
them while the row (the same object) and the time they were built for (the
``epoch``, bumped when ages move or the ID column is cut to a new width)
stay: scrolling back, or a poll that changed other rows, builds nothing.
Each kept row has a ``version`` that changes only when what it shows changes,
so the table repaints a screen line only when its text or style changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from rich.text import Text

from polaris_tui.models import ChargerRow
from polaris_tui.widgets.fleet_cells import row_cells
from polaris_tui.widgets.fleet_lines import cells_signature

_Entry = tuple[ChargerRow, int, tuple[Text, ...], int, tuple[int, ...]]


class RowCells:
    """Cells by ChargeBox ID for the rows drawn, and their versions."""

    def __init__(self) -> None:
        self.now: datetime | None = None
        self.id_width: int | None = None
        self._epoch = 0
        self._cells: dict[str, _Entry] = {}
        """key -> (row, epoch, cells, version, the cells' widths)."""
        self._version = 0

    def time_moved(self) -> None:
        """Every kept cell is built again when next drawn (ages, widths)."""
        self._epoch += 1

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._cells.pop(key, None)

    def keep_only(self, keys: Collection[str], limit: int) -> None:
        """Past ``limit`` rows kept, keep only ``keys`` (the rows on screen)."""
        if len(self._cells) > limit:
            self._cells = {k: v for k, v in self._cells.items() if k in keys}

    def of(self, row: ChargerRow) -> tuple[Text, ...]:
        """The row's cells, built now if they are not kept for this row and time."""
        return self._entry(row)[2]

    def version(self, row: ChargerRow) -> int:
        """Changes only when what the row shows changes."""
        return self._entry(row)[3]

    def widths(self, row: ChargerRow) -> tuple[int, ...]:
        """The cells' widths on screen (measured once per build: the table's
        layout reads them for every row on screen at every change)."""
        return self._entry(row)[4]

    def _entry(self, row: ChargerRow) -> _Entry:
        key = row.charge_box_id
        cached = self._cells.get(key)
        if cached is not None and cached[0] is row and cached[1] == self._epoch:
            return cached
        assert self.now is not None, "rows are drawn only after the table set its time"
        cells = row_cells(row, self.now, id_width=self.id_width)
        same = cached is not None and cells_signature(cached[2]) == cells_signature(cells)
        if cached is not None and same:
            version = cached[3]
        else:
            self._version += 1
            version = self._version
        entry = (row, self._epoch, cells, version, tuple(cell.cell_len for cell in cells))
        self._cells[key] = entry
        return entry
