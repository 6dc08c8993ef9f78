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
from array import array
from collections.abc import Hashable
from datetime import UTC, datetime, time, timedelta
from functools import partial
from html.parser import HTMLParser
from typing import Any

from selectolax.lexbor import LexborNode as Node

from polaris_tui.models import ChargeBox, ConnectorStatus, StatusSource
from polaris_tui.models.errors import MalformedResponse
from polaris_tui.services.page_cut import cut_page, rows_again, verified
from polaris_tui.services.page_delta import (
    OverviewLayout,
    StatusLayout,
    overview_again,
    status_again,
    status_layout,
)
from polaris_tui.services.page_memo import RowMemo, RowPass
from polaris_tui.services.page_tables import Cell, Table, cells_of, parse_html, tables

log = logging.getLogger(__name__)

TABLE_ID = "connectorStatusTable"
OFFLINE_ICON = "offline-icon"
_DETAILS_LINK = "/manager/chargepoints/details/"
CUT_RETRY_READS = 20
"""Full reads of a page before a cut that did not check out is tried again."""

# Header text (lower case) -> our column name.
_HEADERS = {
    "chargebox id": "charge_box_id",
    "connector id": "connector_id",
    "date/time": "timestamp",
    "status": "status",
    "error code": "error_code",
}
_POSITIONAL = ["charge_box_id", "connector_id", "timestamp", "status", "error_code"]
_OVERVIEW_WANTED = {"chargebox id", "description", "last heartbeat"}
# The Charge Point Overview (/manager/chargepoints) table, found by these headers.
_OVERVIEW_HEADERS = {
    "chargebox id": "charge_box_id",
    "description": "description",
    "ocpp protocol": "protocol",
    "last heartbeat": "heartbeat",
}


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
    # "&" first: a one-byte search is ~50x quicker than "&#" over a 4.8 MB page.
    no_reference = "&" not in html or "&#" not in html
    if no_reference and "password" not in html.lower():
        return False
    tree = parse_html(html)
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


def _cell_time(cell: Cell | None, now: datetime) -> datetime | None:
    """A time cell: its exact sort value (epoch millis), else its humanized text."""
    if cell is None:
        return None
    return _millis(cell.attrs.get("data-sort-value", "")) or parse_humanized(cell.text, now)


def _station(cell: Cell) -> tuple[str, int | None]:
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


# One status row as read: (id, pk, connector id, time, status, error code,
# offline mark); None for a row skipped (logged when first read); _EMPTY for
# a row with no cells.
_StatusRow = tuple[str, int | None, int, datetime | None, str, str | None, bool]
_EMPTY = ("", None, 0, None, "", None, False)
StatusMemo = RowMemo["_StatusRow | None", ChargeBox]
OverviewMemo = RowMemo["ChargeBox | None", ChargeBox]


def _read_status_row(tr: Node, columns: list[str], number: int, now: datetime) -> _StatusRow | None:
    row = cells_of(tr)
    if not row:
        return _EMPTY
    cells = {name: cell for name, cell in zip(columns, row, strict=False) if name}
    id_cell = cells.get("charge_box_id")
    connector_cell = cells.get("connector_id")
    charge_box_id, charge_box_pk = _station(id_cell) if id_cell is not None else ("", None)
    if connector_cell is None or not charge_box_id:
        log.warning("connector status page: row %d has no station id; skipped", number)
        return None
    try:
        connector_id = int(connector_cell.text)
    except ValueError:
        log.warning("connector status page: row %d has a non-numeric connector id; skipped", number)
        return None
    when = _cell_time(cells.get("timestamp"), now)
    status_cell = cells.get("status")
    error_cell = cells.get("error_code")
    offline = id_cell is not None and any(OFFLINE_ICON in src for src in id_cell.images)
    return (
        charge_box_id,
        charge_box_pk,
        connector_id,
        when,
        status_cell.text if status_cell is not None else "",
        (error_cell.text or None) if error_cell is not None else None,
        offline,
    )


