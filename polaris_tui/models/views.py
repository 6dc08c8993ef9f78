"""Connection state and the views the services compute for the screens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from polaris_tui.models.base import (
    PlainModel,
)
from polaris_tui.models.identity import TapQuery
from polaris_tui.models.lago import (
    LagoCustomer,
    LagoEvent,
    LagoSubscription,
)
from polaris_tui.models.records import (
    CardMeta,
    OperationLogEntry,
    Pairing,
    ScanEvent,
)
from polaris_tui.models.steve import (
    ConnectorStatus,
    MeterValue,
    OcppTag,
    StatusSource,
    Transaction,
)
from polaris_tui.text_clean import (
    CleanText,
    KeptTree,
    Key,
)

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
    customer_name: CleanText | None = None
    customer_email: CleanText | None = None
    """The linked Lago customer's name and e-mail (last Lago poll), for the search."""


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
    tap: TapQuery | None = None
    """The window and place the tap questions looked at (the operator's, or the default)."""


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
