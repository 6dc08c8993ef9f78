"""What an operation log row means, in the runbook's words.

One place turns an ``OperationLogEntry`` (or a refused submit) into the
sentences the force-close runbook promises the operator: failed with the
reason (SteVe refused it, or is unreachable), station offline, transactionId
no longer active (refresh offered), unmanaged charger, operation not allowed,
and "stop accepted but the session is still open". Pure functions over the
models, so each case is unit-tested without a screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.content import Content

from polaris_tui.models import OperationLogEntry, OperationStatus, StopFollowup
from polaris_tui.models.errors import (
    DuplicateSubmit,
    ErrorKind,
    InvalidParams,
    LastResortRefused,
    OperationNotAllowed,
    PermissionDenied,
    PolarisError,
    StaleTransaction,
    StationOffline,
    SteveAuthError,
    SteveRejected,
    SteveUnreachable,
    TransactionNotActive,
    UnmanagedCharger,
)
from polaris_tui.models.outcomes import OutcomeKind, operation_outcome
from polaris_tui.widgets.safe_text import clean

UNMANAGED_TEXT = (
    "This charger is not in SteVe — it doesn't speak OCPP, so remote operations aren't "
    "available; resolve through billing."
)
NOT_ALLOWED_TEXT = (
    "Destructive operations (Reset, ClearCache, UpdateFirmware, SendLocalList, "
    "ClearChargingProfile, ChangeConfiguration) are intentionally blocked here — "
    "use the SteVe admin UI directly."
)
OFFLINE_TEXT = (
    "The charger is offline: the operation cannot be delivered. Confirm it in Live status; "
    "wait for it to reconnect, or ask the customer to power-cycle the unit."
)
STALE_TX_TEXT = (
    "Stale transactionId: the session may have already ended between your dry run and "
    "this submit. Refresh the charger (r) and check Current session."
)
NO_ANSWER_TEXT = (
    "SteVe took the request but did not answer in time: it may have sent it to the station, "
    "which may still act on it. Refresh the charger (r) and check before you try again."
)
STILL_OPEN_TEXT = (
    "Stop accepted but the session is still open: the charger has stopped acknowledging "
    "transaction state. Try UnlockConnector on the session's connector; if that also fails, "
    "close it in SteVe's database only and escalate to a site visit (reconcile with billing)."
)


@dataclass
class Outcome:
    """How to show one result: a headline, its tone, and what to offer next."""

    headline: str
    tone: str
    """``ok``, ``info``, ``warning`` or ``error`` (a CSS class ``-tone-…``)."""
    detail: str = ""
    offer_refresh: bool = False
    offer_unlock: bool = False
    field_errors: dict[str, str] = field(default_factory=dict)

    def content(self) -> Content:
        """The outcome as safe ``Content``: the models cleaned what came from outside;
        headline and detail are cleaned again here, at the render boundary."""
        style = {
            "ok": "bold $success",
            "info": "bold",
            "warning": "bold $warning",
            "error": "bold $error",
        }.get(self.tone, "bold")
        parts: list[tuple[str, str] | str] = [(clean(self.headline, limit=500), style)]
        if self.detail:
            parts += ["\n", clean(self.detail, keep_newlines=True)]
        return Content.assemble(*parts)


def station_answer(entry: OperationLogEntry) -> str:
    """The station's answer recorded in ``result`` ("Accepted", "Unlocked", …), or ""."""
    result = entry.result or {}
    summary = result.get("summary")
    if isinstance(summary, str) and summary:
        return summary
    answers = result.get("successResponses") or result.get("success_responses") or []
    for answer in answers:
        if isinstance(answer, dict) and answer.get("response") is not None:
            return f"Station answered {answer['response']}"
    return ""


def describe_entry(entry: OperationLogEntry) -> Outcome:
    """The outcome of a logged operation, as the runbook describes it."""
    ref = f"Operation log #{entry.id}"
    if entry.status == OperationStatus.DRY_RUN:
        return Outcome(
            f"{ref}: dry run — params are valid; nothing was sent to SteVe",
            "info",
            detail=f"{entry.operation} {_params(entry)}. Turn Dry run off and submit to send it.",
        )
    if entry.status == OperationStatus.PENDING:
        return Outcome(f"{ref}: pending — waiting for SteVe…", "info")
    if entry.status == OperationStatus.INTERRUPTED:
        return Outcome(
            f"{ref}: interrupted — Polaris stopped before SteVe answered; it was not resent",
            "warning",
            detail="Check the charger's state before trying again.",
        )
    if entry.status == OperationStatus.FAILED:
        return _failed(entry, ref)
    # submitted
    task = f"SteVe task {entry.task_id}" if entry.task_id is not None else "no SteVe taskId"
    answer = station_answer(entry)
    outcome = operation_outcome(entry).kind
    headline = f"{ref}: submitted · {task}" + (f" · {answer}" if answer else "")
    tone = "ok" if outcome == OutcomeKind.ACCEPTED else "warning"
    result = Outcome(headline, tone)
    if outcome == OutcomeKind.NO_ANSWER:
        result.detail = "The station did not answer within SteVe's 30 s; it may still act."
    if entry.followup == StopFollowup.WATCHING:
        result.detail = "Watching for the station's StopTransaction…"
    elif entry.followup == StopFollowup.CLOSED:
        result.detail = f"The session closed: the station sent its stop ({_at(entry)})."
        result.tone = "ok"
    elif entry.followup == StopFollowup.CLOSED_AFTER_UNLOCK:
        result.detail = f"The session closed after the unlock ({_at(entry)})."
        result.tone = "ok"
    elif entry.followup == StopFollowup.CLOSED_IN_DATABASE:
        result.detail = (
            f"Closed in SteVe's database only ({_at(entry)}); the station never confirmed it. "
            "Reconcile billing for this session."
        )
        result.tone = "warning"
    elif entry.followup == StopFollowup.STILL_OPEN:
        result.headline = f"{ref}: stop accepted but the session is still open"
        result.tone = "warning"
        result.detail = STILL_OPEN_TEXT
        result.offer_unlock = True
    return result