def _status_box(rows: tuple[_StatusRow, ...]) -> ChargeBox:
    """One station from its rows (page order): the pk of its first row,
    ``online=False`` when any row carries the offline mark."""
    first = rows[0]
    return ChargeBox(
        charge_box_id=first[0],
        charge_box_pk=first[1],
        source=StatusSource.MANAGER_PAGE,
        online=False if any(r[6] for r in rows) else None,
        connectors=[
            ConnectorStatus(
                charge_box_id=r[0],
                connector_id=r[2],
                status=r[4],
                error_code=r[5],
                timestamp=r[3],
                source=StatusSource.MANAGER_PAGE,
            )
            for r in rows
        ],
    )


def _epoch(headers: list[str] | tuple[str, ...], now: datetime) -> Hashable:
    """What reading a row depends on besides its markup: the columns, and the
    UTC date (for "Today at 09:58" without a ``data-sort-value``)."""
    return (tuple(headers), now.astimezone(UTC).date())


def _names(headers: list[str] | tuple[str, ...]) -> list[str]:
    return Table(headers=list(headers)).header_names()


def _keep_cut(memo: RowMemo[Any, ChargeBox], html: str, page: list[str], table: Table) -> None:
    """After a full read: the page's cut, if it checks out, for the next poll.
    A page that did not check out is tried again only every
    ``CUT_RETRY_READS`` full reads: a lasting odd row (a comment, an
    attribute holding ``<``) would otherwise cost the check, up to ~200 ms
    at 10,000 chargers, every poll."""
    if memo.cut_wait > 0:
        memo.cut, memo.cut_wait = None, memo.cut_wait - 1
        return
    memo.cut = verified(cut_page(html), page, table.headers)
    if memo.cut is None:
        memo.cut_wait = CUT_RETRY_READS


def parse_connector_status(
    html: str, *, now: datetime, memo: StatusMemo | None = None
) -> list[ChargeBox]:
    """Turn the connector-status page into one ``ChargeBox`` per station.

    Args:
        html: the page body.
        now: the clock's now, to read ``Today at HH:mm`` when a cell has no
            ``data-sort-value``.
        memo: the last poll's reading of this page: rows and stations that
            did not change are not read again (the same models come back).

    Returns:
        Stations in page order; each with its connectors (only those that
        ever reported), ``online=False`` for a marked station, else None.

    Raises:
        MalformedResponse: the page has no ``#connectorStatusTable``.
    """
    if memo is not None:
        again = _status_by_cut(html, now, memo)
        if again is not None:
            return again
    table = next((t for t in tables(html) if t.id == TABLE_ID), None)
    if table is None:
        raise MalformedResponse("the connector status page has no connector table")
    columns = [_HEADERS.get(h, "") for h in table.header_names()] or _POSITIONAL
    epoch = _epoch(table.headers, now)
    trs = table.rows
    page = [tr.html or "" for tr in trs]
    if memo is not None:

        def read_at(i: int, number: int) -> _StatusRow | None:
            return _read_status_row(trs[i], columns, number, now)

        again = status_again(memo, epoch, page, read_at, _status_box, _EMPTY)
        if again is not None:
            _keep_cut(memo, html, page, table)
            return again
    reading: RowPass[_StatusRow | None, ChargeBox] = (memo or RowMemo()).start(epoch)
    # Per station: its rows' markups (the group's key: a string keeps its
    # hash, a tuple of read rows would be hashed afresh) and its read rows.
    stations: dict[str, tuple[list[str], list[_StatusRow]]] = {}
    reads: list[_StatusRow | None] = []
    numbers = array("l")
    number = 0
    for tr, markup in zip(trs, page, strict=True):
        read = reading.row(markup, partial(_read_status_row, tr, columns, number + 1, now))
        reads.append(read)
        numbers.append(number + 1)
        if read is _EMPTY:
            continue
        number += 1
        if read is not None:
            markups, rows = stations.setdefault(read[0], ([], []))
            markups.append(markup)
            rows.append(read)
    boxes = [
        reading.group(tuple(markups), partial(_status_box, tuple(rows)))
        for markups, rows in stations.values()
    ]
    if memo is not None:
        memo.keep(reading, status_layout(page, reads, numbers, boxes, _EMPTY))
        _keep_cut(memo, html, page, table)
    return boxes


