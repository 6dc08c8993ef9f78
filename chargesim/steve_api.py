"""SteVe's REST API under ``/steve/api/v1``: ocppTags, transactions, and the
fork extensions ``GET /chargeBoxes`` and ``GET /operations/tasks/{taskId}``.

Behaviour and messages follow STEVE.md §1–§3 and §5; response bodies are the
spec's schemas (checked by ``tests/contract``). Operations live in
``operations.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from .central import Central, is_energy
from .clock import iso_z, parse_iso
from .manager import humanize
from .records import OcppTag, Transaction
from .steve_common import (
    BIND_ERROR,
    CHARGE_BOX_ID_RE,
    ID_TAG_RE,
    ApiError,
    api_error,
    path_int,
    query_enum,
    query_int,
    query_value,
    query_values,
    read_json,
    sim_of,
)

BASE = "/steve/api/v1"
TRI = ("ALL", "TRUE", "FALSE")


# ------------------------------------------------------------------ ocppTags


def _tri(value: str, flag: bool) -> bool:
    return value == "ALL" or (value == "TRUE") == flag


async def list_tags(request: web.Request) -> web.Response:
    c = sim_of(request).central
    pk = query_int(request, "ocppTagPk")
    user_id = query_int(request, "userId")
    id_tag = query_value(request, "idTag")
    parent = query_value(request, "parentIdTag")
    note = query_value(request, "note")
    expired = query_enum(request, "expired", TRI, "ALL")
    in_tx = query_enum(request, "inTransaction", TRI, "ALL")
    blocked = query_enum(request, "blocked", TRI, "ALL")
    user_filter = query_enum(
        request, "userFilter", ("All", "OnlyTagsWithUser", "OnlyTagsWithoutUser"), "All"
    )
    out = []
    for tag in c.tags.values():
        if pk is not None and tag.pk != pk:
            continue
        if id_tag is not None and tag.id_tag != id_tag:
            continue
        if parent is not None and tag.parent_id_tag != parent:
            continue
        if user_id is not None and tag.user_pk != user_id:
            continue
        if note is not None and note not in (tag.note or ""):
            continue
        if not _tri(expired, c.is_expired(tag)):
            continue
        if not _tri(in_tx, c.active_by_tag.get(tag.id_tag, 0) > 0):
            continue
        if not _tri(blocked, tag.max_active == 0):
            continue
        if user_filter == "OnlyTagsWithUser" and tag.user_pk is None:
            continue
        if user_filter == "OnlyTagsWithoutUser" and tag.user_pk is not None:
            continue
        out.append(c.tag_overview(tag))
    return web.json_response(out)


def _tag_or_404(c: Central, pk: int) -> OcppTag:
    tag = c.tags_by_pk.get(pk)
    if tag is None:
        raise ApiError(404, "Could not find this ocppTag")
    return tag


async def get_tag(request: web.Request) -> web.Response:
    c = sim_of(request).central
    return web.json_response(c.tag_overview(_tag_or_404(c, path_int(request, "ocppTagPk"))))


def _tag_form(c: Central, body: Any) -> dict[str, Any]:
    """Validate an OcppTagForm; every failure is SteVe's generic 400 (or 500)."""
    if not isinstance(body, dict):
        raise ApiError(500, "JSON parse error: expected an object")
    id_tag = body.get("idTag")
    if not isinstance(id_tag, str) or not 1 <= len(id_tag) <= 20 or not ID_TAG_RE.match(id_tag):
        raise ApiError(400, BIND_ERROR)
    parent = body.get("parentIdTag")
    note = body.get("note")
    max_active = body.get("maxActiveTransactionCount")
    if parent is not None and not isinstance(parent, str):
        raise ApiError(400, BIND_ERROR)
    if note is not None and not isinstance(note, str):
        raise ApiError(400, BIND_ERROR)
    if max_active is not None and (not isinstance(max_active, int) or isinstance(max_active, bool)):
        raise ApiError(500, "JSON parse error: maxActiveTransactionCount is not an integer")
    expiry = body.get("expiryDate")
    if expiry is not None:
        if not isinstance(expiry, str):
            raise ApiError(500, "JSON parse error: expiryDate is not a date-time")
        try:
            expiry = parse_iso(expiry)
        except ValueError:
            raise ApiError(
                500, f"JSON parse error: cannot deserialize date-time {expiry!r}"
            ) from None
        if expiry <= c.clock.now():
            raise ApiError(400, BIND_ERROR)  # @Future
    return {
        "id_tag": id_tag,
        "parent": parent,
        "note": note,
        "max_active": 1 if max_active is None else max_active,
        "expiry": expiry,
    }


