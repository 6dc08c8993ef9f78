"""Pydantic models shared by every layer of Polaris.

Models are plain data: no markup, no live connections, no I/O. Formatting for
the screen happens in widgets; fetching happens in services.

Three groups live here:

* wire models for SteVe and Lago answers (camelCase / snake_case aliases, extra
  fields ignored, because both systems add fields over time);
* records of Polaris' own store (operation log, audit log, card metadata,
  scan-to-login events);
* views computed by the services for the screens (charger rows, charger
  detail, card view and triage verdict).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from polaris_tui.text_clean import (
    CleanDict,
    CleanText,
    CleanTree,
    Kept,
    KeptDict,
    KeptTree,
    Key,
)


class SteveModel(BaseModel):
    """Base for SteVe wire models: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=False
    )


class PlainModel(BaseModel):
    """Base for Lago wire models and Polaris' own records."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")


# --------------------------------------------------------------------------
# SteVe wire models (contracts/STEVE.md, steve-api-docs.json)
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Lago wire models (contracts/LAGO.md, lago-openapi.yml)
# --------------------------------------------------------------------------


class LagoCustomer(PlainModel):
    lago_id: Key
    external_id: Key
    name: CleanText | None = None
    firstname: CleanText | None = None
    lastname: CleanText | None = None
    email: CleanText | None = None
    currency: CleanText | None = None
    created_at: datetime | None = None

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        parts = [p for p in (self.firstname, self.lastname) if p]
        return " ".join(parts) or self.external_id


class LagoSubscription(PlainModel):
    lago_id: Key
    external_id: Key
    external_customer_id: Key
    name: CleanText | None = None
    plan_code: CleanText
    status: CleanText
    """active, canceled, pending or terminated."""
    started_at: datetime | None = None
    terminated_at: datetime | None = None
    canceled_at: datetime | None = None
    created_at: datetime | None = None


class LagoEvent(PlainModel):
    lago_id: Key
    transaction_id: Key
    code: CleanText
    timestamp: datetime
    external_subscription_id: Key | None = None
    properties: CleanDict = Field(default_factory=dict)
    created_at: datetime | None = None


# --------------------------------------------------------------------------
# Polaris' own records (the SQLite store)
# --------------------------------------------------------------------------


class Role(StrEnum):
    ADMIN = "admin"
    VIEWER = "viewer"


class Operator(PlainModel):
    """Who is using this console, and what they may do."""

    name: Key
    role: Role = Role.VIEWER

    @property
    def can_act(self) -> bool:
        return self.role == Role.ADMIN


class OperationStatus(StrEnum):
    DRY_RUN = "dry_run"
    PENDING = "pending"
    SUBMITTED = "submitted"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    """Left ``pending`` by a crash; found and marked at the next start; never resent."""


class StopFollowup(StrEnum):
    """What happened after a submitted RemoteStopTransaction."""

    WATCHING = "watching"
    CLOSED = "closed"
    STILL_OPEN = "still_open"
    """The runbook's "stop accepted but session never closes"."""


class OperationLogEntry(PlainModel):
    """A row of ``charger_operation_log``."""

    id: int
    charge_box_id: Key
    operation: CleanText
    params: CleanDict = Field(default_factory=dict)
    task_id: int | None = None
    requested_by: Key
    dry_run: bool = False
    status: OperationStatus
    result: CleanDict | None = None
    """For submitted: the envelope (station answers); for failed: title + message."""
    error_title: CleanText | None = None
    error_message: CleanText | None = None
    followup: StopFollowup | None = None
    followup_at: datetime | None = None
    created_at: datetime
    completed_at: datetime | None = None
    request_id: Key | None = None
    """The press that created this row (one request per press; unique)."""
    console_host: CleanText | None = None
    """The host the sending console ran on."""
    client_address: CleanText | None = None
    """The operator's own machine when that console ran over SSH (its address)."""


