"""The evidence about one failing tap, for the triage's third and fourth answers.

Given the operator's window and place (``TapQuery``), three reads run side
by side: SteVe's sessions of this card that started in the window (its
transaction query with ``FROM_TO`` and ``chargeBoxId``, so a card with years
of sessions stays one small answer), the store's scan-to-login intercepts
of this card, and SteVe's unknown-tag list. Each comes back as data or as
the reason it is missing; nothing here raises.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from polaris_tui.models import ScanEvent, Transaction
from polaris_tui.models.errors import SteveError, StoreError
from polaris_tui.models.identity import RefusedTags, TapQuery
from polaris_tui.services.refused_tags import RefusedTagReader
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.store import Store

log = logging.getLogger(__name__)

INTERCEPT_LIMIT = 20

QUERY_ID_TAG_RE = re.compile(r"^[a-zA-Z0-9.:_#-]{1,40}$")
"""SteVe's rule for ``ocppIdTag`` in a transaction query."""
QUERY_CHARGER_RE = re.compile(r"^[^=/()<>\s](?:[^=/()<>]*[^=/()<>\s])?$")
"""SteVe's rule for ``chargeBoxId`` (no surrounding whitespace)."""


@dataclass
class TapEvidence:
    transactions: list[Transaction] | None
    transactions_note: str | None
    intercepts: list[ScanEvent] | None
    store_error: str | None
    refused: RefusedTags


class TapEvidenceReader:
    """Reads the three sources for one card and one window."""

    def __init__(self, steve: SteveClient, store: Store, refused: RefusedTagReader) -> None:
        self._steve = steve
        self._store = store
        self._refused = refused

    async def gather(self, id_tag: str, window: TapQuery, *, steve_live: str | None) -> TapEvidence:
        """``steve_live`` None when SteVe answers, else why it cannot be asked."""
        (transactions, note), (intercepts, store_error), refused = await asyncio.gather(
            self._sessions(id_tag, window, steve_live),
            self.intercepts(id_tag),
            self._refused_or_down(steve_live),
        )
        return TapEvidence(transactions, note, intercepts, store_error, refused)

    async def _refused_or_down(self, steve_down: str | None) -> RefusedTags:
        if steve_down is not None:
            return RefusedTags(available=False, note=steve_down)
        return await self._refused.refused_tags()

    async def _sessions(
        self, id_tag: str, window: TapQuery, steve_down: str | None
    ) -> tuple[list[Transaction] | None, str | None]:
        if steve_down is not None:
            return None, f"{steve_down}: the sessions in the window cannot be fetched"
        if not QUERY_ID_TAG_RE.match(id_tag):
            return (
                None,
                "SteVe cannot be queried for this idTag (characters outside its idTag rule)",
            )
        chargers: list[str] = []
        if window.charge_box_id:
            if not QUERY_CHARGER_RE.match(window.charge_box_id):
                return None, f"SteVe cannot be queried for charger {window.charge_box_id!r}"
            chargers = [window.charge_box_id]
        try:
            found = await self._steve.list_transactions(
                id_tags=[id_tag], charge_box_ids=chargers, from_=window.start, to=window.end
            )
        except SteveError as exc:
            log.warning("sessions of %s in the tap window: %s", id_tag, exc)
            return None, f"{exc.title}: {exc.message}" if exc.message else exc.title
        return [t for t in found if t.ocpp_id_tag == id_tag], None

    async def intercepts(self, id_tag: str) -> tuple[list[ScanEvent] | None, str | None]:
        try:
            return await self._store.scan_events(id_tag=id_tag, limit=INTERCEPT_LIMIT), None
        except StoreError as exc:
            log.warning("scan events of %s unreadable: %s", id_tag, exc)
            return None, str(exc)


__all__ = ["QUERY_ID_TAG_RE", "TapEvidence", "TapEvidenceReader"]
