"""The remote operations Polaris may send, and one params model for each.

``ALLOWED_OPERATIONS`` is the allowlist (destructive operations such as
Reset are never sent from Polaris) and ``OPERATION_PARAMS`` its pydantic
models; field names are SteVe's camelCase body names (STEVE.md §4). They
sit in the models layer: the operation form builds its fields from them and
``OperationService`` validates with them.
"""

from __future__ import annotations

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

from polaris_tui.models.errors import InvalidParams, OperationNotAllowed

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
        raise not_allowed(operation)
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


def not_allowed(operation: str) -> OperationNotAllowed:
    text = f"Operation '{operation}' is not allowed."
    if operation in FORBIDDEN_OPERATIONS:
        text += (
            " Destructive operations (" + ", ".join(FORBIDDEN_OPERATIONS) + ") are "
            "intentionally blocked here: use the SteVe admin UI directly."
        )
    return OperationNotAllowed(text)
