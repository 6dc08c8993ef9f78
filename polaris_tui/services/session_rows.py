"""A card's recent sessions as the card page lists them, with their Lago sync state.

A finished session is billed once Lago holds its ``steve_tx_<id>_final``
event. The card reader asks Lago for that event (when Lago is configured)
and hands the answer here; this pure function turns one transaction and
that answer into the row the page shows.
"""

from __future__ import annotations

from polaris_tui.models import LagoEvent, SessionRow, Transaction
from polaris_tui.models.errors import LagoError
from polaris_tui.models.sessions import StoppedBy

SyncAnswer = LagoEvent | LagoError | None
"""Lago's answer about one session's final event: the event, an error, or None (none)."""


def session_row(tx: Transaction, answer: SyncAnswer, *, asked: bool) -> SessionRow:
    """The row of ``tx``; ``asked`` says whether Lago was asked about it at all."""
    wh = tx.energy_wh
    duration = (
        (tx.stop_timestamp - tx.start_timestamp).total_seconds() if tx.stop_timestamp else None
    )
    row = SessionRow(
        transaction=tx,
        energy_kwh=wh / 1000 if wh is not None else None,
        duration_seconds=duration,
    )
    if tx.active:
        row.sync_state = "not_synced"  # a _final event only exists once the session ended
    elif isinstance(answer, LagoEvent):
        row.synced_event = answer
        row.last_synced = answer.created_at or answer.timestamp
        row.sync_state = "synced"
    elif isinstance(answer, LagoError) or not asked:
        row.sync_state = "unknown"
    else:
        row.sync_state = "not_synced"
    return row


def stopped_by(tx: Transaction) -> StoppedBy | None:
    """Who ended ``tx``: SteVe's stopEventActor, and for the station its stopReason."""
    if tx.active:
        return None
    if (tx.stop_event_actor or "").lower() == "manual":
        return StoppedBy.DATABASE_CLOSE
    reason = (tx.stop_reason or "").lower()
    if reason == "remote":
        return StoppedBy.REMOTE_STOP
    if reason == "unlockcommand":
        return StoppedBy.UNLOCK
    return StoppedBy.STATION


__all__ = ["SyncAnswer", "session_row", "stopped_by"]
