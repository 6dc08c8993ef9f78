"""Real OCPP-J 1.6 charge points: ``/steve/websocket/CentralSystemService/{id}``.

A charger built on the ``ocpp`` package (or any OCPP-J 1.6 client offering the
``ocpp1.6`` subprotocol) connects here and takes over its chargeBoxId: SteVe's
operations are then sent to it as real CALLs, and its Boot/Heartbeat/Status/
Authorize/Start/Stop/MeterValues reach ``central.Central`` like the simulated
firmware's. Unknown ids are registered on connect (SteVe's auto-register).

PITFALLS: the ``ocpp`` package's handlers must never ``await self.call(...)``
inside an ``@on`` handler; this side never calls from a handler at all, and the
REST layer sends calls from its own tasks.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .appkeys import SIM
from .clock import iso_z, parse_iso
from .ocpp16_errors import as_ocpp16, unknown_action_error
from .records import ChargeBox, MeterSample
from .station import StationCallError, StationGone

if TYPE_CHECKING:
    from .world import World

log = logging.getLogger("chargesim.ocppj")

SUBPROTOCOL = "ocpp1.6"


class _Closed(Exception):
    """The websocket closed."""


class _WsAdapter:
    """What ``ocpp.ChargePoint`` expects of a connection: ``recv``/``send``."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws

    async def recv(self) -> str:
        while True:
            msg = await self.ws.receive()
            if msg.type == WSMsgType.TEXT:
                return msg.data
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                raise _Closed()

    async def send(self, text: str) -> None:
        if self.ws.closed:
            raise StationGone("websocket closed")
        await self.ws.send_str(text)


