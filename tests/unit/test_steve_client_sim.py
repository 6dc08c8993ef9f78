"""SteveClient over real HTTP against the stand-in (demo fleet, clock frozen at FROZEN_NOW).

The same client code that talks to a real SteVe: REST with Basic auth, the
chargeBoxes extension in both shapes, the manager page with form login, and
the failures the runbooks talk about.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from polaris_tui.models import StatusSource
from polaris_tui.models.errors import (
    MalformedResponse,
    StationOffline,
    SteveAuthError,
    SteveRejected,
    SteveTimeout,
    SteveUnreachable,
    TransactionNotActive,
)
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.settings import SteveSettings
from polaris_tui.services.steve_client import SteveClient
from tests.conftest import FROZEN_NOW


def client_for(sim, *, retry_delays=(0, 0), **overrides) -> SteveClient:
    values = dict(
        url=sim.steve_url,
        api_user=sim.steve_user,
        api_password=sim.steve_password,
        web_user=sim.web_user,
        web_password=sim.web_password,
    )
    values.update(overrides)
    return SteveClient(
        SteveSettings(**values), clock=FixedClock(FROZEN_NOW), retry_delays=retry_delays
    )


@pytest.fixture
async def steve(sim):
    client = client_for(sim)
    yield client
    await client.close()


async def test_tags_of_the_demo(steve):
    tags = {t.id_tag: t for t in await steve.list_tags()}
    assert {"CARD-HEALTHY", "CARD-BLOCKED", "FLEET-PARENT", "ACME-01"} <= set(tags)
    assert tags["CARD-BLOCKED"].blocked and tags["CARD-BLOCKED"].max_active_transaction_count == 0
    assert tags["CARD-EXPIRED"].is_expired(FROZEN_NOW)
    assert tags["FLEET-CHILD-1"].parent_id_tag == "FLEET-PARENT"
    found = await steve.find_tag("CARD-STUCK")
    assert found is not None and found.in_transaction
    assert await steve.find_tag("CARD-NEW-0001") is None  # the brand-new card SteVe never saw
    assert (await steve.get_tag(found.ocpp_tag_pk)).id_tag == "CARD-STUCK"


async def test_active_transactions_and_meter_values(steve):
    active = {t.charge_box_id: t for t in await steve.list_transactions(type="ACTIVE")}
    assert set(active) == {"CP-ALPHA-01", "CP-BRAVO-02", "CP-JULIET-10"}
    bravo = active["CP-BRAVO-02"]
    assert bravo.ocpp_id_tag == "CARD-STUCK" and bravo.start_timestamp == FROZEN_NOW - timedelta(
        hours=3
    )
    details = await steve.transaction_details(bravo.id)
    newest = max(v.value_timestamp for v in details.values)
    assert FROZEN_NOW - newest >= timedelta(minutes=25)  # the meter stopped 25 min ago
    only_bravo = await steve.list_transactions(type="ACTIVE", charge_box_ids=["CP-BRAVO-02"])
    assert [t.id for t in only_bravo] == [bravo.id]


async def test_live_status_from_the_extension(steve):
    boxes = {b.charge_box_id: b for b in await steve.live_status()}
    assert len(boxes) == 12
    assert boxes["CP-CHARLIE-03"].online is False
    assert boxes["CP-CHARLIE-03"].last_heartbeat == FROZEN_NOW - timedelta(hours=3)
    echo = {c.connector_id: c for c in boxes["CP-ECHO-05"].connectors}
    assert echo[1].status == "Faulted" and echo[1].error_code == "GroundFailure"
    assert boxes["CP-ALPHA-01"].source == StatusSource.CHARGEBOXES_API
    assert boxes["CP-ALPHA-01"].description == "Main St depot, bay 1"


async def test_vanilla_steve_falls_back_to_the_manager_page(sim, steve):
    sim.fault("vanilla")
    boxes = {b.charge_box_id: b for b in await steve.live_status()}
    assert steve.status_source_in_use == StatusSource.MANAGER_PAGE
    assert len(boxes) == 12
    assert boxes["CP-CHARLIE-03"].online is False  # the offline marker
    assert boxes["CP-ALPHA-01"].online is True  # OCPP-J without the marker: connected
    assert {c.status for c in boxes["CP-ALPHA-01"].connectors} == {"Charging"}
    assert boxes["CP-ALPHA-01"].source == StatusSource.MANAGER_PAGE
    # the overview page adds what the status page lacks
    assert boxes["CP-ALPHA-01"].description == "Main St depot, bay 1"
    assert boxes["CP-CHARLIE-03"].last_heartbeat == FROZEN_NOW - timedelta(hours=3)
    assert await steve.task(1) is None  # no task endpoint on vanilla


async def test_manager_page_matches_the_extension(sim, steve):
    from_api = {b.charge_box_id: b for b in await steve.charge_boxes()}
    from_page = {b.charge_box_id: b for b in await steve.connector_status_page()}
    for cb, page_box in from_page.items():
        api_status = {c.connector_id: (c.status, c.timestamp) for c in from_api[cb].connectors}
        for c in page_box.connectors:
            assert api_status[c.connector_id][0] == c.status
            assert api_status[c.connector_id][1] == c.timestamp


async def test_plain_fork_shape_is_completed_from_the_page(sim, steve):
    sim.fault("chargeboxes_plain")
    boxes = {b.charge_box_id: b for b in await steve.live_status()}
    alpha = boxes["CP-ALPHA-01"]
    assert alpha.description == "Main St depot, bay 1"
    assert alpha.connectors and alpha.connectors[0].status == "Charging"
    assert alpha.last_heartbeat is not None and abs(alpha.last_heartbeat - FROZEN_NOW) < timedelta(
        minutes=2
    )
    assert boxes["CP-CHARLIE-03"].online is False


async def test_wrong_passwords(sim):
    api = client_for(sim, api_password="not-the-password")
    with pytest.raises(SteveAuthError) as err:
        await api.list_tags()
    await api.close()
    assert "not-the-password" not in str(err.value)
    web = client_for(sim, web_password="not-the-web-password", status_source="manager-page")
    with pytest.raises(SteveAuthError) as err:
        await web.live_status()
    await web.close()
    assert "not-the-web-password" not in str(err.value)


async def test_offline_station_and_stale_transaction(steve):
    with pytest.raises(StationOffline):
        await steve.operation(
            "UnlockConnector", {"chargeBoxIdList": ["CP-CHARLIE-03"], "connectorId": 1}
        )
    with pytest.raises(TransactionNotActive):
        await steve.operation(
            "RemoteStopTransaction", {"chargeBoxIdList": ["CP-BRAVO-02"], "transactionId": 1}
        )


async def test_remote_stop_and_task_lookup(steve):
    (alpha,) = await steve.list_transactions(type="ACTIVE", charge_box_ids=["CP-ALPHA-01"])
    envelope = await steve.operation(
        "RemoteStopTransaction", {"chargeBoxIdList": ["CP-ALPHA-01"], "transactionId": alpha.id}
    )
    assert envelope.task_finished
    assert str(envelope.success_responses[0].response).lower() == "accepted"
    task = await steve.task(envelope.task_id)
    assert task is not None and task.task_id == envelope.task_id


async def test_close_in_database_only(steve):
    (bravo,) = await steve.list_transactions(type="ACTIVE", charge_box_ids=["CP-BRAVO-02"])
    await steve.stop_transaction_in_db(bravo.id)
    closed = (await steve.transaction_details(bravo.id)).transaction
    assert not closed.active and closed.stop_event_actor == "manual"


async def test_steve_down_is_unreachable(sim, steve):
    sim.fault("steve_down")
    with pytest.raises(SteveUnreachable) as err:
        await steve.list_tags()
    assert not isinstance(err.value, SteveTimeout)


async def test_steve_5xx_and_malformed(sim, steve):
    sim.fault("steve_5xx:503")
    with pytest.raises(SteveRejected) as err:
        await steve.list_tags()
    assert err.value.status == 503
    sim.clear_fault()
    sim.fault("steve_malformed")
    with pytest.raises(MalformedResponse):
        await steve.list_transactions(type="ACTIVE")


async def test_slow_steve_times_out(sim):
    sim.fault("steve_slow:2")
    client = client_for(sim, read_timeout=0.2, retry_delays=())
    with pytest.raises(SteveTimeout):
        await client.list_tags()
    await client.close()
