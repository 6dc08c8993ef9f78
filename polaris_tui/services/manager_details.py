"""Reading two more manager pages: a charge point's details, the unknown tags.

Vanilla SteVe keeps what a station said in its BootNotification (vendor,
model, serial numbers, firmware) and its registration status only on
``/manager/chargepoints/details/{chargeBoxPk}``: a form whose "OCPP" table
has one ``<tr><td>Label:</td><td>value</td></tr>`` per field, the charge box
id in a read-only ``<input>`` and the registration status as the selected
``<option>`` of a ``<select>``. Its list of refused idTags is the "Unknown
Tags" table on ``/manager/ocppTags`` (ID Tag, # of Attempts, Last Attempt,
whose cell carries the time as epoch millis in ``data-sort-value``).

Both are read with ``html.parser`` and by label or header text, never by
position, so an extra row in a newer SteVe shifts nothing. A page without
what we look for gives ``None`` (the caller says "unknown" and why), never
an exception.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

from polaris_tui.models.identity import RefusedTag

log = logging.getLogger(__name__)


@dataclass
class _Row:
    cells: list[str] = field(default_factory=list)
    attrs: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Table:
    rows: list[_Row] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    inside_id: str = ""
    """The id of the nearest enclosing element that had one (e.g. unknownTable)."""


class _PageParser(HTMLParser):
    """Rows of every table, with form values folded into cell text: an
    ``<input value>`` and the selected ``<option>``'s text count as the cell's."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self._stack: list[_Table] = []
        self._ids: list[tuple[str, str]] = []
        self._row: _Row | None = None
        self._cell: list[str] | None = None
        self._cell_attrs: dict[str, str] = {}
        self._th = False
        self._option: list[str] | None = None
        self._option_selected = False
        self._option_texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: (v or "") for k, v in attrs}
        if values.get("id"):
            self._ids.append((tag, values["id"]))
        if tag == "table":
            inside = self._ids[-1][1] if self._ids else ""
            self._stack.append(_Table(inside_id=inside))
        elif not self._stack:
            return
        elif tag == "tr":
            self._row = _Row()
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._cell_attrs, self._th = [], values, tag == "th"
        elif self._cell is None:
            return
        elif tag == "input" and values.get("type", "text") not in ("hidden", "submit", "button"):
            self._cell.append(values.get("value", ""))
        elif tag == "option":
            self._option, self._option_selected = [], "selected" in values

    def handle_endtag(self, tag: str) -> None:
        if self._ids and self._ids[-1][0] == tag:
            self._ids.pop()
        if tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag == "option" and self._option is not None and self._cell is not None:
            if self._option_selected:
                self._option_texts.append("".join(self._option))
            self._option = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = " ".join("".join(self._cell + self._option_texts).split())
            self._option_texts = []
            if self._th and self._stack:
                self._stack[-1].headers.append(text)
            else:
                self._row.cells.append(text)
                self._row.attrs.append(self._cell_attrs)
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            if self._row.cells:
                self._stack[-1].rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option.append(data)
        elif self._cell is not None:
            self._cell.append(data)


def _tables(html: str) -> list[_Table]:
    parser = _PageParser()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError) as exc:  # html.parser on badly broken markup
        log.warning("manager page could not be parsed to the end: %s", exc)
    return parser.tables + parser._stack


def _label(text: str) -> str:
    return " ".join(text.rstrip(":").split()).lower()


def parse_charge_point_details(html: str) -> dict[str, str] | None:
    """Label (lower case, no colon) → value (whitespace-collapsed, "" when
    empty) from the details page's OCPP table; None when the page has none."""
    for table in _tables(html):
        pairs = {
            _label(row.cells[0]): row.cells[1]
            for row in table.rows
            if len(row.cells) >= 2 and row.cells[0].strip().endswith(":")
        }
        if "chargebox id" in pairs or any("firmware" in k or "vendor" in k for k in pairs):
            return pairs
    return None


def _millis(value: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _iso(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_unknown_tags(html: str) -> list[RefusedTag] | None:
    """SteVe's "Unknown Tags" rows; None when the page has no such table."""
    for table in _tables(html):
        names = [h.lower() for h in table.headers]
        if "id tag" not in names or not any("attempt" in n for n in names):
            continue
        tag_at = names.index("id tag")
        count_at = next((i for i, n in enumerate(names) if "# of" in n or n == "attempts"), None)
        last_at = next((i for i, n in enumerate(names) if "last" in n), None)
        out: list[RefusedTag] = []
        for row in table.rows:
            if len(row.cells) <= tag_at or not row.cells[tag_at]:
                continue
            attempts = 0
            if count_at is not None and count_at < len(row.cells):
                digits = row.cells[count_at].strip()
                attempts = int(digits) if digits.isdigit() else 0
            last: datetime | None = None
            if last_at is not None and last_at < len(row.cells):
                last = _millis(row.attrs[last_at].get("data-sort-value", "")) or _iso(
                    row.cells[last_at]
                )
            out.append(RefusedTag(id_tag=row.cells[tag_at], attempts=attempts, last_attempt=last))
        return out
    return None


__all__ = ["parse_charge_point_details", "parse_unknown_tags"]
