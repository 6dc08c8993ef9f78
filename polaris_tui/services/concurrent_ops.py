"""The duplicate-stop guard: is another operator already acting on this session?

Two operators on two consoles can open the same stuck session at once. Before
a live operation the service looks for another operator's ``pending`` or
``submitted`` operation on the same charger and transaction inside the
follow-up window; the confirmation names it, and a second live
RemoteStopTransaction is refused unless the operator overrides explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from polaris_tui.models import OperationLogEntry, StopFollowup

GUARDED_OPERATIONS = frozenset({"RemoteStopTransaction"})
"""A second one of these on the same transaction is refused without the override."""


@dataclass(frozen=True)
class ConcurrentOperation:
    """Another operator's recent operation on the same charger and transaction."""

    entry: OperationLogEntry
    age_seconds: float

    def describe(self) -> str:
        """``ana sent RemoteStopTransaction for transaction 1013 40 s ago from
        203.0.113.7 via noc-1; it is still being watched.``"""
        entry = self.entry
        where = entry.client_address and f"{entry.client_address} via {entry.console_host}"
        where = where or entry.console_host or "an unknown host"
        transaction = entry.params.get("transactionId")
        what = f" for transaction {transaction}" if transaction is not None else ""
        state = {
            StopFollowup.WATCHING: "it is still being watched",
            StopFollowup.CLOSED: "the session has closed since",
            StopFollowup.CLOSED_AFTER_UNLOCK: "the session has closed since, after an unlock",
            StopFollowup.CLOSED_IN_DATABASE: "the session was closed in SteVe's database",
            StopFollowup.STILL_OPEN: "the session stayed open after it",
        }.get(entry.followup, f"it is {entry.status.value}")  # type: ignore[arg-type]
        return (
            f"{entry.requested_by} sent {entry.operation}{what} "
            f"{_ago(self.age_seconds)} from {where}; {state}."
        )


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{max(0, round(seconds))} s ago"
    return f"{round(seconds / 60)} min ago"


def _transaction_of(params: dict[str, Any] | None) -> Any:
    return (params or {}).get("transactionId")


async def find_concurrent(
    store: Any,
    *,
    charge_box_id: str,
    params: dict[str, Any] | None,
    operator_name: str,
    now: datetime,
    window_seconds: float,
) -> ConcurrentOperation | None:
    """The newest other operator's live operation on this charger (and this
    transaction, when ``params`` name one) inside the window, or None."""
    since = now - timedelta(seconds=window_seconds)
    entries = await store.live_operations_since(charge_box_id, since)
    return pick_concurrent(
        entries, params=params, operator_name=operator_name, now=now, window_seconds=window_seconds
    )


def pick_concurrent(
    entries: list[OperationLogEntry],
    *,
    params: dict[str, Any] | None,
    operator_name: str,
    now: datetime,
    window_seconds: float,
) -> ConcurrentOperation | None:
    """``find_concurrent`` over live rows already read (newest first): also run
    inside the write that records a stop, so two consoles cannot both pass."""
    since = now - timedelta(seconds=window_seconds)
    transaction = _transaction_of(params)
    for entry in entries:
        if entry.created_at is None or entry.created_at < since:
            continue
        if entry.requested_by == operator_name:
            continue  # one's own repeat is the request id's and pending check's job
        if transaction is not None and _transaction_of(entry.params) != transaction:
            continue
        return ConcurrentOperation(entry, (now - entry.created_at).total_seconds())
    return None
