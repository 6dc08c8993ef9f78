"""The fleet table: one keyed row per charger, updated in place.

Why it is built this way (PITFALLS, STYLE #9):

* rows are keyed by ChargeBox ID and diffed on every refresh inside
  ``app.batch_update()``: stale keys are removed, only cells whose text
  changed get ``update_cell``, new keys are added; ``clear()`` is never
  called, so the cursor and the scroll survive every poll;
* a 10,000-row ``DataTable`` takes seconds to load with the UI frozen, so the
  table shows at most ``max_rows`` rows of the (filtered, sorted) fleet and
  says how many it left out; the filter narrows the rest;
* every cell is a ``rich.text.Text`` built by ``plain()``: a description of
  ``[/]`` or an ESC sequence is shown literally and fires nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, RowKey

from polaris_tui.models import ChargerRow, Liveness
from polaris_tui.widgets.alarm_style import ALARM, ALARM_STATUSES, WARNING
from polaris_tui.widgets.columns import (
    ColumnSpec,
    add_columns,
    fit,
    fit_row,
    update_cell,
    visible_columns,
)
from polaris_tui.widgets.safe_text import clean, plain
from polaris_tui.wording import short_age

# How "interesting" a status is: lower sorts first in the default order.
STATUS_RANK: dict[str, int] = {
    "Faulted": 0,
    "Offline": 1,
    "Unavailable": 2,
    "Charging": 3,
    "SuspendedEV": 4,
    "SuspendedEVSE": 4,
    "Preparing": 5,
    "Finishing": 5,
    "Reserved": 6,
    "Available": 7,
    "Unknown": 8,
    "Unmanaged": 9,
}

STATUS_STYLE: dict[str, str] = {
    "Charging": "bold green",
    "SuspendedEV": "green",
    "SuspendedEVSE": "green",
    "Preparing": "cyan",
    "Finishing": "cyan",
    **ALARM_STATUSES,  # legible chips under NO_COLOR and 16 colours too
    "Reserved": "magenta",
    "Unmanaged": "dim",
}

# Connector status abbreviations for the roll-up column.
_ABBREV = {
    "Available": "Avl",
    "Preparing": "Prep",
    "Charging": "Chg",
    "SuspendedEV": "SusEV",
    "SuspendedEVSE": "SusEVSE",
    "Finishing": "Fin",
    "Reserved": "Res",
    "Unavailable": "Unav",
    "Faulted": "FLT",
}


@dataclass(frozen=True)
class Column(ColumnSpec):
    """One column of the fleet table: its width rule and how it sorts."""

    sort_key: Callable[[ChargerRow], Any] = field(kw_only=True)


def _attention(row: ChargerRow) -> tuple[int, int, str]:
    return (0 if row.stuck else 1, STATUS_RANK.get(row.status, 8), row.charge_box_id)


def _time_key(value: datetime | None) -> tuple[int, float]:
    # Missing times sort last whatever the direction of the rest.
    return (1, 0.0) if value is None else (0, -value.timestamp())


# Maximum widths: 98 cells of content plus 16 of padding, so every column, the
# status columns last, fits the fleet panel of a 120-column screen even with
# its scrollbar and every column at its widest. Narrower, columns drop by
# priority (``visible_columns``): at 80 columns ID, Status, Heartbeat,
# Session idTag and Stuck remain; ID, Status, idTag and Stuck always do.
COLUMNS: tuple[Column, ...] = (
    Column("id", "ChargeBox ID", 18, sort_key=lambda r: r.charge_box_id),
    Column(
        "description",
        "Description",
        16,
        fixed=True,
        priority=1,
        sort_key=lambda r: (r.description or "").lower(),
    ),
    Column(
        "status", "Status", 11, sort_key=lambda r: (STATUS_RANK.get(r.status, 8), r.charge_box_id)
    ),
    Column("since", "Since", 6, priority=3, sort_key=lambda r: _time_key(r.status_since)),
    Column("connectors", "Connectors", 12, priority=2, sort_key=lambda r: len(r.connectors)),
    Column(
        "heartbeat", "Heartbeat", 13, priority=4, sort_key=lambda r: _time_key(r.last_heartbeat)
    ),
    Column(
        "idtag",
        "Session idTag",
        12,
        sort_key=lambda r: r.open_session.transaction.ocpp_id_tag if r.open_session else "~",
    ),
    Column("stuck", "Stuck", 10, sort_key=lambda r: (0 if r.stuck else 1, r.charge_box_id)),
)
FLEET_WIDTH = sum(c.max_width + 2 for c in COLUMNS) + 2
"""The table at every column's maximum: content, cell padding, a scrollbar."""
ID_WIDTH_CAP = 64
"""The ID column never grows past this, however wide the screen."""
DESCRIPTION_GROWTH = 40
"""How much wider than its ``COLUMNS`` width the description gets on a wide screen
(a 200-column screen gives it all 40)."""
SORTS: dict[str, Callable[[ChargerRow], Any]] = {"attention": _attention} | {
    c.key: c.sort_key for c in COLUMNS
}
SORT_ORDER: tuple[str, ...] = ("attention",) + tuple(c.key for c in COLUMNS)
SORT_LABEL: dict[str, str] = {"attention": "needs attention"} | {c.key: c.label for c in COLUMNS}


