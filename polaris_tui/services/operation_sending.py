"""Sending one remote operation and recording what came of it: the checks
before anything is written (role, managed charger, request id), the call to
SteVe for a committed ``pending`` row, and the row's final state
(``submitted``, ``failed`` or ``interrupted``), redacted and published.
``OperationService`` (operations.py) is the public entry point."""

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
    InvalidParams,
    PermissionDenied,
    PolarisError,
    StoreError,
    UnmanagedCharger,
)
from polaris_tui.services.clock import Clock
from polaris_tui.services.operation_envelope import classify_envelope
from polaris_tui.services.operation_preview import Signer, check_open_session
from polaris_tui.services.redact import redact, shorten
from polaris_tui.services.settings import Settings
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.services.stop_watcher import StopWatcher
from polaris_tui.store import Store

log = logging.getLogger(__name__)


class OperationSender:
    """The checks and the send behind ``OperationService`` (its arguments
    are documented there)."""

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
        poller: Any = None,
    ) -> None:
        self._steve = steve
        self._poller = poller
        self._signer = Signer()
        self._store = store
        self._clock = clock
        self._settings = settings
        self.operator = operator
        self._is_managed = is_managed
        self._publish_cb = publish
        self._watcher = StopWatcher(
            steve, store, clock, settings, self._publish, self._redact, interval=watch_interval
        )

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

    async def _check_stale(self, charge_box_id: str, transaction_id: int) -> Any:
        """The open transaction, or ``StaleTransaction``; None when SteVe cannot
        be asked (the send will record that failure)."""
        try:
            return await check_open_session(self._steve, charge_box_id, transaction_id)
        except PolarisError as exc:
            if exc.kind.value == "stale_transaction":
                raise
            log.info("cannot check transaction %s before sending: %s", transaction_id, exc)
            return None

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
        watch = (
            operation == "RemoteStopTransaction"
            or (operation == "UnlockConnector" and entry.follows is not None)
        ) and verdict["outcome"] in ("accepted", "no_answer")
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
