"""Reading vanilla SteVe's manager pages (the live-status source without REST).

Vanilla SteVe has no REST endpoint for connector status; its manager page
``/manager/home/connectorStatus`` has it in ``#connectorStatusTable``
(contracts/STEVE.md §5). This module turns that HTML into ``ChargeBox``
models with a real HTML parser (Lexbor, through ``selectolax``: ten times
faster than ``html.parser`` on a 10,000-charger page): charger ids are free
text that may contain ``<``, quotes or entities, which regular expressions
on markup get wrong.

Columns are found by their header text, so an extra column in a newer SteVe
does not shift the data. An OCPP-J station without an open websocket carries
an ``offline-icon`` image in its ChargeBox ID cell → ``online=False``; without
the icon the page cannot tell (SOAP stations are never marked) → ``None``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from html.parser import HTMLParser

from selectolax.lexbor import LexborHTMLParser
from selectolax.lexbor import LexborNode as Node

from polaris_tui.models import ChargeBox, ConnectorStatus, StatusSource
from polaris_tui.models.errors import MalformedResponse

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
# The Charge Point Overview (/manager/chargepoints) table, found by these headers.
_OVERVIEW_HEADERS = {
    "chargebox id": "charge_box_id",
    "description": "description",
    "ocpp protocol": "protocol",
    "last heartbeat": "heartbeat",
}


class _Cell:
    """One ``<td>``/``<th>``: its text and the bits of markup we care about,
    read from the parsed node when first asked (most cells need their text only)."""

    __slots__ = ("_node", "header", "text")

    def __init__(self, node: Node) -> None:
        self._node = node
        self.header = node.tag == "th"
        """A ``<th>`` cell."""
        # Strip only: an id may legally hold inner spaces, which must survive.
        self.text = (node.text(deep=True, separator="", strip=False) or "").strip()

    @property
    def attrs(self) -> dict[str, str]:
        return {k: (v or "") for k, v in self._node.attributes.items()}

    @property
    def links(self) -> list[str]:
        return [a.attributes.get("href") or "" for a in self._node.css("a")]

    @property
    def link_texts(self) -> list[str]:
        """Text inside each ``<a>`` (same order as ``links``)."""
        return [(a.text(deep=True, separator="") or "").strip() for a in self._node.css("a")]

    @property
    def images(self) -> list[str]:
        return [img.attributes.get("src") or "" for img in self._node.css("img")]


@dataclass
class _Table:
    """One ``<table>``: its id, header texts and body rows."""

    id: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[list[_Cell]] = field(default_factory=list)

    def header_names(self) -> list[str]:
        """Header texts, whitespace-collapsed and lower case."""
        return [" ".join(h.split()).lower() for h in self.headers]


def _rows_of(table: Node) -> list[tuple[Node, bool]]:
    """The ``<tr>`` of this table (not of a table nested in a cell), each with
    whether it is in the ``<thead>``."""
    rows: list[tuple[Node, bool]] = []
    for child in table.iter():
        if child.tag == "tr":
            rows.append((child, False))
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend((tr, child.tag == "thead") for tr in child.iter() if tr.tag == "tr")
    return rows


def _tables(html: str) -> list[_Table]:
    """Every table of a page, parsed by Lexbor (``selectolax``): at 10,000
    chargers ``html.parser`` took most of a poll cycle on these pages."""
    tables: list[_Table] = []
    for node in LexborHTMLParser(html).css("table"):
        table = _Table(id=node.attributes.get("id") or "")
        for tr, in_thead in _rows_of(node):
            row = [_Cell(cell) for cell in tr.iter() if cell.tag in ("td", "th")]
            all_th = bool(row) and all(c.header for c in row)
            if in_thead or (all_th and not table.headers and not table.rows):
                table.headers = [c.text for c in row]
            elif row:
                table.rows.append(row)
        tables.append(table)
    return tables


class _FormParser(HTMLParser):
    """Finds the sign-in form's ``_csrf`` value (a small page: ``html.parser`` is enough)."""

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
    """Whether ``html`` is the sign-in form (a session expired without a redirect).

    Asked of every manager page a poll reads, on the UI's event loop: at
    10,000 chargers ``html.parser`` over a page of several MB took seconds.
    A page that cannot hold a password field (no "password", no character
    reference that could spell it) is answered without parsing; any other
    is parsed by Lexbor, which decodes attributes as a browser does."""
    if "&#" not in html and "password" not in html.lower():
        return False
    tree = LexborHTMLParser(html)
    has_password = any(
        (node.attributes.get("type") or "").lower() == "password"
        or node.attributes.get("name") == "password"
        for node in tree.css("input")
    )
    return has_password and tree.css_first(f"table#{TABLE_ID}") is None


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
        today = now.astimezone(UTC).date()
        offsets = {"today": 0, "yesterday": -1, "tomorrow": 1}
        key = day_word.strip().lower()
        if key in offsets:
            day = today + timedelta(days=offsets[key])
        else:
            try:
                day = datetime.strptime(day_word.strip(), "%Y-%m-%d").date()
            except ValueError:
                return None
        return datetime.combine(day, at, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _millis(value: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _station(cell: _Cell) -> tuple[str, int | None]:
    """The station id and pk of a ChargeBox ID cell.

    The id is the text of the details link (the cell also holds the offline
    tooltip's sentence); without a link, the whole cell text.
    """
    for href, text in zip(cell.links, cell.link_texts, strict=False):
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
    table = next((t for t in _tables(html) if t.id == TABLE_ID), None)
    if table is None:
        raise MalformedResponse("the connector status page has no connector table")
    columns = [_HEADERS.get(h, "") for h in table.header_names()] or _POSITIONAL
    boxes: dict[str, ChargeBox] = {}
    for number, row in enumerate(table.rows, start=1):
        cells = {name: cell for name, cell in zip(columns, row, strict=False) if name}
        id_cell = cells.get("charge_box_id")
        connector_cell = cells.get("connector_id")
        charge_box_id, charge_box_pk = _station(id_cell) if id_cell is not None else ("", None)
        if connector_cell is None or not charge_box_id:
            log.warning("connector status page: row %d has no station id; skipped", number)
            continue
        try:
            connector_id = int(connector_cell.text)
        except ValueError:
            log.warning(
                "connector status page: row %d has a non-numeric connector id; skipped", number
            )
            continue
        when_cell = cells.get("timestamp")
        when = None
        if when_cell is not None:
            when = _millis(when_cell.attrs.get("data-sort-value", "")) or parse_humanized(
                when_cell.text, now
            )
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


def parse_charge_points(html: str, *, now: datetime) -> list[ChargeBox] | None:
    """The Charge Point Overview (``/manager/chargepoints``): every registered
    station with its pk, description, OCPP protocol and last heartbeat.

    The table has no id in SteVe, so it is the one whose headers include
    ChargeBox ID, Description and Last Heartbeat. Returns None when the page
    has no such table (a SteVe whose page changed): the caller goes on without
    these details. Connectors and ``online`` are not on this page.
    """
    wanted = {"chargebox id", "description", "last heartbeat"}
    table = next((t for t in _tables(html) if wanted <= set(t.header_names())), None)
    if table is None:
        return None
    columns = [_OVERVIEW_HEADERS.get(h, "") for h in table.header_names()]
    boxes: list[ChargeBox] = []
    seen: set[str] = set()
    for row in table.rows:
        cells = {name: cell for name, cell in zip(columns, row, strict=False) if name}
        id_cell = cells.get("charge_box_id")
        if id_cell is None:
            continue
        charge_box_id, charge_box_pk = _station(id_cell)
        if not charge_box_id or charge_box_id in seen:
            continue
        seen.add(charge_box_id)
        beat = cells.get("heartbeat")
        heartbeat = None
        if beat is not None:
            heartbeat = _millis(beat.attrs.get("data-sort-value", "")) or parse_humanized(
                beat.text, now
            )
        description = cells.get("description")
        protocol = cells.get("protocol")
        boxes.append(
            ChargeBox(
                charge_box_id=charge_box_id,
                charge_box_pk=charge_box_pk,
                description=(description.text or None) if description is not None else None,
                ocpp_protocol=(protocol.text or None) if protocol is not None else None,
                last_heartbeat=heartbeat,
                source=StatusSource.MANAGER_PAGE,
            )
        )
    return boxes


def is_json_protocol(protocol: str | None) -> bool:
    """``ocpp1.6J`` and the like: OCPP-J stations, which SteVe marks when disconnected."""
    return bool(protocol) and protocol.strip().upper().endswith("J")  # type: ignore[union-attr]


def complete_with_status(base: list[ChargeBox], status: list[ChargeBox]) -> list[ChargeBox]:
    """Stations from ``base`` (the overview page or the fork's plain list)
    completed with connectors and offline marks from the connector-status page.

    ``online``: what ``base`` says if it knows; else False for a marked station;
    else True for an OCPP-J station on the status page without the mark (SteVe
    would have marked it); else None. Stations only on the status page are
    added at the end.
    """
    by_id = {b.charge_box_id: b for b in status}
    merged: list[ChargeBox] = []
    for box in base:
        found = by_id.pop(box.charge_box_id, None)
        if found is None:
            merged.append(box)
            continue
        online = box.online
        if online is None:
            if found.online is False:
                online = False
            elif is_json_protocol(box.ocpp_protocol):
                online = True
        merged.append(
            box.model_copy(
                update={
                    "connectors": box.connectors or found.connectors,
                    "online": online,
                    "source": box.source if box.connectors else StatusSource.MANAGER_PAGE,
                    "charge_box_pk": box.charge_box_pk or found.charge_box_pk,
                }
            )
        )
    merged.extend(by_id.values())
    return merged
