"""The pre-authorize hook: ``POST /api/ocpp/pre-authorize`` over ``ScanLoginService``.

SteVe forks call it synchronously on every Authorize (contracts/STEVE.md §6)
and wait about 200 ms, so this endpoint is small on purpose:

1. read the raw body (bounded) and verify ``X-Signature`` — lowercase hex
   HMAC-SHA256 of the exact bytes with the shared key — *before* parsing,
   with a constant-time compare; bad or missing ⇒ 401;
2. parse and check the JSON (``idTag``, ``chargeBoxId`` required) ⇒ 400 if not;
3. ask ``ScanLoginService.decide`` with a deadline inside SteVe's budget and
   answer ``{"override": "BLOCKED"}`` or ``{"override": null}``.

It fails open: any error after the signature check (store down, a bug) is
logged and answered ``{"override": null}``, so a broken hook never stops a
customer from charging. The key is never logged.

It keeps answering under a flood (issue 16, ``hook_connections``): at most ``connection_cap()`` are
open at once (the open-file limit less a reserve), and a new connection past
the cap closes the oldest ones that
never sent a signed request (a signed caller's idle connection only when no
such one is left); a connection idle for ``IDLE_TIMEOUT_S``, including one
that never finishes its headers, is closed; a body must arrive within
``BODY_TIMEOUT_S``. So 1,000 idle or half-open connections cannot use up the
process's open files, and SteVe's signed calls still answer within its budget.

``start_hook_server`` runs it in the caller's event loop (the console's demo
mode); ``run_hook`` is the standalone ``polaris hook`` command.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import signal
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import SecretStr

from polaris_tui.models.errors import ConfigError, PolarisError
from polaris_tui.services.contract import ScanApi
from polaris_tui.services.hook_connections import (
    ACCEPT_BATCH,
    BODY_TIMEOUT_S,
    IDLE_TIMEOUT_S,
    LISTEN_BACKLOG,
    ConnectionGuard,
    raise_open_file_limit,
)
from polaris_tui.services.scan_login import ScanLoginService

if TYPE_CHECKING:
    from polaris_tui.services.clock import Clock
    from polaris_tui.services.settings import Settings

log = logging.getLogger(__name__)

HOOK_PATH = "/api/ocpp/pre-authorize"
MAX_BODY_BYTES = 16 * 1024
"""A pre-authorize body is ~150 bytes; anything far larger is refused unread."""

DECISION_BUDGET_S = 0.150
"""Time the decision may take before the claim is skipped: inside SteVe's
~200 ms (``PREAUTH_TIMEOUT_MS``), leaving room for the network."""

_SCAN_SERVICE = web.AppKey[ScanApi]("scan_service")
_KEY = web.AppKey("hmac_key", bytes)
_GUARD = web.AppKey("connection_guard", ConnectionGuard)

NO_OVERRIDE: dict[str, Any] = {"override": None}


def _key_bytes(hmac_key: str | bytes | SecretStr | None) -> bytes:
    """The shared secret as bytes (UTF-8); refuses an empty key."""
    if isinstance(hmac_key, SecretStr):
        hmac_key = hmac_key.get_secret_value()
    if isinstance(hmac_key, str):
        hmac_key = hmac_key.encode("utf-8")
    if not hmac_key:
        raise ConfigError(
            "The pre-authorize hook needs a shared key: set hook.hmac_key "
            "(POLARIS_HOOK__HMAC_KEY) to the SteVe fork's PREAUTH_HMAC_KEY."
        )
    return hmac_key


def sign(body: bytes, hmac_key: str | bytes) -> str:
    """The ``X-Signature`` value SteVe sends for ``body`` (tests, benchmark)."""
    key = hmac_key.encode("utf-8") if isinstance(hmac_key, str) else hmac_key
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, header: str | None, key: bytes) -> bool:
    """Constant-time check of ``header`` against HMAC-SHA256(key, body).

    Missing, odd-length or non-hex headers are simply wrong (no exception).
    """
    if not header:
        return False
    try:
        given = bytes.fromhex(header.strip())
    except ValueError:
        return False
    expected = hmac.new(key, body, hashlib.sha256).digest()
    return hmac.compare_digest(expected, given)


def _json(status: int, payload: dict[str, Any]) -> web.Response:
    return web.json_response(payload, status=status)


def _parse(body: bytes) -> tuple[str, str, int | None, int | None] | str:
    """``(idTag, chargeBoxId, connectorId, ts)`` or the error code for a 400."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "invalid_json"
    if not isinstance(data, dict):
        return "invalid_body"
    id_tag, charge_box_id = data.get("idTag"), data.get("chargeBoxId")
    if not isinstance(id_tag, str) or not id_tag.strip():
        return "invalid_body"
    if not isinstance(charge_box_id, str) or not charge_box_id.strip():
        return "invalid_body"
    connector = data.get("connectorId")
    connector_id = (
        connector if isinstance(connector, int) and not isinstance(connector, bool) else None
    )
    ts = data.get("ts")
    ts_ms = int(ts) if isinstance(ts, (int, float)) and not isinstance(ts, bool) else None
    return id_tag, charge_box_id, connector_id, ts_ms


