"""SteVe's in-memory TaskStore: one entry per operation call.

``taskId`` counts from 1 and is lost on restart (or ``reset``), as in SteVe.
A station that answers after the REST call stopped waiting still lands in its
task, so the fork's ``GET /api/v1/operations/tasks/{taskId}`` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import iso_z


@dataclass
class Task:
    task_id: int
    operation: str
    params: dict[str, Any]
    charge_box_ids: list[str]
    started: datetime
    success: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    ended: datetime | None = None

    @property
    def finished(self) -> bool:
        answered = len(self.success) + len(self.errors) + len(self.exceptions)
        return answered >= len(self.charge_box_ids)

    def envelope(self) -> dict[str, Any]:
        """SteVe's OcppOperationResponse<T>, lists in a stable order."""
        order = {cb: n for n, cb in enumerate(self.charge_box_ids)}

        def key(item: dict[str, Any]) -> int:
            return order.get(item["chargeBoxId"], 0)

        return {
            "taskId": self.task_id,
            "taskFinished": self.finished,
            "successResponses": sorted(self.success, key=key),
            "errorResponses": sorted(self.errors, key=key),
            "exceptions": sorted(self.exceptions, key=key),
        }

    def summary(self) -> dict[str, Any]:
        return {
            **self.envelope(),
            "operation": self.operation,
            "chargeBoxIds": list(self.charge_box_ids),
            "start": iso_z(self.started),
            "end": iso_z(self.ended),
        }


class TaskStore:
    def __init__(self) -> None:
        self.tasks: dict[int, Task] = {}
        self._next = 1

    def create(self, operation: str, params: dict[str, Any], ids: list[str], now: datetime) -> Task:
        task = Task(self._next, operation, params, ids, now)
        self.tasks[task.task_id] = task
        self._next += 1
        return task
