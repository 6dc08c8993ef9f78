"""Shared setup of the OperationService tests: a fake SteVe client, a real
store file, and helpers that build envelopes, transactions and log rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from polaris_tui.models import (
    MeterValue,
    OperationEnvelope,
    OperationStatus,
    Operator,
    Role,
    StopFollowup,
    Transaction,
)
from polaris_tui.services.operations import (
    OperationService,
)
from polaris_tui.services.settings import Settings
from tests.unit.helpers import confirmed

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
CB = "CP-BRAVO-02"
ADMIN = Operator(name="ana", role=Role.ADMIN)
VIEWER = Operator(name="vic", role=Role.VIEWER)


def envelope(**kw: Any) -> OperationEnvelope:
    return OperationEnvelope.model_validate({"taskId": 7, "taskFinished": True, **kw})


def accepted(answer: Any = "Accepted") -> OperationEnvelope:
    return envelope(successResponses=[{"chargeBoxId": CB, "response": answer}])


def tx(pk: int = 1001, *, stopped: datetime | None = None, charge_box_id: str = CB) -> Transaction:
    return Transaction(
        id=pk,
        charge_box_id=charge_box_id,
        connector_id=1,
        ocpp_id_tag="CARD-STUCK",
        start_timestamp=NOW - timedelta(hours=3),
        start_value="1000",
        stop_timestamp=stopped,
        stop_value="2000" if stopped else None,
        stop_event_actor="station" if stopped else None,
    )


def make_service(steve, store, clock, events, *, operator=ADMIN, managed=True, followup=5.0):
    settings = Settings(poll={"stop_followup_seconds": followup})
    return OperationService(
        steve,
        store,
        clock,
        settings,
        operator,
        is_managed=lambda cb: managed,
        publish=events.append,
        watch_interval=0.01,
    )


async def stop(
    svc: OperationService, request_id: str = "press-1", *, dry_run: bool = False, tx_id: int = 1001
):
    return await svc.submit(
        CB,
        "RemoteStopTransaction",
        {"transactionId": tx_id},
        dry_run=dry_run,
        request_id=request_id,
        confirmation=confirmed(svc, CB, "RemoteStopTransaction", {"transactionId": tx_id}),
    )


async def accepted_stop_still_open(store, tx_id: int = 1001):
    """The log as the runbook leaves it: a RemoteStop accepted, still open past the follow-up."""
    entry = await store.insert_operation(
        charge_box_id=CB,
        operation="RemoteStopTransaction",
        params={"transactionId": tx_id},
        requested_by="ana",
        dry_run=False,
        request_id=f"stop-{tx_id}",
    )
    await store.finish_operation(
        entry.id,
        OperationStatus.SUBMITTED,
        task_id=7,
        result={"outcome": "accepted", "summary": "Station answered Accepted"},
        followup=StopFollowup.WATCHING,
    )
    return await store.set_followup(entry.id, StopFollowup.STILL_OPEN, NOW)


def meter(minutes_ago: float, wh: str) -> MeterValue:
    return MeterValue(
        value_timestamp=NOW - timedelta(minutes=minutes_ago),
        value=wh,
        measurand="Energy.Active.Import.Register",
        unit="Wh",
    )
