"""``chargesim.testing``: the in-loop runner and the real-time clock."""

from __future__ import annotations

import httpx

from chargesim.clock import parse_iso
from chargesim.testing import running_sim


async def test_running_sim_in_the_current_loop():
    async with running_sim(now="2026-11-22T10:00:00Z", frozen=True) as sim:
        async with httpx.AsyncClient() as client:
            state = (await client.get(sim.control_url + "/state")).json()
            tags = await client.get(
                sim.steve_api + "/ocppTags", auth=(sim.steve_user, sim.steve_password)
            )
            advanced = (
                await client.post(sim.control_url + "/clock/advance", json={"seconds": 120})
            ).json()
    assert state["frozen"] is True and tags.status_code == 200
    assert advanced == {"now": "2026-11-22T10:02:00.000Z", "frozen": True, "ticks": 2}


async def test_real_time_clock_starts_at_now_and_runs():
    async with running_sim(now="2030-01-01T00:00:00Z") as sim:
        async with httpx.AsyncClient() as client:
            first = parse_iso((await client.get(sim.control_url + "/clock")).json()["now"])
            later = (
                await client.post(sim.control_url + "/clock/advance", json={"seconds": 90})
            ).json()
    assert first >= parse_iso("2030-01-01T00:00:00Z")
    assert later["frozen"] is False and parse_iso(later["now"]) >= parse_iso("2030-01-01T00:01:30Z")
    assert later["ticks"] >= 1
