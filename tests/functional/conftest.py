"""Fixtures to run the real Polaris App in tests.

Two ways:

* against the stand-in (``sim`` from ``tests/conftest.py``: a fresh frozen
  demo fleet at ``FROZEN_NOW``): ``sim_settings(sim, tmp_path)`` and
  ``sim_app`` build the App with an injected ``FixedClock`` at the same
  instant, so every "x ago" is deterministic;
* against ``FakeServices`` (the contract's method names over hand-built
  models) for cases that are hard to stage on the stand-in.

``settle(pilot)`` waits until the services are open, the first poll cycle
is done and the screens' workers have drawn it: snapshot tests call it in
``run_before``. ``no_blink(app)`` stops cursor blinking so an SVG cannot
catch the cursor half-way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import WorkerError, WorkerState

from polaris_tui.app import PolarisApp, make_app
from polaris_tui.models import ChargerRow, Role
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.settings import Settings, load_settings
from tests.fakes.services import FakeServices, make_row

__all__ = ["NOW", "FakeServices", "make_row", "no_blink", "screen_text", "settle", "sim_settings"]

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
"""Same instant as the stand-in's ``FROZEN_NOW``."""

SETTLE_TIMEOUT = 120.0
"""Only a hang reaches it: under load one settle can take many seconds."""


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``POLARIS_…`` variable of the machine running the tests leaks in."""
    import os

    for name in list(os.environ):
        if name.startswith("POLARIS_"):
            monkeypatch.delenv(name, raising=False)


def sim_settings(
    sim: Any,
    tmp_path: Path,
    *,
    operator: str = "tester",
    role: str = "admin",
    **poll: float,
) -> Settings:
    """Settings pointing at the stand-in, with a private store in ``tmp_path``."""
    roles = {"admins": [operator]} if role == "admin" else {"viewers": [operator]}
    return load_settings(
        {
            "steve": {
                "url": sim.steve_url,
                "api_user": sim.steve_user,
                "api_password": sim.steve_password,
                "web_user": sim.web_user,
                "web_password": sim.web_password,
            },
            "lago": {"url": sim.lago_url, "api_key": sim.lago_key},
            "store": {"path": tmp_path / "polaris.sqlite"},
            "operator": {"name": operator, **roles},
            "poll": {"stop_followup_seconds": 3.0, **poll},
        },
        config_file=tmp_path / "no-config.toml",
    )


@pytest.fixture
def sim_app(sim: Any, tmp_path: Path) -> Callable[..., PolarisApp]:
    """Build the App against the stand-in: ``sim_app(role="viewer", demo=False, **poll)``."""

    def build(
        *, operator: str = "tester", role: str = "admin", demo: bool = False, **poll: float
    ) -> PolarisApp:
        settings = sim_settings(sim, tmp_path, operator=operator, role=role, **poll)
        return make_app(settings, clock=FixedClock(NOW), demo=demo, seed_demo=True)

    return build


async def settle(pilot: Pilot[Any], *, rounds: int = 3) -> None:
    """Wait for open services, the first poll, and every worker the screens started."""
    app = pilot.app
    assert isinstance(app, PolarisApp)
    await asyncio.wait_for(app.data_loaded.wait(), SETTLE_TIMEOUT)
    for _ in range(rounds):
        await pilot.pause()
        await asyncio.wait_for(workers_done(app), SETTLE_TIMEOUT)
    await pilot.pause()
    no_blink(app)


async def workers_done(app: PolarisApp) -> None:
    """Wait until no worker is pending or running, however each one ends.

    A poll cycle that lands mid-wait makes a screen reload, and the new
    exclusive worker cancels the old one: that is the app working, not a
    failure (``WorkerManager.wait_for_complete`` raises on it). A failed
    worker is the app's to report; tests see it on screen.
    """
    while True:
        active = [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
        if not active:
            return
        for worker in active:
            try:
                await worker.wait()
            except WorkerError:
                # Cancelled by its successor or failed (the app reports it), or
                # not started yet: let the loop start it, then look again.
                await asyncio.sleep(0.01)


async def wait_for_dialog(pilot: Pilot[Any]) -> Any:
    """The confirmation dialog, once a worker has pushed it (a live stop's
    confirmation first asks the store about other operators' stops)."""
    from polaris_tui.dialogs.confirm import ConfirmDialog

    def drawn() -> bool:
        # Pushed is not enough: under load the screen can be current before it
        # is mounted (its buttons missing, and a "y" not yet taken as a yes)
        # and before it has been laid out. Focus is on its default answer,
        # No or Yes depending on the operation.
        screen = pilot.app.screen
        return (
            isinstance(screen, ConfirmDialog)
            and screen.is_mounted
            and screen.focused is not None
            and screen.size.height > 0
        )

    await wait_until(pilot, drawn, "the confirmation dialog, mounted and focused")
    await pilot.pause()
    return pilot.app.screen


async def wait_until(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until ``condition`` holds; fail naming ``what`` only on a hang."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_TIMEOUT
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for: {what}"
        await pilot.pause(0.05)


async def palette(pilot: Pilot[Any], text: str, hit: str, *, first: bool = True) -> None:
    """``ctrl+p``, type ``text``, and wait until the highlighted command reads
    ``hit`` (``enter`` then runs it), or with ``first=False`` any listed one.
    Keys typed before the palette's input has focus would go to the screen
    below, so typing waits for it."""
    from textual.command import CommandInput, CommandList, CommandPalette

    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_until(
        pilot,
        lambda: (
            isinstance(app.screen, CommandPalette) and isinstance(app.screen.focused, CommandInput)
        ),
        "the command palette, its input focused",
    )
    await pilot.press(*type_keys(text))

    def highlighted() -> bool:
        screen = app.screen
        if not isinstance(screen, CommandPalette):
            return False
        if screen.query_one(CommandInput).value != text:
            return False
        commands = screen.query_one(CommandList)
        shown = [commands.highlighted_option] if first else commands.options
        return any(hit in (getattr(getattr(o, "hit", None), "text", None) or "") for o in shown)

    await wait_until(pilot, highlighted, f"the palette's hit {hit!r} for {text!r}")


def no_blink(app: Any) -> None:
    """Stop every cursor blink on the current screen (deterministic screenshots)."""
    for widget in app.screen.query(Input):
        widget.cursor_blink = False


async def open_charger(pilot: Pilot[Any], charge_box_id: str) -> Any:
    """Open a charger's detail the way an operator does: filter, then enter."""
    app = pilot.app
    await pilot.press("slash")
    await pilot.press(*type_keys(charge_box_id))
    await pilot.press("enter")  # filter box → table
    await pilot.pause()
    await pilot.press("enter")  # open the row under the cursor
    await settle(pilot)
    return app.screen


def type_keys(text: str) -> list[str]:
    """Key names that type ``text`` (for ``pilot.press``)."""
    names = {
        "@": "at",
        ".": "full_stop",
        "-": "minus",
        " ": "space",
        "/": "slash",
        "_": "underscore",
    }
    return [names.get(ch, ch) for ch in text]


def screen_text(app: Any) -> str:
    """Everything visible on the current screen, as plain text (for assertions)."""
    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width, height=height, record=True, file=open("/dev/null", "w"), legacy_windows=False
    )
    lines = app.screen._compositor.render_update(full=True)
    console.print(lines)
    return console.export_text()


@pytest.fixture
def fake_app(tmp_path: Path) -> Callable[..., tuple[PolarisApp, FakeServices]]:
    """Build the App over ``FakeServices``: ``fake_app(rows, role=Role.ADMIN)``."""

    def build(
        rows: Iterable[ChargerRow], *, role: Role = Role.ADMIN
    ) -> tuple[PolarisApp, FakeServices]:
        settings = load_settings(
            {"store": {"path": tmp_path / "unused.sqlite"}}, config_file=tmp_path / "none.toml"
        )
        clock = FixedClock(NOW)
        fake = FakeServices(settings, clock, rows, role=role)

        async def factory(settings: Settings, *, clock: Any) -> FakeServices:
            return fake

        app = make_app(settings, clock=clock, services_factory=factory)
        return app, fake

    return build