async def _pre_authorize(request: web.Request) -> web.Response:
    started = time.monotonic()
    key = request.app[_KEY]
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            body = await request.read()  # bounded by client_max_size
    except TimeoutError:
        log.warning(
            "pre-authorize: body not sent within %g s by %s", BODY_TIMEOUT_S, request.remote
        )
        response = _json(408, {"error": "timeout"})
        response.force_close()
        return response
    except web.HTTPRequestEntityTooLarge:
        log.warning("pre-authorize: body over %d bytes from %s", MAX_BODY_BYTES, request.remote)
        return _json(413, {"error": "too_large"})
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        log.warning("pre-authorize: body could not be read: %s", exc)
        return _json(400, {"error": "invalid_body"})
    if not signature_ok(body, request.headers.get("X-Signature"), key):
        log.warning("pre-authorize: bad or missing signature from %s", request.remote)
        return _json(401, {"error": "unauthorized"})
    request.app[_GUARD].trust(request.protocol)
    parsed = _parse(body)
    if isinstance(parsed, str):
        log.warning("pre-authorize: %s from %s", parsed, request.remote)
        return _json(400, {"error": parsed})
    id_tag, charge_box_id, connector_id, ts_ms = parsed
    service = request.app[_SCAN_SERVICE]
    try:
        decision = await service.decide(
            id_tag, charge_box_id, connector_id, ts_ms, deadline=started + DECISION_BUDGET_S
        )
    except Exception:  # fail open: a broken hook must never stop a customer charging
        log.exception(
            "pre-authorize for %s at %s failed: answering no override", id_tag, charge_box_id
        )
        return _json(200, NO_OVERRIDE)
    elapsed_ms = (time.monotonic() - started) * 1000
    log.debug(
        "pre-authorize %s at %s -> %s in %.1f ms", id_tag, charge_box_id, decision, elapsed_ms
    )
    return _json(200, {"override": decision})


def build_hook_app(
    scan_service: ScanApi, hmac_key: str | bytes | SecretStr | None
) -> web.Application:
    """The aiohttp application serving the hook.

    Raises:
        ConfigError: no key (an unsigned hook would let anyone block taps).
    """
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[_SCAN_SERVICE] = scan_service
    app[_KEY] = _key_bytes(hmac_key)
    app[_GUARD] = ConnectionGuard()
    app.router.add_post(HOOK_PATH, _pre_authorize)
    return app


