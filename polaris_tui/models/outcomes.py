"""The outcome of a logged operation, typed.

The store keeps an operation's outcome as the JSON ``result`` of its log
row (SteVe's envelope and Polaris's verdict, or the failure). Code that
decides what to tell the operator reads it through ``operation_outcome``:
a kind for the station's answer and an ``ErrorKind`` for a failure, never
a display title matched as a string.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from polaris_tui.models import OperationLogEntry
from polaris_tui.models.errors import ErrorKind, error_classes
from polaris_tui.text_clean import CleanText, CleanTree


class OutcomeKind(StrEnum):
    """What became of an operation SteVe was asked to send (or why not)."""

    ACCEPTED = "accepted"
    """The station answered positively (which is not "done": a stop is followed up)."""
    REJECTED = "rejected"
    """The station answered negatively (Rejected, UnlockFailed, NotSupported…)."""
    CALL_ERROR = "call_error"
    """The station returned an OCPP CallError."""
    EXCEPTION = "exception"
    """SteVe could not deliver it to the station."""
    NO_ANSWER = "no_answer"
    """SteVe sent it; the station did not answer in time (it may still act)."""
    CLOSED_IN_DATABASE = "closed_in_database"
    """The database-only close went through (nothing reached the station)."""
    FAILED = "failed"
    """SteVe refused the call or could not be reached (see ``error_kind``)."""
    UNKNOWN = "unknown"
    """Polaris stopped before SteVe answered."""


class OperationOutcome(BaseModel):
    """An operation's outcome as code reads it (``None`` kind: not finished yet)."""

    model_config = ConfigDict(frozen=True)

    kind: OutcomeKind | None = None
    summary: CleanText | None = None
    """The plain sentence recorded with the verdict."""
    station_answer: CleanTree = None
    error_kind: ErrorKind | None = None
    """For a failure: what went wrong."""


def _error_kind(entry: OperationLogEntry, result: dict[str, Any]) -> ErrorKind | None:
    """The failure's kind: recorded by error class name; a row that only has
    a title (written by hand or by an older Polaris) is read by its title."""
    classes = error_classes()
    recorded = classes.get(str(result.get("error", "")))
    if recorded is not None:
        return recorded.kind
    for cls in classes.values():
        if entry.error_title and cls.title == entry.error_title:
            return cls.kind
    return ErrorKind.INTERNAL if entry.error_title else None


def operation_outcome(entry: OperationLogEntry) -> OperationOutcome:
    """The typed outcome of a log row."""
    result = entry.result or {}
    raw = result.get("outcome")
    try:
        kind = OutcomeKind(raw) if raw is not None else None
    except ValueError:
        kind = OutcomeKind.UNKNOWN  # a verdict this Polaris does not know
    if kind is None and entry.status.value == "submitted":
        kind = OutcomeKind.ACCEPTED
    if kind is None and entry.status.value == "failed":
        kind = OutcomeKind.FAILED
    summary = result.get("summary")
    return OperationOutcome(
        kind=kind,
        summary=summary if isinstance(summary, str) else None,
        station_answer=result.get("station_answer"),
        error_kind=_error_kind(entry, result) if kind == OutcomeKind.FAILED else None,
    )


__all__ = ["OperationOutcome", "OutcomeKind", "operation_outcome"]
