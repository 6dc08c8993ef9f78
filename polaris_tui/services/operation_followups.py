"""What comes after a RemoteStop: the follow-up chain, the way back and the
last resort.

An UnlockConnector sent while a RemoteStop on that connector's session is
being followed (``watching``/``still_open``) continues that stop's chain
(``follows``) and gets a follow-up of its own; every final state is written
along the chain (``stop_watcher.settle_chain``). ``settle`` moves a
``still_open`` row on when its session closed later.

``close_in_database`` is the guarded, audited database-only close of a
zombie session (``PATCH /transactions/{id}/stop``): nothing is sent to the
station. Its guard is ``last_resort.close_readiness``; a refusal writes
nothing, like any precondition. The operator must type the transaction id.
``OperationService`` (operations.py) is the public entry point.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from polaris_tui.models import (
    OperationLogEntry,
    OperationStatus,
    StopFollowup,
)
from polaris_tui.models.confirmation import CloseReadiness
from polaris_tui.models.errors import (
    ConfirmationRequired,
    InvalidParams,
    LastResortRefused,
    PolarisError,
)
from polaris_tui.models.operations import DATABASE_STOP
from polaris_tui.services.database_close import close_checked
from polaris_tui.services.last_resort import close_readiness
from polaris_tui.services.operation_sending import OperationSender
from polaris_tui.services.stop_watcher import closed_state, settle_chain, watched_transaction

log = logging.getLogger(__name__)


class OperationFollowups(OperationSender):
    """The follow-ups behind ``OperationService`` (see the module docstring)."""

    async def close_readiness(self, charge_box_id: str, transaction_id: int) -> CloseReadiness:
        """Whether the database-only close is allowed now, with its dialog's facts
        (see ``last_resort``).

        Raises:
            PolarisError: SteVe could not be asked about the transaction.
        """
        return await close_readiness(
            self._steve,
            self._store,
            self._poller,
            self._clock.now(),
            float(self._settings.poll.stuck_after_minutes),
            charge_box_id,
            transaction_id,
        )

    async def close_in_database(
        self, charge_box_id: str, transaction_id: int, *, request_id: str, typed: str = ""
    ) -> OperationLogEntry:
        """Close a zombie session in SteVe's database only (nothing reaches the
        station), audited like every operation (``DatabaseStopTransaction``).

        Guards: admin only; managed charger; ``typed`` is the transaction id
        the operator typed; ``close_readiness`` allows it (stop accepted and
        still open past the follow-up, unlock tried or meter flat, meter not
        advancing). At the moment of the close the transaction must still
        exist, belong to this charger and be open, otherwise the row is
        ``failed`` with the reason and nothing is closed.

        Raises:
            UnmanagedCharger, PermissionDenied, InvalidParams, DuplicateSubmit,
            StoreError: as ``submit``.
            ConfirmationRequired: ``typed`` is not the transaction id.
            LastResortRefused: the guard is not met (nothing written).
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
        if str(typed).strip() != str(transaction_id):
            raise ConfirmationRequired(
                f"Type the transaction id ({transaction_id}) to close it in SteVe's database; "
                "nothing was closed."
            )
        readiness = await self.close_readiness(charge_box_id, transaction_id)
        if not readiness.allowed:
            raise LastResortRefused(" ".join(readiness.missing))
        entry = await self._store.insert_operation(
            charge_box_id=charge_box_id,
            operation=DATABASE_STOP,
            params={"transactionId": transaction_id},
            requested_by=self.operator.name,
            dry_run=False,
            request_id=request_id,
            follows=readiness.unlock_op_id or readiness.stop_op_id,
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
        if entry.status == OperationStatus.SUBMITTED:
            entry = await settle_chain(
                self._store,
                entry,
                StopFollowup.CLOSED_IN_DATABASE,
                entry.completed_at or self._clock.now(),
                self._publish,
            )
        return entry

    async def settle(self, charge_box_id: str) -> list[OperationLogEntry]:
        """Move ``still_open`` follow-ups of this charger on when their session has
        closed since (a late StopTransaction): the audit trail reaches its end.

        Returns the rows changed. Reads SteVe once per such row; never raises
        for SteVe (a failed read leaves the row as it was).
        """
        changed: list[OperationLogEntry] = []
        entries = await self._store.recent_operations(charge_box_id=charge_box_id, limit=200)
        for entry in entries:
            if entry.followup != StopFollowup.STILL_OPEN:
                continue
            chain = await self._store.operation_chain(entry.id)
            tx_id = watched_transaction(entry, chain)
            if tx_id is None:
                continue
            try:
                tx = (await self._steve.transaction_details(tx_id)).transaction
            except PolarisError as exc:
                log.info("settling op #%d: %s", entry.id, exc)
                continue
            if tx.active:
                continue
            after_unlock = any(o.operation == "UnlockConnector" for o in chain)
            changed.append(
                await settle_chain(
                    self._store,
                    entry,
                    closed_state(tx, after_unlock=after_unlock),
                    tx.stop_timestamp or self._clock.now(),
                    self._publish,
                )
            )
        return changed

    async def way_back(self, entry: OperationLogEntry) -> tuple[str, int] | None:
        """The runbook's way back after a stop: (idTag, connector) of the session a
        closed RemoteStop ended, for a RemoteStart (a new transaction). None when
        ``entry`` is not such a stop or SteVe cannot tell."""
        if (
            entry.operation != "RemoteStopTransaction"
            or entry.dry_run
            or entry.followup is None
            or not entry.followup.closed
        ):
            return None
        try:
            tx = (
                await self._steve.transaction_details(int(entry.params["transactionId"]))
            ).transaction
        except (PolarisError, KeyError, ValueError) as exc:
            log.info("no way back for op #%d: %s", entry.id, exc)
            return None
        return tx.ocpp_id_tag, tx.connector_id

    async def chain(self, op_id: int) -> list[OperationLogEntry]:
        """The chain an operation belongs to, oldest first (RemoteStop -> Unlock -> ...)."""
        return await self._store.operation_chain(op_id)

    async def _stop_being_followed(self, charge_box_id: str, connector: Any) -> int | None:
        """The RemoteStop (still followed) whose session is on ``connector``."""
        entries = await self._store.recent_operations(charge_box_id=charge_box_id, limit=100)
        for entry in entries:
            if entry.operation != "RemoteStopTransaction" or entry.followup not in (
                StopFollowup.WATCHING,
                StopFollowup.STILL_OPEN,
            ):
                continue
            try:
                tx = (
                    await self._steve.transaction_details(int(entry.params["transactionId"]))
                ).transaction
            except PolarisError:
                continue
            if tx.connector_id == connector and tx.active:
                return entry.id
        return None
