"""Which RemoteStop on a charger still needs the operator (the force-close runbook).

After an accepted RemoteStopTransaction the watcher marks the log row
``still_open`` when the session did not close. The charger detail then
offers the next steps (unlock the connector, close in SteVe's database).
These pure functions decide which stop that is and on which connector, from
the log rows and the detail on screen, so the rule is read and tested apart
from the screen.
"""

from __future__ import annotations

from collections.abc import Iterable

from polaris_tui.models import ChargerDetail, OperationLogEntry, OperationStatus, StopFollowup
from polaris_tui.models.confirmation import CloseReadiness


def followup_entry(
    entries: Iterable[OperationLogEntry], detail: ChargerDetail | None
) -> OperationLogEntry | None:
    """The newest submitted RemoteStop whose session is still open after the stop."""
    stops = [
        e
        for e in entries
        if e.operation == "RemoteStopTransaction" and e.status == OperationStatus.SUBMITTED
    ]
    if not stops:
        return None
    newest = max(stops, key=lambda e: e.id)
    if newest.followup != StopFollowup.STILL_OPEN:
        return None
    tx_id = newest.params.get("transactionId")
    if detail is not None and not any(s.transaction.id == tx_id for s in detail.sessions):
        return None  # the session closed since (e.g. after the unlock)
    return newest


def followup_connector(entry: OperationLogEntry, detail: ChargerDetail | None) -> int | None:
    """The connector of the stopped session (else of the session shown first)."""
    sessions = detail.sessions if detail is not None else []
    tx_id = entry.params.get("transactionId")
    for session in sessions:
        if session.transaction.id == tx_id:
            return session.transaction.connector_id
    return sessions[0].transaction.connector_id if sessions else None


STILL_DRAWING = ("Charging", "SuspendedEV", "SuspendedEVSE")
"""Connector states that say a car is still plugged in and in a session."""


def last_closed_stop(entries: Iterable[OperationLogEntry]) -> OperationLogEntry | None:
    """The newest live RemoteStop whose session has closed (for the way back)."""
    stops = [e for e in entries if e.operation == "RemoteStopTransaction" and not e.dry_run]
    if not stops:
        return None
    newest = max(stops, key=lambda e: e.id)
    return newest if newest.followup is not None and newest.followup.closed else None


def close_offered(readiness: CloseReadiness | None, entry: OperationLogEntry | None) -> bool:
    """Whether the last resort (close in SteVe's database) is offered for ``entry``."""
    return (
        entry is not None
        and readiness is not None
        and readiness.allowed
        and readiness.transaction_id == entry.params.get("transactionId")
    )


def db_close_note(entries: Iterable[OperationLogEntry], detail: ChargerDetail) -> str | None:
    """After a database-only close, what to say while the station still reports
    a session on that connector (None: nothing to say)."""
    closes = [
        e
        for e in entries
        if e.operation == "DatabaseStopTransaction" and e.status == OperationStatus.SUBMITTED
    ]
    if not closes:
        return None
    newest = max(closes, key=lambda e: e.id)
    tx = (newest.result or {}).get("transaction") or {}
    connector = tx.get("connectorId")
    busy = {s.transaction.connector_id for s in detail.sessions}
    text = None
    for c in detail.row.connectors:
        if c.connector_id == connector and c.status in STILL_DRAWING and c.connector_id not in busy:
            text = (
                f"SteVe's database says closed; the station still reports {c.status} "
                f"on connector {connector}"
            )
    return text
