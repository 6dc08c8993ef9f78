"""Helpers for tests: run the stand-in in a thread or in the current loop.

``start_sim_thread(**opts)`` starts a server on free loopback ports in a
background thread with its own event loop, so that both async tests and
Textual snapshot tests (which run their own loop) can use it; ``running_sim``
runs it inside the caller's loop. Keyword options are ``SimOptions`` fields.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import parse_iso
from .options import SimOptions
from .server import SimServer


def _options(opts: dict[str, Any]) -> SimOptions:
    now = opts.get("now")
    if isinstance(now, str):
        opts = {**opts, "now": parse_iso(now)}
    return SimOptions(**opts)


@dataclass
class SimHandle:
    """A running stand-in: its URLs, credentials, and a small control client."""

    steve_url: str
    lago_url: str
    control_url: str
    steve_user: str
    steve_password: str
    web_user: str
    web_password: str
    lago_key: str
    server: SimServer = field(repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def port(self) -> int:
        """SteVe's port (the one ``steve_down`` closes)."""
        return self.server.port

    @property
    def steve_api(self) -> str:
        return f"{self.steve_url}/api/v1"

    @property
    def lago_api(self) -> str:
        return f"{self.lago_url}/api/v1"

    def control(self, method: str, path: str, json_body: Any = None, *, json: Any = None) -> Any:
        """Call ``/_sim{path}`` synchronously; returns the decoded JSON.

        Raises RuntimeError with the stand-in's message on a non-2xx answer.
        """
        body = json if json is not None else json_body
        data = None if body is None else _dumps(body)
        req = urllib.request.Request(
            self.control_url + path,
            data=data,
            method=method.upper(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(
                f"control {method} {path}: {exc.code} {exc.read().decode('utf-8', 'replace')}"
            ) from exc
        return _loads(raw) if raw else None

    def reset(self) -> Any:
        """Back to the demo fleet as at start-up."""
        return self.control("POST", "/reset")

    def advance(self, seconds: float) -> Any:
        return self.control("POST", "/clock/advance", {"seconds": seconds})

    def fault(self, spec: str) -> Any:
        return self.control("POST", "/faults", {"fault": spec})

    def clear_fault(self, spec: str | None = None) -> Any:
        return self.control("POST", "/faults/clear", {"fault": spec} if spec else {})

    def now(self) -> datetime:
        return parse_iso(self.control("GET", "/clock")["now"])

    def run(self, coro_fn, *args: Any, timeout: float = 30) -> Any:
        """Run ``coro_fn(*args)`` on the stand-in's loop (thread mode only)."""
        if self._loop is None:
            raise RuntimeError("run() needs a sim started with start_sim_thread")
        return asyncio.run_coroutine_threadsafe(coro_fn(*args), self._loop).result(timeout)

    def stop(self) -> None:
        """Stop the server and its thread (idempotent)."""
        if self._loop is None or self._thread is None:
            return
        loop, self._loop = self._loop, None
        try:
            asyncio.run_coroutine_threadsafe(self.server.stop(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(10)

    def __enter__(self) -> SimHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _dumps(body: Any) -> bytes:
    return json.dumps(body).encode("utf-8")


def _loads(raw: bytes) -> Any:
    return json.loads(raw)


def _handle(server: SimServer) -> SimHandle:
    info = server.info()
    return SimHandle(
        steve_url=info["steve_url"],
        lago_url=info["lago_url"],
        control_url=info["control_url"],
        steve_user=info["steve_user"],
        steve_password=info["steve_password"],
        web_user=info["web_user"],
        web_password=info["web_password"],
        lago_key=info["lago_key"],
        server=server,
    )


def start_sim_thread(**opts: Any) -> SimHandle:
    """Start the stand-in in a background thread; returns once it listens."""
    options = _options(opts)
    ready = threading.Event()
    box: dict[str, Any] = {}

    def main() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            server = SimServer(options)
            loop.run_until_complete(server.start())
            box["server"], box["loop"] = server, loop
        except BaseException as exc:  # hand the failure to the caller
            box["error"] = exc
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=main, name="chargesim", daemon=True)
    thread.start()
    ready.wait(30)
    if "error" in box:
        raise RuntimeError(f"the stand-in did not start: {box['error']}") from box["error"]
    if "server" not in box:
        raise RuntimeError("the stand-in did not start within 30 s")
    handle = _handle(box["server"])
    handle._loop, handle._thread = box["loop"], thread
    return handle


@asynccontextmanager
async def running_sim(**opts: Any) -> AsyncIterator[SimHandle]:
    """Run the stand-in inside the current event loop for the ``async with`` body.

    The sync ``control()`` helper blocks; from async code, call the control
    URL with an async client instead (the server shares your loop).
    """
    server = SimServer(_options(opts))
    await server.start()
    try:
        yield _handle(server)
    finally:
        await server.stop()
