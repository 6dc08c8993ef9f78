"""The live poller: one loop per source, a fixed number of requests per cycle.

Each SteVe cycle sends a fixed number of reads whatever the fleet size —
live status (the ``chargeBoxes`` extension, or the manager pages: connector
status + charge point overview, with a sign-in when the session expired),
``GET /transactions?type=ACTIVE`` and ``GET /ocppTags`` — then the meter
sampler's ``GET /transactions/{pk}`` for at most
``poll.meter_samples_per_cycle`` open sessions (never-read first, then the
least recently read; the stuck rule needs meter values and asking for every
session each cycle would be one request per charger), plus two local store
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
import heapq
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from polaris_tui.models import (
    CardMeta,
    ChargeBox,
    ChargerRow,
    ConnectionState,
    FleetChanged,
    FleetCounts,
    InventoryCharger,
    LagoCustomer,
    OcppTag,
    ServiceEvent,
    Snapshot,
    SourceName,
    SourceState,
    SourceStateChanged,
    StatusSource,
    Transaction,
)
from polaris_tui.models.errors import PolarisError, SteveNotAnswering, StoreError
from polaris_tui.services.clock import Clock
from polaris_tui.services.fleet_rules import FleetData, MeterNote, Rebuilt, read_meter, rebuild
from polaris_tui.services.settings import Settings
from polaris_tui.services.steve_wire import poll_timeout, polling

if TYPE_CHECKING:
    from polaris_tui.services.lago_client import LagoClient
    from polaris_tui.services.steve_client import SteveClient
    from polaris_tui.store import Store

log = logging.getLogger(__name__)

SNAPSHOT_EVERY = timedelta(seconds=30)
"""Shortest time between two snapshot writes."""
STEVE_REQUESTS = 3
"""Parts of a SteVe cycle (live status, active transactions, tags), before the meter sampler."""
REBUILD_ATTEMPTS = 3
"""Threaded row builds tried before a build racing meter notes settles on the loop."""


def pick_meter_samples(
    active: list[Transaction], last_read: dict[int, int], limit: int
) -> list[Transaction]:
    """The open sessions whose meter the next cycle reads: at most ``limit``,
    never-read first (the oldest start first among them), then the least
    recently read. ``last_read`` maps a transaction id to the sequence number
    of its last read (a counter, not the clock: reads within one cycle, or
    under a frozen clock, still have an order). O(n log limit)."""
    if limit <= 0:
        return []
    unique = {tx.id: tx for tx in active}

    def key(tx: Transaction) -> tuple[int, datetime, int]:
        return (last_read.get(tx.id, -1), tx.start_timestamp, tx.id)

    return heapq.nsmallest(limit, unique.values(), key=key)


def next_delay(current: float, failed: bool, interval: float, max_backoff: float) -> float:
    """The wait before the next cycle: the interval after a good cycle,
    double the previous wait after a failed one, capped at ``max_backoff``
    (never below the interval itself)."""
    if not failed:
        return interval
    return min(max(current, interval) * 2, max(max_backoff, interval))


class LivePoller:
    """Polls SteVe and Lago, keeps the current data, rows and source states.

    Args:
        steve: the SteVe client (None: no SteVe loop).
        lago: the Lago client (None or unconfigured: no Lago loop).
        store: the local store (snapshot, customers cache, card meta, inventory).
        clock: "now" for every timestamp.
        settings: intervals and thresholds (``poll``).
        publish: called (synchronously, in the event loop) with every event.
    """

    def __init__(
        self,
        steve: SteveClient | None,
        lago: LagoClient | None,
        store: Store | None,
        clock: Clock,
        settings: Settings,
        publish: Callable[[ServiceEvent], None],
    ) -> None:
        self.steve = steve
        self.lago = lago
        self.store = store
        self.clock = clock
        self.settings = settings
        self._publish_cb = publish
        self._chargers: list[ChargeBox] = []
        self._by_id: dict[str, ChargeBox] = {}
        self._active: list[Transaction] = []
        self._tags: list[OcppTag] = []
        self._customers: list[LagoCustomer] = []
        self._card_meta: dict[str, CardMeta] = {}
        self._inventory: list[InventoryCharger] = []
        self._status_at: datetime | None = None
        self._tx_at: datetime | None = None
        self._tags_at: datetime | None = None
        self._customers_at: datetime | None = None
        self._meter_notes: dict[int, MeterNote] = {}
        self._last_read: dict[int, int] = {}
        """Transaction id -> sequence number of its last meter read (sampler rotation)."""
        self._rows: dict[str, ChargerRow] = {}
        self._counts = FleetCounts()
        self._states = {name: SourceState(source=name) for name in SourceName}
        self._locks = {name: asyncio.Lock() for name in SourceName}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping: asyncio.Event | None = None
        self._saved_at: datetime | None = None
        self._dirty = False
        self._generation = 0
        """Counts row builds, so a threaded build finishing late is not applied."""
        self.cycles = {name: 0 for name in SourceName}
        """Completed cycles per source (for tests and the status bar)."""
        self.meter_reads = 0
        """Successful meter reads so far, sampler and detail (also the rotation's sequence)."""

    # ------------------------------------------------------------------ accessors

    def chargers(self) -> list[ChargeBox]:
        """SteVe stations with live status (snapshot until the first good cycle)."""
        return list(self._chargers)

    def charger(self, charge_box_id: str) -> ChargeBox | None:
        """One SteVe station, or None."""
        return self._by_id.get(charge_box_id)

    def active_transactions(self) -> list[Transaction]:
        return list(self._active)

    def tags(self) -> list[OcppTag]:
        return list(self._tags)

    def customers(self) -> list[LagoCustomer]:
        return list(self._customers)

    def card_meta(self) -> dict[str, CardMeta]:
        """Local card metadata as read in the last cycle."""
        return dict(self._card_meta)

    def inventory(self) -> list[InventoryCharger]:
        return list(self._inventory)

    @property
    def fetched_at(self) -> datetime | None:
        """When the live status was last fetched (or the snapshot's time)."""
        return self._status_at

    @property
    def transactions_fetched_at(self) -> datetime | None:
        return self._tx_at

    @property
    def tags_fetched_at(self) -> datetime | None:
        return self._tags_at

    @property
    def customers_fetched_at(self) -> datetime | None:
        return self._customers_at

    def state(self, source: SourceName) -> SourceState:
        """Current health of one source (a copy)."""
        return self._states[source].model_copy()

    def rows(self) -> list[ChargerRow]:
        """Current charger rows (from the last build)."""
        return list(self._rows.values())

    def row(self, charge_box_id: str) -> ChargerRow | None:
        return self._rows.get(charge_box_id)

    def counts(self) -> FleetCounts:
        return self._counts.model_copy()

    def meter_note(self, transaction_id: int) -> MeterNote | None:
        """The last read of this session's meter values (sampler or charger detail), or None."""
        return self._meter_notes.get(transaction_id)

    async def read_meter_now(self, tx: Transaction, now: datetime) -> MeterNote:
        """Read one open session's meter values now (the charger detail's request)
        and keep the note, exactly as the sampler would.

        Returns:
            The note of this read (the detail judges its session with it).

        Raises:
            PolarisError: SteVe could not be asked (the previous note stays).
        """
        if self.steve is None:
            raise PolarisError("No SteVe is configured", title="SteVe is not configured")
        values = (await self.steve.transaction_details(tx.id)).values
        threshold = timedelta(minutes=self.settings.poll.stuck_after_minutes)
        note = read_meter(tx, values, now, threshold)
        self.note_meter(tx.id, note)
        return note

    def note_meter(self, transaction_id: int, note: MeterNote) -> None:
        """Keep a meter read made outside the sampler (the charger detail).

        Only the note is stored, and the sampler counts the session as just
        read; the row follows at the next cycle's build (in a worker thread).
        Nothing is rebuilt or published here: the reader is usually the
        charger detail, on the UI's event loop, and a publish from here
        would make it reload and read again.
        """
        if transaction_id not in {tx.id for tx in self._active}:
            return  # closed meanwhile: nothing to remember
        self._remember(transaction_id, note)
        self._generation += 1  # a build in flight lacks this note: it must not win

    def _remember(self, transaction_id: int, note: MeterNote) -> None:
        self._meter_notes[transaction_id] = note
        self._last_read[transaction_id] = self.meter_reads
        self.meter_reads += 1

    # ------------------------------------------------------------------ publishing

    def _publish(self, event: ServiceEvent) -> None:
        try:
            self._publish_cb(event)
        except Exception:  # a subscriber's bug must not stop polling
            log.exception("a subscriber failed on %s", type(event).__name__)

    def _set_state(
        self,
        source: SourceName,
        state: ConnectionState,
        *,
        last_ok: datetime | None = None,
        error: PolarisError | None = None,
        from_snapshot: bool | None = None,
    ) -> None:
        old = self._states[source]
        update: dict[str, Any] = {
            "state": state,
            "error_title": error.title if error else None,
            "error_message": error.message if error else None,
        }
        if last_ok is not None:
            update["last_ok"] = last_ok
        if from_snapshot is not None:
            update["from_snapshot"] = from_snapshot
        if state != old.state:
            update["since"] = self.clock.now()
        new = old.model_copy(update=update)
        self._states[source] = new
        changed = (new.state, new.error_title, new.error_message, new.from_snapshot) != (
            old.state,
            old.error_title,
            old.error_message,
            old.from_snapshot,
        )
        if changed:
            self._publish(SourceStateChanged(state=new.model_copy()))

    def _fleet_data(self) -> FleetData:
        """The inputs of a row build (references to data that is replaced, never mutated)."""
        return FleetData(
            chargers=self._chargers,
            active_transactions=self._active,
            tags=self._tags,
            customers=self._customers,
            card_meta=self._card_meta,
            inventory=self._inventory,
            status_fetched_at=self._status_at,
            transactions_fetched_at=self._tx_at,
            meter_notes=dict(self._meter_notes),
        )

    def _rebuild_and_publish(self, *, force: bool = False) -> None:
        """Rebuild rows from the current data now and publish only what changed."""
        self._generation += 1
        result = rebuild(self._rows, self._fleet_data(), self.clock.now(), self.settings.poll)
        self._apply(result, force=force)

    async def _rebuild_in_thread(self) -> None:
        """The same, with the build and diff in a worker thread: at 10,000 chargers
        they take a few hundred ms that the UI's event loop should not wait for."""
        for _attempt in range(REBUILD_ATTEMPTS):
            self._generation += 1
            generation = self._generation
            result = await asyncio.to_thread(
                rebuild, self._rows, self._fleet_data(), self.clock.now(), self.settings.poll
            )
            if generation == self._generation:
                self._apply(result)
                return
            # A meter note or a local rebuild came in meanwhile: ours is older.
        self._rebuild_and_publish()  # still racing: settle it here, once

    def _apply(self, result: Rebuilt, *, force: bool = False) -> None:
        self._rows = result.rows
        self._counts = result.counts
        # Forget the meter reads of sessions that closed.
        open_ids = {tx.id for tx in self._active}
        for tx_id in [k for k in self._meter_notes if k not in open_ids]:
            del self._meter_notes[tx_id]
        for tx_id in [k for k in self._last_read if k not in open_ids]:
            del self._last_read[tx_id]
        if result.changed or result.removed or force:
            self._publish(
                FleetChanged(
                    changed=result.changed,
                    removed=result.removed,
                    counts=result.counts.model_copy(),
                    fetched_at=self._status_at,
                )
            )

    # ------------------------------------------------------------------ snapshot

    async def load_snapshot(self) -> None:
        """Load the last saved SteVe data and Lago customers (marks ``from_snapshot``).

        A missing or unreadable snapshot is logged, never raised.
        """
        if self.store is None:
            return
        try:
            snapshot = await self.store.load_snapshot()
        except (StoreError, ValueError) as exc:
            log.warning("cannot load the saved snapshot: %s", exc)
            snapshot = None
        if snapshot is not None and not self._chargers and self._status_at is None:
            self._set_steve_data(
                [self._as_snapshot(box) for box in snapshot.chargers],
                snapshot.active_transactions,
                snapshot.tags,
                snapshot.fetched_at,
            )
            self._set_state(
                SourceName.STEVE,
                self._states[SourceName.STEVE].state,
                last_ok=snapshot.fetched_at,
                from_snapshot=True,
            )
        try:
            cached = await self.store.load_customers()
        except (StoreError, ValueError) as exc:
            log.warning("cannot load the cached Lago customers: %s", exc)
            cached = None
        if cached is not None and self._customers_at is None:
            self._customers, self._customers_at = list(cached[0]), cached[1]
            self._set_state(
                SourceName.LAGO,
                self._states[SourceName.LAGO].state,
                last_ok=cached[1],
                from_snapshot=True,
            )
        await self._refresh_local()
        self._rebuild_and_publish(force=True)

    @staticmethod
    def _as_snapshot(box: ChargeBox) -> ChargeBox:
        """A station loaded from the store: every value's source says so."""
        return box.model_copy(
            update={
                "source": StatusSource.SNAPSHOT,
                "connectors": [
                    c.model_copy(update={"source": StatusSource.SNAPSHOT}) for c in box.connectors
                ],
            }
        )

    def _set_steve_data(
        self,
        chargers: list[ChargeBox] | None,
        active: list[Transaction] | None,
        tags: list[OcppTag] | None,
        at: datetime,
    ) -> None:
        if chargers is not None:
            self._chargers = chargers
            self._by_id = {}
            for box in chargers:
                self._by_id.setdefault(box.charge_box_id, box)
            self._status_at = at
        if active is not None:
            self._active = active
            self._tx_at = at
        if tags is not None:
            self._tags = tags
            self._tags_at = at

    async def _save_snapshot(self, *, force: bool = False) -> None:
        if self.store is None or not self._dirty:
            return
        now = self.clock.now()
        if not force and self._saved_at is not None and now - self._saved_at < SNAPSHOT_EVERY:
            return
        times = [t for t in (self._status_at, self._tx_at, self._tags_at) if t is not None]
        if not times:
            return
        snapshot = Snapshot(
            chargers=self._chargers,
            active_transactions=self._active,
            tags=self._tags,
            fetched_at=min(times),
        )
        try:
            await self.store.save_snapshot(snapshot)
        except (StoreError, ValueError) as exc:
            log.warning("cannot save the snapshot: %s", exc)
            return
        self._saved_at = now
        self._dirty = False

    async def _refresh_local(self) -> None:
        """Card metadata and inventory from the store (two queries; errors logged)."""
        if self.store is None:
            return
        try:
            self._card_meta = await self.store.card_meta_all()
            self._inventory = await self.store.inventory()
        except StoreError as exc:
            log.warning("cannot read card metadata / inventory: %s", exc)

    async def reload_local(self) -> None:
        """Re-read card metadata and inventory now and republish changed rows."""
        await self._refresh_local()
        self._rebuild_and_publish()

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
            if ok_count:
                self._set_steve_data(chargers, active, tags, now)
                self._dirty = True
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
            if ok_count:
                with polling(poll_timeout(self.settings)):
                    hung = await self._sample_meters()
                if hung is not None and not errors:
                    # Every meter read hung after the lists came: SteVe stopped
                    # answering mid-cycle. Say so now, not a whole cycle later.
                    self._set_state(SourceName.STEVE, ConnectionState.DEGRADED, error=hung)
            await self._refresh_local()
            await self._rebuild_in_thread()
            await self._save_snapshot()
            self.cycles[SourceName.STEVE] += 1
            return ok_count == 0

    async def _sample_meters(self) -> SteveNotAnswering | None:
        """Read the meter values of at most ``meter_samples_per_cycle`` open sessions
        (in parallel) and note what they show. A failed read is logged and the
        session keeps its previous note; it never fails the cycle. Returns the
        error when every read went unanswered (SteVe hung meanwhile), else None."""
        assert self.steve is not None
        chosen = pick_meter_samples(
            self._active, self._last_read, self.settings.poll.meter_samples_per_cycle
        )
        if not chosen:
            return None
        results = await asyncio.gather(
            *(self.steve.transaction_details(tx.id) for tx in chosen), return_exceptions=True
        )
        now = self.clock.now()
        threshold = timedelta(minutes=self.settings.poll.stuck_after_minutes)
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
                self._remember(tx.id, read_meter(tx, result.values, now, threshold))
        if all(isinstance(result, SteveNotAnswering) for result in results):
            first = results[0]
            assert isinstance(first, SteveNotAnswering)
            return first
        return None

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
            if self.store is not None:
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
        if self.steve is not None:
            self._tasks.append(
                asyncio.create_task(
                    self._loop(self._steve_cycle, poll.interval_seconds, probe=self._steve_probe),
                    name="poll-steve",
                )
            )
        if self.lago is not None and self.lago.configured:
            self._tasks.append(
                asyncio.create_task(
                    self._loop(self._lago_cycle, poll.lago_interval_seconds), name="poll-lago"
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
    ) -> None:
        assert self._stopping is not None
        delay = interval
        while not self._stopping.is_set():
            failed = await self._guarded(cycle)
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
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._save_snapshot(force=True)
