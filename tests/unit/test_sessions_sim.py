"""SessionService against the stand-in over HTTP: SteVe's query with its own
filters (no paging), the customer filter turned into idTags, who stopped each
session, and billing in words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from polaris_tui.demo import seed_demo_store
from polaris_tui.models.sessions import SessionQuery, StoppedBy
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from tests.conftest import FROZEN_NOW
from tests.functional.conftest import sim_settings


@pytest.fixture
async def services(sim, tmp_path):
    opened = await PolarisServices.open(sim_settings(sim, tmp_path), clock=FixedClock(FROZEN_NOW))
    await seed_demo_store(opened.store)
    await opened.poller.refresh_now()  # the charger ids the free text is matched against
    yield opened
    await opened.close()


def _requests(sim) -> list[str]:
    return [
        r["path"] + ("?" + r["query"] if r.get("query") else "")
        for r in sim.control("GET", "/requests")
        if r["path"].endswith("/transactions")
    ]


async def test_default_page_is_open_sessions_and_last_week(services, sim):
    page = await services.sessions.sessions(SessionQuery())
    ids = [line.row.transaction.id for line in page.lines]
    assert ids[:3] == [1015, 1014, 1013]  # open first, newest start first
    assert page.open_count == 3 and page.stopped_count == 11
    assert page.since == FROZEN_NOW - timedelta(days=7) and page.until == FROZEN_NOW
    older = await services.sessions.sessions(
        SessionQuery(state="stopped", since=FROZEN_NOW - timedelta(days=14), until=page.since)
    )
    assert [line.row.transaction.id for line in older.lines] == [1001]  # the one 9 days ago


async def test_a_customer_name_becomes_the_cards_that_bill_to_her(services, sim):
    sim.control("POST", "/requests/clear")
    page = await services.sessions.sessions(SessionQuery(text="Lovelace", state="stopped"))
    tags = {line.row.transaction.ocpp_id_tag for line in page.lines}
    # CARD-BLOCKED's one session is 9 days old: outside this week's window.
    assert tags == {"CARD-HEALTHY", "CARD-UNSYNCED", "CARD-INACTIVE"}
    assert {line.customer_email for line in page.lines} == {"ada@example.com"}
    asked = _requests(sim)
    assert asked and all("ocppIdTag=CARD-HEALTHY" in q and "type=STOPPED" in q for q in asked)
    assert "customer “Lovelace”" in page.searched


async def test_each_kind_of_stop_is_named(services):
    page = await services.sessions.sessions(SessionQuery(state="stopped"))
    by_place = {
        (line.row.transaction.charge_box_id, line.row.transaction.ocpp_id_tag): line
        for line in page.lines
    }
    assert by_place[("CP-INDIA-09", "CARD-HEALTHY")].stopped_by == StoppedBy.REMOTE_STOP
    assert by_place[("CP-HOTEL-08", "CARD-TERMINATED")].stopped_by == StoppedBy.DATABASE_CLOSE
    assert by_place[("CP-LIMA-12", "CARD-INACTIVE")].stopped_by == StoppedBy.STATION


async def test_nothing_found_says_what_was_searched_and_why(services):
    nobody = await services.sessions.sessions(SessionQuery(text="nobody@nowhere.example"))
    assert nobody.lines == []
    assert "No Lago customer has “nobody@nowhere.example”" in (nobody.note or "")
    assert "searched 5 customers" in (nobody.note or "")
    quiet = await services.sessions.sessions(SessionQuery(text="CP-ECHO-05"))
    assert quiet.lines == [] and quiet.query.charge_box_id == "CP-ECHO-05"
    assert "charger CP-ECHO-05" in (quiet.note or "")


async def test_detail_has_curve_operations_and_billing(services):
    running = await services.sessions.session(1015)
    assert len(running.points) > 30
    assert running.points[-1].power_w and running.points[-1].energy_wh
    assert "Running" in running.billing
    unsynced = next(
        line
        for line in (await services.sessions.sessions(SessionQuery(text="CARD-UNSYNCED"))).lines
    )
    detail = await services.sessions.session(unsynced.row.transaction.id)
    assert detail.lago_event is None
    assert "Billing problem, not a charging problem" in detail.billing
    assert "steve_tx_" in detail.billing and "Ada Lovelace" in detail.billing
    synced = await services.sessions.session(1011)
    assert synced.lago_event is not None and synced.billing.startswith("Billed")