def connectors_rollup(row: ChargerRow) -> str:
    """ "1 Chg  2 Avl": each connector (not 0, the station) with its status."""
    parts = [
        f"{c.connector_id} {_ABBREV.get(c.status, clean(c.status, limit=8))}"
        for c in sorted(row.connectors, key=lambda c: c.connector_id)
        if c.connector_id != 0
    ]
    return "  ".join(parts) if parts else "—"


def widths_for(table_width: int) -> tuple[int, int]:
    """(ID maximum, Description width) for a table this wide: the ``COLUMNS``
    values on a 120-column screen; a wider screen gives what it has to spare to
    the description (up to 40 more cells), then to the ID (up to 64 in all)."""
    spare = max(0, table_width - FLEET_WIDTH)
    description = COLUMNS[1].max_width + min(DESCRIPTION_GROWTH, spare)
    spare -= description - COLUMNS[1].max_width
    return min(ID_WIDTH_CAP, COLUMNS[0].max_width + spare), description


def row_cells(row: ChargerRow, now: datetime, *, id_width: int | None = None) -> tuple[Text, ...]:
    """The cells of one charger, in ``COLUMNS`` order, each cut to its column's
    maximum (the ID to ``id_width`` when given). Untrusted text via ``plain``."""
    heartbeat_style = {
        Liveness.OFFLINE: ALARM,
        Liveness.STALE: WARNING,
        Liveness.UNKNOWN: "dim",
        Liveness.UNMANAGED: "dim",
    }.get(row.liveness, "")
    heartbeat = short_age(row.last_heartbeat, now)
    if row.liveness in (Liveness.OFFLINE, Liveness.STALE):
        heartbeat = f"{heartbeat} {row.liveness.value}"
    session = row.open_session
    cells = (
        plain(row.charge_box_id, "bold" if row.stuck else "", limit=64),
        plain(row.description or "", limit=64),
        plain(row.status, STATUS_STYLE.get(row.status, ""), limit=20),
        Text(short_age(row.status_since, now)),
        Text(connectors_rollup(row)),
        Text(heartbeat, style=heartbeat_style),
        plain(session.transaction.ocpp_id_tag if session else "", limit=64),
        stuck_cell(row, now),
    )
    fitted = fit_row(cells, COLUMNS)
    if id_width is not None:
        fitted[0] = fit(cells[0], id_width)
    return tuple(fitted)


def stuck_cell(row: ChargerRow, now: datetime) -> Text:
    """STUCK (with how old the meter reading behind it is), or "meter?" when an
    open session's meter was not read yet, so no verdict is shown as live."""
    if row.stuck:
        checked = getattr(row, "meter_checked_at", None)
        age = f" {short_age(checked, now)}" if checked is not None else ""
        stuck = Text("STUCK", style=ALARM)
        return stuck.append(age) if age else stuck
    if row.open_session is not None and getattr(row, "meter_checked_at", None) is None:
        return Text("meter?", style="dim")
    return Text("")


def _signature(cell: Text) -> tuple[str, str]:
    return (cell.plain, str(cell.style))


