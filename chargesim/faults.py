"""Faults on demand: ``NAME[:ARG]``, from ``--fault`` or ``POST /_sim/faults``.

Station faults (ARG = chargeBoxId):
  offline:CB            the station's websocket closes (``online:CB`` reconnects)
  stuck_stop:CB         RemoteStop Accepted, no StopTransaction until UnlockConnector
  slow_station:CB[:S]   answers operations after S s (default: station timeout + 5)
  call_error:CB[:CODE]  answers every operation with a CALLERROR (default InternalError;
                        CODE must be an OCPP 1.6 code)
  meter_stall:CB        stops sending meter values (a stuck session)
  intercept:CB          scan-to-login: the next Accepted tap there is overridden to Blocked
Whole-system faults:
  steve_down[:S]        SteVe's listening socket closes (connection refused); back
                        on the same port when cleared, or after S seconds
  steve_5xx[:STATUS]    every SteVe request answers STATUS (default 503)
  steve_slow[:S]        every SteVe answer is delayed S s (default 3)
  steve_freeze          SteVe hangs: connections are accepted, requests read,
                        and nothing is answered until the fault is cleared
                        (held requests are then answered, as after a long GC pause)
  steve_malformed       SteVe answers 200 with truncated JSON
  lago_5xx / lago_slow / lago_malformed   the same for Lago
  vanilla               no fork extensions (``/chargeBoxes``, ``/operations/tasks`` 404)
  chargeboxes_plain     ``/chargeBoxes`` in the fork's plain shape
Card actions (one-shot, ARG = idTag; not listed as active faults):
  card_blocked:T  card_expired:T  card_parent_blocked:T  card_unknown:T
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from .ocpp16_errors import OCPP16_ERROR_CODES

if TYPE_CHECKING:
    from .world import World

log = logging.getLogger("chargesim.faults")

STATION_FAULTS = {
    "offline",
    "online",
    "stuck_stop",
    "slow_station",
    "call_error",
    "meter_stall",
    "intercept",
}
SYSTEM_FAULTS = {
    "steve_down",
    "steve_5xx",
    "steve_slow",
    "steve_freeze",
    "steve_malformed",
    "lago_5xx",
    "lago_slow",
    "lago_malformed",
    "vanilla",
    "chargeboxes_plain",
}
CARD_ACTIONS = {"card_blocked", "card_expired", "card_parent_blocked", "card_unknown"}
NAMES = STATION_FAULTS | SYSTEM_FAULTS | CARD_ACTIONS


class FaultError(ValueError):
    """A fault spec that cannot be applied (unknown name, charger or card)."""


def parse(spec: str) -> tuple[str, str | None, str | None]:
    """``NAME[:ARG[:VALUE]]`` → (name, arg, value).

    For station faults ARG is the chargeBoxId and VALUE the optional number or
    code; a chargeBoxId containing ``:`` must be given through the control
    endpoint's JSON form (``{"name", "target", "value"}``) instead.
    """
    name, _, rest = spec.partition(":")
    if name not in NAMES:
        raise FaultError(f"unknown fault {name!r}; known: {', '.join(sorted(NAMES))}")
    if name in STATION_FAULTS or name in CARD_ACTIONS:
        if not rest:
            raise FaultError(f"{name} needs a target: {name}:ID")
        target, _, value = rest.rpartition(":") if _has_value(name, rest) else (rest, "", "")
        return name, target, value or None
    return name, None, rest or None


def _has_value(name: str, rest: str) -> bool:
    """Whether the last ``:part`` of a station fault is its value (a number/code)."""
    if name not in ("slow_station", "call_error") or ":" not in rest:
        return False
    tail = rest.rsplit(":", 1)[1]
    if name == "slow_station":
        try:
            float(tail)
        except ValueError:
            return False
        return True
    return tail.isalpha()


def key(name: str, target: str | None) -> str:
    return f"{name}:{target}" if target is not None else name


async def apply(
    sim: World,
    spec: str | None = None,
    *,
    name: str | None = None,
    target: str | None = None,
    value: str | None = None,
) -> str:
    """Apply one fault; returns its key in ``sim.faults``. Raises FaultError."""
    if spec is not None:
        name, target, value = parse(spec)
    if name not in NAMES:
        raise FaultError(f"unknown fault {name!r}")
    c = sim.central
    if name in CARD_ACTIONS:
        _card_action(sim, name, target or "")
        return key(name, target)
    if name in STATION_FAULTS:
        box = c.boxes.get(target or "")
        if box is None:
            raise FaultError(f"unknown chargeBoxId {target!r}")
        if name == "online":
            await _set_online(sim, box, True)
            sim.faults.pop(key("offline", target), None)
            return key(name, target)
        if name == "offline":
            await _set_online(sim, box, False)
        elif name == "stuck_stop":
            box.stuck_stop = True
        elif name == "slow_station":
            box.slow_seconds = float(value) if value else sim.options.station_timeout_seconds + 5
        elif name == "call_error":
            code = value or "InternalError"
            if code not in OCPP16_ERROR_CODES:
                raise FaultError(f"{code!r} is not an OCPP 1.6 error code")
            box.call_error = code
        elif name == "meter_stall":
            for conn in box.connectors.values():
                conn.meter_stalled = True
        elif name == "intercept":
            box.intercept_armed = True
        sim.faults[key(name, target)] = (name, value)
        return key(name, target)
    # system faults
    if name == "steve_down":
        if sim.server is None:
            raise FaultError("steve_down needs a running server")
        await sim.server.go_down()
        if value:
            seconds = float(value)

            async def back() -> None:
                await sim.sleep(seconds)
                await clear(sim, name="steve_down")

            sim.spawn(back())
    elif name in ("steve_5xx", "lago_5xx"):
        sim.degraded[name.split("_")[0]]["status"] = int(value or 503)
    elif name in ("steve_slow", "lago_slow"):
        sim.degraded[name.split("_")[0]]["slow"] = float(value or 3)
    elif name in ("steve_malformed", "lago_malformed"):
        sim.degraded[name.split("_")[0]]["malformed"] = True
    elif name == "steve_freeze":
        sim.degraded["steve"].setdefault("freeze", asyncio.Event())
    elif name == "vanilla":
        sim.vanilla = True
    elif name == "chargeboxes_plain":
        sim.plain_chargeboxes = True
    sim.faults[key(name, None)] = (name, value)
    return key(name, None)


async def clear(
    sim: World, spec: str | None = None, *, name: str | None = None, target: str | None = None
) -> bool:
    """Undo one fault. Returns False when it was not active."""
    if spec is not None:
        name, target, _ = parse(spec)
    k = key(name or "", target)
    if k not in sim.faults:
        return False
    del sim.faults[k]
    c = sim.central
    box = c.boxes.get(target or "") if target is not None else None
    if name == "offline" and box is not None:
        await _set_online(sim, box, True)
    elif name == "stuck_stop" and box is not None:
        box.stuck_stop = False
    elif name == "slow_station" and box is not None:
        box.slow_seconds = None
    elif name == "call_error" and box is not None:
        box.call_error = None
    elif name == "meter_stall" and box is not None:
        for conn in box.connectors.values():
            conn.meter_stalled = False
    elif name == "intercept" and box is not None:
        box.intercept_armed = False
    elif name == "steve_down" and sim.server is not None:
        await sim.server.go_up()
    elif name in ("steve_5xx", "lago_5xx"):
        sim.degraded[name.split("_")[0]].pop("status", None)
    elif name in ("steve_slow", "lago_slow"):
        sim.degraded[name.split("_")[0]].pop("slow", None)
    elif name in ("steve_malformed", "lago_malformed"):
        sim.degraded[name.split("_")[0]].pop("malformed", None)
    elif name == "steve_freeze":
        thaw = sim.degraded["steve"].pop("freeze", None)
        if thaw is not None:
            thaw.set()  # release the held requests
    elif name == "vanilla":
        sim.vanilla = False
    elif name == "chargeboxes_plain":
        sim.plain_chargeboxes = False
    return True


async def clear_all(sim: World) -> int:
    n = 0
    for k, (name, _) in list(sim.faults.items()):
        target = k.split(":", 1)[1] if ":" in k else None
        n += await clear(sim, name=name, target=target)
    return n


async def _set_online(sim: World, box, online: bool) -> None:
    from . import ocppj

    if online:
        if box.online:
            return
        if getattr(box.link, "simulated", False):
            box.link.go_online()
        # a real OCPP-J charger comes back only by reconnecting itself
        return
    if getattr(box.link, "simulated", False):
        box.link.go_offline()
    else:
        await ocppj.disconnect(sim, box.charge_box_id)
        box.online = False


def _card_action(sim: World, name: str, id_tag: str) -> None:
    c = sim.central
    tag = c.tags.get(id_tag)
    if tag is None:
        raise FaultError(f"unknown idTag {id_tag!r}")
    now = sim.clock.now()
    if name == "card_blocked":
        tag.max_active = 0
    elif name == "card_expired":
        tag.expiry_date = now - timedelta(days=1)
    elif name == "card_unknown":
        for child in c.tags.values():
            if child.parent_id_tag == id_tag:
                child.parent_id_tag = None
        c.delete_tag(tag)
    elif name == "card_parent_blocked":
        parent = c.tags.get(tag.parent_id_tag) if tag.parent_id_tag else None
        if parent is None:
            parent = c.tags.get(f"META-{id_tag}") or c.add_tag(
                f"META-{id_tag}", max_active=0, note=f"blocked parent of {id_tag} (fault)"
            )
            tag.parent_id_tag = parent.id_tag
        parent.max_active = 0
