"""Follow-ups: did the session close after the station said yes?

After a submitted RemoteStopTransaction (or an UnlockConnector that follows
one), a watcher task follows the transaction until SteVe reports it stopped
or ``settings.poll.stop_followup_seconds`` pass (``still_open``: the
runbook's "stop accepted but session never closes"). The final state says
who closed it: the station (``closed``), the station after an unlock
(``closed_after_unlock``) or SteVe's database only (``closed_in_database``).
A final state is written to the row and to every row of its chain that is
not final yet (RemoteStop #2 -> Unlock #3 -> closed), and published.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from polaris_tui.models import OperationLogEntry, StopFollowup, Transaction
from polaris_tui.models.errors import PolarisError
from polaris_tui.services.clock import Clock
from polaris_tui.services.settings import Settings
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.store import Store

log = logging.getLogger(__name__)


def closed_state(tx: Transaction, *, after_unlock: bool) -> StopFollowup:
    """Who closed ``tx``, as a final follow-up state."""
    if tx.stop_event_actor == "manual":
        return StopFollowup.CLOSED_IN_DATABASE
    if after_unlock or (tx.stop_reason or "").lower() == "unlockcommand":
        return StopFollowup.CLOSED_AFTER_UNLOCK
    return StopFollowup.CLOSED


async def settle_chain(
    store: Store,
    entry: OperationLogEntry,
    followup: StopFollowup,
    at: datetime,
    publish: Callable[[OperationLogEntry], None],
) -> OperationLogEntry:
    """Record ``followup`` on ``entry`` and, when it is final, on every earlier
    row of its chain still ``watching`` or ``still_open``. Returns ``entry``."""
    entry = await store.set_followup(entry.id, followup, at)
    publish(entry)
    if not followup.closed:
        return entry
    for other in await store.operation_chain(entry.id):
        if other.id != entry.id and other.followup in (
            StopFollowup.WATCHING,
            StopFollowup.STILL_OPEN,
        ):
            publish(await store.set_followup(other.id, followup, at))
    return entry


def watched_transaction(entry: OperationLogEntry, chain: list[OperationLogEntry]) -> int | None:
    """The transaction a follow-up watches: its own, or the one of the stop it follows."""
    if "transactionId" in entry.params:
        return int(entry.params["transactionId"])
    for other in reversed(chain):
        if other.operation == "RemoteStopTransaction" and "transactionId" in other.params:
            return int(other.params["transactionId"])
    return None


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
            if entry.operation in ("RemoteStopTransaction", "UnlockConnector"):
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
        chain = await self._store.operation_chain(entry.id)
        found = watched_transaction(entry, chain)
        if found is None:
            return await self._followup(entry, StopFollowup.STILL_OPEN, self._clock.now())
        transaction_id = found
        after_unlock = entry.operation == "UnlockConnector" or any(
            o.operation == "UnlockConnector" and o.id < entry.id for o in chain
        )
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
                        closed_state(tx, after_unlock=after_unlock),
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
        entry = await settle_chain(self._store, entry, followup, at, self._publish)
        log.info("operation #%d followup: %s", entry.id, followup.value)
        return entry


__all__ = ["StopWatcher", "closed_state", "settle_chain", "watched_transaction"]
