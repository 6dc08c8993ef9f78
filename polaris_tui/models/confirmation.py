"""What an operator confirms before a live operation, and the last resort's guard.

``OperationService.prepare`` returns an ``OperationPreview``: the facts the
confirmation dialog shows (charger, connector, idTag with its card and
customer, transaction, what will happen, whether it can be undone) and a
``token`` that only ``prepare`` can make. ``submit`` refuses a live send
without the token of exactly these params, so no path can send without the
operator having been shown them.

``CloseReadiness`` is the guard of the database-only close, with the facts
its dialog states (meter, connector status, billing consequence).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

STOPS_CHARGING: frozenset[str] = frozenset(
    {
        "RemoteStopTransaction",
        "UnlockConnector",
        "ReserveNow",
        "SetChargingProfile",
        "DatabaseStopTransaction",
    }
)
"""Operations that stop or refuse charging: their dialog's default answer is No.
(ChangeAvailability joins them when it takes a connector out of service.)"""


def stops_charging(operation: str, params: dict[str, Any]) -> bool:
    """Whether ``operation`` with ``params`` stops or refuses charging."""
    if operation == "ChangeAvailability":
        return params.get("availType") == "Inoperative"
    return operation in STOPS_CHARGING


class OperationPreview(BaseModel):
    """The confirmation of one live operation (built by the service)."""

    model_config = ConfigDict(frozen=True)

    charge_box_id: str
    operation: str
    params: dict[str, Any] = Field(default_factory=dict)
    """The validated body (what will be sent, without ``chargeBoxIdList``)."""
    connector_id: int | None = None
    id_tag: str | None = None
    card_name: str | None = None
    """The card's display name in Polaris, when it has one."""
    customer: str | None = None
    """The linked Lago customer (name and e-mail), when known."""
    transaction_id: int | None = None
    charger_state: str | None = None
    """A warning about the charger (offline, stale), or None when it looks online."""
    effect: str
    """What will happen, in one or two plain sentences."""
    undo: str
    """Whether it can be undone, and how."""
    default_no: bool
    """It stops or refuses charging: the dialog's default answer is No."""
    concurrent: str | None = None
    """Another operator's recent operation on this charger and transaction, as
    a sentence (who, what, how long ago, from where); confirming sends anyway."""
    token: str
    """Proof of this preview; ``submit`` needs it for a live send."""


class CloseReadiness(BaseModel):
    """Whether the database-only close is allowed now, and the facts its dialog states."""

    model_config = ConfigDict(frozen=True)

    charge_box_id: str
    transaction_id: int
    allowed: bool
    missing: list[str] = Field(default_factory=list)
    """Each condition not met, in plain words (empty when allowed)."""
    stop_op_id: int | None = None
    """The accepted RemoteStop that is still open past the follow-up time."""
    unlock_op_id: int | None = None
    """The UnlockConnector tried after it, if any."""
    connector_id: int | None = None
    connector_status: str | None = None
    """What the station last reported for the connector (e.g. Charging)."""
    connector_status_at: datetime | None = None
    meter_wh: float | None = None
    meter_at: datetime | None = None
    meter_advancing: bool | None = None
    meter_flat_minutes: float | None = None
    """How long the meter has not advanced (None: no meter values)."""
    id_tag: str | None = None
    card_name: str | None = None
    customer: str | None = None
    """The linked Lago customer (name and e-mail), when known."""
    billing: str
    """The billing consequence: the usage event Lago may not get, what to reconcile."""


__all__ = ["STOPS_CHARGING", "CloseReadiness", "OperationPreview", "stops_charging"]
