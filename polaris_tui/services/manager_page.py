"""Reading vanilla SteVe's manager pages (the live-status source without REST).

Vanilla SteVe has no REST endpoint for connector status; its manager page
``/manager/home/connectorStatus`` has it in ``#connectorStatusTable``
(contracts/STEVE.md §5). This module turns that HTML into ``ChargeBox``
models with a real HTML parser (``html.parser``): charger ids are free text
that may contain ``<``, quotes or entities, which regular expressions on
markup get wrong.

Columns are found by their header text, so an extra column in a newer SteVe
does not shift the data. An OCPP-J station without an open websocket carries
an ``offline-icon`` image in its ChargeBox ID cell → ``online=False``; without
the icon the page cannot tell (SOAP stations are never marked) → ``None``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from html.parser import HTMLParser

from polaris_tui.models import ChargeBox, ConnectorStatus, StatusSource
from polaris_tui.services.errors import MalformedResponse

log = logging.getLogger(__name__)

TABLE_ID = "connectorStatusTable"
OFFLINE_ICON = "offline-icon"
_DETAILS_LINK = "/manager/chargepoints/details/"

# Header text (lower case) -> our column name.
_HEADERS = {
    "chargebox id": "charge_box_id",
    "connector id": "connector_id",
    "date/time": "timestamp",
    "status": "status",
    "error code": "error_code",
}
_POSITIONAL = ["charge_box_id", "connector_id", "timestamp", "status", "error_code"]


@dataclass
class _Cell:
    """One ``<td>``/``<th>``: its text and the bits of markup we care about."""

    text: str = ""
    attrs: dict[str, str] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    link_texts: list[str] = field(default_factory=list)
    """Text inside each ``<a>`` (same order as ``links``)."""
    images: list[str] = field(default_factory=list)


class _TableParser(HTMLParser):
    """Collects the header and body cells of the one table with ``id=TABLE_ID``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = False
        self.headers: list[str] = []
        self.rows: list[list[_Cell]] = []
        self._depth = 0  # nesting of <table> inside ours (ignored)
        self._in_table = False
        self._in_thead = False
        self._row: list[_Cell] | None = None
        self._cell: _Cell | None = None
        self._parts: list[str] = []
        self._link_parts: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: (v or "") for k, v in attrs}
        if tag == "table":
            if self._in_table:
                self._depth += 1
            elif values.get("id") == TABLE_ID and not self.found:
                self._in_table = self.found = True
            return
        if not self._in_table or self._depth:
            return
        if tag == "thead":
            self._in_thead = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = _Cell(attrs=values)
            self._parts = []
        elif tag == "a" and self._cell is not None:
            self._cell.links.append(values.get("href", ""))
            self._link_parts = []
        elif tag == "img" and self._cell is not None:
            self._cell.images.append(values.get("src", ""))

    def handle_endtag(self, tag: str) -> None:
        if not self._in_table:
            return
        if tag == "table":
            if self._depth:
                self._depth -= 1
            else:
                self._in_table = False
            return
        if self._depth:
            return
        if tag == "a" and self._cell is not None and self._link_parts is not None:
            self._cell.link_texts.append("".join(self._link_parts).strip())
            self._link_parts = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            # Strip only: an id may legally hold inner spaces, which must survive.
            self._cell.text = "".join(self._parts).strip()
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._in_thead or (not self.headers and not self.rows and self._is_header_row()):
                self.headers = [c.text for c in self._row]
            elif self._row:
                self.rows.append(self._row)
            self._row = None
        elif tag == "thead":
            self._in_thead = False

    def _is_header_row(self) -> bool:
        assert self._row is not None
        return bool(self._row) and all(" ".join(c.text.split()).lower() in _HEADERS for c in self._row)

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._depth:
            self._parts.append(data)
            if self._link_parts is not None:
                self._link_parts.append(data)


class _FormParser(HTMLParser):
    """Finds the sign-in form's ``_csrf`` value and whether a password field exists."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.csrf: str | None = None
        self.has_password = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        values = {k: (v or "") for k, v in attrs}
        if values.get("name") == "_csrf" and self.csrf is None:
            self.csrf = values.get("value", "")
        if values.get("type", "").lower() == "password" or values.get("name") == "password":
            self.has_password = True


def parse_csrf(html: str) -> str | None:
    """The ``_csrf`` hidden field of a page (the sign-in form), or None."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.csrf


