"""The control endpoint ``/_sim``: drive the stand-in from tests and scripts.

JSON in, JSON out, no auth (the stand-in listens on loopback). Charger and card
ids travel in JSON bodies, never in the path, so hostile ids (``[/]``,
``[@click=app.quit]x``, ESC sequences) work as they are. Every route is listed
in docs/chargesim.md.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from . import faults
from . import sim as runtime
from .appkeys import SIM
from .clock import iso_z, parse_iso
from .records import ERROR_CODES, STATUSES
from .station import SimStation
from .steve_api import tx_json

log = logging.getLogger("chargesim.control")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _ok(data: Any = None, status: int = 200) -> web.Response:
    return web.json_response({"ok": True} if data is None else data, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ControlError(400, f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


def _need(body: dict[str, Any], name: str, kind: type | tuple[type, ...] = str) -> Any:
    value = body.get(name)
    if value is None or not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ControlError(400, f"'{name}' is required ({getattr(kind, '__name__', kind)})")
    return value


def _dt(value: Any, name: str):
    if value is None:
        return None
    try:
        return parse_iso(str(value))
    except ValueError:
        raise ControlError(400, f"'{name}' is not an ISO-8601 date-time") from None


def charger_json(sim, box) -> dict[str, Any]:
    c = sim.central
    return {
        "chargeBoxId": box.charge_box_id,
        "chargeBoxPk": box.pk,
        "description": box.description,
        "online": box.online,
        "link": "simulated"
        if getattr(box.link, "simulated", False)
        else ("ocpp-j" if box.link else None),
        "lastHeartbeat": iso_z(c.effective_heartbeat(box)),
        "stuckStop": box.stuck_stop,
        "slowSeconds": box.slow_seconds,
        "callError": box.call_error,
        "interceptArmed": box.intercept_armed,
        "queued": len(box.queued),
        "connectors": [
            {
                "connectorId": k.connector_id,
                "status": k.status,
                "errorCode": k.error_code,
                "timestamp": iso_z(k.status_ts),
                "info": k.info,
                "vendorErrorCode": k.vendor_error_code,
                "transactionId": k.tx_id,
                "meterWh": k.meter_wh,
                "powerW": k.power_w,
                "meterStalled": k.meter_stalled,
            }
            for k in sorted(box.connectors.values(), key=lambda k: k.connector_id)
        ],
    }


def control_routes() -> list[web.RouteDef]:
    def sim_of(request: web.Request):
        return request.app[SIM]

    def box_of(sim, body: dict[str, Any]):
        cb_id = _need(body, "chargeBoxId")
        box = sim.central.boxes.get(cb_id)
        if box is None:
            raise ControlError(404, f"unknown chargeBoxId {cb_id!r}")
        return box

    def station_of(box) -> SimStation:
        if not isinstance(box.link, SimStation):
            raise ControlError(409, "this charger is a real OCPP-J connection, not simulated")
        return box.link

    def wrap(handler):
        async def inner(request: web.Request) -> web.Response:
            try:
                return await handler(request)
            except ControlError as exc:
                return web.json_response({"ok": False, "error": exc.message}, status=exc.status)
            except faults.FaultError as exc:
                return web.json_response({"ok": False, "error": str(exc)}, status=400)

        return inner

    async def state(request: web.Request) -> web.Response:
        return _ok(sim_of(request).state())

    async def reset(request: web.Request) -> web.Response:
        sim = sim_of(request)
        await runtime.reset(sim)
        return _ok(sim.state())

    async def clock(request: web.Request) -> web.Response:
        sim = sim_of(request)
        return _ok({"now": iso_z(sim.clock.now()), "frozen": sim.clock.frozen})

    async def advance(request: web.Request) -> web.Response:
        sim = sim_of(request)
        seconds = _need(await _body(request), "seconds", (int, float))
        if seconds < 0:
            raise ControlError(400, "the clock only moves forward")
        ticks = sim.advance(seconds)
        return _ok({"now": iso_z(sim.clock.now()), "frozen": sim.clock.frozen, "ticks": ticks})

    async def set_clock(request: web.Request) -> web.Response:
        sim = sim_of(request)
        when = _dt(_need(await _body(request), "now"), "now")
        try:
            sim.clock.set(when)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        ticks = sim.central.advance_to(sim.clock.now())
        return _ok({"now": iso_z(sim.clock.now()), "frozen": sim.clock.frozen, "ticks": ticks})

    async def list_faults(request: web.Request) -> web.Response:
        return _ok({"faults": sorted(sim_of(request).faults), "known": sorted(faults.NAMES)})

    async def add_fault(request: web.Request) -> web.Response:
        sim = sim_of(request)
        body = await _body(request)
        if "fault" in body:
            k = await faults.apply(sim, _need(body, "fault"))
        else:
            k = await faults.apply(
                sim,
                name=_need(body, "name"),
                target=body.get("target"),
                value=None if body.get("value") is None else str(body["value"]),
            )
        return _ok({"fault": k, "faults": sorted(sim.faults)})

    async def clear_fault(request: web.Request) -> web.Response:
        sim = sim_of(request)
        body = await _body(request)
        if "fault" in body:
            cleared: bool | int = await faults.clear(sim, _need(body, "fault"))
        elif "name" in body:
            cleared = await faults.clear(sim, name=body["name"], target=body.get("target"))
        else:
            cleared = await faults.clear_all(sim)
        return _ok({"cleared": cleared, "faults": sorted(sim.faults)})

    async def chargers(request: web.Request) -> web.Response:
        sim = sim_of(request)
        return _ok([charger_json(sim, b) for b in sim.central.boxes.values()])

    async def add_charger(request: web.Request) -> web.Response:
        sim = sim_of(request)
        body = await _body(request)
        cb_id = _need(body, "chargeBoxId")
        if cb_id in sim.central.boxes:
            raise ControlError(409, f"chargeBoxId {cb_id!r} exists already")
        n = body.get("connectors", 1)
        if not isinstance(n, int) or not 0 <= n <= 16:
            raise ControlError(400, "'connectors' must be 0..16")
        status = body.get("status", "Available")
        if status not in STATUSES:
            raise ControlError(400, f"'status' must be one of {', '.join(STATUSES)}")
        now = sim.clock.now()
        box = sim.central.add_box(cb_id, body.get("description"), n, hb_phase=0)
        box.link = SimStation(sim, box)
        box.online = bool(body.get("online", True))
        box.online_since = now
        box.last_heartbeat = now
        for conn in box.connectors.values():
            sim.central.status_notification(box, conn.connector_id, status, ts=now)
        return _ok(charger_json(sim, box), status=201)

    async def update_charger(request: web.Request) -> web.Response:
        sim = sim_of(request)
        body = await _body(request)
        box = box_of(sim, body)
        for field, attr in (
            ("description", "description"),
            ("vendor", "vendor"),
            ("model", "model"),
            ("ocppProtocol", "ocpp_protocol"),
            ("registrationStatus", "registration_status"),
        ):
            if field in body:
                setattr(box, attr, body[field])
        if "lastHeartbeat" in body:
            box.last_heartbeat = _dt(body["lastHeartbeat"], "lastHeartbeat")
        return _ok(charger_json(sim, box))

    async def delete_charger(request: web.Request) -> web.Response:
        sim = sim_of(request)
        box = box_of(sim, await _body(request))
        sim.central.remove_box(box)
        return _ok()

    async def charger_status(request: web.Request) -> web.Response:
        sim = sim_of(request)
        body = await _body(request)
        box = box_of(sim, body)
        cid = _need(body, "connectorId", int)
        status = _need(body, "status")
        error = body.get("errorCode", "NoError")
        if status not in STATUSES:
            raise ControlError(400, f"'status' must be one of {', '.join(STATUSES)}")
        if error not in ERROR_CODES:
            raise ControlError(400, f"'errorCode' must be one of {', '.join(ERROR_CODES)}")
        station = station_of(box)
        station.set_status(cid, status, error, body.get("info"), body.get("vendorErrorCode"))
        return _ok(charger_json(sim, box))

    async def tap(request: web.Request) -> web.Response:
        sim = sim_of(request)
        body = await _body(request)
        box = box_of(sim, body)
        id_tag = _need(body, "idTag")
        cid = body.get("connectorId")
        if cid is not None and (not isinstance(cid, int) or cid not in box.connectors):
            raise ControlError(400, "'connectorId' is not a connector of this charger")
        return _ok(await station_of(box).tap(id_tag, cid))

    async def cards(request: web.Request) -> web.Response:
        c = sim_of(request).central
        return _ok([c.tag_overview(t) for t in c.tags.values()])

    async def add_card(request: web.Request) -> web.Response:
        sim = sim_of(request)
        body = await _body(request)
        id_tag = _need(body, "idTag")
        c = sim.central
        if id_tag in c.tags:
            raise ControlError(409, f"idTag {id_tag!r} exists already")
        max_active = body.get("maxActiveTransactionCount", 1)
        if not isinstance(max_active, int) or isinstance(max_active, bool):
            raise ControlError(400, "'maxActiveTransactionCount' must be an integer")
        tag = c.add_tag(
            id_tag,
            parent=body.get("parentIdTag"),
            expiry=_dt(body.get("expiryDate"), "expiryDate"),
            max_active=max_active,
            note=body.get("note"),
            user_pk=body.get("userPk"),
        )
        return _ok(c.tag_overview(tag), status=201)

    async def update_card(request: web.Request) -> web.Response:
        """Change only the fields given (unlike SteVe's PUT)."""
        sim = sim_of(request)
        body = await _body(request)
        c = sim.central
        tag = c.tags.get(_need(body, "idTag"))
        if tag is None:
            raise ControlError(404, "unknown idTag")
        if "parentIdTag" in body:
            tag.parent_id_tag = body["parentIdTag"]
        if "expiryDate" in body:
            tag.expiry_date = _dt(body["expiryDate"], "expiryDate")
        if "maxActiveTransactionCount" in body:
            tag.max_active = _need(body, "maxActiveTransactionCount", int)
        if "note" in body:
            tag.note = body["note"]
        if "userPk" in body:
            tag.user_pk = body["userPk"]
        return _ok(c.tag_overview(tag))

    async def delete_card(request: web.Request) -> web.Response:
        sim = sim_of(request)
        body = await _body(request)
        k = await faults.apply(sim, name="card_unknown", target=_need(body, "idTag"))
        return _ok({"done": k})

    async def start_session(request: web.Request) -> web.Response:
        sim = sim_of(request)
        body = await _body(request)
        box = box_of(sim, body)
        cid = _need(body, "connectorId", int)
        id_tag = _need(body, "idTag")
        if cid not in box.connectors:
            raise ControlError(400, "'connectorId' is not a connector of this charger")
        if box.connectors[cid].tx_id is not None:
            raise ControlError(409, "a transaction already runs on this connector")
        if not box.online:
            raise ControlError(409, "the charger is offline")
        result = await station_of(box).start_session(cid, id_tag)
        return _ok(result, status=201)

    async def stop_session(request: web.Request) -> web.Response:
        sim = sim_of(request)
        body = await _body(request)
        tx_id = _need(body, "transactionId", int)
        tx = sim.central.transactions.get(tx_id)
        if tx is None:
            raise ControlError(404, "unknown transactionId")
        box = sim.central.boxes.get(tx.charge_box_id)
        conn = box.connectors.get(tx.connector_id) if box else None
        if box is None or conn is None or conn.tx_id != tx_id:
            raise ControlError(409, "the station is not running this transaction")
        station_of(box).stop_session(conn, body.get("reason", "Local"))
        return _ok({"transaction": tx_json(tx), "queued": not box.online})

    async def transactions(request: web.Request) -> web.Response:
        return _ok([tx_json(t) for t in sim_of(request).central.transactions.values()])

    async def authorizations(request: web.Request) -> web.Response:
        sim = sim_of(request)
        q = request.query
        out = list(sim.central.authorizations)
        if q.get("chargeBoxId"):
            out = [a for a in out if a["chargeBoxId"] == q["chargeBoxId"]]
        if q.get("idTag"):
            out = [a for a in out if a["idTag"] == q["idTag"]]
        if q.get("since"):
            since = _dt(q["since"], "since")
            out = [a for a in out if parse_iso(a["time"]) >= since]
        return _ok(out)

    async def clear_authorizations(request: web.Request) -> web.Response:
        sim_of(request).central.authorizations.clear()
        return _ok()

    async def operations(request: web.Request) -> web.Response:
        return _ok(sim_of(request).operations)

    async def tasks(request: web.Request) -> web.Response:
        return _ok([t.summary() for t in sim_of(request).tasks.tasks.values()])

    async def requests_log(request: web.Request) -> web.Response:
        return _ok(list(sim_of(request).requests))

    async def clear_requests(request: web.Request) -> web.Response:
        sim_of(request).requests.clear()
        return _ok()

    async def stop_failures(request: web.Request) -> web.Response:
        return _ok(sim_of(request).central.stop_failures)

    async def hook(request: web.Request) -> web.Response:
        h = sim_of(request).central.hook
        return _ok({"url": h.url, "enabled": h.enabled, "timeout": h.timeout})

    async def set_hook(request: web.Request) -> web.Response:
        sim = sim_of(request)
        body = await _body(request)
        h = sim.central.hook
        timeout = body.get("timeout")
        # Not written back to the options: ``reset`` returns to the start-up hook.
        h.configure(
            body.get("url"), body.get("key"), float(timeout) if timeout is not None else None
        )
        return _ok({"url": h.url, "enabled": h.enabled, "timeout": h.timeout})

    routes = [
        ("GET", "/state", state),
        ("POST", "/reset", reset),
        ("GET", "/clock", clock),
        ("POST", "/clock/advance", advance),
        ("POST", "/clock/set", set_clock),
        ("GET", "/faults", list_faults),
        ("POST", "/faults", add_fault),
        ("POST", "/faults/clear", clear_fault),
        ("GET", "/chargers", chargers),
        ("POST", "/chargers", add_charger),
        ("POST", "/chargers/update", update_charger),
        ("POST", "/chargers/delete", delete_charger),
        ("POST", "/chargers/status", charger_status),
        ("POST", "/chargers/tap", tap),
        ("GET", "/cards", cards),
        ("POST", "/cards", add_card),
        ("POST", "/cards/update", update_card),
        ("POST", "/cards/delete", delete_card),
        ("GET", "/transactions", transactions),
        ("POST", "/sessions/start", start_session),
        ("POST", "/sessions/stop", stop_session),
        ("GET", "/authorizations", authorizations),
        ("POST", "/authorizations/clear", clear_authorizations),
        ("GET", "/operations", operations),
        ("GET", "/tasks", tasks),
        ("GET", "/requests", requests_log),
        ("POST", "/requests/clear", clear_requests),
        ("GET", "/stop-failures", stop_failures),
        ("GET", "/hook", hook),
        ("POST", "/hook", set_hook),
    ]
    return [web.route(method, f"/_sim{path}", wrap(handler)) for method, path, handler in routes]
