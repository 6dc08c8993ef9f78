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
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from polaris_tui.models import ConnectionState, SourceName
from polaris_tui.models.errors import PolarisError, SteveNotAnswering, StoreError
from polaris_tui.services.meter_schedule import meter_reads_per_cycle
from polaris_tui.services.poller_snapshot import PollerSnapshot
from polaris_tui.services.steve_reading import (
    MeterSample,
    SamplerInputs,
    read_steve,
    sample_meters,
)
from polaris_tui.services.steve_wire import poll_timeout, polling

log = logging.getLogger(__name__)
T = TypeVar("T")


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
                reading = await self._where_steve_lives(
                    read_steve(self.steve, self._sampler_inputs(), self.clock)
                )
            errors = list(reading.errors)
            for error in errors:
                log.warning("SteVe poll: %s", error)
            ok_count = reading.answered
            if ok_count:
                self._set_steve_data(
                    reading.chargers,
                    reading.active,
                    reading.tags,
                    now,
                    by_id=reading.by_id,
                    active_ids=reading.active_ids,
                )
                self._dirty = True
                self._keep_sample(reading.sample)
            await self._refresh_local()
            await self._rebuild_in_thread()
            # The state goes out after the rows, not before the meter reads: a
            # screen then redraws once per cycle. Before, the first cycle drew
            # the banner, the counts and the stale rows, then the new rows (three
            # frames of the demo's start). Every meter read hung after the lists
            # came: SteVe stopped answering mid-cycle, said now, not a cycle later.
            if reading.sample.hung is not None and not errors:
                errors.append(reading.sample.hung)
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

    def _sampler_inputs(self) -> SamplerInputs:
        """What the meter sampler plans from, copied (a charger detail may
        note a read while the cycle runs)."""
        return SamplerInputs(
            active=self._active,
            notes=dict(self._meter_notes),
            last_read=dict(self._last_read),
            threshold=timedelta(minutes=self.settings.poll.stuck_after_minutes),
            limit=meter_reads_per_cycle(self.settings.poll),
        )

    def _keep_sample(self, sample: MeterSample) -> None:
        for transaction_id, note in sample.notes:
            self._remember(transaction_id, note)

    async def _sample_meters(self) -> SteveNotAnswering | None:
        """The meter sampler alone, over the sessions open now (as in a cycle);
        returns the error when every read went unanswered, else None."""
        assert self.steve is not None
        sample = await self._where_steve_lives(
            sample_meters(self.steve, self._sampler_inputs(), self.clock)
        )
        self._keep_sample(sample)
        return sample.hung

    async def _where_steve_lives(self, call: Coroutine[Any, Any, T]) -> T:
        """Run ``call`` (reads through the SteVe client) on the client's own
        loop, the wire thread: the answers' glue stays off the UI thread. A
        client without one (a test's fake) runs it here."""
        run_here = getattr(self.steve, "run_here", None)
        return await (call if run_here is None else run_here(call))

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
