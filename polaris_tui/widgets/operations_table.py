"""A keyed table of operation log rows (newest first).

Used twice: the charger detail's "Recent operations" (no charger column) and
the Operation log screen (every column, params and result). Rows are keyed by
log id and updated in place when an ``OperationChanged`` arrives, so the
cursor stays put while a RemoteStop moves from pending to submitted to
closed / still open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from polaris_tui.models import OperationLogEntry, OperationStatus, StopFollowup
from polaris_tui.widgets.columns import (
    ColumnSpec,
    add_columns,
    fit_spec,
    update_cell,
    visible_columns,
)
from polaris_tui.widgets.operation_outcome import station_answer
from polaris_tui.widgets.safe_text import clean, plain
from polaris_tui.wording import short_age

STATUS_STYLE = {
    OperationStatus.DRY_RUN: "cyan",
    OperationStatus.PENDING: "yellow",
    OperationStatus.SUBMITTED: "green",
    OperationStatus.FAILED: "bold red",
    OperationStatus.INTERRUPTED: "bold yellow",
}
FOLLOWUP_STYLE = {
    StopFollowup.WATCHING: "yellow",
    StopFollowup.CLOSED: "green",
    StopFollowup.STILL_OPEN: "bold red",
    StopFollowup.CLOSED_AFTER_UNLOCK: "green",
    StopFollowup.CLOSED_IN_DATABASE: "bold yellow",
}


def params_text(entry: OperationLogEntry) -> str:
    """``transactionId=1002, connectorId=1`` (cleaned)."""
    return clean(", ".join(f"{k}={v}" for k, v in entry.params.items()), limit=120)


def result_text(entry: OperationLogEntry) -> str:
    """The station's answer, or the failure reason (cleaned)."""
    if entry.status == OperationStatus.FAILED:
        reason = entry.error_title or "failed"
        if entry.error_message:
            reason = f"{reason}: {entry.error_message}"
        return clean(reason, limit=160)
    if entry.status == OperationStatus.DRY_RUN:
        return "nothing sent"
    return clean(station_answer(entry), limit=160)


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("id", "#", 7),  # never dropped: rows sort by it
    ColumnSpec("when", "When", 23, priority=2),
    ColumnSpec("charger", "Charger", 16),
    ColumnSpec("operation", "Operation", 22),
    ColumnSpec("status", "Status", 17),
    ColumnSpec("task", "Task", 8),
    ColumnSpec("who", "Who", 12),
    ColumnSpec("followup", "Followup", 30),  # "closed_after_unlock (after #2)"
    ColumnSpec("params", "Params", 40, priority=4),
    ColumnSpec("result", "Result", 80),  # last: cut at the edge, never makes room
)
"""Maximum widths: a long charger id or operator name cannot push Status and
Followup off a 120-column screen; params and result are shown whole below.
Narrower, When and Params drop in that order (measured on the rows shown),
so the runbook's facts stay: operation, status, task, who, followup. Result,
the last column, is left out of the sum: the edge cuts it, and the line
under the table shows it whole."""
WIDE_ONLY = {"charger", "params", "result"}
"""Columns of the Operation log screen only (the charger page knows its charger)."""


