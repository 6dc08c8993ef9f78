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

A live (not dry-run) send needs the operator's confirmation: ``prepare``
returns the facts the dialog shows with a token, and ``submit`` refuses a
live send without the token of exactly these params
(``ConfirmationRequired``). A live RemoteStop whose transaction is not the
charger's open session is refused with SteVe's facts (``StaleTransaction``)
in ``prepare`` and again in ``submit``, before the row is written: like a
bad param, a refused stale stop writes nothing (the audit records what was
sent or tried at SteVe, and this never reaches it). If SteVe cannot be
asked, the row is written and the send records the failure as usual.

The follow-up chain (an Unlock continuing a RemoteStop), the way back and
``close_in_database``, the guarded database-only close of a zombie
session, are in ``operation_followups``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from polaris_tui.models import (
    OperationLogEntry,
    OperationStatus,
)
from polaris_tui.models.confirmation import OperationPreview
from polaris_tui.models.errors import (
    AnotherOperatorActing,
    ConfirmationRequired,
    PolarisError,
)
from polaris_tui.models.operations import (
    ALLOWED_OPERATIONS,
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
from polaris_tui.services.operation_envelope import classify_envelope
from polaris_tui.services.operation_followups import OperationFollowups
from polaris_tui.services.operation_preview import card_facts, effect_of

log = logging.getLogger(__name__)


class OperationService(OperationFollowups):
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
        poller: the live poller (charger status, cards, customers) for the
            confirmation's facts; optional (facts are then fewer).
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

    async def prepare(
        self, charge_box_id: str, operation: str, params: dict[str, Any] | None
    ) -> OperationPreview:
        """What the operator confirms before a live send, with its token.

        Reads SteVe (never sends): a RemoteStop's transaction must be this
        charger's open session.

        Raises:
            OperationNotAllowed, UnmanagedCharger, PermissionDenied,
            InvalidParams: as ``submit``.
            StaleTransaction: the RemoteStop's transaction is not the open
                session (the message says what SteVe knows about it).
        """
        if operation not in ALLOWED_OPERATIONS:
            raise not_allowed(operation)
        await self._check_managed(charge_box_id)
        self._check_role()
        body = validate_params(operation, params, now=self._clock.now())
        connector = body.get("connectorId")
        id_tag = body.get("idTag")
        tx_id = body.get("transactionId") if operation == "RemoteStopTransaction" else None
        if tx_id is not None:
            tx = await self._check_stale(charge_box_id, int(tx_id))
            if tx is not None:
                connector, id_tag = tx.connector_id, tx.ocpp_id_tag
        row = self._poller.row(charge_box_id) if self._poller is not None else None
        if operation == "UnlockConnector" and row is not None:
            for session in [row.open_session] if row.open_session else []:
                if session.transaction.connector_id == connector:
                    tx_id, id_tag = session.transaction.id, session.transaction.ocpp_id_tag
        card_name, customer = card_facts(self._poller, id_tag)
        effect, undo, default_no = effect_of(operation, body, connector, tx_id)
        state = None
        if row is not None and row.liveness.value in ("offline", "stale", "unknown"):
            state = f"The charger is {row.liveness.value}: SteVe may not be able to deliver this."
        return OperationPreview(
            charge_box_id=charge_box_id,
            operation=operation,
            params=body,
            connector_id=connector,
            id_tag=id_tag,
            card_name=card_name,
            customer=customer,
            transaction_id=tx_id,
            charger_state=state,
            effect=effect,
            undo=undo,
            default_no=default_no,
            concurrent=await self._concurrent_sentence(charge_box_id, body),
            token=self._signer.token(charge_box_id, operation, body),
        )

    async def submit(
        self,
        charge_box_id: str,
        operation: str,
        params: dict[str, Any] | None,
        *,
        dry_run: bool,
        request_id: str,
        confirmation: str | None = None,
        override_concurrent: bool = False,
    ) -> OperationLogEntry:
        """Validate, record, then (unless ``dry_run``) send one operation.

        Args:
            confirmation: for a live send, the ``token`` of the
                ``OperationPreview`` the operator confirmed (``prepare``).
            override_concurrent: the operator confirmed sending a second
                RemoteStopTransaction although another operator sent one for
                the same transaction inside the follow-up window
                (``concurrent``).

        Returns:
            The log row: ``dry_run``, ``submitted`` (SteVe took it; see
            ``result["outcome"]``/``["summary"]``) or ``failed`` (the reason in
            ``error_title``/``error_message``). SteVe failures are returned,
            not raised.

        Raises:
            OperationNotAllowed, UnmanagedCharger, PermissionDenied,
            InvalidParams: refused before anything is written.
            ConfirmationRequired: a live send without the token of these params.
            StaleTransaction: a live RemoteStop of a transaction that is not
                this charger's open session (nothing written).
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
        follows: int | None = None
        guard = None
        if not dry_run:
            if not self._signer.check(confirmation, charge_box_id, operation, body):
                raise ConfirmationRequired(
                    f"{operation} on {charge_box_id} was not confirmed with these parameters; "
                    "nothing was sent. Review it and confirm again."
                )
            if not override_concurrent and operation in GUARDED_OPERATIONS:
                # Another operator's stop is the likelier reason a session is
                # gone: name it before SteVe's "not the open session". This
                # read only picks the clearer message; the guard below,
                # checked in the write that records the row, is what keeps
                # two consoles pressing at the same instant from both passing.
                self._refuse_concurrent(await self.concurrent(charge_box_id, body), operation)

                def guard(live: list[OperationLogEntry]) -> None:
                    self._refuse_concurrent_stop(live, charge_box_id, operation, body)

            if operation == "RemoteStopTransaction":
                await self._check_stale(charge_box_id, int(body["transactionId"]))
            if operation == "UnlockConnector":
                follows = await self._stop_being_followed(charge_box_id, body.get("connectorId"))

        entry = await self._store.insert_operation(
            charge_box_id=charge_box_id,
            operation=operation,
            params=body,
            requested_by=self.operator.name,
            dry_run=dry_run,
            request_id=request_id,
            guard=guard,
            follows=follows,
        )
        self._publish(entry)
        if dry_run:
            log.info("dry run #%d %s on %s", entry.id, operation, charge_box_id)
            return entry
        return await self._send(entry, operation, {**body, "chargeBoxIdList": [charge_box_id]})

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

    async def _concurrent_sentence(self, charge_box_id: str, body: dict[str, Any]) -> str | None:
        try:
            other = await self.concurrent(charge_box_id, body)
        except PolarisError as error:  # the store is down: submit will refuse anyway
            log.warning("cannot look for another operator's operation: %s", error)
            return None
        return other.describe() if other is not None else None

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
        self._refuse_concurrent(other, operation)

    @staticmethod
    def _refuse_concurrent(other: ConcurrentOperation | None, operation: str) -> None:
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
