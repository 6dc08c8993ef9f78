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
from collections.abc import Callable
from typing import Any

from polaris_tui.models import (
    OperationChanged,
    OperationLogEntry,
    OperationStatus,
    Operator,
    ServiceEvent,
    StopFollowup,
)
from polaris_tui.models.errors import (
    AnotherOperatorActing,
    InvalidParams,
    PermissionDenied,
    PolarisError,
    StoreError,
    UnmanagedCharger,
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
from polaris_tui.services.clock import Clock
from polaris_tui.services.concurrent_ops import (
    GUARDED_OPERATIONS,
    ConcurrentOperation,
    find_concurrent,
)
from polaris_tui.services.database_close import close_checked
from polaris_tui.services.operation_envelope import classify_envelope
from polaris_tui.services.redact import redact, shorten
from polaris_tui.services.settings import Settings
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.services.stop_watcher import StopWatcher
from polaris_tui.store import Store

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------


class OperationService:
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

    def __init__(
        self,
        steve: SteveClient,
        store: Store,
        clock: Clock,
        settings: Settings,
        operator: Operator,
        is_managed: Callable[[str], bool],
        publish: Callable[[ServiceEvent], None],
        *,
        watch_interval: float = 3.0,
    ) -> None:
        self._steve = steve
        self._store = store
        self._clock = clock
        self._settings = settings
        self.operator = operator
        self._is_managed = is_managed
        self._publish_cb = publish
        self._watcher = StopWatcher(
            steve, store, clock, settings, self._publish, self._redact, interval=watch_interval
        )

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
        if not dry_run and not override_concurrent:
            await self._refuse_concurrent_stop(charge_box_id, operation, body)

        entry = await self._store.insert_operation(
            charge_box_id=charge_box_id,
            operation=operation,
            params=body,
            requested_by=self.operator.name,
            dry_run=dry_run,
            request_id=request_id,
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

    async def _refuse_concurrent_stop(
        self, charge_box_id: str, operation: str, body: dict[str, Any]
    ) -> None:
        if operation not in GUARDED_OPERATIONS:
            return
        other = await self.concurrent(charge_box_id, body)
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

    # -- checks --------------------------------------------------------------

    def _check_role(self) -> None:
        if not self.operator.can_act:
            raise PermissionDenied(
                f"{self.operator.name} is a viewer: viewers can look and triage but cannot "
                "submit operations (not even a dry run). Ask an admin."
            )

    async def _check_managed(self, charge_box_id: str) -> None:
        managed = self._is_managed(charge_box_id)
        if managed:
            for charger in await self._store.inventory():
                if charger.charge_box_id == charge_box_id and not charger.managed:
                    managed = False
                    break
        if not managed:
            raise UnmanagedCharger(
                f"{charge_box_id} is not in SteVe: it doesn't speak OCPP, so remote "
                "operations aren't available. Resolve the customer's issue through billing."
            )

    @staticmethod
    def _check_request_id(request_id: str) -> None:
        if not isinstance(request_id, str) or not request_id.strip():
            raise InvalidParams({"request_id": "each press needs its own request id"})

    # -- sending -------------------------------------------------------------

    def _publish(self, entry: OperationLogEntry) -> None:
        try:
            self._publish_cb(OperationChanged(entry=entry))
        except Exception:
            log.exception("a subscriber failed on OperationChanged #%d", entry.id)

    def _redact(self, text: object) -> str:
        secrets = self._settings.secrets() if hasattr(self._settings, "secrets") else []
        return shorten(redact(text, secrets))

    def _redact_tree(self, value: Any) -> Any:
        """Every string inside ``value`` redacted: a station's or SteVe's free
        text in the envelope (exception messages, CallError descriptions,
        configuration values) may echo a credential, and it is stored, logged
        and shown."""
        if isinstance(value, str):
            secrets = self._settings.secrets() if hasattr(self._settings, "secrets") else []
            return redact(value, secrets)
        if isinstance(value, list):
            return [self._redact_tree(item) for item in value]
        if isinstance(value, dict):
            return {self._redact_tree(key): self._redact_tree(item) for key, item in value.items()}
        return value

    async def _send(
        self, entry: OperationLogEntry, operation: str, body: dict[str, Any]
    ) -> OperationLogEntry:
        """Call SteVe for a committed ``pending`` row and record the outcome."""
        charge_box_id = entry.charge_box_id
        try:
            envelope = await self._steve.operation(operation, body)
        except asyncio.CancelledError:
            await self._interrupt(entry)
            raise
        except PolarisError as exc:
            log.warning(
                "operation #%d %s on %s failed: %s", entry.id, operation, charge_box_id, exc
            )
            return await self._finish_failed(entry, exc.title, exc.message, type(exc).__name__)
        except Exception as exc:  # a bug or an unmapped error: record it, never leave pending
            log.exception("operation #%d %s: unexpected error", entry.id, operation)
            return await self._finish_failed(
                entry,
                "Unexpected error",
                self._redact(f"{type(exc).__name__}: {exc}"),
                type(exc).__name__,
            )

        verdict = self._redact_tree(classify_envelope(envelope, charge_box_id))
        result = self._redact_tree({**envelope.model_dump(mode="json", by_alias=True), **verdict})
        watch = operation == "RemoteStopTransaction" and verdict["outcome"] in (
            "accepted",
            "no_answer",
        )
        if watch:
            result["summary"] += " - watching for the session to close"
        try:
            entry = await self._store.finish_operation(
                entry.id,
                OperationStatus.SUBMITTED,
                task_id=envelope.task_id,
                result=result,
                followup=StopFollowup.WATCHING if watch else None,
            )
        except StoreError as exc:
            log.error(
                "operation #%d was taken by SteVe (task %s, %s) but could not be recorded: %s",
                entry.id,
                envelope.task_id,
                verdict["summary"],
                exc,
            )
            raise StoreError(
                f"SteVe took operation #{entry.id} (task {envelope.task_id}: {verdict['summary']}) "
                f"but the local store could not record it: {exc.message}"
            ) from exc
        log.info(
            "operation #%d %s on %s submitted: task %s, %s",
            entry.id,
            operation,
            charge_box_id,
            envelope.task_id,
            verdict["summary"],
        )
        self._publish(entry)
        if watch:
            self._watcher.start(entry)
        return entry

    async def _finish_failed(
        self, entry: OperationLogEntry, title: str, message: str, kind: str
    ) -> OperationLogEntry:
        result = {
            "outcome": "failed",
            "error_title": title,
            "error_message": message,
            "error": kind,
        }
        entry = await self._store.finish_operation(
            entry.id,
            OperationStatus.FAILED,
            result=result,
            error_title=title,
            error_message=message,
        )
        self._publish(entry)
        return entry

    async def _interrupt(self, entry: OperationLogEntry) -> None:
        """The caller was cancelled while SteVe had the request: record that we
        do not know the outcome (never resent)."""
        from polaris_tui.store import INTERRUPTED_MESSAGE, INTERRUPTED_TITLE

        try:
            done = await asyncio.shield(
                self._store.finish_operation(
                    entry.id,
                    OperationStatus.INTERRUPTED,
                    result={"outcome": "unknown", "summary": INTERRUPTED_MESSAGE},
                    error_title=INTERRUPTED_TITLE,
                    error_message=INTERRUPTED_MESSAGE,
                )
            )
            self._publish(done)
        except (StoreError, asyncio.CancelledError) as exc:
            log.error("could not mark operation #%d interrupted: %s", entry.id, exc)

    async def _finish_failed_quiet(
        self, entry: OperationLogEntry, title: str, message: str, kind: str
    ) -> OperationLogEntry:
        """Like ``_finish_failed`` without publishing (the caller publishes)."""
        result = {
            "outcome": "failed",
            "error_title": title,
            "error_message": message,
            "error": kind,
        }
        return await self._store.finish_operation(
            entry.id,
            OperationStatus.FAILED,
            result=result,
            error_title=title,
            error_message=message,
        )


__all__ = [
    "ALLOWED_OPERATIONS",
    "FORBIDDEN_OPERATIONS",
    "OPERATION_PARAMS",
    "OperationService",
    "classify_envelope",
    "validate_params",
]