class OperationsTable(DataTable[Text]):
    """Operation log rows keyed by id; ``wide`` adds charger, params and result."""

    def __init__(
        self,
        *,
        wide: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, name=name, id=id, classes=classes)
        self.wide = wide
        """Show charger, params and result columns (the Operation log screen)."""
        self._entries: dict[str, OperationLogEntry] = {}
        self._signatures: dict[str, tuple[str, ...]] = {}
        self.specs: list[ColumnSpec] = []
        """The columns shown (set when mounted; fewer on a narrow screen)."""
        self._all_specs: list[ColumnSpec] = []
        self._widest: dict[str, int] = {}
        self._now: datetime | None = None

    def on_mount(self) -> None:
        self._all_specs = [spec for spec in COLUMNS if self.wide or spec.key not in WIDE_ONLY]
        self.specs = list(self._all_specs)
        add_columns(self, self.specs)

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Drop or bring back columns by priority for this width and these rows;
        a change rebuilds the table (rare: a resize, or a much wider row)."""
        if not self._all_specs or self.size.width == 0:
            return
        fitted = [spec for spec in self._all_specs if spec.key != "result"]
        trailing = [spec for spec in self._all_specs if spec.key == "result"]
        # No rows yet: only the headers need room (a page with a scrollbar
        # dropped When from an empty table at 120 columns).
        widths = self._widest or {spec.key: len(spec.label) for spec in fitted}
        shown = [*visible_columns(fitted, self.size.width, widths=widths), *trailing]
        if shown == self.specs:
            return
        entries = list(self._entries.values())
        self.specs = shown
        self.clear(columns=True)
        self._entries.clear()
        self._signatures.clear()
        add_columns(self, shown)
        if self._now is not None:
            self._upsert(entries, self._now)

    def entry_at_cursor(self) -> OperationLogEntry | None:
        """The log row under the cursor."""
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._entries.get(key or "")

    def entries_by_id(self) -> dict[int, OperationLogEntry]:
        """The rows shown, by operation id (to follow ``follows`` chains)."""
        return {e.id: e for e in self._entries.values()}

    def _cells(self, entry: OperationLogEntry, now: datetime) -> dict[str, Text]:
        status = entry.status.value + (
            " (dry)" if entry.dry_run and entry.status != OperationStatus.DRY_RUN else ""
        )
        cells = {
            "id": Text(str(entry.id)),
            "when": Text(
                f"{entry.created_at.strftime('%m-%d %H:%M:%S')} ({short_age(entry.created_at, now)})"
            ),
            "charger": plain(entry.charge_box_id, limit=40),
            "operation": plain(entry.operation, limit=40),
            "status": Text(status, style=STATUS_STYLE.get(entry.status, "")),
            "task": Text("" if entry.task_id is None else str(entry.task_id)),
            "who": plain(entry.requested_by, limit=40),
            "followup": Text(
                (entry.followup.value if entry.followup else "")
                + (f" (after #{entry.follows})" if entry.follows else ""),
                style=FOLLOWUP_STYLE.get(entry.followup, "") if entry.followup else "",
            ),
            "params": Text(params_text(entry)),
            "result": Text(result_text(entry)),
        }
        for spec in self._all_specs:
            width = max(len(spec.label), min(cells[spec.key].cell_len, spec.max_width))
            self._widest[spec.key] = max(self._widest.get(spec.key, 0), width)
        return {spec.key: fit_spec(cells[spec.key], spec) for spec in self.specs}

    def show(self, entries: Sequence[OperationLogEntry], now: datetime) -> None:
        """Show exactly ``entries`` (newest first), diffed by id."""
        wanted = {str(e.id): e for e in entries}
        with self.app.batch_update():
            for key in [k for k in self._entries if k not in wanted]:
                self.remove_row(key)
                del self._entries[key]
                del self._signatures[key]
            self._upsert(wanted.values(), now)
        self._fit_columns()

    def upsert(self, entries: Iterable[OperationLogEntry], now: datetime) -> None:
        """Add or update rows without removing others (a live ``OperationChanged``)."""
        with self.app.batch_update():
            self._upsert(entries, now)
        self._fit_columns()

    def _upsert(self, entries: Iterable[OperationLogEntry], now: datetime) -> None:
        self._now = now
        added = False
        before_cursor = self.entry_at_cursor()
        for entry in entries:
            key = str(entry.id)
            cells = self._cells(entry, now)
            signature = tuple(f"{c.plain}|{c.style}" for c in cells.values())
            self._entries[key] = entry
            old = self._signatures.get(key)
            if old is None:
                self.add_row(*cells.values(), key=key)
                added = True
            elif old != signature:
                for (column, cell), before, after in zip(
                    cells.items(), old, signature, strict=True
                ):
                    if before != after:
                        update_cell(self, key, column, cell)
            self._signatures[key] = signature
        if added:
            self.sort("id", key=lambda cell: -int(cell.plain))
            if before_cursor is not None:
                # Keep the cursor on the row it was on, not on the same index.
                index = self.get_row_index(str(before_cursor.id))
                self.move_cursor(row=index, animate=False, scroll=False)
