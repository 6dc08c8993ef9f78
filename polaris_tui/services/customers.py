"""A customer's page: runbook 2 can start from a person.

Given an e-mail, a name or a Lago external id, find the one Lago customer
(or say which several matched, or why none did), then gather around them:
their subscriptions, every card that bills to them with its relation and
whether SteVe would accept it now, their open and recent sessions, and the
operations that touched those sessions.
"""

from __future__ import annotations

import logging

from polaris_tui.models import CardRow, LagoCustomer, OperationLogEntry
from polaris_tui.models.errors import LagoError, PolarisError
from polaris_tui.models.sessions import CustomerCard, CustomerView, SessionPage, SessionQuery
from polaris_tui.services.cards import CardService
from polaris_tui.services.lago_client import LagoClient
from polaris_tui.services.poller import LivePoller
from polaris_tui.services.sessions import SessionService, customer_matches
from polaris_tui.store.facade import Store

log = logging.getLogger(__name__)

SESSION_DAYS = 30
"""The customer page's window of finished sessions."""
OPERATIONS_SHOWN = 20


def card_verdict(row: CardRow, by_id: dict[str, CardRow]) -> tuple[str, bool]:
    """Whether SteVe would accept the card now, with the runbook's parent rule."""
    if not row.in_steve:
        return "not in SteVe: every tap is refused (Invalid)", False
    if row.blocked:
        return "blocked in SteVe", False
    if row.expired:
        return "expired in SteVe", False
    seen = {row.id_tag}
    parent_id = row.parent_id_tag
    while parent_id and parent_id not in seen:
        seen.add(parent_id)
        parent = by_id.get(parent_id)
        if parent is None:
            break
        if parent.blocked or parent.expired:
            state = "blocked" if parent.blocked else "expired"
            return f"refused: parent {parent.id_tag} is {state} (children inherit)", False
        parent_id = parent.parent_id_tag
    if not row.active:
        return "valid in SteVe, but inactive in Polaris (billing)", True
    return "valid", True


def card_relation(row: CardRow, rows: list[CardRow]) -> str:
    children = [r.id_tag for r in rows if r.parent_id_tag == row.id_tag]
    parts = []
    if row.link_from_id_tag and row.link_from_id_tag != row.id_tag:
        parts.append(f"link inherited from {row.link_from_id_tag}")
    else:
        parts.append("own link")
    if row.parent_id_tag:
        parts.append(f"child of {row.parent_id_tag}")
    if children:
        parts.append("meta-card of " + ", ".join(children[:4]) + ("…" if len(children) > 4 else ""))
    return "; ".join(parts)


class CustomerService:
    """Args: the card and session services, Lago, the store, the poller (its customers)."""

    def __init__(
        self,
        cards: CardService,
        sessions: SessionService,
        lago: LagoClient,
        store: Store,
        poller: LivePoller,
    ) -> None:
        self._cards = cards
        self._sessions = sessions
        self._lago = lago
        self._store = store
        self._poller = poller

    def known(self) -> list[LagoCustomer]:
        """The customers of the last Lago poll."""
        return list(self._poller.customers())

    async def _all_customers(self) -> list[LagoCustomer]:
        polled = self._poller.customers()
        if polled or not self._lago.configured:
            return list(polled)
        return await self._lago.customers()

    async def find(self, text: str) -> tuple[LagoCustomer | None, list[LagoCustomer], int]:
        """The one customer ``text`` names (exact id or e-mail first), else every match.

        Raises:
            LagoError: Lago could not list its customers.
        """
        everyone = await self._all_customers()
        needle = text.strip().casefold()
        exact = [
            c
            for c in everyone
            if needle in (c.external_id.casefold(), (c.email or "").casefold())
            or needle == c.display_name.casefold()
        ]
        if len(exact) == 1:
            return exact[0], exact, len(everyone)
        found = [c for c in everyone if customer_matches(c, text)]
        return (found[0] if len(found) == 1 else None), found, len(everyone)

    async def customer(self, text: str) -> CustomerView:
        """The customer page for ``text`` (e-mail, name or Lago external id).

        Raises:
            StoreError: the card metadata cannot be read.
        """
        view = CustomerView(query=text)
        if not self._lago.configured:
            view.note = "Lago is not configured: Polaris cannot look customers up."
            return view
        try:
            customer, found, total = await self.find(text)
        except LagoError as exc:
            view.note = f"Lago could not be asked for customers ({exc})."
            return view
        view.matches = found
        if customer is None:
            view.note = (
                f"{len(found)} customers match “{text}”: pick one."
                if found
                else f"No Lago customer has “{text}” in their e-mail or name "
                f"(searched {total} customers)."
            )
            return view
        view.customer = customer
        await self._fill(view, customer)
        return view

    async def _fill(self, view: CustomerView, customer: LagoCustomer) -> None:
        notes = []
        try:
            view.subscriptions = await self._lago.subscriptions(customer.external_id)
        except LagoError as exc:
            notes.append(f"subscriptions unavailable ({exc})")
        rows = await self._cards.cards()
        by_id = {r.id_tag: r for r in rows}
        for row in rows:
            if row.lago_customer_id != customer.external_id:
                continue
            verdict, ok = card_verdict(row, by_id)
            view.cards.append(
                CustomerCard(row=row, relation=card_relation(row, rows), verdict=verdict, ok=ok)
            )
        try:
            view.sessions = await self._sessions.sessions(
                SessionQuery(customer_id=customer.external_id, days=SESSION_DAYS)
            )
        except PolarisError as exc:
            notes.append(f"sessions unavailable ({exc})")
        view.operations = await self._operations(view.sessions, {c.row.id_tag for c in view.cards})
        if notes:
            view.note = "; ".join(notes)

    async def _operations(
        self, page: SessionPage | None, id_tags: set[str]
    ) -> list[OperationLogEntry]:
        """Operations naming one of the sessions or cards (newest first)."""
        tx_ids = {str(line.row.transaction.id) for line in page.lines} if page else set()
        try:
            recent = await self._store.recent_operations(limit=500)
        except PolarisError as exc:
            log.warning("customer page: operation log unavailable: %s", exc)
            return []
        out = []
        for op in recent:
            params = op.params or {}
            if str(params.get("transactionId")) in tx_ids or params.get("idTag") in id_tags:
                out.append(op)
        return out[:OPERATIONS_SHOWN]


__all__ = ["CustomerService", "card_relation", "card_verdict"]
