"""The service contract's sessions part: ``SessionsApi`` and ``CustomersApi``.

Kept beside ``contract.py`` (which names them in ``ServicesApi``) so that
file stays one screen of protocols per outside concern.
"""

from __future__ import annotations

from typing import Protocol

from polaris_tui.models import LagoCustomer
from polaris_tui.models.sessions import CustomerView, SessionDetail, SessionPage, SessionQuery


class SessionsApi(Protocol):
    """Charging sessions: ``SessionService`` (``services/sessions.py``)."""

    async def sessions(self, query: SessionQuery) -> SessionPage:
        """Open sessions and one window of finished ones (SteVe has no paging),
        newest first, with what was searched and, when nothing matched, why.

        Raises:
            SteveError: SteVe could not be asked.
        """
        ...

    async def session(self, transaction_id: int) -> SessionDetail:
        """One session: meter curve, operations that touched it, its billing.

        Raises:
            SteveNotFound: no such transaction.
            SteveError: SteVe could not be asked.
        """
        ...


class CustomersApi(Protocol):
    """A customer's page: ``CustomerService`` (``services/customers.py``)."""

    def known(self) -> list[LagoCustomer]:
        """(sync) The customers of the last Lago poll (for the palette)."""
        ...

    async def customer(self, text: str) -> CustomerView:
        """The Lago customer ``text`` names (e-mail, name or external id), with
        subscriptions, linked cards and their verdicts, sessions and operations;
        or the matches to pick from, or why none matched (``note``).

        Raises:
            StoreError: the card metadata cannot be read.
        """
        ...


__all__ = ["CustomersApi", "SessionsApi"]
