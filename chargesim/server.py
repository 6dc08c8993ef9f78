"""The stand-in's HTTP server: one process, SteVe + Lago + control.

Two listeners share one ``World``:

* the main port serves everything — SteVe at ``/steve`` (REST, manager pages,
  OCPP-J websockets), Lago at ``/lago``, control at ``/_sim`` — so the URLs of
  docs/demo-fleet.md work;
* an auxiliary port serves Lago and control only. ``lago_url`` and
  ``control_url`` point there, so that a SteVe outage (``steve_down``: the main
  listening socket is closed, connections are refused, then it reopens on the
  same port) leaves Lago up and the stand-in controllable, as in real life
  where SteVe and Lago are different systems.

A middleware applies the degraded modes (5xx, slow, frozen, malformed JSON), SteVe's
HTTP Basic check, and records each SteVe/Lago request for tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import ocppj, operations
from . import sim as runtime
from .appkeys import SESSIONS, SIM
from .clock import iso_z
from .control import control_routes
from .lago import lago_error, lago_routes
from .manager import Sessions, manager_routes
from .options import SimOptions
from .steve_api import steve_routes
from .steve_common import ApiError, api_error, check_basic_auth
from .tasks import TaskStore

log = logging.getLogger("chargesim.server")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SimServer:
    """Runs one ``World`` over HTTP. ``await start()``, then ``await stop()``."""

    def __init__(self, options: SimOptions | None = None) -> None:
        self.options = options or SimOptions()
        self.sim = runtime.new_world(self.options)
        self.sim.server = self
        self.sessions = Sessions()
        self.host = self.options.host
        self.port = self.options.port
        self.aux_port = self.options.aux_port
        self.steve_down = False
        self._main: web.AppRunner | None = None
        self._aux: web.AppRunner | None = None
        self._ticker: asyncio.Task[Any] | None = None
        self._was_online: list[str] = []

    # ------------------------------------------------------------ the apps

    def _app(self, *, with_steve: bool) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=4 * 1024 * 1024)
        app[SIM] = self.sim
        app[SESSIONS] = self.sessions
        routes: list[web.RouteDef] = []
        if with_steve:
            routes += steve_routes()
            routes.append(web.post("/steve/api/v1/operations/{name}", operations.handle))
            routes += manager_routes()
            routes.append(
                web.get("/steve/websocket/CentralSystemService/{chargeBoxId:.+}", ocppj.websocket)
            )
        routes += lago_routes(lambda: self.sim.lago, lambda: self.options.lago_key)
        routes += control_routes()
        app.add_routes(routes)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        system = (
            "steve" if path.startswith("/steve/") else "lago" if path.startswith("/lago/") else None
        )
        if system is None:
            return await handler(request)
        sim = self.sim
        entry: dict[str, object] = {
            "time": iso_z(sim.clock.now()),
            "method": request.method,
            "path": path,
            "query": request.query_string,
            "status": None,
        }
        sim.requests.append(entry)
        degraded = sim.degraded[system]
        frozen = degraded.get("freeze")
        if frozen is not None and not path.startswith("/steve/websocket/"):
            await frozen.wait()  # hung: the client sees an open connection and no byte
        if degraded.get("slow"):
            await asyncio.sleep(degraded["slow"])
        if degraded.get("status"):
            status = degraded["status"]
            entry["status"] = status
            return web.Response(
                status=status,
                text=f"<html><body><h1>{status} {web.Response(status=status).reason}</h1></body></html>",
                content_type="text/html",
            )
        response = await self._answer(request, handler, system)
        entry["status"] = response.status
        if (
            degraded.get("malformed")
            and isinstance(response, web.Response)
            and isinstance(response.body, bytes | bytearray)
            and response.body
        ):
            body = bytes(response.body)
            return web.Response(
                status=200, body=body[: max(len(body) // 2, 1)], content_type=response.content_type
            )
        return response

    async def _answer(
        self, request: web.Request, handler: Handler, system: str
    ) -> web.StreamResponse:
        steve_api = request.path.startswith("/steve/api/")
        if steve_api:
            denied = check_basic_auth(request)
            if denied is not None:
                return denied
        try:
            return await handler(request)
        except ApiError as exc:
            return api_error(request, exc.status, exc.message)
        except web.HTTPNotFound:
            if steve_api:
                return api_error(request, 404, f"No endpoint {request.method} {request.path}.")
            if system == "lago":
                return lago_error(404)
            raise
        except web.HTTPMethodNotAllowed:
            if steve_api:
                return api_error(
                    request, 405, f"Request method '{request.method}' is not supported"
                )
            raise

    # ------------------------------------------------------------ lifecycle

    async def _listen(self, app: web.Application, port: int) -> tuple[web.AppRunner, int]:
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.25)
        await runner.setup()
        site = web.TCPSite(runner, self.host, port, reuse_address=True)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1] if site._server else port  # type: ignore[attr-defined]
        return runner, bound

    async def start(self) -> SimServer:
        self._main, self.port = await self._listen(self._app(with_steve=True), self.port)
        self._aux, self.aux_port = await self._listen(self._app(with_steve=False), self.aux_port)
        for spec in self.options.faults:
            from . import faults

            await faults.apply(self.sim, spec)
        if not self.sim.clock.frozen:
            self._ticker = asyncio.get_running_loop().create_task(self._tick_forever())
        return self

    async def _tick_forever(self) -> None:
        """Real time: play each minute boundary as it passes."""
        while True:
            await asyncio.sleep(1.0)
            try:
                self.sim.tick()
            except Exception:  # keep ticking; the failure is in the log
                log.exception("tick failed")

    async def go_down(self) -> None:
        """SteVe outage: close the listening socket; stations lose their websocket."""
        if self.steve_down or self._main is None:
            return
        self.steve_down = True
        self._was_online = []
        for box in self.sim.central.boxes.values():
            if box.online and getattr(box.link, "simulated", False):
                self._was_online.append(box.charge_box_id)
                box.link.go_offline()
        await ocppj.close_all(self.sim)
        runner, self._main = self._main, None
        await runner.cleanup()
        log.info("SteVe is down (port %s refuses connections)", self.port)

    async def go_up(self) -> None:
        """SteVe restarts on the same port; its web sessions are gone."""
        if not self.steve_down:
            return
        self._main, _ = await self._listen(self._app(with_steve=True), self.port)
        self.steve_down = False
        self.sessions.by_id.clear()
        self.sim.tasks = TaskStore()  # taskIds start again at 1 after a restart
        for cb_id in self._was_online:
            box = self.sim.central.boxes.get(cb_id)
            if box is not None and getattr(box.link, "simulated", False):
                box.link.go_online()
        self._was_online = []
        self.sim.faults.pop("steve_down", None)
        log.info("SteVe is back on port %s", self.port)

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        await runtime.close(self.sim)
        for runner in (self._main, self._aux):
            if runner is not None:
                await runner.cleanup()
        self._main = self._aux = None

    # ---------------------------------------------------------------- urls

    @property
    def url_host(self) -> str:
        return "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host

    def info(self) -> dict[str, str]:
        """The JSON line of ``--json``: base URLs and credentials."""
        o = self.options
        return {
            "steve_url": f"http://{self.url_host}:{self.port}/steve",
            "lago_url": f"http://{self.url_host}:{self.aux_port}/lago",
            "control_url": f"http://{self.url_host}:{self.aux_port}/_sim",
            "steve_user": o.steve_user,
            "steve_password": o.steve_password,
            "web_user": o.web_user,
            "web_password": o.web_password,
            "lago_key": o.lago_key,
        }
