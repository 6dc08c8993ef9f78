"""A real OCPP-J 1.6 charge point (built on the ``ocpp`` package) against the stand-in.

The charger connects with the ``ocpp1.6`` subprotocol, boots, starts a
transaction, and answers a RemoteStopTransaction sent through SteVe's REST API
by sending StopTransaction — from an ``@after`` handler, because awaiting
``self.call`` inside an ``@on`` handler deadlocks (PITFALLS).
"""

from __future__ import annotations

import asyncio
import urllib.parse

import httpx
import pytest
import websockets
import websockets.exceptions  # a lazy submodule: not an attribute until imported
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from tests.conftest import FROZEN_NOW

NOW = FROZEN_NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FieldCharger(ChargePoint):
    """A minimal charger firmware: accepts RemoteStop, then sends StopTransaction."""

    def __init__(self, cp_id: str, connection) -> None:
        super().__init__(cp_id, connection, response_timeout=10)
        self.meter = 50_000
        self.stopped = asyncio.Event()
        self.stop_answer = None

    @on(Action.remote_stop_transaction)
    async def on_remote_stop(self, transaction_id: int):
        return call_result.RemoteStopTransaction(status="Accepted")

    @after(Action.remote_stop_transaction)
    async def after_remote_stop(self, transaction_id: int):
        self.stop_answer = await self.call(
            call.StopTransaction(
                meter_stop=self.meter + 1_234,
                timestamp=NOW,
                transaction_id=transaction_id,
                reason="Remote",
            )
        )
        await self.call(
            call.StatusNotification(
                connector_id=1, error_code="NoError", status="Finishing", timestamp=NOW
            )
        )
        self.stopped.set()


def ws_url(sim, cb_id: str) -> str:
    base = sim.steve_url.replace("http://", "ws://", 1)
    return f"{base}/websocket/CentralSystemService/{urllib.parse.quote(cb_id, safe='')}"


async def _boot(cp: FieldCharger) -> None:
    boot = await cp.call(
        call.BootNotification(charge_point_model="FC-1", charge_point_vendor="FieldCo")
    )
    assert boot.status == "Accepted"
    await cp.call(
        call.StatusNotification(
            connector_id=1, error_code="NoError", status="Available", timestamp=NOW
        )
    )


async def test_remote_stop_reaches_a_real_charge_point(sim):
    async with websockets.connect(ws_url(sim, "CP-OCPPJ-1"), subprotocols=["ocpp1.6"]) as ws:
        assert ws.subprotocol == "ocpp1.6"
        cp = FieldCharger("CP-OCPPJ-1", ws)
        serving = asyncio.create_task(cp.start())
        try:
            await _boot(cp)
            auth = await cp.call(call.Authorize(id_tag="CARD-KIOSK"))
            assert auth.id_tag_info["status"] == "Accepted"
            start = await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="CARD-KIOSK", meter_start=cp.meter, timestamp=NOW
                )
            )
            assert start.id_tag_info["status"] == "Accepted"
            tx_id = start.transaction_id
            await cp.call(
                call.StatusNotification(
                    connector_id=1, error_code="NoError", status="Charging", timestamp=NOW
                )
            )
            async with httpx.AsyncClient(
                base_url=sim.steve_api, auth=(sim.steve_user, sim.steve_password), timeout=60
            ) as api:
                boxes = {b["chargeBoxId"]: b for b in (await api.get("/chargeBoxes")).json()}
                assert boxes["CP-OCPPJ-1"]["online"] is True
                assert boxes["CP-OCPPJ-1"]["connectors"][0]["status"] == "Charging"
                env = (
                    await api.post(
                        "/operations/RemoteStopTransaction",
                        json={"chargeBoxIdList": ["CP-OCPPJ-1"], "transactionId": tx_id},
                    )
                ).json()
                assert env["successResponses"] == [
                    {"chargeBoxId": "CP-OCPPJ-1", "response": "Accepted"}
                ]
                await asyncio.wait_for(cp.stopped.wait(), 10)
                done = (await api.get(f"/transactions/{tx_id}")).json()["transaction"]
            assert done["stopReason"] == "Remote" and done["stopEventActor"] == "station"
            assert int(done["stopValue"]) - int(done["startValue"]) == 1_234
            assert cp.stop_answer is not None
        finally:
            serving.cancel()
    async with httpx.AsyncClient(
        base_url=sim.steve_api, auth=(sim.steve_user, sim.steve_password)
    ) as api:
        for _ in range(100):
            boxes = {b["chargeBoxId"]: b for b in (await api.get("/chargeBoxes")).json()}
            if not boxes["CP-OCPPJ-1"]["online"]:
                break
            await asyncio.sleep(0.02)
        assert boxes["CP-OCPPJ-1"]["online"] is False
        gone = await api.post(
            "/operations/RemoteStopTransaction",
            json={"chargeBoxIdList": ["CP-OCPPJ-1"], "transactionId": 1},
        )
        assert gone.status_code == 400


async def test_a_real_charger_takes_over_a_demo_id_and_sees_its_calls(sim):
    seen: list[str] = []

    class Firmware(ChargePoint):
        @on(Action.get_local_list_version)
        async def on_version(self):
            seen.append("GetLocalListVersion")
            return call_result.GetLocalListVersion(list_version=7)

    async with websockets.connect(ws_url(sim, "CP-GOLF-07"), subprotocols=["ocpp1.6"]) as ws:
        cp = Firmware("CP-GOLF-07", ws)
        serving = asyncio.create_task(cp.start())
        try:
            async with httpx.AsyncClient(
                base_url=sim.steve_api, auth=(sim.steve_user, sim.steve_password), timeout=60
            ) as api:
                env = (
                    await api.post(
                        "/operations/GetLocalListVersion", json={"chargeBoxIdList": ["CP-GOLF-07"]}
                    )
                ).json()
                unsupported = (
                    await api.post(
                        "/operations/ClearCache", json={"chargeBoxIdList": ["CP-GOLF-07"]}
                    )
                ).json()
        finally:
            serving.cancel()
    assert seen == ["GetLocalListVersion"]
    assert env["successResponses"] == [{"chargeBoxId": "CP-GOLF-07", "response": 7}]
    assert unsupported["errorResponses"][0]["errorCode"] == "NotImplemented"


async def test_hostile_ids_and_the_unknown_tag_insert(sim):
    hostile = "[@click=app.quit]x"
    async with websockets.connect(ws_url(sim, hostile), subprotocols=["ocpp1.6"]) as ws:
        cp = ChargePoint(hostile, ws)
        serving = asyncio.create_task(cp.start())
        try:
            await _boot(cp)
            start = await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="NEVER-SEEN", meter_start=0, timestamp=NOW
                )
            )
        finally:
            serving.cancel()
    assert start.id_tag_info["status"] == "Invalid"
    async with httpx.AsyncClient(
        base_url=sim.steve_api, auth=(sim.steve_user, sim.steve_password)
    ) as api:
        tag = (await api.get("/ocppTags", params={"idTag": "NEVER-SEEN"})).json()[0]
        boxes = [b["chargeBoxId"] for b in (await api.get("/chargeBoxes")).json()]
    assert tag["blocked"] is True and "unknown idTag" in tag["note"]  # SteVe inserts it, blocked
    assert hostile in boxes


async def test_the_ocpp16_subprotocol_is_required(sim):
    with pytest.raises(websockets.exceptions.InvalidStatus):
        async with websockets.connect(ws_url(sim, "CP-NOPROTO")):
            pass