class OcppJLink:
    """Sends SteVe's operations to one connected OCPP-J charger."""

    simulated = False

    def __init__(self, cp: Any, box: ChargeBox, ws: web.WebSocketResponse) -> None:
        self.cp = cp
        self.box = box
        self.ws = ws

    async def request(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        from ocpp.charge_point import (
            camel_to_snake_case,
            remove_nones,
            serialize_as_dict,
            snake_to_camel_case,
        )
        from ocpp.exceptions import OCPPError
        from ocpp.v16 import call

        if self.ws.closed or not self.box.online:
            raise StationGone(f"No session context for chargeBoxId '{self.box.charge_box_id}'")
        request = getattr(call, action)(**camel_to_snake_case(payload))
        try:
            result = await self.cp.call(request, suppress=False)
        except OCPPError as exc:
            raise StationCallError(exc.code, exc.description or "", exc.details) from exc
        except _Closed as exc:
            raise StationGone(
                f"No session context for chargeBoxId '{self.box.charge_box_id}'"
            ) from exc
        return snake_to_camel_case(remove_nones(serialize_as_dict(result)))


def _central_cp_class():
    """Build the central-system ChargePoint class (imports ``ocpp`` lazily)."""
    from ocpp.exceptions import OCPPError
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint, call_result
    from ocpp.v16.enums import Action

    class CentralSide(ChargePoint):
        def __init__(self, sim: World, box: ChargeBox, connection: _WsAdapter) -> None:
            super().__init__(
                box.charge_box_id,
                connection,
                response_timeout=sim.options.station_timeout_seconds + 30,
            )
            self.sim = sim
            self.box = box

        @property
        def central(self):
            return self.sim.central

        async def _handle_call(self, msg):
            # Every CALLERROR this side sends carries an OCPP 1.6 code (ocpp16_errors).
            unknown = unknown_action_error(msg.action, self.route_map)
            if unknown is not None:
                raise unknown
            try:
                await super()._handle_call(msg)
            except OCPPError as error:
                raise as_ocpp16(error) from error

        def _info(self, decision) -> dict[str, Any]:
            return {
                "status": decision.status,
                "parent_id_tag": decision.parent_id_tag,
                "expiry_date": iso_z(decision.expiry),
            }

        @on(Action.boot_notification)
        async def on_boot(self, charge_point_vendor: str, charge_point_model: str, **kw: Any):
            box = self.box  # SteVe rewrites the charge_box row from every boot
            box.vendor, box.model = charge_point_vendor, charge_point_model
            box.firmware = kw.get("firmware_version")
            box.charge_point_serial = kw.get("charge_point_serial_number")
            box.charge_box_serial = kw.get("charge_box_serial_number")
            box.iccid, box.imsi = kw.get("iccid"), kw.get("imsi")
            box.meter_type, box.meter_serial = kw.get("meter_type"), kw.get("meter_serial_number")
            self.central.heartbeat(self.box)
            return call_result.BootNotification(
                current_time=iso_z(self.sim.clock.now()),
                interval=self.sim.options.heartbeat_interval,
                status="Accepted",
            )

        @on(Action.heartbeat)
        async def on_heartbeat(self):
            self.central.heartbeat(self.box)
            return call_result.Heartbeat(current_time=iso_z(self.sim.clock.now()))

        @on(Action.status_notification)
        async def on_status(self, connector_id: int, error_code: str, status: str, **kw: Any):
            ts = parse_iso(kw["timestamp"]) if kw.get("timestamp") else None
            self.central.status_notification(
                self.box,
                connector_id,
                status,
                error_code,
                ts=ts,
                info=kw.get("info"),
                vendor_error_code=kw.get("vendor_error_code"),
            )
            return call_result.StatusNotification()

        @on(Action.authorize)
        async def on_authorize(self, id_tag: str):
            decision = await self.central.authorize(self.box, None, id_tag, is_start_tx=False)
            return call_result.Authorize(id_tag_info=self._info(decision))

        @on(Action.start_transaction)
        async def on_start(
            self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **kw: Any
        ):
            decision = await self.central.authorize(
                self.box, connector_id, id_tag, is_start_tx=True
            )
            tx = self.central.start_transaction(
                self.box,
                connector_id,
                id_tag,
                meter_start,
                parse_iso(timestamp),
                reservation_id=kw.get("reservation_id"),
            )
            self.central.connector(self.box, connector_id).meter_wh = meter_start
            return call_result.StartTransaction(
                transaction_id=tx.id, id_tag_info=self._info(decision)
            )

        @on(Action.stop_transaction)
        async def on_stop(self, meter_stop: int, timestamp: str, transaction_id: int, **kw: Any):
            tx = self.central.transactions.get(transaction_id)
            if tx is not None:
                _store_meter_values(tx, kw.get("transaction_data") or [])
            self.central.stop_transaction(
                transaction_id,
                meter_stop,
                parse_iso(timestamp),
                kw.get("reason") or "Local",
                id_tag=kw.get("id_tag"),
            )
            if kw.get("id_tag"):
                # SteVe's own rules only: the fork's hook runs on Authorize and StartTransaction.
                status = self.central.steve_status(kw["id_tag"], concurrent_check=False)
                return call_result.StopTransaction(id_tag_info={"status": status})
            return call_result.StopTransaction()

        @on(Action.meter_values)
        async def on_meter_values(
            self, connector_id: int, meter_value: list[dict[str, Any]], **kw: Any
        ):
            conn = self.central.connector(self.box, connector_id)
            tx_id = kw.get("transaction_id") or conn.tx_id
            tx = self.central.transactions.get(tx_id) if tx_id else None
            if tx is not None:
                _store_meter_values(tx, meter_value)
            return call_result.MeterValues()

        @on(Action.data_transfer)
        async def on_data_transfer(self, vendor_id: str, **kw: Any):
            return call_result.DataTransfer(status="UnknownVendorId")

        @on(Action.diagnostics_status_notification)
        async def on_diag_status(self, status: str):
            return call_result.DiagnosticsStatusNotification()

        @on(Action.firmware_status_notification)
        async def on_fw_status(self, status: str):
            return call_result.FirmwareStatusNotification()

    return CentralSide


_CP_CLASS = None


def _store_meter_values(tx, meter_values: list[dict[str, Any]]) -> None:
    for mv in meter_values:
        ts = parse_iso(mv["timestamp"])
        for sv in mv.get("sampled_value") or []:
            tx.values.append(
                MeterSample(
                    ts,
                    str(sv.get("value")),
                    measurand=sv.get("measurand") or "Energy.Active.Import.Register",
                    unit=sv.get("unit") or "Wh",
                    context=sv.get("context") or "Sample.Periodic",
                    fmt=sv.get("format") or "Raw",
                    location=sv.get("location"),
                    phase=sv.get("phase"),
                )
            )


def connections(sim: World) -> dict[str, OcppJLink]:
    return sim.ws_links


async def websocket(request: web.Request) -> web.StreamResponse:
    """Accept one OCPP-J 1.6 charger."""
    global _CP_CLASS
    sim: World = request.app[SIM]
    cb_id = request.match_info["chargeBoxId"]
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    if SUBPROTOCOL not in offered:
        return web.Response(status=400, text="OCPP-J needs the ocpp1.6 subprotocol")
    box = sim.central.boxes.get(cb_id)
    if box is None:
        if not sim.options.auto_register:
            return web.Response(status=404, text="unknown chargeBoxId")
        box = sim.central.add_box(cb_id, None, 0)
    old = connections(sim).pop(cb_id, None)
    if old is not None:
        await old.ws.close()
    ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,))
    await ws.prepare(request)
    if _CP_CLASS is None:
        _CP_CLASS = _central_cp_class()
    cp = _CP_CLASS(sim, box, _WsAdapter(ws))
    link = OcppJLink(cp, box, ws)
    now = sim.clock.now()
    box.link, box.online, box.online_since, box.ocpp_protocol = link, True, now, "ocpp1.6J"
    box.stuck_stop = False
    connections(sim)[cb_id] = link
    log.info("OCPP-J charger %r connected", cb_id)
    try:
        await cp.start()
    except (_Closed, asyncio.CancelledError, ConnectionResetError):
        pass
    finally:
        if box.link is link:
            box.online = False
        if connections(sim).get(cb_id) is link:
            del connections(sim)[cb_id]
        log.info("OCPP-J charger %r disconnected", cb_id)
    return ws


async def disconnect(sim: World, cb_id: str) -> None:
    link = connections(sim).pop(cb_id, None)
    if link is not None:
        link.box.online = False
        await link.ws.close()


async def close_all(sim: World) -> None:
    for cb_id in list(connections(sim)):
        await disconnect(sim, cb_id)