@dataclass
class HookServerHandle:
    """A running in-process hook server."""

    url: str
    """Full URL of the endpoint, e.g. ``http://127.0.0.1:8787/api/ocpp/pre-authorize``."""
    host: str
    port: int
    _runner: web.AppRunner
    _listener: asyncio.Server | None = None
    guard: ConnectionGuard | None = field(default=None, repr=False)

    async def stop(self) -> None:
        """Stop listening and finish open requests (idempotent)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        await self._runner.cleanup()


def _listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for ``host:port`` (IPv4 or IPv6 literal or name)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(LISTEN_BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def start_hook_server(
    scan_service: ScanApi,
    hmac_key: str | bytes | SecretStr | None,
    host: str = "127.0.0.1",
    port: int = 8787,
) -> HookServerHandle:
    """Serve the hook in the running event loop; ``port=0`` picks a free port.

    Raises:
        ConfigError: no key, or the address cannot be bound.
    """
    raise_open_file_limit()  # room for a flood of idle connections (sets the guard's cap)
    app = build_hook_app(scan_service, hmac_key)
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, keepalive_timeout=IDLE_TIMEOUT_S
    )
    await runner.setup()
    assert runner.server is not None
    guard = app[_GUARD]
    guard.attach(runner.server)
    try:
        # Our own listener rather than a TCPSite: the guard must see every new connection.
        sock = _listening_socket(host, port)
        listener = await asyncio.get_running_loop().create_server(
            guard, sock=sock, backlog=ACCEPT_BATCH
        )
        sock.listen(LISTEN_BACKLOG)  # the kernel's queue stays long; asyncio's batch short
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(
            f"The pre-authorize hook cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from exc
    bound_port = port
    for sock in listener.sockets:
        address = sock.getsockname()
        if isinstance(address, tuple) and len(address) >= 2:
            bound_port = int(address[1])
            break
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{bound_port}{HOOK_PATH}"
    if host not in ("127.0.0.1", "::1", "localhost"):
        log.warning("the pre-authorize hook listens on %s, not only on loopback", host)
    log.info("pre-authorize hook listening on %s", url)
    return HookServerHandle(
        url=url, host=host, port=bound_port, _runner=runner, _listener=listener, guard=guard
    )


async def serve_hook(
    settings: Settings, *, clock: Clock | None = None, stop: asyncio.Event | None = None
) -> None:
    """The ``polaris hook`` process body: open the store, serve until ``stop``
    is set (or SIGTERM / SIGINT / SIGHUP arrives), then close everything.

    Args:
        settings: ``Settings`` (``hook.host``, ``hook.port``, ``hook.hmac_key``, ``store.path``).
        clock: defaults to the system clock.
        stop: set it to stop (tests); signals set it too.

    Raises:
        ConfigError: no key, or the port cannot be bound.
        StoreError: the store cannot be opened.
    """
    from polaris_tui.services.clock import SystemClock
    from polaris_tui.services.store_open import open_store

    key = _key_bytes(settings.hook.hmac_key)  # refuse before opening anything
    clock = clock or SystemClock()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (
            NotImplementedError,
            RuntimeError,
            ValueError,
        ) as exc:  # not the main thread / platform
            log.debug("cannot handle %s here: %s", sig.name, exc)
    store = await open_store(settings.store, clock)
    handle: HookServerHandle | None = None
    try:
        service = ScanLoginService(store, clock, settings.operator.resolve())
        handle = await start_hook_server(service, key, settings.hook.host, settings.hook.port)
        await stop.wait()
        log.info("pre-authorize hook stopping")
    finally:
        if handle is not None:
            await handle.stop()
        await store.close()
        for sig in installed:
            loop.remove_signal_handler(sig)


def run_hook(settings: Settings) -> int:
    """Blocking entry point for ``polaris hook``: serve until a signal.

    Returns:
        0 after a clean stop; 2 when it cannot start (no key, port taken,
        store unopenable), with the reason logged.
    """
    try:
        asyncio.run(serve_hook(settings))
    except PolarisError as exc:
        log.error("polaris hook cannot start: %s", exc)
        return 2
    return 0
