"""The App's plumbing: the services it opens and closes, their events
re-broadcast as typed signals, the app-level workers for mutations, error
notices, the terminal driver and SIGHUP. ``PolarisApp`` (polaris_app.py)
adds the screens, keys and navigation on top."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, assert_never

from textual import events
from textual.app import App
from textual.message_pump import MessagePump
from textual.signal import Signal
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from polaris_tui.gc_pacing import REFREEZE_SECONDS, CollectorPacer
from polaris_tui.models import (
    CardChanged,
    FleetChanged,
    OperationChanged,
    ScanRecorded,
    ServiceEvent,
    SourceStateChanged,
    StoreChanged,
)
from polaris_tui.models.errors import PolarisError
from polaris_tui.screens.base import ActionDone
from polaris_tui.services.clock import Clock, SystemClock
from polaris_tui.services.contract import ScanApi, ServicesApi
from polaris_tui.services.redact import redact
from polaris_tui.services.settings import Settings
from polaris_tui.startup_gc import resume_collector
from polaris_tui.typeahead import TypeAhead
from polaris_tui.widgets.safe_text import clean, strip_controls

if TYPE_CHECKING:
    from polaris_tui.services.hook_server import HookServerHandle
    from polaris_tui.terminal import TerminalClosed

log = logging.getLogger(__name__)

T = TypeVar("T")

REFRESH_WAIT_BOUND = 5.0
"""Longest wait for the first rows to be painted before starting the hook."""


class ServicesFactory(Protocol):
    """``PolarisServices.open``, or a test's stand-in satisfying ``ServicesApi``."""

    def __call__(self, settings: Settings, *, clock: Clock | None = None) -> Awaitable[ServicesApi]:
        """Open the services (not started) for ``settings``, with ``clock`` as "now"."""
        ...


@dataclass(frozen=True)
class HookOptions:
    """Run the pre-authorize hook inside the console (demo mode)."""

    host: str
    port: int
    key: str


class BackgroundSeed:
    """A coroutine run to completion in its own thread and event loop."""

    def __init__(self, make: Callable[[], Awaitable[None]]) -> None:
        self._make = make
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-seed", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        async def main() -> None:
            await self._make()

        try:
            asyncio.run(main())
        except BaseException as error:  # handed to the App's loop by raise_failure
            self._failure = error

    def join(self) -> None:
        self._thread.join()

    def raise_failure(self) -> None:
        """Raise what the coroutine raised, in the caller's thread."""
        if self._failure is not None:
            raise self._failure


