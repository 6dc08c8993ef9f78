"""SteVe's ``POST /api/v1/operations/{Name}``: validate, check, send, wait.

The order is SteVe's (STEVE.md §4): bean validation of the body (generic 400;
unreadable JSON or a bad enum ⇒ 500), station selection (single-station ops
need exactly one id), eligibility (only stations with an open websocket; none
left ⇒ 400 "No stations are eligible…"), pre-flight checks (tag, transaction,
reservation, charging profile ⇒ 400), then the call to every eligible station
and a wait of up to ``station_timeout_seconds`` (30 s in SteVe) before the
envelope is returned with whatever arrived. Late answers still land in the
task (``GET /operations/tasks/{taskId}``), and the station still acts.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .clock import iso_z, parse_iso
from .records import ChargeBox, Reservation
from .station import StationCallError, StationGone
from .steve_common import (
    BIND_ERROR,
    CHARGE_BOX_ID_RE,
    ID_TAG_RE,
    NOT_ELIGIBLE,
    ApiError,
    api_error,
    read_json,
    sim_of,
)

if TYPE_CHECKING:
    from .tasks import Task
    from .world import World

log = logging.getLogger("chargesim.operations")

TAG_NOT_ELIGIBLE = "Requested OCPP Tag is not eligible for this operation. Ensure that the OCPP Tag is registered and active."
TX_NOT_ACTIVE = "This transaction is not active at this station."
RESERVATION_NOT_ACTIVE = "This reservation is not active at this station."
PROFILE_UNKNOWN = "chargingProfilePk is unknown."

CHARGING_PROFILES: dict[int, dict[str, Any]] = {
    1: {
        "chargingProfileId": 1,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        },
    },
    2: {
        "chargingProfileId": 2,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32.0}],
        },
    },
}
"""SteVe's charging_profile table of the demo (pk → OCPP csChargingProfiles)."""


# ------------------------------------------------------------- body checks


def _bad() -> ApiError:
    return ApiError(400, BIND_ERROR)


def _int(
    body: dict[str, Any], name: str, *, required: bool = False, minimum: int | None = None
) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _bad()
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(
            500,
            f"JSON parse error: Cannot deserialize value of type `java.lang.Integer` from {value!r}",
        )
    if minimum is not None and value < minimum:
        raise _bad()
    return value


