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

After a submitted RemoteStopTransaction a watcher follows the transaction
until SteVe reports it stopped (``followup = closed``) or
``settings.poll.stop_followup_seconds`` pass (``still_open``: the runbook's
"stop accepted but session never closes").

``close_in_database`` is the guarded, audited database-only close of a
zombie session (``PATCH /transactions/{id}/stop``): nothing is sent to the
station.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from polaris_tui.models import (
    OperationChanged,
    OperationEnvelope,
    OperationLogEntry,
    OperationStatus,
    Operator,
    ServiceEvent,
    StopFollowup,
)
from polaris_tui.services.errors import (
    InvalidParams,
    OperationNotAllowed,
    PermissionDenied,
    PolarisError,
    SteveNotFound,
    StoreError,
    UnmanagedCharger,
)
from polaris_tui.services.redact import redact, shorten

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------
# The allowlist and the params models (STEVE.md §4)
# --------------------------------------------------------------------------

ALLOWED_OPERATIONS: tuple[str, ...] = (
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "UnlockConnector",
    "ReserveNow",
    "CancelReservation",
    "TriggerMessage",
    "GetConfiguration",
    "GetCompositeSchedule",
    "GetDiagnostics",
    "GetLocalListVersion",
    "DataTransfer",
    "SetChargingProfile",
    "ChangeAvailability",
)
"""The only operations Polaris sends. Everything else is refused."""

FORBIDDEN_OPERATIONS: tuple[str, ...] = (
    "Reset",
    "ClearCache",
    "UpdateFirmware",
    "SendLocalList",
    "ClearChargingProfile",
    "ChangeConfiguration",
)
"""Destructive operations, named so the refusal can say why."""

DATABASE_STOP = "DatabaseStopTransaction"
"""Operation name logged for the database-only close (not an OCPP operation)."""

SINGLE_STATION = frozenset(
    {
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "UnlockConnector",
        "ReserveNow",
        "CancelReservation",
    }
)

_ID_TAG_PATTERN = r"^[a-zA-Z0-9.:_#-]+$"


def _utc(value: datetime) -> datetime:
    """A date-time without a zone is taken as UTC (as SteVe does)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_utc)]
IdTag = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=_ID_TAG_PATTERN,
        title="idTag",
        description="The card's OCPP idTag: 1-40 characters, letters, digits and . : _ # -",
    ),
]


def _now_from(info: ValidationInfo) -> datetime:
    """ "Now" for time rules: the service passes its clock in the context."""
    context = info.context or {}
    now = context.get("now")
    return now if isinstance(now, datetime) else datetime.now(UTC)


class OperationParams(BaseModel):
    """Base of every params model: unknown fields are errors, text is trimmed.

    Field names are SteVe's camelCase body names; ``chargeBoxIdList`` is not
    a field (the service adds it).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RemoteStartTransactionParams(OperationParams):
    """Ask the station to start a session for a card (RemoteStart Accepted only
    means the station agreed; the transaction appears later)."""

    idTag: IdTag
    connectorId: int | None = Field(
        default=None,
        ge=0,
        title="Connector",
        description="Connector to start on; empty or 0 lets the station choose.",
    )
    chargingProfilePk: int | None = Field(
        default=None,
        gt=0,
        title="Charging profile",
        description="SteVe's primary key of a TX_PROFILE charging profile (optional).",
    )


class RemoteStopTransactionParams(OperationParams):
    """Ask the station to end a running transaction. Accepted means the station
    will try; the session closes when it sends StopTransaction."""

    transactionId: int = Field(
        gt=0,
        title="Transaction ID",
        description="SteVe's transaction id of the open session (from Current session).",
    )


class UnlockConnectorParams(OperationParams):
    """Release a stuck cable. A station with a running transaction on that
    connector stops it first (reason UnlockCommand)."""

    connectorId: int = Field(
        ge=1, title="Connector", description="Connector to unlock (1 or more)."
    )


