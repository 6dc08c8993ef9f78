"""Table columns that hold their shape.

A 10,000-character chargeBoxId once widened the fleet's ID column to about
80 cells and pushed the status columns off a 120-column screen. So every
column of every table has a maximum width, and every cell is cut to it with
an ellipsis before the table sees it (``fit``): no value can widen a column
past its maximum, and the maxima of each table are chosen so its status
columns stay on a 120-column screen.

Cheap on purpose (PITFALLS: ``update_cell(update_width=True)`` re-measures
the whole column whenever a cell gets narrower): ``fit`` looks at one cell,
and ``update_cell`` only ever widens a column, by the width of the new cell,
never re-measuring the others.

A ``ColumnSpec`` is all a table needs to know about a column, so another
table (a virtual fleet table) can reuse the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

ELLIPSIS = "…"


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its key, its header, its widest content, and whether it is
    always that wide (``fixed``) or as wide as its widest cell, up to it."""

    key: str
    label: str
    max_width: int
    fixed: bool = False
    priority: int | None = None
    """When the table is too narrow, columns go lowest priority first; None:
    never (the columns a screen is for: status, session, Stuck, the id)."""

    @property
    def width(self) -> int | None:
        """The ``width`` for ``DataTable.add_column``: None sizes to the content."""
        return self.max_width if self.fixed else None


S = TypeVar("S", bound=ColumnSpec)

CELL_PADDING = 2
"""A DataTable cell's padding (one cell each side)."""


def visible_columns(
    specs: Sequence[S],
    width: int,
    *,
    reserve: int = 2,
    widths: Mapping[str, int] | None = None,
) -> tuple[S, ...]:
    """The columns of ``specs`` that fit ``width`` cells (``reserve`` kept for a
    scrollbar), each at its maximum width or at ``widths[key]`` when given (a
    table that measures its content): the lowest ``priority`` goes first, and
    a column without one always stays. Order is kept."""
    shown = list(specs)
    measured = widths or {}

    def needed() -> int:
        return (
            sum(
                (
                    spec.max_width
                    if spec.fixed
                    else min(spec.max_width, measured.get(spec.key, spec.max_width))
                )
                + CELL_PADDING
                for spec in shown
            )
            + reserve
        )

    droppable = sorted(
        (spec for spec in shown if spec.priority is not None),
        key=lambda spec: spec.priority or 0,
    )
    for spec in droppable:
        if needed() <= width:
            break
        shown.remove(spec)
    return tuple(shown)


def fit(cell: Text | str, max_width: int) -> Text:
    """``cell`` on one line, cut to ``max_width`` cells with an ellipsis."""
    text = Text(cell) if isinstance(cell, str) else cell
    if text.cell_len > max_width:
        text = text.copy()
        text.truncate(max_width, overflow="ellipsis")
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def fit_spec(cell: Text, spec: ColumnSpec) -> Text:
    """``cell`` for ``spec``'s column. A fixed-width column is never measured, and
    the renderer cuts its cells with an ellipsis, so they keep their whole text
    (what a test or a search reads); other cells are cut here."""
    if spec.fixed:
        cell.no_wrap = True
        cell.overflow = "ellipsis"
        return cell
    return fit(cell, spec.max_width)


def fit_row(cells: Iterable[Text], specs: Iterable[ColumnSpec]) -> list[Text]:
    """Each cell made to fit its column (``fit_spec``)."""
    return [fit_spec(cell, spec) for cell, spec in zip(cells, specs, strict=True)]


def add_columns(table: DataTable[Text], specs: Iterable[ColumnSpec]) -> None:
    for spec in specs:
        table.add_column(spec.label, key=spec.key, width=spec.width)


def update_cell(
    table: DataTable[Text], row_key: str, column_key: str | ColumnKey, cell: Text
) -> None:
    """``table.update_cell`` that widens the column when the (already fitted)
    cell is wider than it, and otherwise leaves every width alone."""
    column = table.columns.get(ColumnKey(column_key) if isinstance(column_key, str) else column_key)
    wider = column is not None and column.auto_width and cell.cell_len > column.content_width
    table.update_cell(row_key, column_key, cell, update_width=wider)
