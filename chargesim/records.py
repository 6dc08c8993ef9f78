"""The stand-in's in-memory "database": plain records, no behaviour.

These mirror the SteVe tables the REST API reads (ocpp_tag, charge_box,
connector_status, transaction_start/stop, connector_meter_value, reservation)
closely enough that every endpoint can be answered from them. The simulated
firmware and the OCPP-J connections both write here through ``central.Central``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STATUSES = (
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
)
"""OCPP 1.6 ChargePointStatus values, wire spelling."""

ERROR_CODES = (
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "NoError",
    "OtherError",
    "OverCurrentFailure",
    "OverVoltage",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "WeakSignal",
)
"""OCPP 1.6 ChargePointErrorCode values."""


@dataclass(slots=True)
class OcppTag:
    """One row of SteVe's ``ocpp_tag`` table."""

    pk: int
    id_tag: str
    parent_id_tag: str | None = None
    expiry_date: datetime | None = None
    max_active: int = 1
    """-1 unlimited, 0 blocked, N limit (SteVe's maxActiveTransactionCount)."""
    note: str | None = None
    user_pk: int | None = None


@dataclass(slots=True)
class MeterSample:
    """One sampled value as SteVe stores it (all strings on the wire)."""

    ts: datetime
    value: str
    measurand: str | None = "Energy.Active.Import.Register"
    unit: str | None = "Wh"
    context: str | None = "Sample.Periodic"
    fmt: str | None = "Raw"
    location: str | None = "Outlet"
    phase: str | None = None


@dataclass(slots=True)
class Transaction:
    """A transaction: SteVe's transaction_start joined with transaction_stop."""

    id: int
    charge_box_pk: int
    charge_box_id: str
    connector_id: int
    id_tag: str
    ocpp_tag_pk: int | None
    user_id: int | None
    start_ts: datetime
    start_value: int
    stop_ts: datetime | None = None
    stop_value: int | None = None
    stop_reason: str | None = None
    stop_actor: str | None = None
    """``station`` or ``manual`` once stopped."""
    values: list[MeterSample] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.stop_ts is None


@dataclass(slots=True)
class Connector:
    """A connector of a charge box, with what the simulated firmware needs."""

    connector_id: int
    status: str = "Available"
    error_code: str = "NoError"
    status_ts: datetime | None = None
    """None = never reported (absent from the manager page)."""
    info: str | None = None
    vendor_error_code: str | None = None
    meter_wh: int = 0
    """The connector's energy register (monotonic across sessions)."""
    power_w: int = 0
    """Power drawn while Charging; 0 when suspended."""
    meter_stalled: bool = False
    """The station stopped sending meter values (stuck session)."""
    tx_id: int | None = None
    """The transaction the station believes is running here."""
    reservation_id: int | None = None


@dataclass(slots=True)
class Reservation:
    """A reservation SteVe allocated for ReserveNow."""

    id: int
    charge_box_id: str
    connector_id: int
    id_tag: str
    expiry: datetime
    status: str = "Accepted"
    """Accepted (active), Cancelled, Expired or Used."""


@dataclass(slots=True)
class ChargeBox:
    """One station: SteVe's ``charge_box`` row plus the simulated firmware."""

    pk: int
    charge_box_id: str
    description: str | None = None
    ocpp_protocol: str = "ocpp1.6J"
    registration_status: str = "Accepted"
    vendor: str | None = "Polaris-Sim"
    model: str | None = "AC-22"
    firmware: str | None = "1.4.2"
    # The rest of what a BootNotification.req fills in SteVe's charge_box row
    # (shown only on the manager's charge point details page).
    charge_point_serial: str | None = None
    charge_box_serial: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial: str | None = None
    endpoint_address: str | None = None
    """SOAP stations only: OCPP-J stations have none."""
    connectors: dict[int, Connector] = field(default_factory=dict)
    last_heartbeat: datetime | None = None
    hb_phase: int = 0
    """Seconds past each minute at which a simulated station heartbeats."""
    online: bool = True
    """A websocket is open (simulated or real)."""
    online_since: datetime | None = None
    link: Any = None
    """Who answers operations: a ``station.SimStation`` or an ``ocppj.OcppJLink``."""
    config: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """OCPP configuration key → (value, readonly)."""
    local_list_version: int = 0
    stuck_stop: bool = False
    """Firmware fault: RemoteStop Accepted, no StopTransaction until UnlockConnector."""
    slow_seconds: float | None = None
    """Fault: operations are answered only after this many seconds."""
    call_error: str | None = None
    """Fault: every operation is answered with this CallError code."""
    intercept_armed: bool = False
    """Scan-to-login fault: the next Accepted tap here is overridden to Blocked."""
    queued: list[Any] = field(default_factory=list)
    """Messages the station holds while offline (delivered on reconnect)."""