def _failed(entry: OperationLogEntry, ref: str) -> Outcome:
    title = entry.error_title or "Failed"
    message = entry.error_message or ""
    head = f"{ref}: failed — {title}"
    kind = operation_outcome(entry).error_kind
    if kind == ErrorKind.STATION_OFFLINE:
        return Outcome(head, "error", detail=f"{message}\n{OFFLINE_TEXT}".strip())
    if kind == ErrorKind.TRANSACTION_NOT_ACTIVE:
        return Outcome(
            head, "error", detail=f"{message}\n{STALE_TX_TEXT}".strip(), offer_refresh=True
        )
    if kind in (ErrorKind.STEVE_TIMEOUT, ErrorKind.STEVE_NOT_ANSWERING):
        # The request went out: SteVe may have sent it on, and the station may act.
        return Outcome(
            head, "error", detail=f"{NO_ANSWER_TEXT} {message}".strip(), offer_refresh=True
        )
    if kind == ErrorKind.STEVE_UNREACHABLE:
        return Outcome(
            head,
            "error",
            detail=f"SteVe is unreachable: the operation was not delivered. {message}".strip(),
        )
    return Outcome(
        head, "error", detail=f"SteVe rejected the call or was unreachable. {message}".strip()
    )


def describe_error(error: PolarisError, operation: str = "") -> Outcome:
    """The outcome of a submit the service refused before writing or sending."""
    if isinstance(error, UnmanagedCharger):
        return Outcome("Unmanaged charger", "error", detail=UNMANAGED_TEXT)
    if isinstance(error, OperationNotAllowed):
        name = operation or "this operation"
        return Outcome(f"Operation '{name}' is not allowed.", "error", detail=NOT_ALLOWED_TEXT)
    if isinstance(error, InvalidParams):
        return Outcome(
            "Invalid parameters — nothing was written or sent",
            "error",
            detail=error.message,
            field_errors=dict(error.field_errors),
        )
    if isinstance(error, PermissionDenied):
        return Outcome(
            error.title, "error", detail=error.message or "Viewers cannot submit operations."
        )
    if isinstance(error, DuplicateSubmit):
        return Outcome(error.title, "warning", detail=error.message)
    if isinstance(error, StaleTransaction):
        return Outcome(
            "Not sent: that transaction is not the open session",
            "error",
            detail=error.message,
            offer_refresh=True,
        )
    if isinstance(error, LastResortRefused):
        return Outcome(error.title, "warning", detail=error.message)
    if isinstance(error, TransactionNotActive):
        return Outcome(
            error.title, "error", detail=f"{error.message}\n{STALE_TX_TEXT}", offer_refresh=True
        )
    if isinstance(error, StationOffline):
        return Outcome(error.title, "error", detail=f"{error.message}\n{OFFLINE_TEXT}")
    if isinstance(error, (SteveUnreachable, SteveAuthError, SteveRejected)):
        return Outcome(
            error.title,
            "error",
            detail=f"SteVe rejected the call or was unreachable. {error.message}",
        )
    return Outcome(error.title, "error", detail=error.message)


def _params(entry: OperationLogEntry) -> str:
    if not entry.params:
        return "(no params)"
    return ", ".join(f"{k}={v}" for k, v in entry.params.items())


def _at(entry: OperationLogEntry) -> str:
    return entry.followup_at.strftime("%H:%M:%SZ") if entry.followup_at else "time unknown"


SHORT_NAMES = {
    "RemoteStopTransaction": "RemoteStop",
    "RemoteStartTransaction": "RemoteStart",
    "UnlockConnector": "Unlock",
    "DatabaseStopTransaction": "Close in DB",
}

FINAL_WORDS = {
    StopFollowup.CLOSED: "closed by the station",
    StopFollowup.CLOSED_AFTER_UNLOCK: "closed after unlock",
    StopFollowup.CLOSED_IN_DATABASE: "closed in SteVe's database only",
    StopFollowup.STILL_OPEN: "still open",
    StopFollowup.WATCHING: "watching",
}


def chain_of(
    entry: OperationLogEntry, entries: dict[int, OperationLogEntry]
) -> list[OperationLogEntry]:
    """``entry``'s chain (oldest first) among ``entries``, by their ``follows`` links."""
    chain = [entry]
    seen = {entry.id}
    while chain[0].follows is not None and chain[0].follows in entries:
        parent = entries[chain[0].follows]
        if parent.id in seen:
            break
        seen.add(parent.id)
        chain.insert(0, parent)
    children = {e.follows: e for e in sorted(entries.values(), key=lambda e: -e.id) if e.follows}
    while chain[-1].id in children and children[chain[-1].id].id not in seen:
        child = children[chain[-1].id]
        seen.add(child.id)
        chain.append(child)
    return chain


def chain_text(chain: list[OperationLogEntry]) -> str:
    """ "RemoteStop #2 → Unlock #3 → closed after unlock 10:47" (empty for a lone row
    with no follow-up)."""
    if len(chain) < 2 and chain and chain[0].followup is None:
        return ""
    parts = [f"{SHORT_NAMES.get(e.operation, e.operation)} #{e.id}" for e in chain]
    last = chain[-1]
    if last.followup is not None:
        word = FINAL_WORDS.get(last.followup, last.followup.value)
        at = f" {last.followup_at:%H:%M}" if last.followup_at else ""
        parts.append(f"{word}{at}")
    return " → ".join(parts)
