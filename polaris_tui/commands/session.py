"""Open the services for one scripting command: configured SteVe, or the demo.

With no SteVe configured the command starts its own stand-in (like the
console's demo mode) and a throwaway store seeded with the demo's local rows,
so ``polaris stuck`` on a fresh machine answers about the demo fleet. The
console's own demo store is never touched.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from polaris_tui.services.settings import Settings, load_settings

if TYPE_CHECKING:
    from polaris_tui.services.core import PolarisServices


class DemoProcess(Protocol):
    def stop(self) -> None: ...


StartDemo = Callable[[Path], tuple[DemoProcess, dict[str, str]]]
"""Start the demo stand-in (log beside ``Path``): the process to stop and its JSON line.
The CLI passes it in, so this package never imports the CLI."""


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """Settings from the flags every scripting command takes."""
    return {
        "steve": {"url": args.steve_url, "status_source": args.status_source},
        "lago": {"url": args.lago_url},
        "store": {"path": args.store},
    }


def demo_overrides(
    base: dict[str, Any], info: dict[str, str], store_path: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Settings for the stand-in whose JSON line is ``info`` (credentials stay in memory)."""
    return {
        **base,
        "steve": {
            "url": info["steve_url"],
            "api_user": info["steve_user"],
            "api_password": info["steve_password"],
            "web_user": info["web_user"],
            "web_password": info["web_password"],
            "status_source": args.status_source,
        },
        "lago": {"url": info["lago_url"], "api_key": info["lago_key"]},
        "store": {"path": store_path},
        "demo": True,
    }


def settings_for(args: argparse.Namespace) -> Settings:
    """The configured settings with this command's flags (ConfigError when invalid)."""
    return load_settings(overrides_from(args), config_file=args.config)


@asynccontextmanager
async def open_services(
    args: argparse.Namespace,
    settings: Settings,
    *,
    start_demo: StartDemo,
    needs_steve: bool = True,
) -> AsyncIterator[PolarisServices]:
    """The services for ``args`` (not started: no loops, no resumed watchers).

    With no SteVe configured, a command that needs SteVe runs on its own demo
    stand-in; one that only reads the store (``ops``) reads the demo console's
    store (``demo.sqlite`` beside the default store, unless ``--store``).

    Raises:
        ConfigError: the demo stand-in did not start.
        StoreError: the store cannot be opened.
    """
    from polaris_tui.services.core import PolarisServices

    if not settings.steve.url and not needs_steve and args.store is None:
        demo_store = settings.store.path.with_name("demo.sqlite")
        settings = settings.model_copy(
            update={"store": settings.store.model_copy(update={"path": demo_store})}
        )
    if settings.steve.url or not needs_steve:
        services = await PolarisServices.open(settings)
        try:
            yield services
        finally:
            await services.close()
        return
    async with _demo_services(args, settings, start_demo) as services:
        yield services


@asynccontextmanager
async def _demo_services(
    args: argparse.Namespace, settings: Settings, start_demo: StartDemo
) -> AsyncIterator[PolarisServices]:
    from polaris_tui.demo import seed_demo_store
    from polaris_tui.services.core import PolarisServices
    from polaris_tui.store import Store

    state_dir = settings.store.path.parent
    state_dir.mkdir(parents=True, exist_ok=True)
    demo, info = start_demo(state_dir / "polaris.log")
    try:
        with tempfile.TemporaryDirectory(prefix="polaris-demo-") as scratch:
            store_path = Path(scratch) / "demo.sqlite"
            demo_settings = load_settings(
                demo_overrides(overrides_from(args), info, store_path, args),
                config_file=args.config,
            )
            store = await Store.open(store_path, clock=_system_clock())
            try:
                await seed_demo_store(store)
            finally:
                await store.close()
            services = await PolarisServices.open(demo_settings)
            try:
                yield services
            finally:
                await services.close()
    finally:
        demo.stop()


def _system_clock() -> Any:
    from polaris_tui.services.clock import SystemClock

    return SystemClock()
