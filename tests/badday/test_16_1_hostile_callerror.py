"""Issue 16, item 1: a charger's CALLERROR text never reaches the terminal raw.

A compromised OCPP-J charger (a real ``ocpp`` v16 charge point on the
stand-in's websocket) has an open session. The operator sends RemoteStop
from a real ``polaris`` on a pseudo-terminal; the charger answers with a
CALLERROR whose description holds an OSC 0 window title and a complete
OSC 52 clipboard write. The outcome on the charger page and the operation
log show the text in visible form; not one byte of either sequence is
written to the terminal.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import websockets
from ocpp.exceptions import GenericError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call
from ocpp.v16.enums import Action

from polaris_tui.services.settings import os_login
from tests.conftest import FROZEN_NOW
from tests.sim.test_ocppj import ws_url

from .ptyrun import run_polaris

CHARGER = "CP-AAA-PWNED"
"""Sorts first in the fleet (stuck and charging, like CP-ALPHA-01 and CP-BRAVO-02)."""
DESCRIPTION = "stop refused \x1b]0;pwned\x07 then \x1b]52;c;cm0gLXJmIH4K\x1b\\ end"
"""A window title and a clipboard write (``rm -rf ~``, base64), ST-terminated."""
NOW = FROZEN_NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z")

FROM_DATA = {
    "OSC 0 window title": b"\x1b]0;pwned",
    "OSC 52 clipboard write": b"\x1b]52;",
    "the clipboard payload after an ESC": b"\x1b]52;c;cm0gLXJmIH4K",
    "8-bit OSC": "\x9d".encode(),
    "raw 8-bit OSC": b"\x9d0;",
}


class HostileCharger(ChargePoint):
    """Firmware that answers RemoteStop with a poisoned CALLERROR."""

    stop_seen = threading.Event()

    @on(Action.remote_stop_transaction)
    async def on_remote_stop(self, transaction_id: int):
        self.stop_seen.set()
        raise GenericError(description=DESCRIPTION, details={"note": DESCRIPTION})


class ChargerThread:
    """The charger on its own event loop, connected while the test drives polaris."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ready = threading.Event()
        self.failed: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="hostile-charger", daemon=True)

    def __enter__(self) -> ChargerThread:
        self._thread.start()
        assert self.ready.wait(20), f"the charger did not start: {self.failed!r}"
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._loop is not None and self._done is not None:
            self._loop.call_soon_threadsafe(self._done.set)
        self._thread.join(10)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by __enter__ / the test
            self.failed = exc
            self.ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._done = asyncio.Event()
        async with websockets.connect(self.url, subprotocols=["ocpp1.6"]) as ws:
            cp = HostileCharger(CHARGER, ws, response_timeout=20)
            serving = asyncio.create_task(cp.start())
            try:
                await cp.call(
                    call.BootNotification(charge_point_model="X-1", charge_point_vendor="Evil")
                )
                start = await cp.call(
                    call.StartTransaction(
                        connector_id=1, id_tag="CARD-KIOSK", meter_start=1000, timestamp=NOW
                    )
                )
                assert start.transaction_id
                await cp.call(
                    call.StatusNotification(
                        connector_id=1, error_code="NoError", status="Charging", timestamp=NOW
                    )
                )
                self.ready.set()
                await self._done.wait()
            finally:
                serving.cancel()


def test_a_poisoned_callerror_never_reaches_the_terminal(sim: Any, tmp_path: Path) -> None:
    HostileCharger.stop_seen.clear()
    args = [
        "--steve-url",
        sim.steve_url,
        "--lago-url",
        sim.lago_url,
        "--store",
        str(tmp_path / "store.db"),
        "--config",
        str(tmp_path / "none.toml"),
    ]
    env = {
        "POLARIS_STEVE__API_PASSWORD": sim.steve_password,
        # the operator is the OS login (never a flag outside the demo)
        "POLARIS_OPERATOR__ADMINS": json.dumps([os_login()]),
        "POLARIS_LAGO__API_KEY": sim.lago_key,
        "POLARIS_STEVE__WEB_PASSWORD": sim.web_password,
        "POLARIS_OPERATOR__DEFAULT_ROLE": "admin",
    }
    with (
        ChargerThread(ws_url(sim, CHARGER)),
        run_polaris(args, home=tmp_path / "home", env=env) as polaris,
    ):
        assert polaris.wait_for(CHARGER, timeout=30), polaris.output[-3000:]
        polaris.settle()
        mark = polaris.mark()
        polaris.type("enter")  # the charger's page (the first row)
        assert polaris.wait_for("RemoteStopTransaction", timeout=15, after=mark)
        polaris.settle()
        assert CHARGER.encode() in polaris.output[mark:], "the hostile charger's page is open"
        # Operations: `o` lands on Submit (the stop filled in); back to Dry run
        # (off), Submit, confirm.
        mark = polaris.mark()
        polaris.settle(quiet=1.0)
        polaris.type("o", "shift+tab", " ", pause=0.4)
        assert polaris.wait_for("Dry run: OFF", timeout=15, after=mark), polaris.output[-3000:]
        polaris.settle()
        mark = polaris.mark()
        polaris.type("tab", "enter", pause=0.4)
        assert polaris.wait_for("Stop session", timeout=15, after=mark), polaris.output[-3000:]
        polaris.settle()
        mark = polaris.mark()
        polaris.type("y")
        assert polaris.wait_for("pwned", timeout=40, after=mark), polaris.output[-3000:]
        polaris.settle()
        on_page = polaris.output[mark:]
        mark = polaris.mark()
        polaris.type("l")  # the operation log of this charger
        assert polaris.wait_for("Operation log", timeout=15, after=mark)
        assert polaris.wait_for("pwned", timeout=15, after=mark), "the log shows the error"
        polaris.settle()
        in_log = polaris.output[mark:]
        polaris.type("escape", "escape", "q")
        code = polaris.wait(15)
        output = polaris.output
    assert HostileCharger.stop_seen.is_set(), "the stop reached the charger"
    assert code == 0, output[-3000:]
    for where, data in (("charger page", on_page), ("operation log", in_log)):
        found = {name: seq for name, seq in FROM_DATA.items() if seq in data}
        assert not found, f"{where}: escape sequences from the charger reached the terminal"
        assert b"^[]0;pwned^G" in data, f"{where}: the description is shown, in visible form"
    found = {name: seq for name, seq in FROM_DATA.items() if seq in output}
    assert not found, f"escape sequences from the charger reached the terminal: {found}"