class ReserveNowParams(OperationParams):
    """Reserve a connector for a card until a time in the future."""

    connectorId: int = Field(
        ge=0, title="Connector", description="Connector to reserve; 0 = any connector."
    )
    expiry: UtcDateTime = Field(
        title="Expiry", description="When the reservation ends (UTC, must be in the future)."
    )
    idTag: IdTag

    @field_validator("expiry")
    @classmethod
    def _future(cls, value: datetime, info: ValidationInfo) -> datetime:
        if value <= _now_from(info):
            raise ValueError("must be in the future")
        return value


class CancelReservationParams(OperationParams):
    """Cancel a reservation that is active at the station."""

    reservationId: int = Field(
        ge=0, title="Reservation ID", description="SteVe's id of the active reservation."
    )


class TriggerMessageParams(OperationParams):
    """Ask the station to send one message now (e.g. a StatusNotification)."""

    triggerMessage: Literal[
        "BootNotification",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StatusNotification",
    ] = Field(title="Message", description="The message the station should send.")
    connectorId: int | None = Field(
        default=None, ge=1, title="Connector", description="Only for this connector (optional)."
    )


class GetConfigurationParams(OperationParams):
    """Read the station's configuration keys (none given: all keys)."""

    confKeyList: list[str] | None = Field(
        default=None, title="Keys", description="Predefined OCPP keys to read (optional)."
    )
    commaSeparatedCustomConfKeys: str | None = Field(
        default=None,
        title="Custom keys",
        description="Vendor keys, comma separated (optional).",
    )


class GetCompositeScheduleParams(OperationParams):
    """Ask the station for its effective charging schedule."""

    connectorId: int = Field(ge=0, title="Connector", description="0 = the station as a whole.")
    durationInSeconds: int = Field(
        gt=0, title="Duration (s)", description="Length of the schedule to return, in seconds."
    )
    chargingRateUnit: Literal["W", "A"] | None = Field(
        default=None, title="Rate unit", description="W or A (optional)."
    )


