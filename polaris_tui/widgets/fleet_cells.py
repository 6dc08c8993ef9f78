"""What the fleet table shows of one charger: its columns, cells and sorts.

No widget here: the cells of one row (``row_cells``, untrusted text through
``plain``), the column maxima, and a sort key for each column. The virtual
table (``fleet_table``) asks for the cells of the rows on screen only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.text import Text

from polaris_tui.models import ChargerRow, Liveness
from polaris_tui.widgets.alarm_style import ALARM, ALARM_STATUSES, WARNING
from polaris_tui.widgets.columns import ColumnSpec, fit, fit_row
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
# its scrollbar and every column at its widest. ``priority`` (columns.py)
# ranks the columns a narrow screen can spare; ID, Status, idTag and Stuck
# have none. The table drops columns by priority (``shown_columns``: at 80
# columns ID, Status, Heartbeat, Session idTag and Stuck remain), then
# narrows what is left to fit (``fit_widths``).
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
