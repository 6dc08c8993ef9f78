"""The fleet table: a virtual table that draws only the rows on screen.

Why it is built this way (issue 13; PITFALLS, STYLE #9):

* A ``DataTable`` keeps a copy of every cell and measures cells to size its
  columns: at 10,000 chargers a poll froze the UI for seconds, so the old
  table showed at most 500 rows. This ``ScrollView`` (Textual's Line API)
  draws each screen line from the data model (``FleetOrder``), building a
  row's cells only when it is on screen: every row is reachable by scrolling.
* Column widths come from each column's maximum and the cells on screen,
  never from every cell; they only grow while scrolling the same rows, are
  chosen afresh when the rows shown change (a filter). A narrow screen
  drops the least useful columns (``shown_columns``: at 80 columns ID,
  Status, Heartbeat, Session idTag and Stuck stay) and narrows the rest to
  its width (``fit_widths``), so Stuck is never off screen. Clicks, the
  header and ``ctrl+s`` see the columns shown, nothing else.
* A refresh repaints only the cells that changed (``fleet_repaint``). Every
  cell is a ``rich.text.Text`` built by ``plain()``: a description of
  ``[/]`` or an ESC sequence is shown literally and fires nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from polaris_tui.models import ChargerRow
from polaris_tui.widgets.fleet_cells import COLUMNS, SORT_ORDER, row_cells, widths_for
from polaris_tui.widgets.fleet_lines import (
    FLEET_TABLE_CSS,
    HEADER_HEIGHT,
    PADDING,
    cells_strip,
    cursor_strip,
    layout_widths,
    pick,
    shown_columns,
)
from polaris_tui.widgets.fleet_order import FleetOrder
from polaris_tui.widgets.fleet_repaint import DrawnLines
from polaris_tui.widgets.fleet_row_cells import RowCells
from polaris_tui.widgets.keymap import bind

__all__ = ["COLUMNS", "FleetTable", "row_cells"]


class FleetTable(ScrollView, can_focus=True):
    """The live fleet: every row reachable, only the visible ones drawn."""

    COMPONENT_CLASSES = {
        "fleet-table--header",
        "fleet-table--cursor",
        "fleet-table--even-row",
        "fleet-table--odd-row",
    }

    DEFAULT_CSS = FLEET_TABLE_CSS

    BINDINGS = [
        bind("enter", show=False),
        bind("up", show=False),
        bind("down", show=False),
        bind("pageup", show=False),
        bind("pagedown", show=False),
        bind("home", show=False),
        bind("ctrl+home", show=False),
        bind("end", show=False),
        bind("ctrl+end", show=False),
        bind("s"),
        bind("minus", show=False),
    ]

    class RowSelected(Message):
        """``enter`` (or a second click) on a row: the charger to open."""

        def __init__(self, table: FleetTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> FleetTable:
            return self.table

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.model = FleetOrder()
        self.cursor_row = 0
        """Index of the highlighted row in the display order."""
        self.id_width = COLUMNS[0].max_width
        """The ID column's maximum at the current width (``widths_for``)."""
        self._description_width = COLUMNS[1].max_width
        self._row_cells = RowCells()
        self._row_cells.id_width = self.id_width
        self._seen = [0] * len(COLUMNS)
        """Widest cell of each column on screen since the rows shown last changed."""
        self._shown: tuple[int, ...] = tuple(range(len(COLUMNS)))
        """Indices in ``COLUMNS`` of the columns on screen (``shown_columns``)."""
        self._widths: tuple[int, ...] = tuple(c.max_width for c in COLUMNS)
        self._drawn = DrawnLines()
        """What each screen line showed when last drawn (to repaint changes only)."""
        self._click_column: int | None = None
        self._drawn_layout: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())
        self._strips: dict[tuple[object, ...], Strip] = {}
        """Drawn lines by what they show: a repaint around it renders no cell."""

    # -- public API ---------------------------------------------------------
    @property
    def sort_by(self) -> str:
        return self.model.sort_by

    @property
    def sort_reverse(self) -> bool:
        return self.model.sort_reverse

    @property
    def row_count(self) -> int:
        return len(self.model)

    @property
    def keys(self) -> list[str]:
        """ChargeBox IDs in display order."""
        return list(self.model.order)

    @property
    def cursor_key(self) -> str | None:
        """The ChargeBox ID under the cursor, if any."""
        order = self.model.order
        if not order:
            return None
        return order[min(max(self.cursor_row, 0), len(order) - 1)]

    @property
    def column_widths(self) -> tuple[int, ...]:
        """Content width of each column shown (padding excluded)."""
        return self._widths

    @property
    def column_labels(self) -> list[str]:
        """The headers of the columns shown (a narrow screen drops some)."""
        return [column.label for column in pick(COLUMNS, self._shown)]

    def get_cell(self, key: str, column_key: str) -> Text:
        """The cell of one row and column (built now if it is not on screen)."""
        index = next(i for i, c in enumerate(COLUMNS) if c.key == column_key)
        return self._row_cells.of(self.model.rows[key])[index]

    def contents(self) -> tuple[list[str], list[list[str]]]:
        """Column labels and every row's cells as plain text, in display order
        (``ctrl+s``): the filter and the sort on screen are what is saved."""
        now = self._row_cells.now
        if now is None:
            return self.column_labels, []
        rows, shown = self.model.rows, self._shown
        return self.column_labels, [
            [cell.plain for cell in pick(row_cells(rows[key], now, id_width=self.id_width), shown)]
            for key in self.model.order
        ]

    def visible_keys(self) -> list[str]:
        """ChargeBox IDs of the rows on screen, top to bottom."""
        order = self.model.order
        return [order[i] for i in self._visible()]

    def row_region(self, index: int) -> Region:
        """Where row ``index`` is in the table's scrollable area (below the header)."""
        return Region(0, index, self.virtual_size.width, 1)

    def apply(
        self, rows: Sequence[ChargerRow], now: datetime, *, only: Collection[str] | None = None
    ) -> tuple[int, int]:
        """Show ``rows`` (every row) sorted and filtered, the cursor on its charger,
        ages from ``now`` (``only`` given: they did not move). O(fleet): a poll's
        rows go through ``update``. Returns (rows shown, rows matched)."""
        cursor_key = self._cursor_to_follow()
        changed = self.model.replace(rows)
        self._forget_cells(changed, ages_moved=only is None, now=now)
        return self._after_change(cursor_key, rows_shown_changed=True)

    def update(
        self, changed: Collection[ChargerRow], removed: Collection[str], now: datetime
    ) -> tuple[int, int]:
        """Apply a poll's changed and removed rows: O(rows changed), the other
        rows keep their cells and places. Returns (rows shown, rows matched)."""
        cursor_key = self._cursor_to_follow()
        self.model.update(changed, removed)
        self._forget_cells([row.charge_box_id for row in changed], ages_moved=False, now=now)
        return self._after_change(cursor_key, rows_shown_changed=bool(removed))

    async def update_in_thread(
        self, changed: Collection[ChargerRow], removed: Collection[str], now: datetime
    ) -> tuple[int, int]:
        """``update`` for a poll that changed many rows: their order is worked
        out in a worker thread (``FleetOrder.planned``) while the table keeps
        drawing the last one; the UI thread only adopts it."""
        plan = await asyncio.to_thread(self.model.planned, changed, removed)
        cursor_key = self._cursor_to_follow()
        if not self.model.adopt(plan):  # sorted meanwhile: apply them here
            self.model.update(changed, removed)
        self._forget_cells([row.charge_box_id for row in changed], ages_moved=False, now=now)
        return self._after_change(cursor_key, rows_shown_changed=bool(removed))

    def set_filter(self, match: set[str] | None) -> tuple[int, int]:
        """Show only the rows whose key is in ``match`` (None: every row), in the
        current sort. Returns (rows shown, rows matched)."""
        cursor_key = self._cursor_to_follow()
        # The same match again (the screen searches anew when ages move):
        # widths chosen afresh would flip a column by a cell every 15 s and
        # repaint the whole table for it.
        new_match = match != self.model.match
        self.model.set_filter(match)
        return self._after_change(cursor_key, rows_shown_changed=new_match)

    def ages_moved(self, now: datetime) -> None:
        """Time passed: the cells on screen are built again (O(rows on screen))."""
        self._forget_cells((), ages_moved=True, now=now)
        self._layout_changed()

    def _cursor_to_follow(self) -> str | None:
        # The cursor follows its charger; on the first row it stays on the first
        # row (the most urgent charger in the default order), as k9s does.
        return self.cursor_key if self.cursor_row > 0 else None

    def _forget_cells(self, keys: Iterable[str], *, ages_moved: bool, now: datetime) -> None:
        cells = self._row_cells
        cells.now = now
        if ages_moved:
            cells.time_moved()
        cells.forget(keys)
        cells.keep_only(set(self.visible_keys()), 4 * max(self.size.height, 50))

    def _after_change(self, cursor_key: str | None, *, rows_shown_changed: bool) -> tuple[int, int]:
        if rows_shown_changed:
            self._seen = [0] * len(COLUMNS)  # a filter: widths chosen afresh
        self._follow(cursor_key)
        self._layout_changed()
        count = len(self.model)
        return count, count

    def set_sort(self, sort_by: str, *, reverse: bool | None = None) -> None:
        """Sort by ``sort_by`` (a key of ``SORTS``) and redraw."""
        if reverse is None:
            reverse = (not self.sort_reverse) if sort_by == self.sort_by else False
        cursor_key = self.cursor_key if self.cursor_row > 0 else None
        self.model.set_sort(sort_by, reverse)
        self._follow(cursor_key)
        self._layout_changed()

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        """Put the cursor on row ``row`` (clamped) and, with ``scroll``, in view."""
        del animate  # the table jumps; an animation would repaint every frame
        last = max(len(self.model) - 1, 0)
        self.cursor_row = min(max(row, 0), last)
        if scroll:
            self._scroll_cursor_into_view()
        self._repaint_changed_lines()

    # -- keys -----------------------------------------------------------------
    def action_cycle_sort(self) -> None:
        index = SORT_ORDER.index(self.sort_by)
        self.set_sort(SORT_ORDER[(index + 1) % len(SORT_ORDER)], reverse=False)

    def action_reverse_sort(self) -> None:
        self.set_sort(self.sort_by, reverse=not self.sort_reverse)

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._page())

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._page())

    def action_cursor_home(self) -> None:
        self.move_cursor(row=0)

    def action_cursor_end(self) -> None:
        self.move_cursor(row=len(self.model) - 1)

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - HEADER_HEIGHT)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        column = self._column_at(offset.x + self.scroll_offset.x)
        if offset.y < HEADER_HEIGHT:
            if column is not None:
                self.set_sort(COLUMNS[self._shown[column]].key)
            return
        index = self.scroll_offset.y + offset.y - HEADER_HEIGHT
        if not 0 <= index < len(self.model):
            return
        event.stop()
        again = index == self.cursor_row and column == self._click_column
        self._click_column = column
        self.move_cursor(row=index)
        if again:
            self.action_select_cursor()

    def _column_at(self, x: int) -> int | None:
        left = 0
        for i, width in enumerate(self._widths):
            left += width + 2 * PADDING
            if x < left:
                return i
        return None

    def on_focus(self) -> None:
        self._redraw_all()

    def on_blur(self) -> None:
        self._redraw_all()

    def on_resize(self) -> None:
        """A wider screen shows more columns and more of long ids and
        descriptions; a narrower one drops columns by priority and cuts them."""
        self._shown = shown_columns(self.size.width)
        id_width, description = widths_for(self.size.width)
        if (id_width, description) != (self.id_width, self._description_width):
            self.id_width, self._description_width = id_width, description
            self._row_cells.id_width = id_width
            self._row_cells.time_moved()  # the ID cells are cut to the new width
        self._seen = [0] * len(COLUMNS)
        self._layout_changed()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._layout_changed()

    # -- drawing --------------------------------------------------------------
    def _follow(self, cursor_key: str | None) -> None:
        index = self.model.index_of(cursor_key) if cursor_key is not None else None
        if index is not None:
            self.cursor_row = index
        else:
            self.cursor_row = min(self.cursor_row, max(len(self.model) - 1, 0))

    def _scroll_cursor_into_view(self) -> None:
        rows_high = self._page()
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + rows_high:
            self.scroll_to(y=self.cursor_row - rows_high + 1, animate=False, immediate=True)

    def _visible(self) -> range:
        top = self.scroll_offset.y
        height = max(self.size.height - HEADER_HEIGHT, 0)
        return range(top, min(top + height, len(self.model)))

    def _cells_of(self, key: str) -> tuple[Text, ...]:
        return self._row_cells.of(self.model.rows[key])

    def _layout_changed(self) -> None:
        """Widths and size from the rows on screen; repaint what changed."""
        order = self.model.order
        seen = self._seen
        rows, widths_of = self.model.rows, self._row_cells.widths
        for index in self._visible():
            for i, width in enumerate(widths_of(rows[order[index]])):
                if width > seen[i]:
                    seen[i] = width
        scrollbar = len(order) + HEADER_HEIGHT > self.size.height
        available = self.size.width - (self.styles.scrollbar_size_vertical if scrollbar else 0)
        shown = self._shown
        widths = layout_widths(seen, shown, self.id_width, self._description_width, available)
        size = Size(sum(widths) + 2 * PADDING * len(widths), len(order) + HEADER_HEIGHT)
        if size != self.virtual_size:
            self._set_virtual_size(size)
        if (shown, widths) != self._drawn_layout:
            self._drawn_layout = (shown, widths)
            self._widths = widths
            self._redraw_all()
        else:
            self._repaint_changed_lines()

    def _set_virtual_size(self, size: Size) -> None:
        """A new row count without a screen layout when only the height changed
        and the scrollbar stays (a full layout costs more than a 10,000 filter)."""
        old = self.virtual_size
        height = self.container_size.height
        same_bar = (old.height > height) == (size.height > height)
        if old.width != size.width or not same_bar or not self.is_mounted:
            self.virtual_size = size
            return
        self.set_reactive(FleetTable.virtual_size, size)
        self._scroll_update(size)  # Textual's own update of scrollbars and offsets

    def _redraw_all(self) -> None:
        self._drawn.clear()
        self._strips.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # a theme or focus style changed every line

    def _line_signature(self, y: int) -> tuple[object, ...]:
        index = self.scroll_offset.y + y - HEADER_HEIGHT
        if y < HEADER_HEIGHT or index >= len(self.model):
            return (y < HEADER_HEIGHT, self.scroll_offset.x)
        key = self.model.order[index]
        version = self._row_cells.version(self.model.rows[key])
        return (key, version, index == self.cursor_row, index % 2, self.scroll_offset.x)

    def _repaint_changed_lines(self) -> None:
        width, widths, cells = self.size.width, self._widths, self._shown_cells
        for y in range(self.size.height):
            if regions := self._drawn.dirty(y, self._line_signature(y), cells, widths, width):
                self.refresh(*regions)

    def _shown_cells(self, y: int) -> tuple[Text, ...]:
        index = self.scroll_offset.y + y - HEADER_HEIGHT
        on_a_row = y >= HEADER_HEIGHT and index < len(self.model)
        return tuple(pick(self._cells_of(self.model.order[index]), self._shown)) if on_a_row else ()

    def render_line(self, y: int) -> Strip:
        signature = self._line_signature(y)
        self._drawn.record(y, signature, self._shown_cells(y))
        width = self.size.width
        cache_key = (signature, self._drawn_layout, width, self.has_focus, self.scroll_offset.y)
        cached = self._strips.get(cache_key)
        if cached is not None:
            return cached
        strip = self._render_line(y, width)
        if len(self._strips) > 4 * max(self.size.height, 10):
            self._strips.clear()
        self._strips[cache_key] = strip
        return strip

    def _render_line(self, y: int, width: int) -> Strip:
        scroll_x = self.scroll_offset.x
        base = self.rich_style
        if y < HEADER_HEIGHT:
            header = self.get_component_rich_style("fleet-table--header")
            labels = [Text(label) for label in self.column_labels]
            strip = cells_strip(self.app.console, labels, self._widths, base + header)
        else:
            index = self.scroll_offset.y + y - HEADER_HEIGHT
            if index >= len(self.model):
                return Strip.blank(width, base)
            parity = "even" if index % 2 else "odd"
            style = base + self.get_component_rich_style(f"fleet-table--{parity}-row")
            cells = pick(self._cells_of(self.model.order[index]), self._shown)
            strip = cells_strip(self.app.console, cells, self._widths, style)
            if index == self.cursor_row:
                cursor = self.get_component_rich_style("fleet-table--cursor")
                strip = cursor_strip(strip, cursor)
        return strip.crop_extend(scroll_x, scroll_x + width, base)
