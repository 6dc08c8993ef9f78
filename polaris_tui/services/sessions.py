"""Charging sessions: SteVe's transactions, open and recent, with who, what and billing.

SteVe's ``GET /transactions`` filters (type, period, chargeBoxId, ocppIdTag)
but has no paging: it returns every match. So a page here is a query that
stays small however old the fleet is: the open sessions (``type=ACTIVE``,
few by nature) and one window of finished ones (``type=STOPPED``,
``periodType=FROM_TO`` on the start time, a week by default). "Older" asks
for the window before it. A customer filter becomes an ``ocppIdTag`` list:
the Lago customers whose e-mail or name match, and the cards that bill to
them (``card_links``), so SteVe still does the filtering.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from polaris_tui.models import (
    CardMeta,
    LagoCustomer,
    OcppTag,
    SessionRow,
    Transaction,
)
from polaris_tui.models.errors import LagoError, PolarisError, SteveError
from polaris_tui.models.sessions import (
    SessionDetail,
    SessionLine,
    SessionPage,
    SessionQuery,
)
from polaris_tui.services.card_links import resolve_link
from polaris_tui.services.clock import Clock
from polaris_tui.services.lago_client import LagoClient
from polaris_tui.services.poller import LivePoller
from polaris_tui.services.session_detail import billing_words, meter_points, touched_by
from polaris_tui.services.session_rows import SyncAnswer, session_row, stopped_by
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.store.facade import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

ID_TAG_RE = re.compile(r"^[a-zA-Z0-9.:_#-]{1,40}$")
"""SteVe's idTag rule for query values: anything else is a 400, so it is not sent."""
CHARGE_BOX_ID_RE = re.compile(r"^[^=/()<>\s]([^=/()<>]*[^=/()<>\s])?$")
"""SteVe's chargeBoxId rule (no surrounding whitespace)."""
SYNC_LOOKUPS = 8
"""Lago event lookups in flight at once for one page."""


async def _lago(call: Awaitable[T]) -> T | LagoError:
    try:
        return await call
    except LagoError as exc:
        return exc


def customer_matches(customer: LagoCustomer, needle: str) -> bool:
    """Whether ``needle`` (case-insensitive) is part of the customer's e-mail, name or id."""
    needle = needle.casefold().strip()
    fields = (
        customer.email,
        customer.name,
        customer.firstname,
        customer.lastname,
        " ".join(p for p in (customer.firstname, customer.lastname) if p),
        customer.external_id,
    )
    return bool(needle) and any(needle in (f or "").casefold() for f in fields)