class CardMeta(PlainModel):
    """Local metadata of a card (``card_meta``): what SteVe does not hold."""

    id_tag: Key
    display_name: Kept | None = None
    tag_type: Kept | None = None
    active: bool = True
    lago_customer_id: Key | None = None
    """External id of the linked Lago customer."""


class AuditEntry(PlainModel):
    """A row of ``audit_log``: one card edit (or the revert of one)."""

    id: int
    actor: Key
    action: CleanText
    """block, unblock, set_parent, set_expiry, relink, rename, set_type, set_active, revert."""
    id_tag: Key
    before: KeptDict = Field(default_factory=dict)
    after: KeptDict = Field(default_factory=dict)
    status: Literal["pending", "applied", "failed"] = "pending"
    error: CleanText | None = None
    reverts: int | None = None
    """For a revert: the id of the entry it undid."""
    reverted_by: int | None = None
    created_at: datetime


class Pairing(PlainModel):
    """A scan-to-login pairing armed on one charger."""

    id: int
    charge_box_id: Key
    armed_by: Key
    armed_at: datetime
    expires_at: datetime
    matched_id_tag: Key | None = None
    matched_at: datetime | None = None
    cancelled_at: datetime | None = None

    def is_armed(self, now: datetime) -> bool:
        return self.cancelled_at is None and self.matched_at is None and now < self.expires_at


class ScanEvent(PlainModel):
    """A ``scan.intercepted`` event: a tap answered BLOCKED by the hook."""

    id: int
    kind: CleanText = "scan.intercepted"
    charge_box_id: Key
    connector_id: int | None = None
    id_tag: Key
    pairing_id: int | None = None
    occurred_at: datetime


# --------------------------------------------------------------------------
# Connection state and live updates
# --------------------------------------------------------------------------


class SourceName(StrEnum):
    STEVE = "steve"
    LAGO = "lago"


class ConnectionState(StrEnum):
    UNKNOWN = "unknown"
    LIVE = "live"
    DEGRADED = "degraded"
    UNREACHABLE = "unreachable"


class SourceState(PlainModel):
    """Health of one outside system as the poller sees it."""

    source: SourceName
    state: ConnectionState = ConnectionState.UNKNOWN
    last_ok: datetime | None = None
    """Time of the last good data."""
    since: datetime | None = None
    """When the current state began."""
    error_title: CleanText | None = None
    error_message: CleanText | None = None
    from_snapshot: bool = False
    """True while the data on hand was loaded from the store, not fetched."""


# --------------------------------------------------------------------------
# Views the screens need (computed by services)
# --------------------------------------------------------------------------


class Liveness(StrEnum):
    ONLINE = "online"
    STALE = "stale"
    """Connected as far as we know, but the heartbeat is older than expected."""
    OFFLINE = "offline"
    UNKNOWN = "unknown"
    UNMANAGED = "unmanaged"
    """Known locally but not in SteVe: no remote operations possible."""


class OpenSession(PlainModel):
    """The open transaction on a charger, with what Polaris knows around it."""

    transaction: Transaction
    card: CardMeta | None = None
    customer: LagoCustomer | None = None
    latest_meter: MeterValue | None = None
    energy_wh: float | None = None
    meter_advancing: bool | None = None
    """None when Polaris has no meter values to judge by."""
    stuck: bool = False
    stuck_reason: CleanText | None = None
    meter_checked_at: datetime | None = None
    """When Polaris last read this session's meter values (poller sampler or charger
    detail); ``latest_meter``, ``meter_advancing`` and a meter-based stuck mark are as
    of then. None: not read yet (the meter verdict is unknown, never "stuck")."""
    meter_advanced_at: datetime | None = None
    """Time of the newest meter value that differed from the reading before it (the
    start value counts): "not advancing since". None: no change seen."""