def is_signin_page(html: str) -> bool:
    """Whether ``html`` is the sign-in form (a session expired without a redirect)."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.has_password and not _has_table(html)


def _has_table(html: str) -> bool:
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    return parser.found


def parse_humanized(text: str, now: datetime) -> datetime | None:
    """SteVe's humanized UTC time: ``Today at 09:58``, ``Yesterday at 23:10``,
    ``Tomorrow at 00:05``, ``2026-11-20 at 14:30`` (or ISO-8601). None if unreadable."""
    text = " ".join(text.split())
    if not text:
        return None
    day_word, sep, clock = text.partition(" at ")
    if sep:
        try:
            at = time.fromisoformat(clock.strip())
        except ValueError:
            return None
        today = now.astimezone(timezone.utc).date()
        offsets = {"today": 0, "yesterday": -1, "tomorrow": 1}
        key = day_word.strip().lower()
        if key in offsets:
            day = today + timedelta(days=offsets[key])
        else:
            try:
                day = datetime.strptime(day_word.strip(), "%Y-%m-%d").date()
            except ValueError:
                return None
        return datetime.combine(day, at, tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _millis(value: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def _station(cell: _Cell) -> tuple[str, int | None]:
    """The station id and pk of a ChargeBox ID cell.

    The id is the text of the details link (the cell also holds the offline
    tooltip's sentence); without a link, the whole cell text.
    """
    for href, text in zip(cell.links, cell.link_texts):
        _, sep, rest = href.partition(_DETAILS_LINK)
        if sep:
            digits = rest.split("/")[0].split("?")[0]
            return text, (int(digits) if digits.isdigit() else None)
    return cell.text, None


def parse_connector_status(html: str, *, now: datetime) -> list[ChargeBox]:
    """Turn the connector-status page into one ``ChargeBox`` per station.

    Args:
        html: the page body.
        now: the clock's now, to read ``Today at HH:mm`` when a cell has no
            ``data-sort-value``.

    Returns:
        Stations in page order; each with its connectors (only those that
        ever reported), ``online=False`` for a marked station, else None.

    Raises:
        MalformedResponse: the page has no ``#connectorStatusTable``.
    """
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    if not parser.found:
        raise MalformedResponse("the connector status page has no connector table")
    columns = [_HEADERS.get(" ".join(h.split()).lower(), "") for h in parser.headers] or _POSITIONAL
    boxes: dict[str, ChargeBox] = {}
    for number, row in enumerate(parser.rows, start=1):
        cells = {name: cell for name, cell in zip(columns, row) if name}
        id_cell = cells.get("charge_box_id")
        connector_cell = cells.get("connector_id")
        charge_box_id, charge_box_pk = _station(id_cell) if id_cell is not None else ("", None)
        if connector_cell is None or not charge_box_id:
            log.warning("connector status page: row %d has no station id; skipped", number)
            continue
        try:
            connector_id = int(connector_cell.text)
        except ValueError:
            log.warning("connector status page: row %d has a non-numeric connector id; skipped", number)
            continue
        when_cell = cells.get("timestamp")
        when = None
        if when_cell is not None:
            when = _millis(when_cell.attrs.get("data-sort-value", "")) or parse_humanized(when_cell.text, now)
        status_cell = cells.get("status")
        error_cell = cells.get("error_code")
        box = boxes.get(charge_box_id)
        if box is None:
            box = boxes[charge_box_id] = ChargeBox(
                charge_box_id=charge_box_id,
                charge_box_pk=charge_box_pk,
                source=StatusSource.MANAGER_PAGE,
            )
        if id_cell is not None and any(OFFLINE_ICON in src for src in id_cell.images):
            box.online = False
        box.connectors.append(
            ConnectorStatus(
                charge_box_id=charge_box_id,
                connector_id=connector_id,
                status=status_cell.text if status_cell is not None else "",
                error_code=(error_cell.text or None) if error_cell is not None else None,
                timestamp=when,
                source=StatusSource.MANAGER_PAGE,
            )
        )
    return list(boxes.values())