class GetDiagnosticsParams(OperationParams):
    """Ask the station to upload a diagnostics file to a location."""

    location: str = Field(
        min_length=1,
        pattern=r"^\S+$",
        title="Upload location",
        description="URI the station uploads to (no spaces).",
    )
    retries: int | None = Field(default=None, ge=1, title="Retries", description="Optional.")
    retryInterval: int | None = Field(
        default=None, ge=1, title="Retry interval (s)", description="Optional."
    )
    start: UtcDateTime | None = Field(
        default=None, title="From", description="Oldest log time (past, optional)."
    )
    stop: UtcDateTime | None = Field(
        default=None, title="To", description="Newest log time (past, after From, optional)."
    )

    @field_validator("start", "stop")
    @classmethod
    def _past(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is not None and value >= _now_from(info):
            raise ValueError("must be in the past")
        if info.field_name == "stop" and value is not None:
            start = info.data.get("start")
            if start is not None and value <= start:
                raise ValueError("must be after From")
        return value


class GetLocalListVersionParams(OperationParams):
    """Ask the station which local authorization list version it holds."""


class DataTransferParams(OperationParams):
    """Send a vendor-specific message to the station."""

    vendorId: str = Field(
        min_length=1, max_length=255, title="Vendor ID", description="Required by OCPP."
    )
    messageId: str | None = Field(
        default=None, max_length=50, title="Message ID", description="Optional."
    )
    data: str | None = Field(default=None, title="Data", description="Optional payload text.")


class SetChargingProfileParams(OperationParams):
    """Install one of SteVe's charging profiles on a connector."""

    connectorId: int = Field(ge=0, title="Connector", description="0 = the station as a whole.")
    chargingProfilePk: int = Field(
        gt=0, title="Charging profile", description="SteVe's primary key of the profile."
    )
    transactionId: int | None = Field(
        default=None, gt=0, title="Transaction ID", description="For a TX_PROFILE (optional)."
    )


class ChangeAvailabilityParams(OperationParams):
    """Take a connector (or the whole station) in or out of service."""

    availType: Literal["Inoperative", "Operative"] = Field(
        title="Availability", description="Inoperative takes it out of service."
    )
    connectorId: int | None = Field(
        default=None, ge=0, title="Connector", description="Empty or 0 = the whole station."
    )


OPERATION_PARAMS: dict[str, type[OperationParams]] = {
    "RemoteStartTransaction": RemoteStartTransactionParams,
    "RemoteStopTransaction": RemoteStopTransactionParams,
    "UnlockConnector": UnlockConnectorParams,
    "ReserveNow": ReserveNowParams,
    "CancelReservation": CancelReservationParams,
    "TriggerMessage": TriggerMessageParams,
    "GetConfiguration": GetConfigurationParams,
    "GetCompositeSchedule": GetCompositeScheduleParams,
    "GetDiagnostics": GetDiagnosticsParams,
    "GetLocalListVersion": GetLocalListVersionParams,
    "DataTransfer": DataTransferParams,
    "SetChargingProfile": SetChargingProfileParams,
    "ChangeAvailability": ChangeAvailabilityParams,
}
"""One params model per allowed operation (the UI builds its form from these)."""

assert tuple(OPERATION_PARAMS) == ALLOWED_OPERATIONS  # noqa: S101 - module invariant


def validate_params(
    operation: str, params: dict[str, Any] | None, *, now: datetime
) -> dict[str, Any]:
    """Validate ``params`` for ``operation``; return SteVe's body fields (JSON-ready).

    Raises:
        OperationNotAllowed: not in the allowlist.
        InvalidParams: field name -> plain message.
    """
    model = OPERATION_PARAMS.get(operation)
    if model is None:
        raise _not_allowed(operation)
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidParams({"params": "must be a set of named fields"})
    try:
        validated = model.model_validate(params, context={"now": now})
    except ValidationError as exc:
        raise InvalidParams(_field_errors(exc)) from None
    return validated.model_dump(mode="json", exclude_none=True)


def _field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors(include_input=False, include_url=False):
        loc = error.get("loc") or ("params",)
        field = str(loc[0])
        message = str(error.get("msg", "invalid"))
        message = message.removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "not a field of this operation"
        errors.setdefault(field, message)
    return errors


def _not_allowed(operation: str) -> OperationNotAllowed:
    text = f"Operation '{operation}' is not allowed."
    if operation in FORBIDDEN_OPERATIONS:
        text += (
            " Destructive operations (" + ", ".join(FORBIDDEN_OPERATIONS) + ") are "
            "intentionally blocked here: use the SteVe admin UI directly."
        )
    return OperationNotAllowed(text)


# --------------------------------------------------------------------------
# Reading SteVe's envelope
# --------------------------------------------------------------------------

_POSITIVE = {"accepted", "unlocked", "scheduled"}
_NEGATIVE = {
    "rejected",
    "unlockfailed",
    "notsupported",
    "notimplemented",
    "faulted",
    "occupied",
    "unavailable",
    "unknownmessageid",
    "unknownvendorid",
}


def classify_envelope(envelope: OperationEnvelope, charge_box_id: str) -> dict[str, Any]:
    """Turn SteVe's envelope into ``outcome`` + a plain ``summary`` (+ the answer).

    ``outcome`` is one of ``accepted``, ``rejected``, ``call_error``,
    ``exception``, ``no_answer``. The summary never claims more than the
    station said: "Accepted" is not "stopped".
    """
    mine = [a for a in envelope.success_responses if a.charge_box_id == charge_box_id]
    answers = mine or envelope.success_responses
    errors = [e for e in envelope.error_responses if e.charge_box_id == charge_box_id] or list(
        envelope.error_responses
    )
    failures = [x for x in envelope.exceptions if x.charge_box_id == charge_box_id] or list(
        envelope.exceptions
    )
    if answers:
        response = answers[0].response
        status = response
        if isinstance(response, dict) and "status" in response:
            status = response["status"]
        if isinstance(status, str):
            word = status.replace("_", "").lower()
            if word in _NEGATIVE:
                outcome = "rejected"
            else:
                outcome = "accepted"
            return {
                "outcome": outcome,
                "station_answer": status,
                "summary": f"Station answered {status}",
            }
        return {
            "outcome": "accepted",
            "station_answer": response,
            "summary": "Station answered (see the answer below)",
        }
    if errors:
        error = errors[0]
        detail = " ".join(p for p in (error.error_code, error.error_description) if p)
        return {
            "outcome": "call_error",
            "station_answer": None,
            "summary": f"Station returned an error: {detail or 'no details'}",
        }
    if failures:
        message = failures[0].exception_message or "no details"
        return {
            "outcome": "exception",
            "station_answer": None,
            "summary": f"SteVe could not deliver it to the station: {message}",
        }
    return {
        "outcome": "no_answer",
        "station_answer": None,
        "summary": (
            "SteVe sent it, but the station did not answer within 30 s; it may still act on it."
        ),
    }


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
        steve: Any,
        store: Any,
        clock: Any,
        settings: Any,
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
        self.watch_interval = watch_interval
        self._watchers: dict[int, asyncio.Task[OperationLogEntry]] = {}
        self._closed = False

    # -- public API ---------------------------------------------------------

    @staticmethod
    def params_model(operation: str) -> type[OperationParams]:
        """The params model of an allowed operation (for building forms).

        Raises:
            OperationNotAllowed: not in the allowlist.
        """
        model = OPERATION_PARAMS.get(operation)
        if model is None:
            raise _not_allowed(operation)
        return model

    async def submit(
        self,
        charge_box_id: str,
        operation: str,
        params: dict[str, Any] | None,
        *,
        dry_run: bool,
        request_id: str,
    ) -> OperationLogEntry:
        """Validate, record, then (unless ``dry_run``) send one operation.

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
            StoreError: the local store could not record it (nothing sent).
        """
        if operation not in ALLOWED_OPERATIONS:
            raise _not_allowed(operation)
        await self._check_managed(charge_box_id)
        self._check_role()
        body = validate_params(operation, params, now=self._clock.now())
        self._check_request_id(request_id)

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
            entry = await self._close_in_database(entry, charge_box_id, transaction_id)
        except asyncio.CancelledError:
            await self._interrupt(entry)
            raise
        self._publish(entry)
        return entry

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

    async def resume_watchers(self) -> list[int]:
        """Take over RemoteStop followups whose watching process died."""
        resumed = []
        for entry in await self._store.claim_orphaned_watches():
            if entry.operation == "RemoteStopTransaction" and "transactionId" in entry.params:
                self._start_watcher(entry)
                resumed.append(entry.id)
        return resumed

    def watcher(self, op_id: int) -> asyncio.Task[OperationLogEntry] | None:
        """The running followup task of an operation, if any (tests await it)."""
        return self._watchers.get(op_id)

    async def close(self) -> None:
        """Cancel every watcher (their rows stay ``watching`` for the next start)."""
        self._closed = True
        tasks = list(self._watchers.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:  # already logged by the watcher
                log.debug("watcher ended with an error during close", exc_info=True)
        self._watchers.clear()

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
            self._start_watcher(entry)
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
        from polaris_tui.services.store import INTERRUPTED_MESSAGE, INTERRUPTED_TITLE

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

    async def _close_in_database(
        self, entry: OperationLogEntry, charge_box_id: str, transaction_id: int
    ) -> OperationLogEntry:
        try:
            details = await self._steve.transaction_details(transaction_id)
        except SteveNotFound as exc:
            return await self._finish_failed_quiet(
                entry,
                "Unknown transaction",
                f"SteVe has no transaction {transaction_id}; nothing was closed. ({exc.message})",
                type(exc).__name__,
            )
        except PolarisError as exc:
            return await self._finish_failed_quiet(
                entry, exc.title, exc.message, type(exc).__name__
            )
        tx = details.transaction
        if tx.charge_box_id != charge_box_id:
            return await self._finish_failed_quiet(
                entry,
                "Wrong charger",
                f"Transaction {transaction_id} belongs to {tx.charge_box_id}, not "
                f"{charge_box_id}; nothing was closed.",
                "WrongCharger",
            )
        if not tx.active:
            return await self._finish_failed_quiet(
                entry,
                "Already closed",
                f"Transaction {transaction_id} was already closed at "
                f"{tx.stop_timestamp:%Y-%m-%d %H:%M:%S} UTC (by {tx.stop_event_actor or 'unknown'}); "
                "nothing was changed.",
                "AlreadyClosed",
            )
        try:
            await self._steve.stop_transaction_in_db(transaction_id)
        except SteveNotFound as exc:
            return await self._finish_failed_quiet(
                entry,
                "Unknown transaction",
                f"SteVe has no transaction {transaction_id}; nothing was closed. ({exc.message})",
                type(exc).__name__,
            )
        except PolarisError as exc:
            return await self._finish_failed_quiet(
                entry, exc.title, exc.message, type(exc).__name__
            )
        result: dict[str, Any] = {
            "outcome": "closed_in_database",
            "summary": (
                f"Transaction {transaction_id} closed in SteVe's database only "
                "(stopEventActor=manual); nothing was sent to the station. "
                "Reconcile billing for this session."
            ),
        }
        try:
            after = await self._steve.transaction_details(transaction_id)
            result["transaction"] = after.transaction.model_dump(mode="json", by_alias=True)
        except PolarisError as exc:
            result["transaction_error"] = str(exc)
        entry = await self._store.finish_operation(
            entry.id, OperationStatus.SUBMITTED, result=result
        )
        log.warning(
            "transaction %s on %s closed in SteVe's database by %s (op #%d)",
            transaction_id,
            charge_box_id,
            self.operator.name,
            entry.id,
        )
        return entry

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

    # -- RemoteStop followup -------------------------------------------------

    def _start_watcher(self, entry: OperationLogEntry) -> None:
        if self._closed or entry.id in self._watchers:
            return
        task = asyncio.create_task(self._watch_stop(entry), name=f"stop-watch-{entry.id}")
        self._watchers[entry.id] = task
        task.add_done_callback(lambda _t, op_id=entry.id: self._watchers.pop(op_id, None))

    async def _watch_stop(self, entry: OperationLogEntry) -> OperationLogEntry:
        """Follow the stopped transaction until SteVe shows it closed, or give up
        after ``stop_followup_seconds`` with ``still_open``.

        Time is measured both on the injected clock (tests advance it) and on
        the event loop's monotonic clock (a frozen clock cannot stall it).
        """
        transaction_id = int(entry.params["transactionId"])
        limit = float(self._settings.poll.stop_followup_seconds)
        started = entry.completed_at or entry.created_at
        loop = asyncio.get_running_loop()
        mono_start = loop.time()
        last_error: str | None = None
        while True:
            try:
                details = await self._steve.transaction_details(transaction_id)
            except PolarisError as exc:
                last_error = str(exc)
                log.info("watching transaction %s of op #%d: %s", transaction_id, entry.id, exc)
            except Exception as exc:
                last_error = self._redact(f"{type(exc).__name__}: {exc}")
                log.exception("watching transaction %s of op #%d", transaction_id, entry.id)
            else:
                tx = details.transaction
                if not tx.active:
                    return await self._followup(
                        entry,
                        StopFollowup.CLOSED,
                        tx.stop_timestamp or self._clock.now(),
                    )
            elapsed = max((self._clock.now() - started).total_seconds(), loop.time() - mono_start)
            if elapsed >= limit:
                if last_error:
                    log.warning("op #%d still open; last check failed: %s", entry.id, last_error)
                return await self._followup(entry, StopFollowup.STILL_OPEN, self._clock.now())
            await asyncio.sleep(min(self.watch_interval, max(limit - elapsed, 0.01)))

    async def _followup(
        self, entry: OperationLogEntry, followup: StopFollowup, at: datetime
    ) -> OperationLogEntry:
        entry = await self._store.set_followup(entry.id, followup, at)
        log.info("operation #%d followup: %s", entry.id, followup.value)
        self._publish(entry)
        return entry