def _str(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _bad()
        return None
    if not isinstance(value, str):
        raise _bad()
    return value


def _enum(
    body: dict[str, Any], name: str, allowed: tuple[str, ...], *, required: bool = False
) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _bad()
        return None
    if value not in allowed:
        raise ApiError(
            500, f"JSON parse error: Cannot deserialize value {value!r} of enum field '{name}'"
        )
    return value


def _dt(body: dict[str, Any], name: str, *, required: bool = False) -> datetime | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _bad()
        return None
    try:
        return parse_iso(str(value))
    except ValueError:
        raise ApiError(500, f"JSON parse error: cannot deserialize date-time {value!r}") from None


def _id_tag(body: dict[str, Any]) -> str:
    value = _str(body, "idTag", required=True)
    assert value is not None
    if not 1 <= len(value) <= 40 or not ID_TAG_RE.match(value):
        raise _bad()
    return value


# ----------------------------------------------------------- the operations


@dataclass
class Prepared:
    """An operation ready to send: the OCPP payload per station, and follow-ups."""

    payload: dict[str, Any]
    result: Callable[[dict[str, Any]], Any]
    after: Callable[[ChargeBox, Any], None] | None = None


def _status(result: dict[str, Any]) -> Any:
    return result.get("status")


# Each operation has two steps, in SteVe's order: ``check_*`` validates the
# body's fields (bean validation, before eligibility) and returns the params;
# ``send_*`` runs the pre-flight checks against SteVe's state (after
# eligibility) and builds the OCPP payload.


def check_remote_start(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "idTag": _id_tag(body),
        "connectorId": _int(body, "connectorId", minimum=0),
        "chargingProfilePk": _int(body, "chargingProfilePk", minimum=1),
    }


def send_remote_start(sim: World, p: dict[str, Any], ids: list[str]) -> Prepared:
    if sim.central.steve_status(p["idTag"], concurrent_check=True) != "Accepted":
        raise ApiError(400, TAG_NOT_ELIGIBLE)
    pk = p["chargingProfilePk"]
    if pk is not None and pk not in CHARGING_PROFILES:
        raise ApiError(400, PROFILE_UNKNOWN)
    payload: dict[str, Any] = {"idTag": p["idTag"]}
    if p["connectorId"]:
        payload["connectorId"] = p["connectorId"]
    if pk is not None:
        payload["chargingProfile"] = CHARGING_PROFILES[pk]
    return Prepared(payload, _status)


def check_remote_stop(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    return {"transactionId": _int(body, "transactionId", required=True)}


def send_remote_stop(sim: World, p: dict[str, Any], ids: list[str]) -> Prepared:
    tx = sim.central.transactions.get(p["transactionId"])
    if tx is None or not tx.active or tx.charge_box_id != ids[0]:
        raise ApiError(400, TX_NOT_ACTIVE)
    return Prepared({"transactionId": p["transactionId"]}, _status)


def check_unlock(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    return {"connectorId": _int(body, "connectorId", required=True, minimum=1)}


def send_plain(sim: World, p: dict[str, Any], ids: list[str]) -> Prepared:
    """No pre-flight: the checked params are the OCPP payload, status is the answer."""
    return Prepared({k: v for k, v in p.items() if v is not None}, _status)


def check_reserve(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    connector = _int(body, "connectorId", required=True, minimum=0)
    expiry = _dt(body, "expiry", required=True)
    id_tag = _id_tag(body)
    assert expiry is not None
    if expiry <= sim.clock.now():
        raise _bad()  # @Future
    return {"connectorId": connector, "expiry": expiry, "idTag": id_tag}


def send_reserve(sim: World, p: dict[str, Any], ids: list[str]) -> Prepared:
    c = sim.central
    if c.steve_status(p["idTag"], concurrent_check=False) != "Accepted":
        raise ApiError(400, TAG_NOT_ELIGIBLE)
    res = Reservation(
        c.next_reservation_id, ids[0], p["connectorId"], p["idTag"], p["expiry"], status="Waiting"
    )
    c.next_reservation_id += 1
    c.reservations[res.id] = res
    payload = {
        "connectorId": p["connectorId"],
        "expiryDate": iso_z(p["expiry"]),
        "idTag": p["idTag"],
        "reservationId": res.id,
    }
    tag = c.tags.get(p["idTag"])
    if tag is not None and tag.parent_id_tag:
        payload["parentIdTag"] = tag.parent_id_tag

    def after(box: ChargeBox, answer: Any) -> None:
        # SteVe keeps the reservation only when the station accepted it.
        if answer == "Accepted":
            res.status = "Accepted"
        else:
            c.reservations.pop(res.id, None)

    return Prepared(payload, _status, after)


def check_cancel_reservation(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    return {"reservationId": _int(body, "reservationId", required=True, minimum=0)}


def send_cancel_reservation(sim: World, p: dict[str, Any], ids: list[str]) -> Prepared:
    res = sim.central.reservations.get(p["reservationId"])
    if res is None or res.status != "Accepted" or res.charge_box_id != ids[0]:
        raise ApiError(400, RESERVATION_NOT_ACTIVE)

    def after(box: ChargeBox, answer: Any) -> None:
        if answer == "Accepted":
            res.status = "Cancelled"

    return Prepared({"reservationId": p["reservationId"]}, _status, after)


TRIGGERS = (
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
)


def check_trigger(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestedMessage": _enum(body, "triggerMessage", TRIGGERS, required=True),
        "connectorId": _int(body, "connectorId", minimum=1),
    }


def check_get_configuration(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    keys = body.get("confKeyList") or []
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ApiError(500, "JSON parse error: confKeyList must be an array of strings")
    custom = _str(body, "commaSeparatedCustomConfKeys") or ""
    return {"key": keys + [k.strip() for k in custom.split(",") if k.strip()]}


def send_get_configuration(sim: World, p: dict[str, Any], ids: list[str]) -> Prepared:
    def result(r: dict[str, Any]) -> dict[str, Any]:
        return {
            "configurationKeys": [
                {"key": k["key"], "value": k.get("value"), "readonly": k["readonly"]}
                for k in r.get("configurationKey") or []
            ],
            "unknownKeys": list(r.get("unknownKey") or []),
        }

    return Prepared({"key": p["key"]} if p["key"] else {}, result)


def check_change_availability(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    kind = _enum(body, "availType", ("Inoperative", "Operative"), required=True)
    return {"connectorId": _int(body, "connectorId", minimum=0) or 0, "type": kind}


def check_data_transfer(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "vendorId": _str(body, "vendorId", required=True),
        "messageId": _str(body, "messageId"),
        "data": _str(body, "data"),
    }


def send_data_transfer(sim: World, p: dict[str, Any], ids: list[str]) -> Prepared:
    def result(r: dict[str, Any]) -> dict[str, Any]:
        out = {"status": r.get("status")}
        if r.get("data") is not None:
            out["data"] = r["data"]
        return out

    return Prepared({k: v for k, v in p.items() if v is not None}, result)


def check_nothing(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    return {}


def send_local_list_version(sim: World, p: dict[str, Any], ids: list[str]) -> Prepared:
    return Prepared({}, lambda r: r.get("listVersion"))


def check_composite(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "connectorId": _int(body, "connectorId", required=True, minimum=0),
        "duration": _int(body, "durationInSeconds", required=True, minimum=1),
        "chargingRateUnit": _enum(body, "chargingRateUnit", ("W", "A")),
    }


def send_composite(sim: World, p: dict[str, Any], ids: list[str]) -> Prepared:
    return Prepared({k: v for k, v in p.items() if v is not None}, lambda r: r)


def check_diagnostics(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    location = _str(body, "location", required=True)
    assert location is not None
    if not location or any(ch.isspace() for ch in location):
        raise _bad()
    retries = _int(body, "retries", minimum=1)
    interval = _int(body, "retryInterval", minimum=1)
    start, stop = _dt(body, "start"), _dt(body, "stop")
    now = sim.clock.now()
    if (start and start >= now) or (stop and stop >= now) or (start and stop and stop <= start):
        raise _bad()  # @Past, stop after start
    return {
        "location": location,
        "retries": retries,
        "retryInterval": interval,
        "startTime": iso_z(start),
        "stopTime": iso_z(stop),
    }


def send_diagnostics(sim: World, p: dict[str, Any], ids: list[str]) -> Prepared:
    payload = {k: v for k, v in p.items() if v is not None}
    return Prepared(payload, lambda r: {"fileName": r.get("fileName")})


def check_set_profile(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "connectorId": _int(body, "connectorId", required=True, minimum=0),
        "chargingProfilePk": _int(body, "chargingProfilePk", required=True, minimum=1),
        "transactionId": _int(body, "transactionId", minimum=1),
    }


def send_set_profile(sim: World, p: dict[str, Any], ids: list[str]) -> Prepared:
    pk, tx_id = p["chargingProfilePk"], p["transactionId"]
    if pk not in CHARGING_PROFILES:
        raise ApiError(400, PROFILE_UNKNOWN)
    if tx_id is not None:
        tx = sim.central.transactions.get(tx_id)
        if tx is None or not tx.active or tx.charge_box_id != ids[0]:
            raise ApiError(400, TX_NOT_ACTIVE)
    profile = dict(CHARGING_PROFILES[pk])
    if tx_id is not None:
        profile["transactionId"] = tx_id
    return Prepared({"connectorId": p["connectorId"], "csChargingProfiles": profile}, _status)


def check_reset(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": _enum(body, "resetType", ("Hard", "Soft"), required=True)}


def check_change_configuration(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    kind = _enum(body, "keyType", ("PREDEFINED", "CUSTOM"), required=True)
    key = _str(body, "confKey" if kind == "PREDEFINED" else "customConfKey", required=True)
    return {"key": key, "value": _str(body, "value") or ""}


def check_clear_profile(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    _enum(body, "filterType", ("ChargingProfileId", "OtherParameters"), required=True)
    return {
        "id": _int(body, "chargingProfilePk", minimum=0),
        "connectorId": _int(body, "connectorId", minimum=0),
    }


def check_send_local_list(sim: World, body: dict[str, Any]) -> dict[str, Any]:
    version = _int(body, "listVersion", required=True)
    kind = _enum(body, "updateType", ("Differential", "Full"), required=True)
    if not isinstance(body.get("sendEmptyListWhenFull"), bool):
        raise _bad()
    return {"listVersion": version, "updateType": kind}


@dataclass(frozen=True)
class OpSpec:
    single: bool
    check: Callable[[World, dict[str, Any]], dict[str, Any]]
    send: Callable[[World, dict[str, Any], list[str]], Prepared] = send_plain


OPERATIONS: dict[str, OpSpec] = {
    "RemoteStartTransaction": OpSpec(True, check_remote_start, send_remote_start),
    "RemoteStopTransaction": OpSpec(True, check_remote_stop, send_remote_stop),
    "UnlockConnector": OpSpec(True, check_unlock),
    "ReserveNow": OpSpec(True, check_reserve, send_reserve),
    "CancelReservation": OpSpec(True, check_cancel_reservation, send_cancel_reservation),
    "TriggerMessage": OpSpec(False, check_trigger),
    "GetConfiguration": OpSpec(False, check_get_configuration, send_get_configuration),
    "ChangeAvailability": OpSpec(False, check_change_availability),
    "DataTransfer": OpSpec(False, check_data_transfer, send_data_transfer),
    "GetLocalListVersion": OpSpec(False, check_nothing, send_local_list_version),
    "GetCompositeSchedule": OpSpec(False, check_composite, send_composite),
    "GetDiagnostics": OpSpec(False, check_diagnostics, send_diagnostics),
    "SetChargingProfile": OpSpec(False, check_set_profile, send_set_profile),
    # SteVe serves these too; Polaris must never send them (tests look at
    # GET /_sim/operations to prove it).
    "Reset": OpSpec(False, check_reset),
    "ClearCache": OpSpec(False, check_nothing),
    "ChangeConfiguration": OpSpec(False, check_change_configuration),
    "ClearChargingProfile": OpSpec(False, check_clear_profile),
    "SendLocalList": OpSpec(False, check_send_local_list),
}


def _selection(body: dict[str, Any], single: bool) -> list[str]:
    ids = body.get("chargeBoxIdList")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _bad()
    if single and len(ids) != 1 or not ids:
        raise _bad()
    for cb_id in ids:
        if cb_id != cb_id.strip() or not CHARGE_BOX_ID_RE.match(cb_id):
            raise _bad()
    return list(dict.fromkeys(ids))


async def _send(sim: World, task: Task, box: ChargeBox, action: str, prepared: Prepared) -> None:
    """One station's part of a task; whatever happens lands in the task."""
    cb_id = box.charge_box_id
    try:
        result = await box.link.request(action, prepared.payload)
        answer = prepared.result(result)
        task.success.append({"chargeBoxId": cb_id, "response": answer})
        if prepared.after is not None:
            prepared.after(box, answer)
    except StationCallError as exc:
        task.errors.append(
            {
                "chargeBoxId": cb_id,
                "errorCode": exc.code,
                "errorDescription": exc.description,
                "errorDetails": json.dumps(exc.details),
            }
        )
        if prepared.after is not None:
            prepared.after(box, None)
    except StationGone as exc:
        task.exceptions.append({"chargeBoxId": cb_id, "exceptionMessage": str(exc)})
        if prepared.after is not None:
            prepared.after(box, None)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # SteVe reports any failure per station; so do we
        log.exception("operation %s to %s failed", action, cb_id)
        task.exceptions.append(
            {"chargeBoxId": cb_id, "exceptionMessage": f"{type(exc).__name__}: {exc}"}
        )
    finally:
        if task.finished and task.ended is None:
            task.ended = sim.clock.now()


async def run(sim: World, action: str, body: Any) -> dict[str, Any]:
    """Validate, check and send one operation; return SteVe's envelope."""
    spec = OPERATIONS[action]
    if not isinstance(body, dict):
        raise ApiError(500, "JSON parse error: expected an object")
    ids = _selection(body, spec.single)
    params = spec.check(sim, body)
    c = sim.central
    eligible = [
        i
        for i in ids
        if i in c.boxes and c.boxes[i].online and c.boxes[i].registration_status == "Accepted"
    ]
    if not eligible:
        raise ApiError(400, NOT_ELIGIBLE)
    prepared = spec.send(sim, params, eligible)
    task = sim.tasks.create(action, body, eligible, sim.clock.now())
    jobs = [sim.spawn(_send(sim, task, c.boxes[i], action, prepared)) for i in eligible]
    await asyncio.wait(jobs, timeout=sim.options.station_timeout_seconds)
    return task.envelope()


async def handle(request: web.Request) -> web.Response:
    """``POST /steve/api/v1/operations/{name}``."""
    sim = sim_of(request)
    name = request.match_info["name"]
    entry: dict[str, Any] = {
        "time": iso_z(sim.clock.now()),
        "operation": name,
        "body": None,
        "status": None,
    }
    sim.operations.append(entry)
    try:
        if name not in OPERATIONS:
            raise ApiError(404, f"No endpoint POST {request.path}.")
        body = await read_json(request)
        entry["body"] = body
        envelope = await run(sim, name, body)
        entry.update(status=200, taskId=envelope["taskId"])
        return web.json_response(envelope)
    except ApiError as exc:
        entry.update(status=exc.status, message=exc.message)
        return api_error(request, exc.status, exc.message)