async def create_tag(request: web.Request) -> web.Response:
    c = sim_of(request).central
    form = _tag_form(c, await read_json(request))
    # Duplicate and unknown parent share one SQL-constraint branch in SteVe.
    if form["id_tag"] in c.tags or (form["parent"] is not None and form["parent"] not in c.tags):
        raise ApiError(422, f"The idTag '{form['id_tag']}' exists already.")
    tag = c.add_tag(
        form["id_tag"],
        parent=form["parent"],
        expiry=form["expiry"],
        max_active=form["max_active"],
        note=form["note"],
    )
    c.unknown_tags.forget(tag.id_tag)  # SteVe drops an added tag from its unknown list
    return web.json_response(c.tag_overview(tag), status=201)


async def update_tag(request: web.Request) -> web.Response:
    """PUT replaces parent, expiry, max count and note wholesale (STEVE.md §2)."""
    c = sim_of(request).central
    tag = _tag_or_404(c, path_int(request, "ocppTagPk"))
    form = _tag_form(c, await read_json(request))
    if form["parent"] is not None and form["parent"] not in c.tags:
        raise ApiError(
            500,
            "Cannot add or update a child row: a foreign key constraint fails "
            "(`stevedb`.`ocpp_tag`, CONSTRAINT `FK_ocpp_tag_parent_id_tag`)",
        )
    tag.parent_id_tag = form["parent"]
    tag.expiry_date = form["expiry"]
    tag.max_active = form["max_active"]
    tag.note = form["note"]
    return web.json_response(c.tag_overview(tag))


async def delete_tag(request: web.Request) -> web.Response:
    c = sim_of(request).central
    tag = _tag_or_404(c, path_int(request, "ocppTagPk"))
    if any(t.parent_id_tag == tag.id_tag for t in c.tags.values()):
        raise ApiError(
            500,
            "Cannot delete or update a parent row: a foreign key constraint fails "
            "(`stevedb`.`ocpp_tag`, CONSTRAINT `FK_ocpp_tag_parent_id_tag`)",
        )
    before = c.tag_overview(tag)
    c.delete_tag(tag)
    return web.json_response(before)


async def expire_tag(request: web.Request) -> web.Response:
    c = sim_of(request).central
    tag = _tag_or_404(c, path_int(request, "ocppTagPk"))
    tag.expiry_date = c.clock.now()
    return web.json_response(c.tag_overview(tag))


# -------------------------------------------------------------- transactions


def tx_json(tx: Transaction) -> dict[str, Any]:
    """SteVe's Transaction (stop fields null while active)."""
    return {
        "id": tx.id,
        "chargeBoxId": tx.charge_box_id,
        "chargeBoxPk": tx.charge_box_pk,
        "connectorId": tx.connector_id,
        "ocppIdTag": tx.id_tag,
        "ocppTagPk": tx.ocpp_tag_pk,
        "userId": tx.user_id,
        "startTimestamp": iso_z(tx.start_ts),
        "startValue": str(tx.start_value),
        "stopTimestamp": iso_z(tx.stop_ts),
        "stopValue": None if tx.stop_value is None else str(tx.stop_value),
        "stopReason": tx.stop_reason,
        "stopEventActor": tx.stop_actor,
    }


def _query_dt(request: web.Request, name: str) -> datetime | None:
    value = query_value(request, name)
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise ApiError(400, BIND_ERROR) from None


async def list_transactions(request: web.Request) -> web.Response:
    sim = sim_of(request)
    c = sim.central
    if (query_value(request, "returnCSV") or "").lower() == "true":
        raise ApiError(400, "returnCSV=true is not supported for API calls")
    kind = query_enum(request, "type", ("ALL", "ACTIVE", "STOPPED"), "ALL")
    period = query_enum(
        request, "periodType", ("ALL", "TODAY", "LAST_10", "LAST_30", "LAST_90", "FROM_TO"), "ALL"
    )
    t_from, t_to = _query_dt(request, "from"), _query_dt(request, "to")
    if period == "FROM_TO" and (t_from is None or t_to is None):
        raise ApiError(400, BIND_ERROR)
    if t_from is not None and t_to is not None and not t_to > t_from:
        raise ApiError(400, BIND_ERROR)
    cb_ids = query_values(request, "chargeBoxId")
    if any(not CHARGE_BOX_ID_RE.match(v) for v in cb_ids):
        raise ApiError(400, BIND_ERROR)
    tags = query_values(request, "ocppIdTag")
    if any(not (1 <= len(v) <= 40 and ID_TAG_RE.match(v)) for v in tags):
        raise ApiError(400, BIND_ERROR)
    try:
        pks = {int(v) for v in query_values(request, "transactionPk")}
        users = {int(v) for v in query_values(request, "userId")}
    except ValueError:
        raise ApiError(400, BIND_ERROR) from None
    if any(u <= 0 for u in users):
        raise ApiError(400, BIND_ERROR)
    connector = query_int(request, "connectorId")
    today = sim.clock.now().date()
    days = {"LAST_10": 10, "LAST_30": 30, "LAST_90": 90}.get(period)
    out = []
    for tx in reversed(c.transactions.values()):
        if kind == "ACTIVE" and not tx.active or kind == "STOPPED" and tx.active:
            continue
        if cb_ids and tx.charge_box_id not in cb_ids:
            continue
        if tags and tx.id_tag not in tags:
            continue
        if pks and tx.id not in pks:
            continue
        if users and tx.user_id not in users:
            continue
        if connector is not None and tx.connector_id != connector:
            continue
        start_day = tx.start_ts.date()
        if period == "TODAY" and start_day != today:
            continue
        if days is not None and not today - timedelta(days=days) <= start_day <= today:
            continue
        if period == "FROM_TO" and not (t_from <= tx.start_ts <= t_to):  # type: ignore[operator]
            continue
        out.append(tx_json(tx))
    return web.json_response(out)


