"""Polaris' own records (the store): operators, the operation and audit
logs, card metadata, pairings and scan events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from polaris_tui.models.base import (
    PlainModel,
)
from polaris_tui.models.roles import Role as Role  # re-exported: its home before
from polaris_tui.text_clean import (
    CleanDict,
    CleanText,
    Kept,
    KeptDict,
    Key,
)


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
    """What became of the session after a stop, an unlock or a database-only close.

    ``watching`` is the only state that is not final; ``still_open`` is final
    "as of ``followup_at``" and moves on when a later event closes the session.
    """

    WATCHING = "watching"
    CLOSED = "closed"
    """Closed by the station (its StopTransaction arrived)."""
    CLOSED_AFTER_UNLOCK = "closed_after_unlock"
    """Closed by the station after an UnlockConnector (reason UnlockCommand)."""
    CLOSED_IN_DATABASE = "closed_in_database"
    """Closed in SteVe's database only; the station never confirmed it."""
    STILL_OPEN = "still_open"
    """The runbook's "stop accepted but session never closes" (as of ``followup_at``)."""

    @property
    def closed(self) -> bool:
        return self in (
            StopFollowup.CLOSED,
            StopFollowup.CLOSED_AFTER_UNLOCK,
            StopFollowup.CLOSED_IN_DATABASE,
        )


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
    follows: int | None = None
    """The operation this one continues (an Unlock or a database close after a
    RemoteStop): the log shows the chain."""


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