class ServicesApp(App[None]):
    """The plumbing half of ``PolarisApp``; build the App with ``make_app``."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        demo: bool = False,
        seed_demo: bool = False,
        hook: HookOptions | None = None,
        services_factory: ServicesFactory | None = None,
        type_ahead: bool | None = None,
    ) -> None:
        super().__init__()
        from polaris_tui.partial_updates import install

        install()  # a changed cell is sent alone, not with the line before it
        self._type_ahead_wanted = type_ahead
        self._type_ahead = TypeAhead(self)
        self._collector = CollectorPacer()
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        """Every "x ago" on screen is computed from this clock (injected in tests)."""
        self.demo = demo
        """Showing the built-in stand-in: the banner says so on every screen."""
        self.seed_demo = seed_demo
        self.hook_options = hook
        self._services_factory = services_factory
        self.services: ServicesApi | None = None
        """``PolarisServices`` once open (None while connecting)."""
        self.open_error: str | None = None
        """Why the services could not be opened (shown in the banner)."""
        self.services_open = asyncio.Event()
        """Set when the services are open."""
        self.data_loaded = asyncio.Event()
        """Set after the first complete poll cycle (tests await it)."""
        self.fleet_signal: Signal[FleetChanged] = Signal(self, "fleet")
        self.source_signal: Signal[SourceStateChanged] = Signal(self, "source")
        self.operation_signal: Signal[OperationChanged] = Signal(self, "operation")
        self.card_signal: Signal[CardChanged] = Signal(self, "card")
        self.scan_signal: Signal[ScanRecorded] = Signal(self, "scan")
        self.store_signal: Signal[StoreChanged] = Signal(self, "store")  # other consoles' writes
        self.ready_signal: Signal[ServicesApi | None] = Signal(self, "ready")
        """The services, once open and again after the first poll; None if opening failed."""
        self._unsubscribe: Callable[[], None] | None = None
        self._hook_handle: HookServerHandle | None = None
        self._loop_thread = threading.get_ident()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sighup_installed = False
        self.config_path: Path | None = None
        """The config file the theme choice is saved to (None: not saved; set by the CLI)."""
        self._theme_applied = False
        self.startup_notices: list[str] = []
        """Warnings to show once the UI is up (e.g. a config file others can read)."""
        self._services_closed = False
        self._seeding: BackgroundSeed | None = None
        self._opening: Worker[None] | None = None

    # -- terminal ---------------------------------------------------------------
    def get_driver_class(self) -> type[Any]:
        """Textual's Linux driver made to survive a bad terminal (``terminal.py``)."""
        if sys.platform == "win32" or os.environ.get("TEXTUAL_DRIVER"):
            return super().get_driver_class()
        from polaris_tui.terminal import PolarisDriver

        return PolarisDriver

    @property
    def orders_type_ahead(self) -> bool:
        """Whether keys are handled one at a time (``typeahead.py``).

        On by default on a real terminal. ``run_test``'s pilot already waits
        between keys, so tests turn it on only to prove it (``type_ahead=True``).
        """
        if self._type_ahead_wanted is not None:
            return self._type_ahead_wanted
        return not self.is_headless

    # -- lifecycle ------------------------------------------------------------
    def _install_sighup(self) -> None:
        """SSH closing sends SIGHUP, which would kill us without cleanup: exit instead."""
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._on_sighup)
            self._sighup_installed = True
        except (NotImplementedError, RuntimeError, ValueError, AttributeError) as error:
            log.warning(
                "cannot handle SIGHUP here (%s); closing the terminal may skip cleanup", error
            )

    def _on_sighup(self) -> None:
        log.warning("SIGHUP: the terminal went away; closing services and exiting")
        self.exit()

    def on_terminal_closed(self, message: TerminalClosed) -> None:
        """The driver saw the terminal go (EOF, EIO, parent gone): exit as on SIGHUP."""
        log.warning("%s: closing services and exiting", message.reason)
        self.exit()

    def exit(self, *args: Any, **kwargs: Any) -> None:
        self._type_ahead.close()  # keys typed after the quit must not act on a closing console
        super().exit(*args, **kwargs)

    def open_services(self) -> Worker[None]:
        """Open the services in an app-level worker (see ``_open``)."""
        self._opening = self.run_worker(
            self._open(),
            name="open-services",
            group="services",
            exclusive=True,
            exit_on_error=False,
        )
        return self._opening

    async def _open(self) -> None:
        try:
            await self._open_and_poll()
        finally:
            resume_collector()  # paused by the CLI for the start (startup_gc.py)

    async def _open_and_poll(self) -> None:
        try:
            if self._seeding is not None:
                await asyncio.to_thread(self._seeding.join)
                self._seeding.raise_failure()
            elif self.seed_demo:
                await self._seed_demo_store()
            factory = self._services_factory
            if factory is None:
                from polaris_tui.services.core import PolarisServices

                factory = PolarisServices.open
            services: ServicesApi = await factory(self.settings, clock=self.clock)
        except PolarisError as error:
            self.open_error = str(error)
            self.ready_signal.publish(None)
            raise
        if self._services_closed:
            # The operator quit while they opened: close_services has run and
            # will not run again, and an open store's thread would keep the
            # process alive after the screen has gone.
            await services.close()
            return
        self.services = services
        self._unsubscribe = services.subscribe(self._on_service_event)
        # Screens draw what the services hold at once: the last snapshot, which
        # the banner and every age label call a snapshot until the first poll
        # lands. Starting the loops and the hook takes a while; it runs after.
        # Without a snapshot (a new store, every demo) there is nothing to
        # show but "no data yet": the screens wait for the first poll, and
        # paint its rows once instead of three frames before them.
        if services.poller.fetched_at is not None:
            self.ready_signal.publish(services)
        await services.start()
        self.services_open.set()
        await services.poller.first_poll()  # the loops' first cycles, not a second round
        # What follows blocks the UI thread a while (aiohttp's import, one full
        # collection): paint the first poll's rows before it.
        await self._next_refresh()
        self.after_first_rows()
        if self.hook_options is not None:
            # After the first poll: importing aiohttp takes ~0.2 s of the UI
            # thread, which delayed the demo's first fleet rows. Until it
            # listens the stand-in's hook calls fail open, as before it did
            # for the whole start (the hook was never up before the console).
            await self._start_hook(services.scan)
        # What is alive now (modules, widgets, the first fleet) lives as long
        # as the console: keep it out of the cyclic collector's full passes,
        # which at 10,000 chargers took ~100 ms of the UI thread each.
        resume_collector()  # collect the start's garbage before freezing the rest
        gc.freeze()
        # Each poll's survivors are frozen too (gc_pacing.py): no full pass
        # over the whole fleet's data under the operator's keys.
        self.set_interval(REFREEZE_SECONDS, self._collector.tick, name="collector")
        self.data_loaded.set()
        self.ready_signal.publish(services)

    def after_first_rows(self) -> None:
        """Work kept out of the start: runs once the first poll's rows are painted."""

    async def _next_refresh(self) -> None:
        """Return after the screen's next refresh (or at once if it will not come)."""
        painted = asyncio.Event()
        if not self._running or not self.call_after_refresh(painted.set):
            return
        try:  # a bound for a screen that never refreshes again (exiting), not a pause
            await asyncio.wait_for(painted.wait(), REFRESH_WAIT_BOUND)
        except TimeoutError:
            log.debug("no screen refresh within %s s", REFRESH_WAIT_BOUND)

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run the App; the demo store is seeded meanwhile, beside Textual's start.

        Seeding is a dozen small transactions, each waiting on the disk
        (``synchronous = FULL``): ~0.2 s before the first poll could start.
        In a thread it overlaps the terminal setup, the CSS and the first
        layout. (``run_test`` does not come here: tests seed in ``_open``.)
        """
        if self.seed_demo and self._services_factory is None:
            self._seeding = BackgroundSeed(self._seed_demo_store)
        return super().run(*args, **kwargs)

    async def _seed_demo_store(self) -> None:
        """Seed the demo store before the services read it (card metadata, inventory)."""
        from polaris_tui.demo import seed_demo_store
        from polaris_tui.services.store_open import open_store

        store = await open_store(self.settings.store, self.clock)
        try:
            await seed_demo_store(store)
        finally:
            await store.close()

    async def _start_hook(self, scan: ScanApi) -> None:
        from polaris_tui.services.hook_server import start_hook_server

        options = self.hook_options
        assert options is not None
        try:
            self._hook_handle = await start_hook_server(
                scan, options.key, options.host, options.port
            )
        except PolarisError as error:
            # The console still works; only scan-to-login intercepts are off.
            self.show_error(error, title="Scan-to-login hook not running")

    async def close_services(self) -> None:
        """Stop the hook, unsubscribe and close the services (idempotent)."""
        if self._services_closed:
            return
        self._services_closed = True
        opening = self._opening
        if opening is not None and not opening.is_finished:
            # A quit while the services open or start: stop that first, or a
            # store connection it opens after this close is never closed (its
            # thread kept the process alive after the screen had gone).
            opening.cancel()
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await opening.wait()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._hook_handle is not None:
            try:
                await self._hook_handle.stop()
            except OSError as error:
                log.error("stopping the hook server failed: %s", error)
        if self.services is not None:
            await self.services.close()

    async def on_unmount(self) -> None:
        await self.close_services()
        if self._sighup_installed:
            try:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            except RuntimeError as error:
                log.debug("could not remove the SIGHUP handler: %s", error)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self._collector.input_seen()
        if self.orders_type_ahead and self._type_ahead.hold(event):
            return  # handed back by TypeAhead once the keys before it have landed
        # A paste is operator text that an Input would draw raw: an ESC or C1
        # byte in it would reach the terminal. Drop control characters first.
        if isinstance(event, events.Paste) and not event.is_forwarded:
            text = strip_controls(event.text)
            if text != event.text:
                event = events.Paste(text)
        await super().on_event(event)

    # -- service events → signals --------------------------------------------
    def _on_service_event(self, event: ServiceEvent) -> None:
        if threading.get_ident() != self._loop_thread and self._loop is not None:
            # Never block the publishing thread on the UI loop (it could be waiting on us).
            self._loop.call_soon_threadsafe(self._publish, event)
        else:
            self._publish(event)

    def _publish(self, event: ServiceEvent) -> None:
        if isinstance(event, FleetChanged):
            self.fleet_signal.publish(event)
        elif isinstance(event, SourceStateChanged):
            self.source_signal.publish(event)
        elif isinstance(event, OperationChanged):
            self.operation_signal.publish(event)
        elif isinstance(event, CardChanged):
            self.card_signal.publish(event)
        elif isinstance(event, ScanRecorded):
            self.scan_signal.publish(event)
        elif isinstance(event, StoreChanged):
            self.store_signal.publish(event)
        else:
            assert_never(event)  # a new event kind needs its own signal

    # -- errors ----------------------------------------------------------------
    def report_worker(self, event: Worker.StateChanged) -> None:
        """The central handler: a failed worker becomes a visible notice."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.show_error(event.worker.error)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker(event)

    def show_error(self, error: BaseException, *, title: str | None = None) -> None:
        """Notify the operator (plain text, never markup) and log the error."""
        secrets = self.settings.secrets()
        if isinstance(error, PolarisError):
            log.warning("%s", clean(redact(str(error), secrets)))  # logs are read on terminals too
            self.notify(
                clean(redact(error.message or error.title, secrets), limit=500),
                title=clean(title or error.title, limit=120),
                severity="error",
                markup=False,
                timeout=10,
            )
        else:
            # A bug's exception text may hold anything (a URL, a header): redact
            # the traceback before it reaches the log, and the notice.
            trace = redact("".join(traceback.format_exception(error)), secrets)
            log.error("unexpected error: %s", clean(trace, keep_newlines=True, limit=20_000))
            self.notify(
                clean(redact(f"{type(error).__name__}: {error}", secrets), limit=500),
                title=title or "Unexpected error (logged)",
                severity="error",
                markup=False,
                timeout=15,
            )

    # -- app-level workers for mutations -----------------------------------------
    def run_mutation(
        self, reply_to: MessagePump, label: str, call: Callable[[], Awaitable[T]]
    ) -> Worker[T | None]:
        """Run one mutating request in an app-level worker; answer ``reply_to`` with ``ActionDone``.

        The worker belongs to the App, so closing a modal or the screen that
        asked cannot cancel the request mid-flight (PITFALLS).
        """

        async def job() -> T | None:
            try:
                result = await call()
            except PolarisError as error:
                delivered = self._reply(reply_to, ActionDone(label, error=error))
                if not delivered:
                    self.show_error(error)
                return None
            except Exception as error:
                self._reply(reply_to, ActionDone(label, error=error))
                raise  # the central handler notifies and logs it
            self._reply(reply_to, ActionDone(label, result=result))
            return result

        return self.run_worker(job(), name=f"action:{label}", group="actions", exit_on_error=False)

    @staticmethod
    def _reply(target: MessagePump, message: ActionDone) -> bool:
        if target.is_attached and target.is_running:
            return target.post_message(message)
        return False
