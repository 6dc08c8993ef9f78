"""The fleet filter's search: which chargers a query names, fast at any size.

A filter keystroke at 10,000 chargers must cost a few milliseconds, so:

* each row's ChargeBox ID and description are casefolded once into one
  search text, kept while the row's description stays the same (a poll
  rebuilds the rows, it rarely renames them);
* a query that extends the previous one (typing one more character) only
  searches the previous matches: whatever contains the longer text contains
  the shorter one, in every field searched;
* idTags are searched through the open sessions, customers through the
  open sessions and those seen ending in the last day.

Pure data work (no Textual): the screen runs it on the UI thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from polaris_tui.models import CardMeta, ChargerRow, LagoCustomer, OcppTag, Transaction
from polaris_tui.services.card_links import customer_id_of


@dataclass(frozen=True)
class SessionData:
    """What the idTag and customer matches read (the poller's current lists)."""

    transactions: Iterable[Transaction]
    customers: Iterable[LagoCustomer]
    card_meta: Mapping[str, CardMeta]
    tags: Iterable[OcppTag]
    closed: Iterable[Transaction] = ()
    """Sessions seen ending in the last day: a customer still finds the charger."""


class FleetSearch:
    """Search texts per charger and the last query's matches."""

    def __init__(self) -> None:
        self._texts: dict[str, tuple[str | None, str]] = {}
        """ChargeBox ID -> (the description it was built from, the search text)."""
        self._rows: Mapping[str, ChargerRow] | None = None
        """The rows ``_texts`` was brought up to date with (by identity)."""
        self._last: tuple[str, frozenset[str]] | None = None
        """(needle, matches) of the last query on these rows and sessions."""
        self._sessions_seen: object = None

    def keys(self, needle: str, rows: Mapping[str, ChargerRow], sessions: SessionData) -> set[str]:
        """ChargeBox IDs whose ID or description contains ``needle`` (already
        casefolded, not empty), or whose open session's idTag or customer
        (e-mail or name) does."""
        texts = self._texts_for(rows)
        if self._sessions_seen is not sessions.transactions:
            self._sessions_seen, self._last = sessions.transactions, None
        last = self._last
        candidates: Iterable[str] = texts
        if last is not None and last[0] in needle:
            candidates = last[1]  # a longer query: only the previous matches can match
        hits = {key for key in candidates if needle in texts[key][1]}
        hits |= self._session_hits(needle, sessions).intersection(texts)
        self._last = (needle, frozenset(hits))
        return hits

    def _texts_for(self, rows: Mapping[str, ChargerRow]) -> dict[str, tuple[str | None, str]]:
        if rows is self._rows:
            return self._texts
        old = self._texts
        texts: dict[str, tuple[str | None, str]] = {}
        for key, row in rows.items():
            known = old.get(key)
            description = row.description
            if known is not None and known[0] == description:
                texts[key] = known
            else:
                texts[key] = (description, f"{key}\n{description or ''}".casefold())
        self._texts, self._rows, self._last = texts, rows, None
        return texts

    @staticmethod
    def _session_hits(needle: str, sessions: SessionData) -> set[str]:
        """Chargers whose open session's idTag, or its customer, matches."""
        transactions = list(sessions.transactions)
        hits = {tx.charge_box_id for tx in transactions if needle in tx.ocpp_id_tag.casefold()}
        customers = {
            c.external_id
            for c in sessions.customers
            if needle in (c.email or "").casefold() or needle in c.display_name.casefold()
        }
        if customers:
            tags_by_id = {t.id_tag: t for t in sessions.tags}
            for tx in [*transactions, *sessions.closed]:
                if customer_id_of(tx.ocpp_id_tag, sessions.card_meta, tags_by_id) in customers:
                    hits.add(tx.charge_box_id)
        return hits
