"""Card reads: the card list and the card view with its triage verdict.

``CardReader`` answers ``CardService.cards()``, ``card()`` and ``audit_log()``
(docs/services-contract.md):

* ``cards()`` — SteVe's tags joined with local ``card_meta``; cards only the
  store knows appear with ``in_steve=False``;
* ``card(id_tag)`` — header, SteVe record, relations (parent chain up to the
  root, every child, the ancestor that blocks this card marked as the cause),
  the last 10 sessions with their Lago sync state, the Lago link (own or
  inherited), intercepts, and the verdict (``triage.py``).

Degrading, never guessing: when SteVe is unreachable the view is built from
the poller's snapshot (``steve_state`` says so, ``data_as_of`` is the
snapshot's time, recent sessions are empty with ``recent_available=False``);
when Lago is unreachable ``lago_state`` says so and the link answer is
"unknown".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from polaris_tui.models import (
    AuditEntry,
    CardMeta,
    CardRow,
    CardView,
    ConnectionState,
    LagoCustomer,
    LagoSubscription,
    OcppTag,
    SourceName,
    SourceState,
    Transaction,
)
from polaris_tui.models.errors import (
    LagoError,
    LagoUnreachable,
    PolarisError,
    SteveError,
    SteveUnreachable,
)
from polaris_tui.models.identity import TapQuery
from polaris_tui.services import card_family, triage
from polaris_tui.services.card_links import resolve_link
from polaris_tui.services.card_tap import QUERY_ID_TAG_RE, TapEvidenceReader
from polaris_tui.services.clock import Clock
from polaris_tui.services.lago_client import LagoClient
from polaris_tui.services.poller import LivePoller
from polaris_tui.services.refused_tags import RefusedTagReader
from polaris_tui.services.session_rows import SyncAnswer, session_row
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.services.triage_tap import tap_window
from polaris_tui.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

RECENT_LIMIT = 10
"""Sessions shown under Recent transactions (the runbook: "the last 10")."""


def matches(query: str, row: CardRow) -> bool:
    """Case-insensitive substring on idTag, display name, or the linked customer's
    name or e-mail."""
    needle = query.strip().lower()
    if not needle:
        return True
    fields = (row.id_tag, row.display_name, row.customer_name, row.customer_email)
    return any(needle in (f or "").lower() for f in fields)


@dataclass
class _Tags:
    """SteVe's tags as this call could get them, and where they came from."""

    tags: list[OcppTag]
    source: triage.SteveSource
    state: SourceState
    as_of: datetime | None
    error: PolarisError | None = None

    @property
    def by_id(self) -> dict[str, OcppTag]:
        return {t.id_tag: t for t in self.tags}


@dataclass
class _Lago:
    """What Lago said about one card's link."""

    outcome: triage.LagoOutcome
    customer: LagoCustomer | None = None
    subscriptions: list[LagoSubscription] | None = None
    error: str | None = None
    state: SourceState | None = None


async def _or_lago_error(call: Awaitable[T]) -> T | LagoError:
    """Lago's answer, or its error as a value (the card page still shows)."""
    try:
        return await call
    except LagoError as exc:
        return exc


