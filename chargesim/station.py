"""Simulated OCPP 1.6 firmware: how a charge point answers and what it then does.

A ``SimStation`` plays one charger. SteVe's side sends it an operation through
``request(action, payload)`` (OCPP camelCase payloads, as on the wire); it
answers after a small delay and then acts — starts or stops a transaction,
changes a connector's status, sends a heartbeat — by reporting to
``central.Central`` exactly as a charger would send OCPP messages. Control
endpoints drive it too (a tap, a session started or stopped, a status change,
going offline and back).

Firmware faults live on the ChargeBox record: ``stuck_stop`` (RemoteStop
Accepted, no StopTransaction until UnlockConnector), ``slow_seconds``,
``call_error``; an offline station queues its StopTransaction and status
changes and delivers them, with their original timestamps, on reconnect.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .clock import iso_z, parse_iso
from .records import ChargeBox, Connector

if TYPE_CHECKING:
    from .world import World

log = logging.getLogger("chargesim.station")

DEFAULT_POWER_W = 7400
"""A 32 A single-phase AC session."""

BUSY = ("Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing")


class StationCallError(Exception):
    """The station answered with a CALLERROR."""

    def __init__(self, code: str, description: str = "", details: Any = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details if details is not None else {}


class StationGone(Exception):
    """SteVe could not deliver the call (the station disconnected)."""


def default_config(box: ChargeBox) -> dict[str, tuple[str, bool]]:
    """OCPP 1.6 configuration keys a simulated charger reports."""
    return {
        "HeartbeatInterval": ("60", False),
        "MeterValueSampleInterval": ("60", False),
        "MeterValuesSampledData": ("Energy.Active.Import.Register,Power.Active.Import", False),
        "ConnectionTimeOut": ("60", False),
        "NumberOfConnectors": (str(len(box.connectors)), True),
        "AuthorizeRemoteTxRequests": ("true", False),
        "LocalPreAuthorize": ("false", False),
        "LocalAuthorizeOffline": ("false", False),
        "AuthorizationCacheEnabled": ("false", False),
        "LocalAuthListEnabled": ("false", False),
        "StopTransactionOnInvalidId": ("true", False),
        "SupportedFeatureProfiles": (
            "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
            True,
        ),
        "UnlockConnectorOnEVSideDisconnect": ("true", False),
    }


class SimStation:
    """The firmware of one simulated charger."""

    simulated = True

    def __init__(self, sim: World, box: ChargeBox) -> None:
        self.sim = sim
        self.box = box
        if not box.config:
            box.config = default_config(box)

    # ----------------------------------------------------------- plumbing

    @property
    def central(self):
        return self.sim.central

    def now(self) -> datetime:
        return self.sim.clock.now()

    def _report_status(
        self, conn: Connector, status: str, error_code: str = "NoError", **kw: Any
    ) -> None:
        """Send a StatusNotification now, or queue it while offline."""
        ts = self.now()
        if self.box.online:
            self.central.status_notification(
                self.box, conn.connector_id, status, error_code, ts=ts, **kw
            )
        else:
            self.box.queued.append(("status", conn.connector_id, status, error_code, ts, kw))

    def _finish_later(self, conn: Connector) -> None:
        """Finishing → Available once the cable is out (``finishing_seconds`` later)."""

        def done() -> None:
            if conn.tx_id is None and conn.status in ("Finishing",) and self.box.online:
                self._report_status(conn, "Available")

        self.sim.later(self.sim.options.finishing_seconds, done)

    # -------------------------------------------------------- operations

    async def request(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Answer one operation like the firmware would; raises StationCallError."""
        delay = self.box.slow_seconds
        if delay is None:
            low, high = self.sim.options.station_delay
            delay = self.sim.rng.uniform(low, high)
        await self.sim.sleep(delay)
        if not self.box.online:
            raise StationGone(f"No session context for chargeBoxId '{self.box.charge_box_id}'")
        if self.box.call_error:
            raise StationCallError(self.box.call_error, "Simulated firmware error")
        handler = getattr(self, f"on_{action}", None)
        if handler is None:
            raise StationCallError(
                "NotImplemented", f"{action} is not implemented by this firmware"
            )
        return await handler(payload)

    def _conn(self, payload: dict[str, Any], key: str = "connectorId") -> Connector | None:
        cid = payload.get(key)
        return self.box.connectors.get(cid) if isinstance(cid, int) else None

    def _running_conn(self, tx_id: int) -> Connector | None:
        return next((c for c in self.box.connectors.values() if c.tx_id == tx_id), None)

    async def on_RemoteStartTransaction(self, p: dict[str, Any]) -> dict[str, Any]:
        id_tag = p["idTag"]
        conn = self._conn(p)
        if conn is None and not p.get("connectorId"):
            conn = next(
                (
                    c
                    for c in self.box.connectors.values()
                    if c.status == "Available" and c.tx_id is None
                ),
                None,
            )
        if conn is None or conn.tx_id is not None:
            return {"status": "Rejected"}
        if conn.status not in ("Available", "Preparing", "Reserved"):
            return {"status": "Rejected"}
        if conn.status == "Reserved":
            res = self.central.reservations.get(conn.reservation_id or -1)
            if res is None or res.id_tag != id_tag:
                return {"status": "Rejected"}
        self.sim.spawn(self._remote_start(conn, id_tag))
        return {"status": "Accepted"}

    async def _remote_start(self, conn: Connector, id_tag: str) -> None:
        await self.sim.sleep(self.sim.options.stop_delay)
        self._report_status(conn, "Preparing")
        decision = await self.central.authorize(
            self.box, conn.connector_id, id_tag, is_start_tx=False
        )
        if decision.status != "Accepted":
            self._report_status(conn, "Available")
            return
        await self.start_session(conn.connector_id, id_tag)

    async def on_RemoteStopTransaction(self, p: dict[str, Any]) -> dict[str, Any]:
        conn = self._running_conn(p["transactionId"])
        if conn is None:
            return {"status": "Rejected"}
        if self.box.stuck_stop:
            log.info(
                "%s: stuck_stop firmware accepted RemoteStop and does nothing",
                self.box.charge_box_id,
            )
            return {"status": "Accepted"}

        async def stop_soon() -> None:
            await self.sim.sleep(self.sim.options.stop_delay)
            if conn.tx_id == p["transactionId"]:
                self.stop_session(conn, "Remote")

        self.sim.spawn(stop_soon())
        return {"status": "Accepted"}

    async def on_UnlockConnector(self, p: dict[str, Any]) -> dict[str, Any]:
        conn = self._conn(p)
        if conn is None:
            return {"status": "UnlockFailed"}
        if conn.tx_id is not None:
            self.stop_session(conn, "UnlockCommand")
        elif conn.status == "Finishing":
            self._finish_later(conn)
        return {"status": "Unlocked"}

    async def on_ReserveNow(self, p: dict[str, Any]) -> dict[str, Any]:
        cid = p["connectorId"]
        if cid == 0:
            free = [c for c in self.box.connectors.values() if c.status == "Available"]
            return {"status": "Accepted" if free else "Occupied"}
        conn = self.box.connectors.get(cid)
        if conn is None:
            return {"status": "Rejected"}
        if conn.status == "Faulted":
            return {"status": "Faulted"}
        if conn.status == "Unavailable":
            return {"status": "Unavailable"}
        if conn.status != "Available" or conn.tx_id is not None:
            return {"status": "Occupied"}
        conn.reservation_id = p["reservationId"]
        self._report_status(conn, "Reserved")
        return {"status": "Accepted"}

    async def on_CancelReservation(self, p: dict[str, Any]) -> dict[str, Any]:
        conn = next(
            (c for c in self.box.connectors.values() if c.reservation_id == p["reservationId"]),
            None,
        )
        if conn is None:
            return {"status": "Rejected"}
        conn.reservation_id = None
        if conn.status == "Reserved":
            self._report_status(conn, "Available")
        return {"status": "Accepted"}

    async def on_TriggerMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        what = p["requestedMessage"]
        cid = p.get("connectorId")
        if cid is not None and cid not in self.box.connectors:
            return {"status": "Rejected"}
        targets = [self.box.connectors[cid]] if cid else list(self.box.connectors.values())

        async def send() -> None:
            await self.sim.sleep(0.01)
            if what == "StatusNotification":
                for conn in targets:
                    self._report_status(
                        conn,
                        conn.status,
                        conn.error_code,
                        info=conn.info,
                        vendor_error_code=conn.vendor_error_code,
                    )
            elif what in ("Heartbeat", "BootNotification"):
                self.central.heartbeat(self.box)
            elif what == "MeterValues":
                for conn in targets:
                    tx = self.central.transactions.get(conn.tx_id) if conn.tx_id else None
                    if tx is not None:
                        self.central.meter_sample(tx, self.now(), conn.meter_wh, conn.power_w)

        self.sim.spawn(send())
        return {"status": "Accepted"}

    async def on_GetConfiguration(self, p: dict[str, Any]) -> dict[str, Any]:
        keys = p.get("key") or list(self.box.config)
        known = [
            {"key": k, "readonly": self.box.config[k][1], "value": self.box.config[k][0]}
            for k in keys
            if k in self.box.config
        ]
        unknown = [k for k in keys if k not in self.box.config]
        return {"configurationKey": known, "unknownKey": unknown}

    async def on_ChangeAvailability(self, p: dict[str, Any]) -> dict[str, Any]:
        cid = p["connectorId"]
        if cid != 0 and cid not in self.box.connectors:
            return {"status": "Rejected"}
        targets = list(self.box.connectors.values()) if cid == 0 else [self.box.connectors[cid]]
        if p["type"] == "Inoperative":
            if any(c.tx_id is not None for c in targets):
                return {"status": "Scheduled"}
            for conn in targets:
                self._report_status(conn, "Unavailable")
        else:
            for conn in targets:
                if conn.status == "Unavailable":
                    self._report_status(conn, "Available")
        return {"status": "Accepted"}

    async def on_DataTransfer(self, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("vendorId") != self.box.vendor:
            return {"status": "UnknownVendorId"}
        return {"status": "Accepted", "data": p.get("data") or ""}

    async def on_GetLocalListVersion(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"listVersion": self.box.local_list_version}

    async def on_SendLocalList(self, p: dict[str, Any]) -> dict[str, Any]:
        self.box.local_list_version = p.get("listVersion", self.box.local_list_version)
        return {"status": "Accepted"}

    async def on_GetCompositeSchedule(self, p: dict[str, Any]) -> dict[str, Any]:
        cid = p["connectorId"]
        if cid != 0 and cid not in self.box.connectors:
            return {"status": "Rejected"}
        unit = p.get("chargingRateUnit") or "A"
        return {
            "status": "Accepted",
            "connectorId": cid,
            "scheduleStart": iso_z(self.now()),
            "chargingSchedule": {
                "duration": p["duration"],
                "startSchedule": iso_z(self.now()),
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 32.0 if unit == "A" else 22000.0, "numberPhases": 3}
                ],
            },
        }

    async def on_GetDiagnostics(self, p: dict[str, Any]) -> dict[str, Any]:
        stamp = self.now().strftime("%Y%m%dT%H%M%SZ")
        return {"fileName": f"diagnostics-{self.box.pk}-{stamp}.zip"}

    async def on_SetChargingProfile(self, p: dict[str, Any]) -> dict[str, Any]:
        cid = p["connectorId"]
        if cid != 0 and cid not in self.box.connectors:
            return {"status": "Rejected"}
        return {"status": "Accepted"}

    async def on_ClearChargingProfile(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    async def on_Reset(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    async def on_ClearCache(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"status": "Accepted"}

    async def on_ChangeConfiguration(self, p: dict[str, Any]) -> dict[str, Any]:
        key = p.get("key")
        if key not in self.box.config:
            return {"status": "NotSupported"}
        value, readonly = self.box.config[key]
        if readonly:
            return {"status": "Rejected"}
        self.box.config[key] = (str(p.get("value")), False)
        return {"status": "Accepted"}

    # ----------------------------------------------- what the charger does

    async def start_session(
        self, connector_id: int, id_tag: str, *, reservation_id: int | None = None
    ) -> dict[str, Any]:
        """Send StartTransaction; stop again if the idTagInfo is not Accepted."""
        conn = self.central.connector(self.box, connector_id)
        decision = await self.central.authorize(self.box, connector_id, id_tag, is_start_tx=True)
        if conn.reservation_id is not None:
            reservation_id = conn.reservation_id
        tx = self.central.start_transaction(
            self.box, connector_id, id_tag, conn.meter_wh, self.now(), reservation_id=reservation_id
        )
        conn.power_w = DEFAULT_POWER_W
        conn.meter_stalled = False
        self._report_status(conn, "Charging")
        if decision.status != "Accepted":
            self.stop_session(conn, "DeAuthorized")
        return {"transactionId": tx.id, "idTagInfo": {"status": decision.status}}

    def stop_session(self, conn: Connector, reason: str, *, id_tag: str | None = None) -> None:
        """Send StopTransaction (queued while offline), then Finishing → Available."""
        tx_id = conn.tx_id
        if tx_id is None:
            return
        ts, meter = self.now(), conn.meter_wh
        tx = self.central.transactions.get(tx_id)
        if tx is not None:
            self.central.release_connector(tx)
        conn.tx_id, conn.power_w = None, 0
        self.sim.central.running.discard((self.box.charge_box_id, conn.connector_id))
        if self.box.online:
            self.central.stop_transaction(tx_id, meter, ts, reason, id_tag=id_tag)
        else:
            self.box.queued.append(("stop", tx_id, meter, ts, reason, id_tag))
        self._report_status(conn, "Finishing")
        self._finish_later(conn)

    async def tap(self, id_tag: str, connector_id: int | None) -> dict[str, Any]:
        """A card held to the reader: Authorize, then start or stop a session."""
        if not self.box.online:
            return {"authorize": None, "note": "station offline: the tap never reaches SteVe"}
        cid = connector_id
        if cid is None:
            mine = next((c for c in self.box.connectors.values() if c.tx_id is not None), None)
            free = next((c for c in self.box.connectors.values() if c.status == "Available"), None)
            cid = (mine or free or next(iter(self.box.connectors.values()))).connector_id
        conn = self.central.connector(self.box, cid)
        decision = await self.central.authorize(self.box, cid, id_tag, is_start_tx=False)
        result: dict[str, Any] = {
            "authorize": decision.status,
            "overridden": decision.overridden,
            "connectorId": cid,
            "transactionId": None,
            "action": "none",
        }
        if decision.status != "Accepted":
            return result
        if conn.tx_id is not None:
            tx = self.central.transactions.get(conn.tx_id)
            if tx is not None and (
                tx.id_tag == id_tag or self.central.related_by_parent(id_tag, tx.id_tag)
            ):
                result.update(transactionId=tx.id, action="stopped")
                self.stop_session(conn, "Local", id_tag=id_tag)
            return result
        if conn.status not in ("Available", "Preparing", "Reserved"):
            return result
        started = await self.start_session(cid, id_tag)
        result.update(
            transactionId=started["transactionId"],
            action="started",
            startStatus=started["idTagInfo"]["status"],
        )
        return result

    def set_status(
        self,
        connector_id: int,
        status: str,
        error_code: str = "NoError",
        info: str | None = None,
        vendor_error_code: str | None = None,
    ) -> None:
        """The station reports a new status (control endpoint)."""
        conn = self.central.connector(self.box, connector_id)
        if conn.tx_id is not None:
            conn.power_w = DEFAULT_POWER_W if status == "Charging" else 0
        self._report_status(
            conn, status, error_code, info=info, vendor_error_code=vendor_error_code
        )

    def go_offline(self) -> None:
        """The websocket closes; nothing more reaches SteVe until ``go_online``."""
        self.box.online = False

    def go_online(self) -> None:
        """Reconnect: BootNotification, queued messages (past timestamps), statuses."""
        now = self.now()
        self.box.online = True
        self.box.online_since = now
        self.central.heartbeat(self.box, now)
        queued, self.box.queued = self.box.queued, []
        for item in queued:
            if item[0] == "stop":
                _, tx_id, meter, ts, reason, id_tag = item
                self.central.stop_transaction(tx_id, meter, ts, reason, id_tag=id_tag)
            elif item[0] == "status":
                _, cid, status, error_code, ts, kw = item
                self.central.status_notification(self.box, cid, status, error_code, ts=ts, **kw)
        for conn in self.box.connectors.values():
            # A cable pulled while offline: the station is Available again by now.
            status = (
                "Available" if conn.status == "Finishing" and conn.tx_id is None else conn.status
            )
            self.central.status_notification(
                self.box,
                conn.connector_id,
                status,
                conn.error_code,
                ts=now,
                info=conn.info,
                vendor_error_code=conn.vendor_error_code,
            )


def parse_when(value: Any, fallback: datetime) -> datetime:
    """A control-endpoint time: ISO string or None."""
    return parse_iso(value) if isinstance(value, str) else fallback