def _status_by_cut(html: str, now: datetime, memo: StatusMemo) -> list[ChargeBox] | None:
    """The status page read by its changed rows only (``page_cut``), or None."""
    layout = memo.layout
    cut = rows_again(memo.cut, layout.markups if isinstance(layout, StatusLayout) else None, html)
    if cut is None:
        return None
    columns = [_HEADERS.get(h, "") for h in _names(cut.cut.headers)] or _POSITIONAL
    nodes = cut.nodes

    def read_at(i: int, number: int) -> _StatusRow | None:
        return _read_status_row(nodes[i], columns, number, now)

    epoch = _epoch(cut.cut.headers, now)
    again = status_again(memo, epoch, cut.markups, read_at, _status_box, _EMPTY)
    if again is not None:
        memo.cut = cut.cut
        memo.cut_reads += 1
    return again


def _read_overview_row(tr: Node, columns: list[str], now: datetime) -> ChargeBox | None:
    row = cells_of(tr)
    cells = {name: cell for name, cell in zip(columns, row, strict=False) if name}
    id_cell = cells.get("charge_box_id")
    if id_cell is None:
        return None
    charge_box_id, charge_box_pk = _station(id_cell)
    if not charge_box_id:
        return None
    heartbeat = _cell_time(cells.get("heartbeat"), now)
    description = cells.get("description")
    protocol = cells.get("protocol")
    return ChargeBox(
        charge_box_id=charge_box_id,
        charge_box_pk=charge_box_pk,
        description=(description.text or None) if description is not None else None,
        ocpp_protocol=(protocol.text or None) if protocol is not None else None,
        last_heartbeat=heartbeat,
        source=StatusSource.MANAGER_PAGE,
    )


def parse_charge_points(
    html: str, *, now: datetime, memo: OverviewMemo | None = None
) -> list[ChargeBox] | None:
    """The Charge Point Overview (``/manager/chargepoints``): every registered
    station with its pk, description, OCPP protocol and last heartbeat.

    The table has no id in SteVe, so it is the one whose headers include
    ChargeBox ID, Description and Last Heartbeat. Returns None when the page
    has no such table (a SteVe whose page changed): the caller goes on without
    these details. Connectors and ``online`` are not on this page. ``memo``:
    as for ``parse_connector_status``.
    """
    if memo is not None:
        again = _overview_by_cut(html, now, memo)
        if again is not None:
            return again
    table = next((t for t in tables(html) if _OVERVIEW_WANTED <= set(t.header_names())), None)
    if table is None:
        return None
    columns = [_OVERVIEW_HEADERS.get(h, "") for h in table.header_names()]
    epoch = _epoch(table.headers, now)
    trs = table.rows
    page = [tr.html or "" for tr in trs]
    if memo is not None:
        again = overview_again(
            memo, epoch, page, lambda i: _read_overview_row(trs[i], columns, now)
        )
        if again is not None:
            _keep_cut(memo, html, page, table)
            return again
    reading: RowPass[ChargeBox | None, ChargeBox] = (memo or RowMemo()).start(epoch)
    boxes: list[ChargeBox] = []
    made: list[ChargeBox | None] = []
    slots = array("l")
    seen: set[str] = set()
    for tr, markup in zip(trs, page, strict=True):
        box = reading.row(markup, partial(_read_overview_row, tr, columns, now))
        made.append(box)
        if box is None or box.charge_box_id in seen:
            slots.append(-1)
            continue
        seen.add(box.charge_box_id)
        slots.append(len(boxes))
        boxes.append(box)
    if memo is not None:
        memo.keep(reading, OverviewLayout(page, made, slots, boxes))
        _keep_cut(memo, html, page, table)
    return boxes


def _overview_by_cut(html: str, now: datetime, memo: OverviewMemo) -> list[ChargeBox] | None:
    """The overview page read by its changed rows only (``page_cut``), or None."""
    layout = memo.layout
    cut = rows_again(memo.cut, layout.markups if isinstance(layout, OverviewLayout) else None, html)
    if cut is None or not _OVERVIEW_WANTED <= set(_names(cut.cut.headers)):
        return None
    columns = [_OVERVIEW_HEADERS.get(h, "") for h in _names(cut.cut.headers)]
    nodes = cut.nodes
    epoch = _epoch(cut.cut.headers, now)
    again = overview_again(
        memo, epoch, cut.markups, lambda i: _read_overview_row(nodes[i], columns, now)
    )
    if again is not None:
        memo.cut = cut.cut
        memo.cut_reads += 1
    return again