async def get_transaction(request: web.Request) -> web.Response:
    c = sim_of(request).central
    pk = path_int(request, "transactionPk")
    energy_only = query_value(request, "energyValuesOnly") or "true"
    if energy_only not in ("true", "false"):
        raise ApiError(400, BIND_ERROR)
    tx = c.transactions.get(pk)
    if tx is None:
        raise ApiError(404, f"There is no transaction with id '{pk}'")
    values = [s for s in tx.values if energy_only == "false" or is_energy(s)]
    values.sort(key=lambda s: s.ts)
    return web.json_response(
        {
            "transaction": tx_json(tx),
            "values": [
                {
                    "valueTimestamp": iso_z(s.ts),
                    "value": s.value,
                    "readingContext": s.context,
                    "format": s.fmt,
                    "measurand": s.measurand,
                    "location": s.location,
                    "unit": s.unit,
                    "phase": s.phase,
                }
                for s in values
            ],
        }
    )


async def stop_transaction(request: web.Request) -> web.Response:
    """Database only: nothing is sent to the station (PITFALLS)."""
    c = sim_of(request).central
    pk = path_int(request, "transactionPk")
    tx = c.transactions.get(pk)
    if tx is None:
        raise ApiError(404, f"There is no transaction with id '{pk}'")
    c.manual_stop(tx)
    return web.Response(status=200)


# ------------------------------------------------------------ fork extensions


async def list_charge_boxes(request: web.Request) -> web.Response:
    """The fork's ``GET /chargeBoxes``, extended (docs/chargesim.md)."""
    sim = sim_of(request)
    if sim.vanilla:
        raise ApiError(404, "No endpoint GET /steve/api/v1/chargeBoxes.")
    c = sim.central
    now = sim.clock.now()
    out = []
    for box in c.boxes.values():
        heartbeat = c.effective_heartbeat(box)
        item: dict[str, Any] = {
            "chargeBoxId": box.charge_box_id,
            "chargeBoxPk": box.pk,
            "description": box.description,
            "ocppProtocol": box.ocpp_protocol,
        }
        if sim.plain_chargeboxes:
            item["lastHeartbeatTimestamp"] = humanize(heartbeat, now) if heartbeat else None
        else:
            item["lastHeartbeatTimestamp"] = iso_z(heartbeat)
            item["online"] = box.online
            item["connectors"] = [
                {
                    "connectorId": conn.connector_id,
                    "status": conn.status,
                    "errorCode": conn.error_code,
                    "timestamp": iso_z(conn.status_ts),
                    "info": conn.info,
                    "vendorErrorCode": conn.vendor_error_code,
                }
                for conn in sorted(box.connectors.values(), key=lambda k: k.connector_id)
                if conn.status_ts is not None
            ]
        out.append(item)
    return web.json_response(out)


async def get_task(request: web.Request) -> web.Response:
    sim = sim_of(request)
    if sim.vanilla:
        raise ApiError(404, "No endpoint GET /steve/api/v1/operations/tasks.")
    task = sim.tasks.tasks.get(path_int(request, "taskId"))
    if task is None:
        raise ApiError(404, "There is no task with this id")
    return web.json_response(task.envelope())


def steve_routes() -> list[web.RouteDef]:
    return [
        web.get(f"{BASE}/ocppTags", list_tags),
        web.post(f"{BASE}/ocppTags", create_tag),
        web.get(f"{BASE}/ocppTags/{{ocppTagPk}}", get_tag),
        web.put(f"{BASE}/ocppTags/{{ocppTagPk}}", update_tag),
        web.delete(f"{BASE}/ocppTags/{{ocppTagPk}}", delete_tag),
        web.patch(f"{BASE}/ocppTags/{{ocppTagPk}}/expire", expire_tag),
        web.get(f"{BASE}/transactions", list_transactions),
        web.get(f"{BASE}/transactions/{{transactionPk}}", get_transaction),
        web.patch(f"{BASE}/transactions/{{transactionPk}}/stop", stop_transaction),
        web.get(f"{BASE}/chargeBoxes", list_charge_boxes),
        web.get(f"{BASE}/operations/tasks/{{taskId}}", get_task),
    ]


def not_found_json(request: web.Request) -> web.Response:
    return api_error(request, 404, f"No endpoint {request.method} {request.path}.")