class FleetTable(DataTable[Text]):
    """The live fleet: keyed rows, diffed in place, capped at ``max_rows``."""

    BINDINGS = [
        Binding("s", "cycle_sort", "Sort", tooltip="Sort by the next column"),
        Binding("S", "reverse_sort", "Reverse", show=False, tooltip="Reverse the sort order"),
    ]

    class Applied(Message):
        """Posted after each refresh: how many rows are shown out of how many matched."""

        def __init__(self, shown: int, matched: int) -> None:
            super().__init__()
            self.shown = shown
            self.matched = matched

    def __init__(
        self,
        *,
        max_rows: int = 500,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            cursor_type="row",
            zebra_stripes=True,
            # An alarm chip keeps its colours under the cursor (alarm_style.py).
            cursor_foreground_priority="renderable",
            cursor_background_priority="renderable",
            name=name,
            id=id,
            classes=classes,
        )
        self.max_rows = max_rows
        """The most rows the table holds; the rest is reached by filtering."""
        self.sort_by = "attention"
        """Key of ``SORTS`` currently applied."""
        self.sort_reverse = False
        self._signatures: dict[str, tuple[tuple[str, str], ...]] = {}
        self._id_cells: dict[str, Text] = {}
        self._order: list[str] = []
        self._last_rows: Sequence[ChargerRow] = ()
        self._last_now: datetime | None = None
        self.id_width = COLUMNS[0].max_width
        """The ID column's maximum at the current width (``widths_for``)."""
        self.shown_columns: tuple[Column, ...] = COLUMNS
        """The columns that fit the current width, in ``COLUMNS`` order."""
        self._visible_index = tuple(range(len(COLUMNS)))

    def on_mount(self) -> None:
        add_columns(self, COLUMNS)

    def _show_columns(self, visible: tuple[Column, ...]) -> None:
        """Rebuild the table with ``visible`` only (a resize across a priority
        step: rare, so the one ``clear`` here is fine); the cursor keeps its charger."""
        cursor = self.cursor_key
        self.shown_columns = visible
        self._visible_index = tuple(COLUMNS.index(column) for column in visible)
        self.clear(columns=True)
        self._signatures.clear()
        self._id_cells.clear()
        self._order = []
        add_columns(self, visible)
        if self._last_now is not None:
            self.apply(self._last_rows, self._last_now)
            if cursor in self._order:
                self.move_cursor(row=self._order.index(cursor), animate=False)

    def on_resize(self) -> None:
        """Columns drop or return by priority; a wider screen shows more of long
        ids and descriptions, a narrower one cuts them again."""
        visible = visible_columns(COLUMNS, self.size.width)
        if visible != self.shown_columns:
            self._show_columns(visible)
        width, description_width = widths_for(self.size.width)
        description = self.columns.get("description")  # type: ignore[call-overload]
        if description is not None and description.width != description_width:
            description.width = description_width
            self._require_update_dimensions = True
            self.refresh()
        if width == self.id_width:
            return
        self.id_width = width
        column = self.columns.get("id")  # type: ignore[call-overload]
        if column is not None and column.content_width > width:
            # Cells are about to be cut shorter: shrink the column without
            # measuring them all (PITFALLS: update_width re-measures the column).
            column.content_width = width
            self._require_update_dimensions = True
        if self._last_now is not None:
            self.apply(self._last_rows, self._last_now)

    # -- public API ---------------------------------------------------------
    @property
    def keys(self) -> list[str]:
        """ChargeBox IDs in display order."""
        return list(self._order)

    @property
    def cursor_key(self) -> str | None:
        """The ChargeBox ID under the cursor, if any."""
        if not self._order or self.row_count == 0:
            return None
        index = min(max(self.cursor_row, 0), len(self._order) - 1)
        return self._order[index]

    def apply(
        self,
        rows: Sequence[ChargerRow],
        now: datetime,
        *,
        only: Collection[str] | None = None,
    ) -> tuple[int, int]:
        """Show ``rows`` (already filtered): sort, cap, diff by key into the table.

        Args:
            rows: every row to show (the cap applies after sorting).
            now: for the ages.
            only: the keys whose data changed since the last call (a fleet
                event's rows): the cells of other rows already in the table
                are left as they are. None: compare every row (ages moved).

        Returns:
            (rows shown, rows matched).
        """
        self._last_rows, self._last_now = rows, now
        ordered = sorted(rows, key=SORTS[self.sort_by], reverse=self.sort_reverse)
        shown = ordered[: self.max_rows]
        wanted = {row.charge_box_id: row for row in shown}
        # The cursor follows its charger; on the first row it stays on the first
        # row (the most urgent charger in the default order), as k9s does.
        cursor_key = self.cursor_key if self.cursor_row > 0 else None
        with self.app.batch_update():
            stale = [k for k in self._signatures if k not in wanted]
            self.remove_rows(stale)
            for key in stale:
                del self._signatures[key]
                del self._id_cells[key]
            for key, row in wanted.items():
                if only is not None and key not in only and key in self._signatures:
                    continue  # unchanged since it was drawn
                every_cell = row_cells(row, now, id_width=self.id_width)
                cells = tuple(every_cell[i] for i in self._visible_index)
                signature = tuple(_signature(c) for c in cells)
                old = self._signatures.get(key)
                if old is None:
                    self.add_row(*cells, key=key)
                    self._id_cells[key] = cells[0]
                elif old != signature:
                    for column, cell, before, after in zip(
                        self.shown_columns, cells, old, signature, strict=True
                    ):
                        if before != after:
                            update_cell(self, key, column.key, cell)
                            if column.key == "id":
                                self._id_cells[key] = cell
                self._signatures[key] = signature
            order = list(wanted)
            if order != self._current_order():
                rank = {id(self._id_cells[k]): i for i, k in enumerate(order)}
                self.sort("id", key=lambda cell: rank[id(cell)])
            self._order = order
            if cursor_key in wanted and self._order:
                index = self._order.index(cursor_key)
                if index != self.cursor_row:
                    self.move_cursor(row=index, animate=False, scroll=False)
        self.post_message(self.Applied(len(shown), len(rows)))
        return len(shown), len(rows)

    def remove_rows(self, keys: Sequence[str]) -> None:
        """Remove many rows in one pass.

        ``DataTable.remove_row`` rebuilds the whole row index for each row
        (O(n) each): a filter that drops 500 rows took 1.4 s that way. This
        does the same bookkeeping once. It relies on ``DataTable`` internals
        of the pinned Textual (8.2.8; the snapshot and fleet tests catch a
        change) and falls back to ``remove_row`` if they are missing.
        """
        if not keys:
            return
        if len(keys) < 8 or not hasattr(self, "_row_locations"):
            for key in keys:
                self.remove_row(key)
            return
        gone = {RowKey(k) for k in keys}
        remaining = sorted(
            (index, row_key)
            for row_key, index in self._row_locations._forward.items()
            if row_key not in gone
        )
        self._row_locations = TwoWayDict({row_key: i for i, (_, row_key) in enumerate(remaining)})
        for row_key in gone:
            for column_key in self._data.get(row_key, {}):
                self._updated_cells.discard(CellKey(row_key, column_key))
            self.rows.pop(row_key, None)
            self._data.pop(row_key, None)
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        self.hover_coordinate = self.hover_coordinate
        self._update_count += 1
        self.check_idle()
        self.refresh(layout=True)

    def _current_order(self) -> list[str]:
        by_index = sorted(
            ((self.get_row_index(k), k) for k in self._signatures), key=lambda p: p[0]
        )
        return [k for _, k in by_index]

    # -- sorting ------------------------------------------------------------
    def set_sort(self, sort_by: str, *, reverse: bool | None = None) -> None:
        """Sort by ``sort_by`` (a key of ``SORTS``) and redraw."""
        if reverse is None:
            reverse = (not self.sort_reverse) if sort_by == self.sort_by else False
        self.sort_by, self.sort_reverse = sort_by, reverse
        if self._last_now is not None:
            self.apply(self._last_rows, self._last_now)

    def action_cycle_sort(self) -> None:
        index = SORT_ORDER.index(self.sort_by)
        self.set_sort(SORT_ORDER[(index + 1) % len(SORT_ORDER)], reverse=False)

    def action_reverse_sort(self) -> None:
        self.set_sort(self.sort_by, reverse=not self.sort_reverse)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = event.column_key.value
        if key in SORTS:
            self.set_sort(key)
