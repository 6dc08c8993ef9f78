"""Small helpers shared by the stand-in's behaviour tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from chargesim.testing import SimHandle


def steve(sim: SimHandle) -> httpx.Client:
    """An httpx client on the stand-in's SteVe REST API (Basic auth)."""
    return httpx.Client(
        base_url=sim.steve_api, auth=(sim.steve_user, sim.steve_password), timeout=60
    )


def charger(sim: SimHandle, cb_id: str) -> dict[str, Any]:
    """The control endpoint's full view of one charger."""
    return next(c for c in sim.control("GET", "/chargers") if c["chargeBoxId"] == cb_id)


def tx(sim: SimHandle, tx_id: int) -> dict[str, Any]:
    with steve(sim) as api:
        return api.get(f"/transactions/{tx_id}").json()["transaction"]


def wait_for(
    predicate: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns a truthy value (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def tap(sim: SimHandle, cb_id: str, id_tag: str, connector: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"chargeBoxId": cb_id, "idTag": id_tag}
    if connector is not None:
        body["connectorId"] = connector
    return sim.control("POST", "/chargers/tap", body)
