"""The service contract's cards part: ``CardsApi`` and ``IdentityApi``.

Kept beside ``contract.py`` (which names them in ``ServicesApi``) so that
file stays under its size budget.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from polaris_tui.models import AuditEntry, CardEdit, CardRow, CardView
from polaris_tui.models.identity import ChargerIdentity, RefusedTags, TapQuery


class CardsApi(Protocol):
    """Cards, triage and audited card edits (``CardService``)."""

    async def cards(self, query: str | None = None) -> list[CardRow]:
        """Every card, sorted by idTag; ``query`` filters by idTag or display name.

        SteVe's tags (the snapshot when SteVe is down) joined with the local
        card metadata. Cards only the store knows have ``in_steve=False``;
        ``link_from_id_tag`` says whose metadata holds an inherited link.

        Raises:
            StoreError: the store cannot be read.
        """
        ...

    async def card(
        self, id_tag: str, *, tap_at: datetime | None = None, tap: TapQuery | None = None
    ) -> CardView:
        """Everything the card page shows, with the triage verdict.

        SteVe record, parent chain, children, the last 10 transactions with
        their Lago sync state, link and subscriptions, intercepts. Works from
        the snapshot when SteVe is unreachable (``steve_state``,
        ``data_as_of``, ``recent_available=False`` with ``recent_note``), and
        never raises for Lago being down (``lago_state`` says so).

        Args:
            id_tag: the card.
            tap_at: when the failing tap happened, if known (default: the
                last hour counts for the intercept and accept answers).
            tap: the operator's window and charger (``services/tap_query``);
                wins over ``tap_at``. ``CardView.tap`` says which was used.

        Raises:
            StoreError: the store cannot be read.
        """
        ...

    async def edit(self, id_tag: str, edit: CardEdit) -> AuditEntry:
        """Apply one edit, audit row first, then SteVe's PUT with every field kept.

        Returns:
            The audit entry, ``applied`` or ``failed`` with the reason (a
            failure at SteVe is returned, not raised).

        Raises:
            PermissionDenied: the operator is a viewer.
            InvalidParams: a bad value, a no-op, or an edit that would
                un-expire an expired card as a side effect; nothing written.
            NotFound: a SteVe edit of a card SteVe does not know.
            SteveError, LagoError: the card (or the new Lago customer) could
                not be read first; nothing written.
        """
        ...

    async def audit_log(self, id_tag: str | None = None, limit: int = 200) -> list[AuditEntry]:
        """Card edits and reverts, newest first (optionally of one card).

        Raises:
            StoreError: the store cannot be read.
        """
        ...

    async def revert(self, audit_id: int) -> AuditEntry:
        """Restore only the fields an applied edit touched; audited itself.

        The revert row has ``reverts`` = the original id, and the original
        gets ``reverted_by``.

        Raises:
            PermissionDenied: the operator is a viewer.
            NotFound: no such audit entry.
            RevertRefused: not applied, already reverted, the card changed
                since, or the earlier state cannot be restored exactly.
        """
        ...

    async def refused_tags(self) -> RefusedTags:
        """SteVe's "Unknown Tags": idTags it answered Invalid, with attempts
        and the last one (no charger: SteVe keeps none). Never raises: a
        missing web password or an unreadable page is ``available=False``
        with a ``note``."""
        ...


class IdentityApi(Protocol):
    """A charger's identity: ``IdentityService`` (``services/charger_identity.py``)."""

    async def identity(self, charge_box_id: str) -> ChargerIdentity:
        """Vendor, model, serial numbers, firmware, OCPP protocol, registration
        status, last boot, endpoint and the pre-authorize hook, each with its
        source (REST, manager page, store) or why it is unknown. Never raises
        for a missing or odd page."""
        ...


__all__ = ["CardsApi", "IdentityApi"]
