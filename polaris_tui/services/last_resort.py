"""The guard of the database-only close: the last resort stays the last resort.

Closing a transaction in SteVe's database (nothing reaches the station) is
allowed only when all of these hold:

1. the transaction is still an open session of this charger;
2. a RemoteStop for it was accepted and the session is still open past the
   follow-up time (its row's follow-up is ``still_open``);
3. UnlockConnector was tried after that stop, or the meter has been flat
   for ``poll.stuck_after_minutes``;
4. the meter is not advancing (a car still drawing is never cut off here,
   whatever else was tried).

``close_readiness`` reads the facts (one transaction read from SteVe, the
operation log, the poller's connector status) and says which condition is
missing; the UI offers the close only when it is allowed, and the service
checks it again before writing anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from polaris_tui.models import OperationLogEntry, OperationStatus, StopFollowup, Transaction
from polaris_tui.models.confirmation import CloseReadiness
from polaris_tui.models.errors import SteveNotFound
from polaris_tui.services.fleet_rules import read_meter
from polaris_tui.services.operation_preview import card_facts, stale_message


def _accepted_stop(entries: list[OperationLogEntry], tx_id: int) -> OperationLogEntry | None:
    stops = [
        e
        for e in entries
        if e.operation == "RemoteStopTransaction"
        and not e.dry_run
        and e.status == OperationStatus.SUBMITTED
        and (e.result or {}).get("outcome") in ("accepted", "no_answer")
        and e.params.get("transactionId") == tx_id
    ]
    return max(stops, key=lambda e: e.id) if stops else None


def _unlock_after(
    entries: list[OperationLogEntry], stop: OperationLogEntry, connector: int | None
) -> OperationLogEntry | None:
    unlocks = [
        e
        for e in entries
        if e.operation == "UnlockConnector"
        and not e.dry_run
        and e.id > stop.id
        and e.status == OperationStatus.SUBMITTED
        and (connector is None or e.params.get("connectorId") == connector)
    ]
    return max(unlocks, key=lambda e: e.id) if unlocks else None


def billing_words(tx: Transaction | None, tx_id: int, meter_wh: float | None) -> str:
    """The billing consequence of closing ``tx_id`` in SteVe's database only."""
    start = None
    if tx is not None and tx.start_value is not None:
        try:
            start = float(tx.start_value)
        except ValueError:
            start = None
    energy = (
        f" The last meter value says {(meter_wh - start) / 1000:.2f} kWh so far."
        if meter_wh is not None and start is not None
        else ""
    )
    return (
        f"Lago may never get the usage event steve_tx_{tx_id}_final: the session's final "
        "energy comes from the station's StopTransaction, which has not arrived."
        f"{energy} Reconcile transaction {tx_id} with billing by hand, and check it again "
        "if the station later sends its own stop."
    )


async def close_readiness(
    steve: Any,
    store: Any,
    poller: Any,
    now: datetime,
    stuck_after_minutes: float,
    charge_box_id: str,
    transaction_id: int,
) -> CloseReadiness:
    """Whether the database-only close of ``transaction_id`` is allowed now (see the module).

    Raises:
        PolarisError: SteVe could not be asked about the transaction.
    """
    missing: list[str] = []
    try:
        details = await steve.transaction_details(transaction_id)
        tx: Transaction | None = details.transaction
        values = details.values
    except SteveNotFound:
        tx, values = None, []
    stale = stale_message(charge_box_id, transaction_id, tx)
    if stale is not None:
        missing.append(stale.removesuffix(" Nothing was sent."))
    connector = tx.connector_id if tx is not None else None

    entries = await store.recent_operations(charge_box_id=charge_box_id, limit=500)
    stop = _accepted_stop(entries, transaction_id)
    unlock = _unlock_after(entries, stop, connector) if stop is not None else None
    if stop is None:
        missing.append(f"No RemoteStop of transaction {transaction_id} was accepted yet.")
    elif stop.followup != StopFollowup.STILL_OPEN:
        missing.append(
            f"RemoteStop #{stop.id} is still within its follow-up time: wait for it to end."
            if stop.followup == StopFollowup.WATCHING
            else f"RemoteStop #{stop.id} did not end still open."
        )

    threshold = timedelta(minutes=stuck_after_minutes)
    meter_wh = meter_at = advancing = flat_minutes = None
    if tx is not None:
        note = read_meter(tx, values, now, threshold)
        meter_wh, meter_at, advancing = note.latest_wh, note.latest_at, note.advancing
        flat_since = note.advanced_at or tx.start_timestamp
        flat_minutes = max((now - flat_since).total_seconds() / 60, 0.0)
    if advancing:
        missing.append(
            "The meter is advancing: the car is still drawing. Never close a live session "
            "in the database."
        )
    elif unlock is None and (flat_minutes is None or flat_minutes < stuck_after_minutes):
        missing.append(
            f"Try UnlockConnector first, or wait until the meter has been flat for "
            f"{stuck_after_minutes:g} min."
        )

    status = status_at = None
    box = poller.charger(charge_box_id) if poller is not None else None
    for c in box.connectors if box is not None else []:
        if c.connector_id == connector:
            status, status_at = c.status, c.timestamp
    # The same card and customer words as every other confirmation.
    card_name, customer = card_facts(poller, tx.ocpp_id_tag if tx is not None else None)
    return CloseReadiness(
        charge_box_id=charge_box_id,
        transaction_id=transaction_id,
        allowed=not missing,
        missing=missing,
        stop_op_id=stop.id if stop else None,
        unlock_op_id=unlock.id if unlock else None,
        connector_id=connector,
        connector_status=status,
        connector_status_at=status_at,
        meter_wh=meter_wh,
        meter_at=meter_at,
        meter_advancing=advancing,
        meter_flat_minutes=flat_minutes,
        id_tag=tx.ocpp_id_tag if tx is not None else None,
        card_name=card_name,
        customer=customer,
        billing=billing_words(tx, transaction_id, meter_wh),
    )


__all__ = ["billing_words", "close_readiness"]
