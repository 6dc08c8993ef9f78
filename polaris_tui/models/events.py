"""Events the services publish to subscribers (the UI turns them into
messages), and what the store keeps for outages and chargers outside SteVe."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from polaris_tui.models.base import (
    PlainModel,
)
from polaris_tui.models.records import (
    AuditEntry,
    OperationLogEntry,
    ScanEvent,
)
from polaris_tui.models.steve import (
    ChargeBox,
    OcppTag,
    Transaction,
)
from polaris_tui.models.views import (
    ChargerRow,
    FleetCounts,
    SourceState,
)
from polaris_tui.text_clean import (
    CleanText,
    Key,
)

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