class ChargerRow(PlainModel):
    """One line of the fleet table."""

    charge_box_id: Key
    description: CleanText | None = None
    status: CleanText
    """Roll-up: Charging, Available, Faulted, Offline, Unmanaged, ..."""
    status_since: datetime | None = None
    liveness: Liveness
    last_heartbeat: datetime | None = None
    connectors: list[ConnectorStatus] = Field(default_factory=list)
    open_session: OpenSession | None = None
    stuck: bool = False
    managed: bool = True
    meter_checked_at: datetime | None = None
    """When the meter of the session shown (``open_session``) was last read: the row's
    meter-based verdict is as of then (None: not read yet)."""
    source: StatusSource = StatusSource.CHARGEBOXES_API
    fetched_at: datetime | None = None
    """When this data was last fetched from SteVe (its age is shown)."""


class FleetCounts(PlainModel):
    total: int = 0
    online: int = 0
    offline: int = 0
    charging: int = 0
    faulted: int = 0
    stuck: int = 0


class ChargerDetail(PlainModel):
    """Everything the charger detail screen shows."""

    row: ChargerRow
    sessions: list[OpenSession] = Field(default_factory=list)
    """Open sessions (normally one per busy connector), with meter values."""
    recent_operations: list[OperationLogEntry] = Field(default_factory=list)
    pairings: list[Pairing] = Field(default_factory=list)
    intercepts: list[ScanEvent] = Field(default_factory=list)
    fetched_at: datetime | None = None
    steve_state: SourceState | None = None


class RelatedTag(PlainModel):
    """A parent or child of a card, with its own state."""

    id_tag: Key
    exists: bool = True
    blocked: bool = False
    expired: bool = False
    expiry_date: datetime | None = None
    is_cause: bool = False
    """This ancestor is why the card is refused (children inherit)."""
    display_name: CleanText | None = None


class SessionRow(PlainModel):
    """A recent transaction of a card, joined with its Lago sync state."""

    transaction: Transaction
    energy_kwh: float | None = None
    duration_seconds: float | None = None
    synced_event: LagoEvent | None = None
    last_synced: datetime | None = None
    sync_state: Literal["synced", "not_synced", "unknown"] = "unknown"
    """unknown: Lago could not be asked."""


class CardRow(PlainModel):
    """One line of the cards table."""

    id_tag: Key
    display_name: CleanText | None = None
    tag_type: CleanText | None = None
    active: bool = True
    linked: bool = False
    lago_customer_id: Key | None = None
    blocked: bool = False
    expired: bool = False
    parent_id_tag: Key | None = None
    in_transaction: bool = False
    is_meta: bool = False
    """Has children: shown as a Meta-EV Card."""
    in_steve: bool = True
    link_from_id_tag: Key | None = None
    """The card whose metadata holds ``lago_customer_id``: this card, or the
    nearest ancestor it inherits the link from (LAGO.md §3); None if unlinked."""


TriageAnswerValue = Literal["yes", "no", "unknown"]


class TriageAnswer(PlainModel):
    question: CleanText
    answer: TriageAnswerValue
    summary: CleanText
    evidence: list[CleanText] = Field(default_factory=list)
    healthy: bool | None = None
    """Whether this answer is the healthy one (for colouring); None if unknown."""


class TriageVerdict(PlainModel):
    valid_in_steve: TriageAnswer
    linked_with_active_subscription: TriageAnswer
    intercepted_by_scan_login: TriageAnswer
    charger_accepted: TriageAnswer

    def answers(self) -> list[TriageAnswer]:
        return [
            self.valid_in_steve,
            self.linked_with_active_subscription,
            self.intercepted_by_scan_login,
            self.charger_accepted,
        ]


