"""The operations part of the service contract (``OperationsApi``), apart
so that ``contract.py`` stays readable; the rules in ``contract``'s
docstring hold here too, and ``contract`` re-exports it."""

from __future__ import annotations

from typing import Protocol

from polaris_tui.models import OperationLogEntry, OperationStatus
from polaris_tui.models.confirmation import CloseReadiness, OperationPreview
from polaris_tui.services.concurrent_ops import ConcurrentOperation

__all__ = ["OperationsApi"]


class OperationsApi(Protocol):
    """Remote operations, audited before anything is sent (``OperationService``).

    The allowed names and one params model each are in
    ``polaris_tui.models.operations`` (``ALLOWED_OPERATIONS``,
    ``OPERATION_PARAMS``); field names are SteVe's camelCase body names, and
    ``chargeBoxIdList`` is added by the service. After a submitted
    RemoteStopTransaction a watcher follows the transaction: ``followup`` goes
    ``watching`` → ``closed``, ``closed_after_unlock``, ``closed_in_database``
    or ``still_open`` (``OperationChanged`` each time). An Unlock or a
    database-only close after a stop ``follows`` it: one chain in the log.
    """

    async def concurrent(
        self, charge_box_id: str, params: dict[str, object] | None
    ) -> ConcurrentOperation | None:
        """Another operator's recent live operation on this charger and
        transaction (for the stop confirmation), or None."""
        ...

    async def prepare(
        self, charge_box_id: str, operation: str, params: dict[str, object] | None
    ) -> OperationPreview:
        """What the operator confirms before a live send, with its ``token``.

        Reads SteVe, never sends.

        Raises:
            OperationNotAllowed, UnmanagedCharger, PermissionDenied,
            InvalidParams: as ``submit``.
            StaleTransaction: a RemoteStop's transaction is not the open session.
        """
        ...

    async def submit(
        self,
        charge_box_id: str,
        operation: str,
        params: dict[str, object] | None,
        *,
        dry_run: bool,
        request_id: str,
        confirmation: str | None = None,
        override_concurrent: bool = False,
    ) -> OperationLogEntry:
        """Validate, record and commit the row, then (unless ``dry_run``) send it.
        ``override_concurrent``: send a second live RemoteStop although another
        operator's stop of the transaction is recent (the operator confirmed).

        A live send needs ``confirmation``: the ``token`` of the preview
        (``prepare``) the operator confirmed for exactly these params.

        Returns:
            The log row: ``dry_run``, ``submitted`` (SteVe took it) or
            ``failed`` (``error_title``/``error_message``). SteVe failures are
            returned as a failed row, not raised.

        Raises:
            OperationNotAllowed: a name outside the allowlist.
            UnmanagedCharger: the charger is known only locally.
            PermissionDenied: the operator is a viewer (dry runs included).
            InvalidParams: bad params (``field_errors``); nothing written.
            ConfirmationRequired: a live send without the preview's token.
            StaleTransaction: a live RemoteStop of a transaction that is not
                the charger's open session (nothing written).
            DuplicateSubmit: this ``request_id`` was already recorded (one
                request per press), or the same operation is still pending.
            StoreError: the store could not record it; nothing sent.
        """
        ...

    async def close_readiness(self, charge_box_id: str, transaction_id: int) -> CloseReadiness:
        """Whether the database-only close is allowed now, with its dialog's facts.

        Raises:
            PolarisError: SteVe could not be asked about the transaction.
        """
        ...

    async def close_in_database(
        self, charge_box_id: str, transaction_id: int, *, request_id: str, typed: str = ""
    ) -> OperationLogEntry:
        """Close a zombie session in SteVe's database only (``PATCH /transactions/{id}/stop``).

        The last resort: admin only, ``typed`` must be the transaction id, and
        ``close_readiness`` must allow it. Logged as ``DatabaseStopTransaction``
        following the stop (or unlock) it ends. The transaction must exist,
        belong to this charger and still be open, or the row is ``failed``
        with the reason and nothing is closed.

        Raises:
            UnmanagedCharger, PermissionDenied, InvalidParams, DuplicateSubmit,
            StoreError: as ``submit``.
            ConfirmationRequired: ``typed`` is not the transaction id.
            LastResortRefused: the guard is not met (nothing written).
        """
        ...

    async def settle(self, charge_box_id: str) -> list[OperationLogEntry]:
        """Move ``still_open`` follow-ups on when their session closed since.

        Returns the rows changed; a SteVe failure leaves a row as it was.
        """
        ...

    async def way_back(self, entry: OperationLogEntry) -> tuple[str, int] | None:
        """(idTag, connector) of the session a closed RemoteStop ended, for a
        RemoteStart; None when ``entry`` is not such a stop or SteVe cannot tell."""
        ...

    async def chain(self, op_id: int) -> list[OperationLogEntry]:
        """The chain an operation belongs to, oldest first."""
        ...

    async def recent(
        self,
        *,
        charge_box_id: str | None = None,
        requested_by: str | None = None,
        status: OperationStatus | str | None = None,
        limit: int = 100,
    ) -> list[OperationLogEntry]:
        """Operation log rows, newest first, optionally filtered.

        Raises:
            StoreError: the store cannot be read.
        """
        ...
