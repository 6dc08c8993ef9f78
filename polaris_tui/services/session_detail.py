"""Pure parts of a session's detail: its meter curve, the operations that
touched it, and its billing in words. No I/O, no clock (``now`` is passed)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from polaris_tui.models import MeterValue, OperationLogEntry, SessionRow, Transaction
from polaris_tui.models.errors import LagoError
from polaris_tui.models.sessions import MeterPoint, SessionLine

ENERGY = "energy.active.import.register"
POWER = "power.active.import"
NEAR = timedelta(minutes=10)
"""An operation on the session's connector this close to its start or stop touched it."""
CONNECTOR_OPERATIONS = ("UnlockConnector", "RemoteStartTransaction")


def _number(value: MeterValue) -> float | None:
    try:
        return float(value.value) if value.value is not None else None
    except ValueError:
        return None


def meter_points(
    tx: Transaction, values: Iterable[MeterValue]
) -> tuple[list[MeterPoint], str | None]:
    """Energy delivered so far (Wh above the start value) and power (W), per instant."""
    try:
        start_wh = float(tx.start_value) if tx.start_value is not None else None
    except ValueError:
        start_wh = None
    points: dict[datetime, MeterPoint] = {}
    for value in values:
        number = _number(value)
        if number is None or value.format == "SignedData":
            continue
        measurand = (value.measurand or ENERGY).lower()
        unit = (value.unit or "").lower()
        point = points.setdefault(value.value_timestamp, MeterPoint(at=value.value_timestamp))
        if measurand == ENERGY and unit in ("", "wh", "kwh"):
            wh = number * 1000 if unit == "kwh" else number
            point.energy_wh = wh - start_wh if start_wh is not None else None
        elif measurand == POWER and unit in ("w", "kw"):
            point.power_w = number * 1000 if unit == "kw" else number
    ordered = [points[at] for at in sorted(points)]
    if not ordered:
        return [], "SteVe holds no meter values for this session."
    if start_wh is None:
        return ordered, "The start meter value is not a number: energy cannot be drawn."
    return ordered, None


def _transaction_id(op: OperationLogEntry) -> int | None:
    raw = op.params.get("transactionId") if op.params else None
    try:
        return int(str(raw)) if raw is not None else None
    except ValueError:
        return None


def touched_by(
    tx: Transaction, operations: Iterable[OperationLogEntry], now: datetime
) -> list[OperationLogEntry]:
    """Operations naming this transaction, or acting on its connector while it ran (oldest first)."""
    end = tx.stop_timestamp or now
    out = []
    for op in operations:
        if op.charge_box_id != tx.charge_box_id:
            continue
        if _transaction_id(op) == tx.id:
            out.append(op)
            continue
        connector = op.params.get("connectorId") if op.params else None
        if (
            op.operation in CONNECTOR_OPERATIONS
            and str(connector) == str(tx.connector_id)
            and tx.start_timestamp - NEAR <= op.created_at <= end + NEAR
        ):
            out.append(op)
    return sorted(out, key=lambda o: o.id)


def kwh_words(row: SessionRow) -> str:
    return f"{row.energy_kwh:.2f} kWh" if row.energy_kwh is not None else "its energy"


def unsynced_words(row: SessionRow, customer: str | None) -> str:
    """A finished session Lago never received, as a billing problem in words."""
    tx = row.transaction
    who = f" to {customer}" if customer else ""
    return (
        f"Billing problem, not a charging problem: Lago has no usage event "
        f"steve_tx_{tx.id}_final, so {kwh_words(row)} charged on {tx.charge_box_id} "
        f"are not billed{who}. Reconcile: check the sync run that sends SteVe's sessions "
        "to Lago, and send this session again."
    )


def billing_words(line: SessionLine, lago_error: LagoError | None) -> str:
    """What Lago holds for this session, or why there is no usage event."""
    row, tx = line.row, line.row.transaction
    if tx.active:
        return (
            f"Running: the final usage event steve_tx_{tx.id}_final goes to Lago when the "
            "session ends."
        )
    if line.customer_id is None:
        return (
            f"Not billed: card {tx.ocpp_id_tag} is not linked to a Lago customer, so no usage "
            f"can be sent. Link the card, then reconcile {kwh_words(row)} by hand."
        )
    if row.sync_state == "synced" and row.synced_event is not None:
        event = row.synced_event
        kwh = event.properties.get("kwh") or event.properties.get("value") or "?"
        subscription = event.external_subscription_id or "?"
        return (
            f"Billed: Lago holds {event.transaction_id} ({kwh} kWh, subscription {subscription})."
        )
    if row.sync_state == "not_synced":
        return unsynced_words(row, line.customer_name or line.customer_id)
    if lago_error is not None:
        return f"Billing unknown: Lago could not be asked ({lago_error})."
    return "Billing unknown: Lago is not configured, so Polaris cannot say whether it was billed."


__all__ = ["billing_words", "meter_points", "touched_by", "unsynced_words"]