class SessionService:
    """Sessions for the screens: a page of the query, one session in detail.

    Args:
        steve: the SteVe client (transactions, tags).
        lago: the Lago client (customers, usage events).
        store: card metadata (names, links) and the operation log.
        clock: the injected clock.
    """

    def __init__(
        self, steve: SteveClient, lago: LagoClient, store: Store, poller: LivePoller, clock: Clock
    ) -> None:
        self._steve = steve
        self._lago = lago
        self._store = store
        self._poller = poller
        self._clock = clock

    def resolve(self, query: SessionQuery, tags: Iterable[str]) -> SessionQuery:
        """Turn free ``text`` into a charger, idTag or customer filter."""
        text = (query.text or "").strip()
        if not text:
            return query
        resolved = query.model_copy(update={"text": None})
        chargers = {c.charge_box_id.casefold(): c.charge_box_id for c in self._poller.chargers()}
        known_tags = {t.casefold(): t for t in tags}
        if text.casefold() in known_tags:
            resolved.id_tag = known_tags[text.casefold()]
        elif text.casefold() in chargers:
            resolved.charge_box_id = chargers[text.casefold()]
        else:
            resolved.customer = text
        return resolved

    async def sessions(self, query: SessionQuery) -> SessionPage:
        """Open sessions and one window of finished ones, newest first.

        Raises:
            SteveError: SteVe could not be asked (the screen keeps what it had).
        """
        until = query.until or self._clock.now()
        since = query.since or until - timedelta(days=max(query.days, 1))
        tags, meta = await self._tags(), await self._store.card_meta_all()
        tags_by_id = {t.id_tag: t for t in tags}
        query = self.resolve(query, set(tags_by_id) | set(meta))
        page = SessionPage(query=query, since=since, until=until)
        customers, lago_error = await self._customers()
        if lago_error is not None:
            page.lago_note = (
                f"Lago could not be asked ({lago_error}): customers and billing unknown"
            )
        id_tags: list[str] = []
        words = []
        if query.id_tag:
            id_tags = [query.id_tag]
            words.append(f"idTag {query.id_tag}")
        if query.customer or query.customer_id:
            if query.customer_id:
                words.append(f"customer {query.customer_id}")
                exact = customers.get(query.customer_id)
                found = [exact] if exact else []
            else:
                needle = query.customer or ""
                words.append(f"customer “{needle}”")
                found = [c for c in customers.values() if customer_matches(c, needle)]
            linked = self._cards_of({c.external_id for c in found}, tags_by_id, meta)
            if query.id_tag:
                linked = [t for t in linked if t == query.id_tag]
            if not found or not linked:
                page.searched = self._searched(words, query, since, until)
                needle = query.customer or query.customer_id or ""
                page.note = self._no_customer_note(needle, found, len(customers), lago_error)
                return page
            id_tags = linked
        if query.charge_box_id:
            words.append(f"charger {query.charge_box_id}")
        page.searched = self._searched(words, query, since, until)
        bad = self._unaskable(query.charge_box_id, id_tags)
        if bad:
            page.note = bad
            return page
        found_txs = await self._query(query, id_tags, since, until)
        page.open_count = sum(1 for t in found_txs if t.active)
        page.stopped_count = len(found_txs) - page.open_count
        if query.limit is not None:
            found_txs = found_txs[: query.limit]
        answers, asked = await self._sync_answers(found_txs, lago_error is None)
        page.lines = [
            self._line(tx, answers.get(tx.id), tx.id in asked, tags_by_id, meta, customers)
            for tx in found_txs
        ]
        if not page.lines:
            page.note = f"No sessions: SteVe has none for {page.searched}."
        return page

    async def session(self, transaction_id: int) -> SessionDetail:
        """One session: meter curve, the operations that touched it, its Lago event.

        Raises:
            SteveNotFound: SteVe has no such transaction.
            SteveError: SteVe could not be asked.
        """
        details = await self._steve.transaction_details(transaction_id, energy_values_only=False)
        tx = details.transaction
        tags, meta = await self._tags(), await self._store.card_meta_all()
        customers, lago_error = await self._customers()
        answers, asked = await self._sync_answers([tx], lago_error is None)
        line = self._line(
            tx, answers.get(tx.id), tx.id in asked, {t.id_tag: t for t in tags}, meta, customers
        )
        detail = SessionDetail(line=line)
        detail.points, detail.values_note = meter_points(tx, details.values)
        try:
            recent = await self._store.recent_operations(charge_box_id=tx.charge_box_id, limit=500)
        except PolarisError as exc:
            detail.operations_note = f"The operation log could not be read: {exc}"
        else:
            detail.operations = touched_by(tx, recent, self._clock.now())
            if not detail.operations:
                detail.operations_note = (
                    "No operation from Polaris touched this session (none in the operation "
                    "log for its transaction id, or for its connector while it ran)."
                )
        detail.lago_event = line.row.synced_event
        detail.billing = billing_words(line, lago_error)
        return detail

    # -- parts ------------------------------------------------------------------

    async def _tags(self) -> list[OcppTag]:
        """SteVe's tags (for parent links): the poller's, else asked; empty when neither."""
        polled = self._poller.tags()
        if polled:
            return polled
        try:
            return await self._steve.list_tags()
        except SteveError as exc:
            log.warning("sessions: tags unavailable, links from card metadata only: %s", exc)
            return []

    async def _customers(self) -> tuple[dict[str, LagoCustomer], LagoError | None]:
        if not self._lago.configured:
            return {}, None
        polled = self._poller.customers()
        if polled:
            return {c.external_id: c for c in polled}, None
        try:
            return {c.external_id: c for c in await self._lago.customers()}, None
        except LagoError as exc:
            log.warning("sessions: Lago customers unavailable: %s", exc)
            return {}, exc

    @staticmethod
    def _cards_of(
        customer_ids: set[str], tags_by_id: dict[str, OcppTag], meta: dict[str, CardMeta]
    ) -> list[str]:
        """Every idTag (SteVe's or only in card metadata) billing to one of ``customer_ids``."""
        out = []
        for id_tag in set(tags_by_id) | set(meta):
            link = resolve_link(id_tag, tags_by_id.get(id_tag), tags_by_id, meta)
            if link.customer_id is not None and link.customer_id in customer_ids:
                out.append(id_tag)
        return sorted(out)

    @staticmethod
    def _searched(words: list[str], query: SessionQuery, since: datetime, until: datetime) -> str:
        what = {"all": "open sessions and sessions", "open": "open sessions", "stopped": "sessions"}
        text = what[query.state]
        if query.state != "open":
            text += f" started {since:%Y-%m-%d %H:%M} – {until:%Y-%m-%d %H:%M} UTC"
        return text + (f" for {', '.join(words)}" if words else " on every charger")

    @staticmethod
    def _no_customer_note(
        needle: str, found: list[LagoCustomer], total: int, lago_error: LagoError | None
    ) -> str:
        if lago_error is not None:
            return (
                f"Lago could not be asked for customers ({lago_error}), so “{needle}” matched none."
            )
        if not found:
            return (
                f"No Lago customer has “{needle}” in their e-mail or name "
                f"(searched {total} customers)."
            )
        names = ", ".join(c.display_name for c in found[:3])
        return f"{names} matched, but no card is linked to them (card links live in Polaris)."

    @staticmethod
    def _unaskable(charge_box_id: str | None, id_tags: Iterable[str]) -> str | None:
        if charge_box_id and not CHARGE_BOX_ID_RE.match(charge_box_id):
            return "SteVe cannot be queried for this charger id (characters outside its rule)."
        if any(not ID_TAG_RE.match(t) for t in id_tags):
            return "SteVe cannot be queried for this idTag (characters outside its idTag rule)."
        return None

    async def _query(
        self, query: SessionQuery, id_tags: list[str], since: datetime, until: datetime
    ) -> list[Transaction]:
        charge_boxes = [query.charge_box_id] if query.charge_box_id else []
        asks = []
        if query.state in ("all", "open"):
            asks.append(
                self._steve.list_transactions(
                    type="ACTIVE", charge_box_ids=charge_boxes, id_tags=id_tags
                )
            )
        if query.state in ("all", "stopped"):
            asks.append(
                self._steve.list_transactions(
                    type="STOPPED",
                    charge_box_ids=charge_boxes,
                    id_tags=id_tags,
                    from_=since,
                    to=until,
                )
            )
        found = [tx for batch in await asyncio.gather(*asks) for tx in batch]
        unique = {tx.id: tx for tx in found}
        return sorted(unique.values(), key=lambda t: (t.active, t.start_timestamp), reverse=True)

    async def _sync_answers(
        self, txs: list[Transaction], lago_ok: bool
    ) -> tuple[dict[int, SyncAnswer], set[int]]:
        finished = [t for t in txs if not t.active]
        if not finished or not lago_ok or not self._lago.configured:
            return {}, set()
        gate = asyncio.Semaphore(SYNC_LOOKUPS)

        async def one(tx: Transaction) -> SyncAnswer:
            async with gate:
                return await _lago(self._lago.event(f"steve_tx_{tx.id}_final"))

        answers = await asyncio.gather(*(one(t) for t in finished))
        return {t.id: a for t, a in zip(finished, answers, strict=True)}, {t.id for t in finished}

    @staticmethod
    def _line(
        tx: Transaction,
        answer: SyncAnswer,
        asked: bool,
        tags_by_id: dict[str, OcppTag],
        meta: dict[str, CardMeta],
        customers: dict[str, LagoCustomer],
    ) -> SessionLine:
        row: SessionRow = session_row(tx, answer, asked=asked)
        link = resolve_link(tx.ocpp_id_tag, tags_by_id.get(tx.ocpp_id_tag), tags_by_id, meta)
        customer = customers.get(link.customer_id) if link.customer_id else None
        own = meta.get(tx.ocpp_id_tag)
        return SessionLine(
            row=row,
            card_name=own.display_name if own else None,
            customer_id=link.customer_id,
            customer_name=customer.display_name if customer else None,
            customer_email=customer.email if customer else None,
            stopped_by=stopped_by(tx),
        )


__all__ = ["SessionService", "customer_matches"]
