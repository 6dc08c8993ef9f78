"""The RemoteStop follow-up: did the session close after the station said yes?

After a submitted RemoteStopTransaction, a watcher task follows the
transaction until SteVe reports it stopped (``followup = closed``) or
``settings.poll.stop_followup_seconds`` pass (``still_open``: the runbook's
"stop accepted but session never closes"). Each change is recorded in the
operation's log row and published.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from polaris_tui.models import OperationLogEntry, StopFollowup
from polaris_tui.models.errors import PolarisError
from polaris_tui.services.clock import Clock
from polaris_tui.services.settings import Settings
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.store import Store

log = logging.getLogger(__name__)


class StopWatcher:
    """Runs one follow-up task per stopped transaction.

    Args:
        steve: the SteVe client (``transaction_details``).
        store: the local ``Store`` (``set_followup``, ``claim_orphaned_watches``).
        clock: injected time.
        settings: ``Settings`` (``poll.stop_followup_seconds``).
        publish: called with each changed log row.
        redact: removes secrets from an unexpected error's text.
        interval: seconds between checks of a stopped transaction.
    """

    def __init__(
        self,
        steve: SteveClient,
        store: Store,
        clock: Clock,
        settings: Settings,
        publish: Callable[[OperationLogEntry], None],
        redact: Callable[[object], str],
        *,
        interval: float = 3.0,
    ) -> None:
        self._steve = steve
        self._store = store
        self._clock = clock
        self._settings = settings
        self._publish = publish
        self._redact = redact
        self.interval = interval
        self._tasks: dict[int, asyncio.Task[OperationLogEntry]] = {}
        self._closed = False

    def start(self, entry: OperationLogEntry) -> None:
        """Follow ``entry``'s transaction (once per entry; not after ``close``)."""
        if self._closed or entry.id in self._tasks:
            return
        task = asyncio.create_task(self._watch(entry), name=f"stop-watch-{entry.id}")
        self._tasks[entry.id] = task
        op_id = entry.id

        def forget(_task: asyncio.Task[OperationLogEntry]) -> None:
            self._tasks.pop(op_id, None)

        task.add_done_callback(forget)

    async def resume(self) -> list[int]:
        """Take over follow-ups whose watching process died; returns their ids."""
        resumed = []
        for entry in await self._store.claim_orphaned_watches():
            if entry.operation == "RemoteStopTransaction" and "transactionId" in entry.params:
                self.start(entry)
                resumed.append(entry.id)
        return resumed

    def task(self, op_id: int) -> asyncio.Task[OperationLogEntry] | None:
        """The running follow-up of an operation, if any (tests await it)."""
        return self._tasks.get(op_id)

    async def close(self) -> None:
        """Cancel every watcher (their rows stay ``watching`` for the next start)."""
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:  # already logged by the watcher
                log.debug("watcher ended with an error during close", exc_info=True)
        self._tasks.clear()

    async def _watch(self, entry: OperationLogEntry) -> OperationLogEntry:
        """Follow the stopped transaction until SteVe shows it closed, or give up
        after ``stop_followup_seconds`` with ``still_open``.

        Time is measured both on the injected clock (tests advance it) and on
        the event loop's monotonic clock (a frozen clock cannot stall it).
        """
        transaction_id = int(entry.params["transactionId"])
        limit = float(self._settings.poll.stop_followup_seconds)
        started = entry.completed_at or entry.created_at
        loop = asyncio.get_running_loop()
        mono_start = loop.time()
        last_error: str | None = None
        while True:
            try:
                details = await self._steve.transaction_details(transaction_id)
            except PolarisError as exc:
                last_error = str(exc)
                log.info("watching transaction %s of op #%d: %s", transaction_id, entry.id, exc)
            except Exception as exc:
                last_error = self._redact(f"{type(exc).__name__}: {exc}")
                log.exception("watching transaction %s of op #%d", transaction_id, entry.id)
            else:
                tx = details.transaction
                if not tx.active:
                    return await self._followup(
                        entry,
                        StopFollowup.CLOSED,
                        tx.stop_timestamp or self._clock.now(),
                    )
            elapsed = max((self._clock.now() - started).total_seconds(), loop.time() - mono_start)
            if elapsed >= limit:
                if last_error:
                    log.warning("op #%d still open; last check failed: %s", entry.id, last_error)
                return await self._followup(entry, StopFollowup.STILL_OPEN, self._clock.now())
            await asyncio.sleep(min(self.interval, max(limit - elapsed, 0.01)))

    async def _followup(
        self, entry: OperationLogEntry, followup: StopFollowup, at: datetime
    ) -> OperationLogEntry:
        entry = await self._store.set_followup(entry.id, followup, at)
        log.info("operation #%d followup: %s", entry.id, followup.value)
        self._publish(entry)
        return entry


__all__ = ["StopWatcher"]
