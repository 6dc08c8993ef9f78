"""SteVe wire models (contracts/STEVE.md, steve-api-docs.json)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from polaris_tui.models.base import (
    PlainModel,
    SteveModel,
)
from polaris_tui.text_clean import (
    CleanText,
    CleanTree,
    Kept,
    Key,
)


class OcppTag(SteveModel):
    """SteVe's OcppTagOverview."""

    ocpp_tag_pk: int
    id_tag: Key
    parent_id_tag: Key | None = None
    parent_ocpp_tag_pk: int | None = None
    user_pk: int | None = None
    expiry_date: datetime | None = None
    max_active_transaction_count: int = 1
    """-1 unlimited, 0 blocked, N limit."""
    active_transaction_count: int = 0
    in_transaction: bool = False
    blocked: bool = False
    note: Kept | None = None

    def is_expired(self, now: datetime) -> bool:
        """SteVe's rule: expired when the expiry date is before now."""
        return self.expiry_date is not None and self.expiry_date <= now


class Transaction(SteveModel):
    """SteVe's Transaction. While active, every ``stop_*`` field is None."""

    id: int
    charge_box_id: Key
    charge_box_pk: int | None = None
    connector_id: int
    ocpp_id_tag: Key
    ocpp_tag_pk: int | None = None
    user_id: int | None = None
    start_timestamp: datetime
    start_value: CleanText | None = None
    stop_timestamp: datetime | None = None
    stop_value: CleanText | None = None
    stop_reason: CleanText | None = None
    stop_event_actor: CleanText | None = None
    """``station``, ``manual`` (closed in SteVe's database only) or None."""

    @property
    def active(self) -> bool:
        return self.stop_timestamp is None

    @property
    def energy_wh(self) -> float | None:
        """Delivered energy in Wh, when both readings are numeric."""
        try:
            start = float(self.start_value) if self.start_value is not None else None
            stop = float(self.stop_value) if self.stop_value is not None else None
        except ValueError:
            return None
        if start is None or stop is None:
            return None
        return stop - start


class MeterValue(SteveModel):
    """One sampled value of SteVe's TransactionDetails.values."""

    value_timestamp: datetime
    value: CleanText | None = None
    reading_context: CleanText | None = None
    format: CleanText | None = None
    measurand: CleanText | None = None
    location: CleanText | None = None
    unit: CleanText | None = None
    phase: CleanText | None = None

    @property
    def wh(self) -> float | None:
        """The reading in Wh when it is a numeric energy value."""
        try:
            number = float(self.value) if self.value is not None else None
        except ValueError:
            return None
        if number is None:
            return None
        return number * 1000 if (self.unit or "").lower() == "kwh" else number


class TransactionDetails(SteveModel):
    transaction: Transaction
    values: list[MeterValue] = Field(default_factory=list)


class StatusSource(StrEnum):
    """Where a live-status value came from."""

    CHARGEBOXES_API = "chargeboxes-api"
    MANAGER_PAGE = "manager-page"
    SNAPSHOT = "snapshot"


class ConnectorStatus(PlainModel):
    """Latest StatusNotification of one connector (0 = the station as a whole)."""

    charge_box_id: Key
    connector_id: int
    status: CleanText
    """OCPP 1.6 ChargePointStatus: Available, Preparing, Charging, ..."""
    error_code: CleanText | None = None
    timestamp: datetime | None = None
    info: CleanText | None = None
    vendor_error_code: CleanText | None = None
    source: StatusSource = StatusSource.CHARGEBOXES_API


class ChargeBox(PlainModel):
    """A station as SteVe knows it, with its live status."""

    charge_box_id: Key
    charge_box_pk: int | None = None
    description: CleanText | None = None
    ocpp_protocol: CleanText | None = None
    last_heartbeat: datetime | None = None
    online: bool | None = None
    """True: open websocket; False: disconnected; None: the source cannot tell."""
    connectors: list[ConnectorStatus] = Field(default_factory=list)
    source: StatusSource = StatusSource.CHARGEBOXES_API


class StationAnswer(SteveModel):
    """One station's CallResult in an operation envelope."""

    charge_box_id: Key
    response: CleanTree = None


class StationError(SteveModel):
    """One station's CallError in an operation envelope."""

    charge_box_id: Key
    error_code: CleanText | None = None
    error_description: CleanText | None = None
    error_details: CleanTree = None


class StationException(SteveModel):
    """SteVe failed to send to, or to process the answer of, one station."""

    charge_box_id: Key
    exception_message: CleanText | None = None


class OperationEnvelope(SteveModel):
    """SteVe's OcppOperationResponse<T>."""

    task_id: int
    task_finished: bool = False
    success_responses: list[StationAnswer] = Field(default_factory=list)
    error_responses: list[StationError] = Field(default_factory=list)
    exceptions: list[StationException] = Field(default_factory=list)