class CardView(PlainModel):
    """Everything the card detail screen shows."""

    id_tag: Key
    tag: OcppTag | None = None
    """None: SteVe does not know this idTag (or SteVe is unreachable; see steve_state)."""
    meta: CardMeta | None = None
    is_meta: bool = False
    parents: list[RelatedTag] = Field(default_factory=list)
    """The parent chain, nearest first, up to the root."""
    children: list[RelatedTag] = Field(default_factory=list)
    recent: list[SessionRow] = Field(default_factory=list)
    customer: LagoCustomer | None = None
    subscriptions: list[LagoSubscription] = Field(default_factory=list)
    intercepts: list[ScanEvent] = Field(default_factory=list)
    verdict: TriageVerdict
    steve_state: SourceState
    lago_state: SourceState
    data_as_of: datetime | None = None
    """When the SteVe data shown was fetched (old when it came from the snapshot)."""
    link_from_id_tag: Key | None = None
    """The card whose metadata holds the Lago link (this card or an ancestor); None if unlinked."""
    recent_available: bool = True
    """False when SteVe could not be asked for this card's sessions (``recent`` is then empty)."""
    recent_note: CleanText | None = None
    """Why ``recent`` is empty or incomplete (SteVe unreachable, idTag SteVe cannot query)."""


class CardEditKind(StrEnum):
    BLOCK = "block"
    UNBLOCK = "unblock"
    SET_PARENT = "set_parent"
    SET_EXPIRY = "set_expiry"
    RELINK = "relink"
    RENAME = "rename"
    SET_TYPE = "set_type"
    SET_ACTIVE = "set_active"


class CardEdit(PlainModel):
    """One edit an admin asks for. ``value`` depends on ``kind``."""

    kind: CardEditKind
    value: KeptTree = None
    """set_parent: idTag or None; set_expiry: datetime or None; relink: customer id or None;
    rename: str; set_type: str; set_active: bool; block/unblock: unused."""


# --------------------------------------------------------------------------
# Events the services publish to subscribers (the UI turns them into messages)
# --------------------------------------------------------------------------


class FleetChanged(PlainModel):
    """Rows that changed since the last publish (keyed by charge_box_id)."""

    kind: Literal["fleet"] = "fleet"
    changed: list[ChargerRow] = Field(default_factory=list)
    removed: list[Key] = Field(default_factory=list)
    counts: FleetCounts = Field(default_factory=FleetCounts)
    fetched_at: datetime | None = None


class SourceStateChanged(PlainModel):
    kind: Literal["source"] = "source"
    state: SourceState


class OperationChanged(PlainModel):
    """An operation log row was written or moved to a new status/followup."""

    kind: Literal["operation"] = "operation"
    entry: OperationLogEntry


class CardChanged(PlainModel):
    """A card was edited (or an edit reverted)."""

    kind: Literal["card"] = "card"
    id_tag: Key
    audit: AuditEntry | None = None


class ScanRecorded(PlainModel):
    kind: Literal["scan"] = "scan"
    event: ScanEvent


class StoreChanged(PlainModel):
    """Another console (or the hook) changed the shared store: screens that
    show ``topics`` (operations, cards, pairings, operators) reload."""

    kind: Literal["store"] = "store"
    topics: list[Key] = Field(default_factory=list)


ServiceEvent = (
    FleetChanged | SourceStateChanged | OperationChanged | CardChanged | ScanRecorded | StoreChanged
)


# --------------------------------------------------------------------------
# What the store keeps for outages and for chargers outside SteVe
# --------------------------------------------------------------------------


class Snapshot(PlainModel):
    """The last-known SteVe data, saved by the poller so a later start (or an
    outage) can still show something, with its age."""

    chargers: list[ChargeBox] = Field(default_factory=list)
    active_transactions: list[Transaction] = Field(default_factory=list)
    tags: list[OcppTag] = Field(default_factory=list)
    fetched_at: datetime


class InventoryCharger(PlainModel):
    """A charger Polaris knows locally (``charger_inventory``); ``managed=False``
    means it is not in SteVe (no OCPP, no remote operations)."""

    charge_box_id: Key
    description: CleanText | None = None
    managed: bool = False
