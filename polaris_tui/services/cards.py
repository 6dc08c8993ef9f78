"""``CardService``: the cards part of the service contract, in two rooms.

Reads (the card list, the card view with its verdict, the audit log) live in
``card_reads.py``, audited edits in ``card_edits.py`` and reverts in
``card_revert.py``. This class only wires them to the same clients, store
and clock, so screens keep one ``services.cards`` (``CardsApi`` in
``contract.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from polaris_tui.models import (
    AuditEntry,
    CardEdit,
    CardRow,
    CardView,
    Operator,
    ServiceEvent,
)
from polaris_tui.models.errors import RevertRefused
from polaris_tui.models.identity import RefusedTags, TapQuery
from polaris_tui.services.card_edits import CardEditor, steve_state, tag_form
from polaris_tui.services.card_reads import CardReader
from polaris_tui.services.card_revert import CardReverter
from polaris_tui.services.clock import Clock
from polaris_tui.services.lago_client import LagoClient
from polaris_tui.services.poller import LivePoller
from polaris_tui.services.settings import Settings
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.store import Store


class CardService:
    """Card list, card view + verdict, audited edits and reverts.

    Args:
        steve: the SteVe client.
        lago: the Lago client.
        store: the local store (card metadata, audit log, scan events).
        poller: the fallback when SteVe or Lago cannot be asked.
        clock: the injected clock.
        settings: the settings (unused today; kept for thresholds).
        operator: who edits (admin only).
        publish: the event bus; edits are published as ``CardChanged``.
    """

    def __init__(
        self,
        steve: SteveClient,
        lago: LagoClient,
        store: Store,
        poller: LivePoller,
        clock: Clock,
        settings: Settings,
        operator: Operator,
        publish: Callable[[ServiceEvent], None] | None = None,
    ) -> None:
        self._settings = settings
        self.reads = CardReader(steve, lago, store, poller, clock)
        self.edits = CardEditor(steve, lago, store, clock, operator, publish)
        self.reverts = CardReverter(steve, lago, store, clock, operator, publish)

    async def cards(self, query: str | None = None) -> list[CardRow]:
        """Every card, sorted by idTag (``CardsApi.cards``)."""
        return await self.reads.cards(query)

    async def card(
        self, id_tag: str, *, tap_at: datetime | None = None, tap: TapQuery | None = None
    ) -> CardView:
        """Everything the card page shows, with the verdict (``CardsApi.card``)."""
        return await self.reads.card(id_tag, tap_at=tap_at, tap=tap)

    async def refused_tags(self) -> RefusedTags:
        """SteVe's unknown-tag list, or why it is missing (``CardsApi.refused_tags``)."""
        return await self.reads.refused.refused_tags()

    async def audit_log(self, id_tag: str | None = None, limit: int = 200) -> list[AuditEntry]:
        """Card edits and reverts, newest first (``CardsApi.audit_log``)."""
        return await self.reads.audit_log(id_tag, limit)

    async def edit(self, id_tag: str, edit: CardEdit) -> AuditEntry:
        """Apply one edit, audit first (``CardsApi.edit``)."""
        return await self.edits.edit(id_tag, edit)

    async def revert(self, audit_id: int) -> AuditEntry:
        """Restore what an applied edit changed, audited (``CardsApi.revert``)."""
        return await self.reverts.revert(audit_id)


__all__ = ["CardService", "RevertRefused", "steve_state", "tag_form"]
