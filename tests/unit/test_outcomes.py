"""Outcomes and errors are read by kind, never by their display titles."""

from __future__ import annotations

from datetime import UTC, datetime

from polaris_tui.models import OperationLogEntry, OperationStatus
from polaris_tui.models.errors import ErrorKind, StationOffline, SteveTimeout, error_classes
from polaris_tui.models.outcomes import OutcomeKind, operation_outcome

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def entry(status: OperationStatus, **kw: object) -> OperationLogEntry:
    return OperationLogEntry.model_validate(
        {
            "id": 1,
            "charge_box_id": "CP",
            "operation": "RemoteStopTransaction",
            "requested_by": "ana",
            "status": status,
            "created_at": NOW,
            **kw,
        }
    )


def test_every_error_has_its_own_kind() -> None:
    kinds = [cls.kind for cls in error_classes().values()]
    assert len(kinds) == len(set(kinds))


def test_a_failure_is_read_by_its_recorded_class_not_its_title() -> None:
    renamed = entry(
        OperationStatus.FAILED,
        error_title="A title someone reworded",
        result={"outcome": "failed", "error": "StationOffline"},
    )
    outcome = operation_outcome(renamed)
    assert outcome.kind == OutcomeKind.FAILED
    assert outcome.error_kind == ErrorKind.STATION_OFFLINE == StationOffline.kind


def test_a_row_with_only_a_title_is_still_understood() -> None:
    old = entry(OperationStatus.FAILED, error_title=SteveTimeout.title)
    assert operation_outcome(old).error_kind == ErrorKind.STEVE_TIMEOUT


def test_submitted_verdicts() -> None:
    no_answer = entry(OperationStatus.SUBMITTED, result={"outcome": "no_answer", "summary": "s"})
    assert operation_outcome(no_answer).kind == OutcomeKind.NO_ANSWER
    assert operation_outcome(no_answer).error_kind is None
    assert operation_outcome(entry(OperationStatus.SUBMITTED)).kind == OutcomeKind.ACCEPTED
    assert operation_outcome(entry(OperationStatus.PENDING)).kind is None
