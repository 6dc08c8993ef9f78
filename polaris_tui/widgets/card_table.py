"""Keyed tables for the card screens: rows are diffed by key, never rebuilt.

``sync_rows`` brings a ``DataTable`` to a wanted list of keyed rows inside one
``batch_update``: it removes stale keys, ``update_cell``s only the cells that
changed, adds new rows, and restores the order and the cursor (by key), so a
refresh never throws the operator's place away (STYLE 9, PITFALLS: ``clear()``
resets cursor and scroll).

``CardTable`` is the cards list built on it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from polaris_tui.models import CardRow
from polaris_tui.widgets.columns import (
    ColumnSpec,
    add_columns,
    fit,
    fit_row,
    update_cell,
    visible_columns,
)
from polaris_tui.widgets.safe_text import plain

Row = tuple[str, Sequence[Text]]
"""A row key and its cells, one ``Text`` per column, in column order."""


def flag(value: bool, *, alarm: bool = False) -> Text:
    """A yes/no cell; ``alarm`` styles a "yes" that means trouble."""
    if value:
        return Text("yes", style="bold red" if alarm else "")
    return Text("no", style="dim")


def sync_rows(table: DataTable[Text], rows: Sequence[Row]) -> None:
    """Make ``table`` show exactly ``rows`` (in that order), changing as little as possible.

    Args:
        table: a table whose columns were added with keys.
        rows: wanted rows; keys must be unique.
    """
    wanted = {key: cells for key, cells in rows}
    order = {key: index for index, (key, _) in enumerate(rows)}
    columns = list(table.columns.keys())
    cursor_key = current_key(table)
    with table.app.batch_update():
        for row_key in list(table.rows.keys()):
            if row_key.value not in wanted:
                table.remove_row(row_key)
        existing = {row_key.value for row_key in table.rows.keys()}
        for key, cells in rows:
            if key in existing:
                for column, cell in zip(columns, cells, strict=True):
                    if table.get_cell(key, column) != cell:
                        update_cell(table, key, column, cell)
            else:
                table.add_row(*cells, key=key)
        shown = [row.key.value for row in table.ordered_rows]
        if shown != [key for key, _ in rows]:
            _reorder(table, order)
        _fit_auto_columns(table, rows)
        if cursor_key is not None and cursor_key in wanted:
            table.move_cursor(row=table.get_row_index(cursor_key), animate=False)


def _fit_auto_columns(table: DataTable[Text], rows: Sequence[Row]) -> None:
    """Widen every auto-width column to fit its header and ``rows``, now.

    ``DataTable`` measures new rows and cells later, in its idle handler, and
    caches each drawn cell without its width: on a busy machine a frame drawn
    before that handler showed a new cell cut to the old width ("rever" for
    "revert" in the audit-log snapshots). Widths set here, in the same step
    as the rows, are right for the first frame and do not depend on timing.
    Grow only, as the table itself does: filtering rows away does not make
    the columns jump under the operator's eyes.
    """
    changed = False
    for index, column in enumerate(table.ordered_columns):
        if not column.auto_width:
            continue
        needed = [column.label.cell_len, *(cells[index].cell_len for _key, cells in rows)]
        width = max(column.content_width, *needed)
        if width != column.content_width:
            column.content_width = width
            changed = True
    if changed:
        table._update_count += 1  # noqa: SLF001 - drop cells drawn at the old width
        table._require_update_dimensions = True  # noqa: SLF001 - new virtual size
        table.check_idle()
        table.refresh()


def _reorder(table: DataTable[Text], order: dict[str, int]) -> None:
    """Sort rows into ``order`` (row key → position) without touching cells.

    ``DataTable.sort`` hands the key function cell values, not row keys, so we
    sort its ``_row_locations`` the same way it does, by key.
    """
    keys = sorted(table.rows.keys(), key=lambda row_key: order.get(row_key.value or "", 0))
    for index, row_key in enumerate(keys):
        table._row_locations[row_key] = index  # noqa: SLF001 - see docstring
    table._update_count += 1  # noqa: SLF001
    table.refresh()


def current_key(table: DataTable[Text]) -> str | None:
    """Key of the row under the cursor, or None for an empty table."""
    if table.row_count == 0:
        return None
    try:
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
    except CellDoesNotExist:  # cursor outside the table: no current row
        return None
    return row_key.value


CARD_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("id_tag", "idTag", 20),
    ColumnSpec("name", "Display name", 16, fixed=True, priority=1),
    ColumnSpec("type", "Type", 6, priority=2),
    ColumnSpec("active", "Active", 6, priority=4),
    ColumnSpec("linked", "Linked", 16, fixed=True, priority=3),
    ColumnSpec("blocked", "Blocked", 12),
    ColumnSpec("expired", "Expired", 7),
    ColumnSpec("parent", "Parent", 12),
    ColumnSpec("in_tx", "In tx", 5),
)
"""Nine columns that fit 120 terminal columns, each at its widest. Narrower,
Display name, Type, Linked and Active drop in that order: what refuses a
card (Blocked, Expired, Parent) and In tx always stay."""

NOT_IN_STEVE = Text("not in SteVe", style="bold yellow")
"""Shown in the Blocked column: SteVe answers Invalid for a card it does not know."""


def card_cells(row: CardRow) -> list[Text]:
    """The cards list cells of one card, all plain text."""
    id_tag = plain(row.id_tag, "bold" if row.is_meta else "", limit=64)
    if row.is_meta:  # the mark stays visible however long the idTag
        id_tag = fit(id_tag, CARD_COLUMNS[0].max_width - len(" (meta)"))
        id_tag.append(" (meta)", style="dim")
    name = plain(row.display_name or "")
    if row.linked:
        linked = plain(row.lago_customer_id or "yes")
        if row.link_from_id_tag and row.link_from_id_tag != row.id_tag:
            linked.append(" (inh.)", style="dim")  # from an ancestor: see Parent
    else:
        linked = Text("no", style="yellow")
    unknown = Text("—", style="dim")
    cells = [
        id_tag,
        name,
        plain(row.tag_type or "", limit=64),
        flag(row.active) if row.active else Text("no", style="yellow"),
        linked,
        flag(row.blocked, alarm=True) if row.in_steve else NOT_IN_STEVE,
        flag(row.expired, alarm=True) if row.in_steve else unknown,
        plain(row.parent_id_tag or "", limit=64),
        flag(row.in_transaction) if row.in_steve else unknown,
    ]
    return fit_row(cells, CARD_COLUMNS)


class CardTable(DataTable[Text]):
    """The cards list: one row per card, keyed by idTag, updated in place."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            cursor_type="row",
            zebra_stripes=True,
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
        )
        self.shown_columns: tuple[ColumnSpec, ...] = CARD_COLUMNS
        """The columns that fit the current width."""
        self._rows: Sequence[CardRow] = ()

    def on_mount(self) -> None:
        add_columns(self, CARD_COLUMNS)

    def on_resize(self) -> None:
        self.show(self._rows)

    def show(self, rows: Sequence[CardRow]) -> None:
        """Show ``rows`` (already filtered and sorted), keeping the cursor's card;
        the columns that fit this width with these rows (by priority)."""
        self._rows = rows
        every = [(row.id_tag, card_cells(row)) for row in rows]
        widest = {spec.key: len(spec.label) for spec in CARD_COLUMNS}
        for _, cells in every:
            for spec, cell in zip(CARD_COLUMNS, cells, strict=True):
                widest[spec.key] = max(widest[spec.key], cell.cell_len)
        if self.size.width:
            shown = visible_columns(CARD_COLUMNS, self.size.width, widths=widest)
            if shown != self.shown_columns:  # across a priority step: rebuild (rare)
                self.shown_columns = shown
                self.clear(columns=True)
                add_columns(self, shown)
        index = [CARD_COLUMNS.index(spec) for spec in self.shown_columns]
        sync_rows(self, [(key, [cells[i] for i in index]) for key, cells in every])

    @property
    def current_id_tag(self) -> str | None:
        """The idTag under the cursor."""
        return current_key(self)
