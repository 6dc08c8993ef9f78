"""The guarded database-only close of a zombie session (``DatabaseStopTransaction``).

``PATCH /transactions/{id}/stop`` closes a transaction in SteVe's database
without sending anything to the station: for a session the station will
never close. ``OperationService.close_in_database`` writes the audited row
first; this checks the transaction and closes it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from polaris_tui.models import OperationLogEntry, OperationStatus
from polaris_tui.models.errors import PolarisError, SteveNotFound

log = logging.getLogger(__name__)

Fail = Callable[[OperationLogEntry, str, str, str], Awaitable[OperationLogEntry]]
"""Records a failed row: (entry, title, message, error class name)."""


async def close_checked(
    steve: Any,
    store: Any,
    entry: OperationLogEntry,
    charge_box_id: str,
    transaction_id: int,
    *,
    operator_name: str,
    fail: Fail,
) -> OperationLogEntry:
    """Close the transaction in SteVe's database only if it exists, belongs to
    this charger and is still open; otherwise the row fails with the reason.

    Returns:
        The finished log row (``submitted`` or ``failed``); never raises for SteVe.
    """
    try:
        details = await steve.transaction_details(transaction_id)
    except SteveNotFound as exc:
        return await fail(
            entry,
            "Unknown transaction",
            f"SteVe has no transaction {transaction_id}; nothing was closed. ({exc.message})",
            type(exc).__name__,
        )
    except PolarisError as exc:
        return await fail(entry, exc.title, exc.message, type(exc).__name__)
    tx = details.transaction
    if tx.charge_box_id != charge_box_id:
        return await fail(
            entry,
            "Wrong charger",
            f"Transaction {transaction_id} belongs to {tx.charge_box_id}, not "
            f"{charge_box_id}; nothing was closed.",
            "WrongCharger",
        )
    if not tx.active:
        return await fail(
            entry,
            "Already closed",
            f"Transaction {transaction_id} was already closed at "
            f"{tx.stop_timestamp:%Y-%m-%d %H:%M:%S} UTC (by {tx.stop_event_actor or 'unknown'}); "
            "nothing was changed.",
            "AlreadyClosed",
        )
    try:
        await steve.stop_transaction_in_db(transaction_id)
    except SteveNotFound as exc:
        return await fail(
            entry,
            "Unknown transaction",
            f"SteVe has no transaction {transaction_id}; nothing was closed. ({exc.message})",
            type(exc).__name__,
        )
    except PolarisError as exc:
        return await fail(entry, exc.title, exc.message, type(exc).__name__)
    result: dict[str, Any] = {
        "outcome": "closed_in_database",
        "summary": (
            f"Transaction {transaction_id} closed in SteVe's database only "
            "(stopEventActor=manual); nothing was sent to the station. "
            "Reconcile billing for this session."
        ),
    }
    try:
        after = await steve.transaction_details(transaction_id)
        result["transaction"] = after.transaction.model_dump(mode="json", by_alias=True)
    except PolarisError as exc:
        result["transaction_error"] = str(exc)
    entry = await store.finish_operation(entry.id, OperationStatus.SUBMITTED, result=result)
    log.warning(
        "transaction %s on %s closed in SteVe's database by %s (op #%d)",
        transaction_id,
        charge_box_id,
        operator_name,
        entry.id,
    )
    return entry