class CardReader:
    """The card list, one card's view with its verdict, and the audit log.

    Args:
        steve: the SteVe client (tags, transactions).
        lago: the Lago client (customer, subscriptions, events).
        store: the local store (card metadata, audit log, scan events).
        poller: the fallback when SteVe or Lago cannot be asked (its snapshot).
        clock: the injected clock.
    """

    def __init__(
        self,
        steve: SteveClient,
        lago: LagoClient,
        store: Store,
        poller: LivePoller,
        clock: Clock,
    ) -> None:
        self._steve = steve
        self._lago = lago
        self._store = store
        self._poller = poller
        self._clock = clock
        self.refused = RefusedTagReader(steve, clock)
        self._tap = TapEvidenceReader(steve, store, self.refused)

    def _poller_state(self, source: SourceName) -> SourceState:
        try:
            return self._poller.state(source)
        except (AttributeError, KeyError) as exc:
            log.debug("poller has no state for %s: %s", source, exc)
            return SourceState(source=source)

    def _snapshot_tags(self) -> tuple[list[OcppTag], datetime | None]:
        tags = list(self._poller.tags() or [])
        as_of = self._poller.tags_fetched_at or self._poller.fetched_at
        return tags, as_of

    async def _load_tags(self) -> _Tags:
        """All tags, live if SteVe answers, else the poller's last data."""
        now = self._clock.now()
        polled = self._poller_state(SourceName.STEVE)
        error: PolarisError | None = None
        if polled.state != ConnectionState.UNREACHABLE:
            try:
                tags = await self._steve.list_tags()
            except SteveError as exc:
                error = exc
                log.warning("card view: SteVe tags unavailable, using the snapshot: %s", exc)
            else:
                since = (
                    polled.since if polled.state == ConnectionState.LIVE and polled.since else now
                )
                state = SourceState(
                    source=SourceName.STEVE, state=ConnectionState.LIVE, last_ok=now, since=since
                )
                return _Tags(tags, "live", state, now)
        tags, as_of = self._snapshot_tags()
        state = polled.model_copy()
        if error is not None:
            state.state = (
                ConnectionState.UNREACHABLE
                if isinstance(error, SteveUnreachable)
                else ConnectionState.DEGRADED
            )
            state.error_title, state.error_message = error.title, error.message
            state.since = state.since if polled.state == state.state else now
        state.from_snapshot = True
        if as_of is not None:
            state.last_ok = state.last_ok or as_of
        source: triage.SteveSource = "snapshot" if as_of is not None else "none"
        return _Tags(tags, source, state, as_of, error)

    async def _meta_all(self) -> dict[str, CardMeta]:
        return await self._store.card_meta_all()

    def _lago_configured(self) -> bool:
        return self._lago.configured

    async def cards(self, query: str | None = None) -> list[CardRow]:
        """Every card, sorted by idTag; ``query`` filters by idTag or display name.

        SteVe's tags (live, else the poller's snapshot) joined with
        ``card_meta``; cards only the store knows have ``in_steve=False``.

        Raises:
            StoreError: the local store cannot be read.
        """
        loaded = await self._load_tags()
        meta = await self._meta_all()
        now = self._clock.now()
        by_id = loaded.by_id
        parents = {t.parent_id_tag for t in loaded.tags if t.parent_id_tag}
        rows: list[CardRow] = []
        for tag in loaded.tags:
            card_meta = meta.get(tag.id_tag)
            link = resolve_link(tag.id_tag, tag, by_id, meta)
            rows.append(
                CardRow(
                    id_tag=tag.id_tag,
                    display_name=card_meta.display_name if card_meta else None,
                    tag_type=card_meta.tag_type if card_meta else None,
                    active=card_meta.active if card_meta else True,
                    linked=link.customer_id is not None,
                    lago_customer_id=link.customer_id,
                    link_from_id_tag=link.from_id_tag,
                    blocked=tag.blocked or tag.max_active_transaction_count == 0,
                    expired=tag.is_expired(now),
                    parent_id_tag=tag.parent_id_tag,
                    in_transaction=tag.in_transaction,
                    is_meta=tag.id_tag in parents,
                    in_steve=True,
                )
            )
        for id_tag, card_meta in meta.items():
            if id_tag in by_id:
                continue
            rows.append(
                CardRow(
                    id_tag=id_tag,
                    display_name=card_meta.display_name,
                    tag_type=card_meta.tag_type,
                    active=card_meta.active,
                    linked=card_meta.lago_customer_id is not None,
                    lago_customer_id=card_meta.lago_customer_id,
                    link_from_id_tag=id_tag if card_meta.lago_customer_id else None,
                    in_steve=False,
                )
            )
        customers = {c.external_id: c for c in self._poller.customers()}
        for row in rows:
            customer = customers.get(row.lago_customer_id or "")
            if customer is not None:
                row.customer_name, row.customer_email = customer.display_name, customer.email
        rows.sort(key=lambda r: r.id_tag)
        if query:
            rows = [r for r in rows if matches(query, r)]
        return rows

    async def card(
        self, id_tag: str, *, tap_at: datetime | None = None, tap: TapQuery | None = None
    ) -> CardView:
        """Everything the card page shows, with the triage verdict.

        Args:
            id_tag: the card.
            tap_at: when the failing tap happened, if the operator knows
                (default: the last hour counts).
            tap: the operator's window and charger (wins over ``tap_at``).

        Raises:
            StoreError: the local store cannot be read (card metadata).
        """
        now = self._clock.now()
        loaded = await self._load_tags()
        meta_all = await self._meta_all()
        by_id = loaded.by_id
        tag = by_id.get(id_tag)
        meta = meta_all.get(id_tag)
        chain = card_family.parent_chain(tag, by_id, now, meta_all)
        children = card_family.children_of(id_tag, loaded.tags, now, meta_all)
        link = resolve_link(id_tag, tag, by_id, meta_all)

        window = tap or tap_window(now, tap_at)
        steve_down = None
        if loaded.source != "live":
            steve_down = loaded.error.title if loaded.error else "SteVe is unreachable"
        (transactions, recent_note), evidence, lago = await asyncio.gather(
            self._recent_transactions(id_tag, loaded),
            self._tap.gather(id_tag, window, steve_live=steve_down),
            self._lago_link(link.customer_id),
        )
        events = await self._sync_states(transactions or [])
        lago_state = self._lago_state(lago, events)

        verdict = triage.build_verdict(
            id_tag=id_tag,
            tag=tag,
            chain=chain,
            now=now,
            steve_source=loaded.source,
            data_as_of=loaded.as_of,
            meta=meta,
            link=link,
            customer=lago.customer,
            subscriptions=lago.subscriptions or [],
            lago=lago.outcome,
            lago_error=lago.error,
            intercepts=evidence.intercepts,
            store_error=evidence.store_error,
            transactions=evidence.transactions,
            transactions_note=evidence.transactions_note,
            window=window,
            refused=evidence.refused,
        )
        return CardView(
            id_tag=id_tag,
            tag=tag,
            meta=meta,
            is_meta=bool(children),
            parents=chain.parents,
            children=children,
            recent=[
                session_row(tx, events.get(tx.id), asked=tx.id in events)
                for tx in transactions or []
            ],
            customer=lago.customer,
            subscriptions=lago.subscriptions or [],
            intercepts=evidence.intercepts or [],
            verdict=verdict,
            steve_state=loaded.state,
            lago_state=lago_state,
            data_as_of=loaded.as_of,
            link_from_id_tag=link.from_id_tag,
            recent_available=transactions is not None,
            recent_note=recent_note,
            tap=window,
        )

    async def _recent_transactions(
        self, id_tag: str, loaded: _Tags
    ) -> tuple[list[Transaction] | None, str | None]:
        """The last sessions of this card (newest first), or None and why."""
        if loaded.source != "live":
            reason = loaded.error.title if loaded.error else "SteVe is unreachable"
            return None, f"{reason}: recent sessions cannot be fetched"
        if not QUERY_ID_TAG_RE.match(id_tag):
            return [], "SteVe cannot be queried for this idTag (characters outside its idTag rule)"
        try:
            found = await self._steve.list_transactions(id_tags=[id_tag])
        except SteveError as exc:
            log.warning("recent transactions of %s: %s", id_tag, exc)
            return None, f"{exc.title}: {exc.message}" if exc.message else exc.title
        found = sorted(
            (t for t in found if t.ocpp_id_tag == id_tag), key=lambda t: t.id, reverse=True
        )
        return found[:RECENT_LIMIT], None

    async def _lago_link(self, customer_id: str | None) -> _Lago:
        """The linked customer and its subscriptions, or why Lago could not say."""
        if customer_id is None:
            return _Lago("not_asked")
        if not self._lago_configured():
            return _Lago("not_asked", error="Lago is not configured")
        customer, subscriptions = await asyncio.gather(
            _or_lago_error(self._lago.customer(customer_id)),
            _or_lago_error(self._lago.subscriptions(customer_id)),
        )
        if isinstance(customer, LagoError):
            return self._lago_failed(customer_id, customer)
        if isinstance(subscriptions, LagoError):
            return self._lago_failed(customer_id, subscriptions)
        if customer is None:
            return _Lago("not_found", subscriptions=subscriptions)
        return _Lago("ok", customer=customer, subscriptions=subscriptions)

    def _lago_failed(self, customer_id: str, exc: LagoError) -> _Lago:
        log.warning("Lago link of %s: %s", customer_id, exc)
        unreachable = isinstance(exc, LagoUnreachable)
        return _Lago(
            "unreachable",
            error=str(exc),
            state=SourceState(
                source=SourceName.LAGO,
                state=ConnectionState.UNREACHABLE if unreachable else ConnectionState.DEGRADED,
                since=self._clock.now(),
                last_ok=self._poller_state(SourceName.LAGO).last_ok,
                error_title=exc.title,
                error_message=exc.message,
            ),
        )

    async def _sync_states(self, transactions: list[Transaction]) -> dict[int, SyncAnswer]:
        """Lago's ``steve_tx_<id>_final`` event of each finished session."""
        finished = [t for t in transactions if not t.active]
        if not finished or not self._lago_configured():
            return {}

        answers = await asyncio.gather(
            *(_or_lago_error(self._lago.event(f"steve_tx_{t.id}_final")) for t in finished)
        )
        return {tx.id: answer for tx, answer in zip(finished, answers, strict=True)}

    def _lago_state(self, lago: _Lago, events: Mapping[int, SyncAnswer]) -> SourceState:
        """Lago's health as this view met it (the poller's when Lago was not asked)."""
        if lago.state is not None:
            return lago.state
        now = self._clock.now()
        errors = [e for e in events.values() if isinstance(e, LagoError)]
        answered = lago.outcome in ("ok", "not_found") or len(errors) < len(events)
        if errors:
            worst = errors[0]
            down = not answered and isinstance(worst, LagoUnreachable)
            return SourceState(
                source=SourceName.LAGO,
                state=ConnectionState.UNREACHABLE if down else ConnectionState.DEGRADED,
                since=now,
                last_ok=now if answered else self._poller_state(SourceName.LAGO).last_ok,
                error_title=worst.title,
                error_message=worst.message,
            )
        if answered:
            return SourceState(
                source=SourceName.LAGO, state=ConnectionState.LIVE, last_ok=now, since=now
            )
        return self._poller_state(SourceName.LAGO)

    async def audit_log(self, id_tag: str | None = None, limit: int = 200) -> list[AuditEntry]:
        """Card edits and reverts, newest first (optionally of one card)."""
        return await self._store.audit_entries(id_tag=id_tag, limit=limit)


__all__ = ["CardReader", "matches"]
