"""Remote operations, audit first (DESIGN.md "Operations: audit first").

Every OCPP operation Polaris sends goes through ``OperationService.submit``,
in this order, so that nothing reaches SteVe without a committed record of
who asked for what:

1. the name must be in ``ALLOWED_OPERATIONS`` (destructive operations such
   as Reset are never sent from here);
2. the charger must be managed (a charger only in the local inventory does
   not speak OCPP);
3. the operator must be an admin (viewers may look, never submit);
4. the params must validate against the operation's pydantic model (a bad
   param is a field error; nothing is written or sent);
5. the ``charger_operation_log`` row is written and committed (``dry_run``
   or ``pending``); the store refuses a repeated ``request_id`` (one request
   per press) and an identical operation still pending;
6. only then SteVe is called (never for a dry run), and the row moves to
   ``submitted`` (SteVe took it: taskId and the station's answer recorded,
   with a plain ``result["summary"]`` and ``result["outcome"]``) or
   ``failed`` (SteVe refused or could not be reached: ``error_title`` and
   ``error_message``). A submission during an outage fails; it is never
   queued.

After a submitted RemoteStopTransaction a watcher (``stop_watcher``)
follows the transaction until it closes or the follow-up time passes. The
allowlist and params models are in ``polaris_tui.models.operations``, the
reading of SteVe's envelope in ``operation_envelope``.

``close_in_database`` is the guarded, audited database-only close of a
zombie session (``PATCH /transactions/{id}/stop``): nothing is sent to the
station.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from polaris_tui.models import (
    OperationLogEntry,
    OperationStatus,
)
from polaris_tui.models.errors import (
    AnotherOperatorActing,
    InvalidParams,
)
from polaris_tui.models.operations import (
    ALLOWED_OPERATIONS,
    DATABASE_STOP,
    FORBIDDEN_OPERATIONS,
    OPERATION_PARAMS,
    OperationParams,
    not_allowed,
    validate_params,
)
from polaris_tui.services.concurrent_ops import (
    GUARDED_OPERATIONS,
    ConcurrentOperation,
    find_concurrent,
    pick_concurrent,
)
from polaris_tui.services.database_close import close_checked
from polaris_tui.services.operation_envelope import classify_envelope
from polaris_tui.services.operation_sending import OperationSender

log = logging.getLogger(__name__)


class OperationService(OperationSender):
    """The one entry point for remote operations (see the module docstring).

    Args:
        steve: the SteVe client (``operation``, ``transaction_details``,
            ``stop_transaction_in_db``).
        store: the local ``Store``.
        clock: injected time.
        settings: ``Settings`` (``poll.stop_followup_seconds``, secrets).
        operator: who is pressing the buttons.
        is_managed: sync check "is this charger in SteVe" (from the fleet).
        publish: event bus (``OperationChanged``).
        watch_interval: seconds between checks of a stopped transaction.
    """

    # -- public API ---------------------------------------------------------

    @staticmethod
    def params_model(operation: str) -> type[OperationParams]:
        """The params model of an allowed operation (for building forms).

        Raises:
            OperationNotAllowed: not in the allowlist.
        """
        model = OPERATION_PARAMS.get(operation)
        if model is None:
            raise not_allowed(operation)
        return model

    async def submit(
        self,
        charge_box_id: str,
        operation: str,
        params: dict[str, Any] | None,
        *,
        dry_run: bool,
        request_id: str,
        override_concurrent: bool = False,
    ) -> OperationLogEntry:
        """Validate, record, then (unless ``dry_run``) send one operation.

        ``override_concurrent``: the operator confirmed sending a second
        RemoteStopTransaction although another operator sent one for the
        same transaction inside the follow-up window (``concurrent``).

        Returns:
            The log row: ``dry_run``, ``submitted`` (SteVe took it; see
            ``result["outcome"]``/``["summary"]``) or ``failed`` (the reason in
            ``error_title``/``error_message``). SteVe failures are returned,
            not raised.

        Raises:
            OperationNotAllowed, UnmanagedCharger, PermissionDenied,
            InvalidParams: refused before anything is written.
            DuplicateSubmit: this press (``request_id``) was already recorded,
                or the same operation is still pending.
            AnotherOperatorActing: another operator's RemoteStop for this
                transaction is recent (without ``override_concurrent``).
            StoreError: the local store could not record it (nothing sent).
        """
        if operation not in ALLOWED_OPERATIONS:
            raise not_allowed(operation)
        await self._check_managed(charge_box_id)
        self._check_role()
        body = validate_params(operation, params, now=self._clock.now())
        self._check_request_id(request_id)
        guard = None
        if not dry_run and not override_concurrent and operation in GUARDED_OPERATIONS:
            # Checked in the write that records the row: two consoles pressing
            # at the same instant cannot both pass.
            def guard(live: list[OperationLogEntry]) -> None:
                self._refuse_concurrent_stop(live, charge_box_id, operation, body)

        entry = await self._store.insert_operation(
            charge_box_id=charge_box_id,
            operation=operation,
            params=body,
            requested_by=self.operator.name,
            dry_run=dry_run,
            request_id=request_id,
            guard=guard,
        )
        self._publish(entry)
        if dry_run:
            log.info("dry run #%d %s on %s", entry.id, operation, charge_box_id)
            return entry
        return await self._send(entry, operation, {**body, "chargeBoxIdList": [charge_box_id]})

    async def close_in_database(
        self, charge_box_id: str, transaction_id: int, *, request_id: str
    ) -> OperationLogEntry:
        """Close a zombie session in SteVe's database only (nothing reaches the
        station), audited like every operation (``DatabaseStopTransaction``).

        Guards: admin only; managed charger; the transaction must exist in
        SteVe, belong to this charger and still be open — otherwise the row
        is ``failed`` with the reason and nothing is closed.

        Raises:
            UnmanagedCharger, PermissionDenied, InvalidParams, DuplicateSubmit,
            StoreError: as ``submit``.
        """
        await self._check_managed(charge_box_id)
        self._check_role()
        if (
            isinstance(transaction_id, bool)
            or not isinstance(transaction_id, int)
            or transaction_id <= 0
        ):
            raise InvalidParams({"transactionId": "must be a transaction id greater than 0"})
        self._check_request_id(request_id)
        entry = await self._store.insert_operation(
            charge_box_id=charge_box_id,
            operation=DATABASE_STOP,
            params={"transactionId": transaction_id},
            requested_by=self.operator.name,
            dry_run=False,
            request_id=request_id,
        )
        self._publish(entry)
        try:
            entry = await close_checked(
                self._steve,
                self._store,
                entry,
                charge_box_id,
                transaction_id,
                operator_name=self.operator.name,
                fail=self._finish_failed_quiet,
            )
        except asyncio.CancelledError:
            await self._interrupt(entry)
            raise
        self._publish(entry)
        return entry

    async def concurrent(
        self, charge_box_id: str, params: dict[str, Any] | None
    ) -> ConcurrentOperation | None:
        """Another operator's pending or submitted operation on this charger
        (and transaction) inside the follow-up window, for the confirmation."""
        return await find_concurrent(
            self._store,
            charge_box_id=charge_box_id,
            params=params,
            operator_name=self.operator.name,
            now=self._clock.now(),
            window_seconds=self._settings.poll.stop_followup_seconds,
        )

    def _refuse_concurrent_stop(
        self,
        live: list[OperationLogEntry],
        charge_box_id: str,
        operation: str,
        body: dict[str, Any],
    ) -> None:
        other = pick_concurrent(
            [e for e in live if e.charge_box_id == charge_box_id],
            params=body,
            operator_name=self.operator.name,
            now=self._clock.now(),
            window_seconds=self._settings.poll.stop_followup_seconds,
        )
        if other is not None and other.entry.operation == operation:
            raise AnotherOperatorActing(
                f"{other.describe()} Not sent: confirm a second stop explicitly to send it."
            )

    async def recent(
        self,
        *,
        charge_box_id: str | None = None,
        requested_by: str | None = None,
        status: OperationStatus | str | None = None,
        limit: int = 100,
    ) -> list[OperationLogEntry]:
        """Operation log rows, newest first."""
        return await self._store.recent_operations(
            charge_box_id=charge_box_id, requested_by=requested_by, status=status, limit=limit
        )

    @property
    def watch_interval(self) -> float:
        """Seconds between checks of a stopped transaction."""
        return self._watcher.interval

    @watch_interval.setter
    def watch_interval(self, seconds: float) -> None:
        self._watcher.interval = seconds

    async def resume_watchers(self) -> list[int]:
        """Take over RemoteStop followups whose watching process died."""
        return await self._watcher.resume()

    def watcher(self, op_id: int) -> asyncio.Task[OperationLogEntry] | None:
        """The running followup task of an operation, if any (tests await it)."""
        return self._watcher.task(op_id)

    async def close(self) -> None:
        """Cancel every watcher (their rows stay ``watching`` for the next start)."""
        await self._watcher.close()


__all__ = [
    "ALLOWED_OPERATIONS",
    "FORBIDDEN_OPERATIONS",
    "OPERATION_PARAMS",
    "OperationService",
    "classify_envelope",
    "validate_params",
]
