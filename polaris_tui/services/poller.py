"""The live poller: one loop per source, a fixed number of requests per cycle.

Each SteVe cycle sends a fixed number of reads whatever the fleet size —
live status (the ``chargeBoxes`` extension, or the manager pages: connector
status + charge point overview, with a sign-in when the session expired),
``GET /transactions?type=ACTIVE`` and ``GET /ocppTags`` — then the meter
sampler's ``GET /transactions/{pk}`` within its budget
(``poll.meter_reads_per_second``; order and reasons in ``meter_schedule``:
the stuck rule needs meter values and asking for every session each cycle
would be one request per charger), plus two local store
queries (card metadata, inventory). Each Lago cycle pages through
``GET /customers`` (100 a page).

* Polls never overlap: a loop re-arms its timer only after a cycle ends, and
  ``refresh_now()`` waits for a running cycle instead of starting a second.
* A failing source backs off: the wait doubles up to ``max_backoff_seconds``.
  Meanwhile SteVe is probed once per interval (one cheap read, sent once):
  as soon as it answers, the next full cycle runs, so an outage ends on
  screen within one interval of SteVe's return, without a key.
* Poll reads wait at most ``poll_timeout()`` (half an interval, within
  ``steve.read_timeout``), so a SteVe that accepts connections and never
  answers shows as "not answering" within two poll intervals.
* Data is stamped with the time its cycle *started*: an age computed from
  it is never younger than the data.
* Each source has a ``SourceState`` (live / degraded / unreachable, with the
  time of the last good data); every change is published.
* Rows are rebuilt after each cycle and diffed by ChargeBox ID: only rows that
  changed go out in ``FleetChanged.changed``.
* The SteVe data is saved to the store (at most every ``SNAPSHOT_EVERY``) so a
  later start, or an outage, still has something to show, with its age.
* Nothing raises out of a loop: failures are logged and shown in the state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from polaris_tui.models import (
    ConnectionState,
    MeterValue,
    SourceName,
    Transaction,
    TransactionDetails,
)
from polaris_tui.models.errors import PolarisError, SteveNotAnswering, StoreError
from polaris_tui.services.fleet_rules import read_meter
from polaris_tui.services.meter_schedule import meter_reads_per_cycle, plan_meter_reads
from polaris_tui.services.poller_snapshot import PollerSnapshot
from polaris_tui.services.steve_wire import (
    KEEPALIVE_CONNECTIONS,
    POLL_TIMEOUT_VAR,
    poll_timeout,
    polling,
)

log = logging.getLogger(__name__)

STEVE_REQUESTS = 3
"""Parts of a SteVe cycle (live status, active transactions, tags), before the meter sampler."""


def next_delay(current: float, failed: bool, interval: float, max_backoff: float) -> float:
    """The wait before the next cycle: the interval after a good cycle,
    double the previous wait after a failed one, capped at ``max_backoff``
    (never below the interval itself)."""
    if not failed:
        return interval
    return min(max(current, interval) * 2, max(max_backoff, interval))


class LivePoller(PollerSnapshot):
    """Polls SteVe and Lago, keeps the current data, rows and source states.

    Args:
        steve: the SteVe client (None: no SteVe loop).
        lago: the Lago client (None or unconfigured: no Lago loop).
        store: the local store (snapshot, customers cache, card meta, inventory).
        clock: "now" for every timestamp.
        settings: intervals and thresholds (``poll``).
        publish: called (synchronously, in the event loop) with every event.
    """

    # ------------------------------------------------------------------ cycles

    async def _steve_cycle(self) -> bool:
        """One SteVe cycle; returns True when every request failed (back off)."""
        if self.steve is None:
            return False
        async with self._locks[SourceName.STEVE]:
            # Stamp the data when it was asked for, not when the slowest part came:
            # an age computed from it then never shows the data fresher than it is.
            now = self.clock.now()
            with polling(poll_timeout(self.settings)):
                results = await asyncio.gather(
                    self.steve.live_status(),
                    self.steve.list_transactions(type="ACTIVE"),
                    self.steve.list_tags(),
                    return_exceptions=True,
                )
            errors: list[PolarisError] = []
            values: list[Any] = []
            for result in results:
                if isinstance(result, asyncio.CancelledError):
                    raise result
                if isinstance(result, PolarisError):
                    errors.append(result)
                    values.append(None)
                elif isinstance(result, BaseException):
                    log.error("SteVe poll: unexpected failure", exc_info=result)
                    errors.append(
                        PolarisError(
                            f"{type(result).__name__}: see the log", title="Internal error"
                        )
                    )
                    values.append(None)
                else:
                    values.append(result)
            for error in errors:
                log.warning("SteVe poll: %s", error)
            chargers, active, tags = values
            ok_count = STEVE_REQUESTS - len(errors)
            hung: SteveNotAnswering | None = None
            if ok_count:
                self._set_steve_data(chargers, active, tags, now)
                self._dirty = True
                with polling(poll_timeout(self.settings)):
                    hung = await self._sample_meters()
            await self._refresh_local()
            await self._rebuild_in_thread()
            # The state goes out after the rows, not before the meter reads: a
            # screen then redraws once per cycle. Before, the first cycle drew
            # the banner, the counts and the stale rows, then the new rows (three
            # frames of the demo's start). Every meter read hung after the lists
            # came: SteVe stopped answering mid-cycle, said now, not a cycle later.
            if hung is not None and not errors:
                errors.append(hung)
            if not errors:
                state = ConnectionState.LIVE
            elif ok_count:
                state = ConnectionState.DEGRADED
            else:
                state = ConnectionState.UNREACHABLE
            self._set_state(
                SourceName.STEVE,
                state,
                last_ok=now if ok_count else None,
                error=errors[0] if errors else None,
                from_snapshot=False if ok_count else None,
            )
            await self._save_snapshot()
            self.cycles[SourceName.STEVE] += 1
            return ok_count == 0

    async def _sample_meters(self) -> SteveNotAnswering | None:
        """Read the meter values of at most ``meter_samples_per_cycle`` open sessions
        (in parallel) and note what they show. A failed read is logged and the
        session keeps its previous note; it never fails the cycle. Returns the
        error when every read went unanswered (SteVe hung meanwhile), else None."""
        assert self.steve is not None
        threshold = timedelta(minutes=self.settings.poll.stuck_after_minutes)
        chosen = plan_meter_reads(
            self._active,
            self._meter_notes,
            self._last_read,
            threshold,
            meter_reads_per_cycle(self.settings.poll),
        )
        if not chosen:
            return None
        results = await asyncio.gather(*map(self._meter_reader(), chosen), return_exceptions=True)
        now = self.clock.now()
        read: list[tuple[Transaction, list[MeterValue]]] = []
        for tx, result in zip(chosen, results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, PolarisError):
                log.warning("meter sample of transaction %d: %s", tx.id, result)
            elif isinstance(result, BaseException):
                log.error(
                    "meter sample of transaction %d: unexpected failure", tx.id, exc_info=result
                )
            else:
                read.append((tx, result.values))
        # Reading dozens of sessions' meter values is UI-thread time at 10,000
        # chargers: a worker thread does it, the notes are kept here.
        notes = await asyncio.to_thread(
            lambda: [(tx, read_meter(tx, values, now, threshold)) for tx, values in read]
        )
        for tx, note in notes:
            self._remember(tx.id, note)
        if all(isinstance(result, SteveNotAnswering) for result in results):
            first = results[0]
            assert isinstance(first, SteveNotAnswering)
            return first
        return None

    def _meter_reader(self) -> Callable[[Transaction], Awaitable[TransactionDetails]]:
        """One cycle's meter reads, at most ``KEEPALIVE_CONNECTIONS`` in flight.

        More at once made the client open and close connections every cycle
        and re-check its whole pool for each queued request: ~10-25 % more
        CPU for the same 25 reads at 10,000 chargers. Reads still waiting
        when one finds SteVe not answering, or a poll timeout after the first
        was sent, fail as not answering at once: as before, when they waited
        for a connection in the client's pool for at most that timeout.
        """
        steve = self.steve
        assert steve is not None
        lanes = asyncio.Semaphore(KEEPALIVE_CONNECTIONS)
        hung: list[SteveNotAnswering] = []
        loop = asyncio.get_running_loop()
        wait = POLL_TIMEOUT_VAR.get()
        deadline = None if wait is None else loop.time() + wait

        async def read(tx: Transaction) -> TransactionDetails:
            async with lanes:
                if hung:
                    raise SteveNotAnswering(hung[0].message)
                if deadline is not None and loop.time() > deadline:
                    raise SteveNotAnswering(
                        f"no answer to GET /transactions/{tx.id} within {wait:g} s"
                    )
                try:
                    return await steve.transaction_details(tx.id)
                except SteveNotAnswering as exc:
                    hung.append(exc)
                    raise

        return read

    async def _lago_cycle(self) -> bool:
        """One Lago cycle; returns True when it failed (back off)."""
        if self.lago is None or not self.lago.configured:
            return False
        async with self._locks[SourceName.LAGO]:
            try:
                customers = await self.lago.customers()
            except PolarisError as exc:
                log.warning("Lago poll: %s", exc)
                self._set_state(SourceName.LAGO, ConnectionState.UNREACHABLE, error=exc)
                self.cycles[SourceName.LAGO] += 1
                return True
            now = self.clock.now()
            self._customers, self._customers_at = customers, now
            self._set_state(SourceName.LAGO, ConnectionState.LIVE, last_ok=now, from_snapshot=False)
            if self.store is not None and self.keeps_shared_copies:
                try:
                    await self.store.save_customers(customers, now)
                except (StoreError, ValueError) as exc:
                    log.warning("cannot save the Lago customers: %s", exc)
            await self._rebuild_in_thread()
            self.cycles[SourceName.LAGO] += 1
            return False

    async def _steve_probe(self) -> bool:
        """True when SteVe answers a single cheap read (sent once, poll timeout)."""
        probe = getattr(self.steve, "probe", None)
        if probe is None:
            return False
        with polling(poll_timeout(self.settings)):
            return bool(await probe())

    async def refresh_now(self) -> None:
        """One cycle of every source now; waits for a running cycle rather than overlapping it."""
        await asyncio.gather(self._guarded(self._steve_cycle), self._guarded(self._lago_cycle))

    async def first_poll(self) -> None:
        """Return once every source has been polled once since ``start``.

        The loops' own first cycles count: asking for another cycle at start
        (``refresh_now``) polled every source twice before the console was
        ready, the second round beside the painting of the first rows.
        Without running loops it is ``refresh_now``.
        """
        if not self._first_cycles:
            await self.refresh_now()
            return
        await asyncio.gather(*(done.wait() for done in self._first_cycles.values()))

    async def _guarded(self, cycle: Callable[[], Awaitable[bool]]) -> bool:
        try:
            return await cycle()
        except asyncio.CancelledError:
            raise
        except Exception:  # never let a bug end a loop: log it, back off, go on
            log.exception("poll cycle failed")
            return True

    # ------------------------------------------------------------------ loops

    def start(self) -> None:
        """Start the loops (background tasks on the running event loop). Idempotent."""
        if self._tasks:
            return
        self._stopping = asyncio.Event()
        poll = self.settings.poll
        steve_first: asyncio.Event | None = None
        if self.steve is not None:
            steve_first = self._first_cycles[SourceName.STEVE] = asyncio.Event()
            self._tasks.append(
                asyncio.create_task(
                    self._loop(
                        self._steve_cycle,
                        poll.interval_seconds,
                        probe=self._steve_probe,
                        first_done=steve_first,
                    ),
                    name="poll-steve",
                )
            )
        if self.lago is not None and self.lago.configured:
            lago_first = self._first_cycles[SourceName.LAGO] = asyncio.Event()
            self._tasks.append(
                asyncio.create_task(
                    self._loop(
                        self._lago_cycle,
                        poll.lago_interval_seconds,
                        first_done=lago_first,
                        after=steve_first,
                    ),
                    name="poll-lago",
                )
            )

    @property
    def running(self) -> bool:
        return any(not t.done() for t in self._tasks)

    async def _loop(
        self,
        cycle: Callable[[], Any],
        interval: float,
        *,
        probe: Callable[[], Awaitable[bool]] | None = None,
        first_done: asyncio.Event,
        after: asyncio.Event | None = None,
    ) -> None:
        """Run ``cycle`` every ``interval`` (backing off on failure); set
        ``first_done`` after the first cycle, which waits for ``after``: the
        Lago loop starts once SteVe's first cycle (the fleet rows) is done,
        so its customer pages do not compete with the first rows for the CPU.
        SteVe's cycle is bounded by the poll timeout, and so is that wait."""
        assert self._stopping is not None
        if after is not None:
            await after.wait()
        delay = interval
        while not self._stopping.is_set():
            failed = await self._guarded(cycle)
            first_done.set()
            delay = next_delay(delay, failed, interval, self.settings.poll.max_backoff_seconds)
            if probe is None or delay <= interval:
                await self._pause(delay)
            else:
                await self._back_off(delay, interval, probe)

    async def _pause(self, seconds: float) -> bool:
        """Wait ``seconds`` or until stopped; True when stopped."""
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=max(seconds, 0.0))
        return self._stopping.is_set()

    async def _back_off(
        self, delay: float, interval: float, probe: Callable[[], Awaitable[bool]]
    ) -> None:
        """Wait out a backoff ``delay``, probing every ``interval`` (counted from
        each probe's start, so a probe that hangs does not push the next one
        back); return early when a probe is answered."""
        loop = asyncio.get_running_loop()
        end = loop.time() + delay
        next_probe = loop.time() + interval
        while True:
            if await self._pause(min(next_probe, end) - loop.time()) or loop.time() >= end:
                return
            next_probe = loop.time() + interval
            try:
                if await probe():
                    log.info("SteVe answers again; polling resumes")
                    return
            except asyncio.CancelledError:
                raise
            except Exception:  # a probe's bug must not end the loop
                log.exception("SteVe probe failed")

    async def stop(self) -> None:
        """Stop the loops (cancelling a cycle in flight) and save unsaved data. Idempotent."""
        if self._stopping is not None:
            self._stopping.set()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for done in self._first_cycles.values():
            done.set()  # a first_poll() waiting on a stopped loop returns
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._save_snapshot(force=True)
