"""The transaction query as the Sessions screen uses it, and the demo cases it needs.

SteVe's ``GET /transactions`` has filters but no paging (no page, size,
limit or offset in the spec, and ``TransactionRepositoryImpl`` selects every
match, newest id first). A client pages by narrowing the query: open
sessions with ``type=ACTIVE``, finished ones by ``periodType=FROM_TO``
windows on the start time. These tests pin that behaviour on the stand-in.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from chargesim.clock import iso_z
from tests.conftest import FROZEN_NOW
from tests.contract.spec_tools import steve_spec
from tests.contract.test_steve_contract import TXS, check
from tests.sim.test_manager_page import login


@pytest.fixture
def api(sim) -> httpx.Client:
    with httpx.Client(
        base_url=sim.steve_api, auth=(sim.steve_user, sim.steve_password), timeout=60
    ) as client:
        yield client


PAGING_WORDS = ("page", "size", "limit", "offset", "pageSize", "pageNumber")


def test_the_spec_has_no_paging_parameter():
    params = steve_spec()["paths"]["/api/v1/transactions"]["get"]["parameters"]
    names = {p["name"] for p in params}
    assert names == {
        "transactionPk",
        "connectorId",
        "type",
        "periodType",
        "chargeBoxId",
        "ocppIdTag",
        "userId",
        "from",
        "to",
    }
    assert not names & set(PAGING_WORDS)


def test_paging_words_are_ignored_like_any_unknown_parameter(api):
    everything = check(api.get("/transactions"), "GET", TXS, 200)
    paged = check(
        api.get("/transactions", params={"page": "2", "size": "3", "limit": "1", "offset": "5"}),
        "GET",
        TXS,
        200,
    )
    assert [t["id"] for t in paged] == [t["id"] for t in everything]
    assert [t["id"] for t in everything] == sorted((t["id"] for t in everything), reverse=True)


def test_from_to_is_an_inclusive_window_on_the_start_time(api):
    everything = check(api.get("/transactions"), "GET", TXS, 200)
    oldest_two = sorted(everything, key=lambda t: t["startTimestamp"])[:2]
    window = {
        "periodType": "FROM_TO",
        "from": oldest_two[0]["startTimestamp"],
        "to": oldest_two[1]["startTimestamp"],
    }
    body = check(api.get("/transactions", params=window), "GET", TXS, 200)
    assert {t["id"] for t in body} == {t["id"] for t in oldest_two}
    # Stopped sessions in a window: the "recent" page of the Sessions screen.
    recent = {
        "type": "STOPPED",
        "periodType": "FROM_TO",
        "from": iso_z(FROZEN_NOW - timedelta(days=2)),
        "to": iso_z(FROZEN_NOW),
    }
    ids = [t["id"] for t in check(api.get("/transactions", params=recent), "GET", TXS, 200)]
    assert ids == [1012, 1011, 1010, 1009, 1008]


def test_from_and_to_without_from_to_period_filter_nothing(api):
    body = check(
        api.get(
            "/transactions",
            params={"from": iso_z(FROZEN_NOW - timedelta(hours=1)), "to": iso_z(FROZEN_NOW)},
        ),
        "GET",
        TXS,
        200,
    )
    assert len(body) == 15  # ignored without periodType=FROM_TO (still validated: to > from)


def test_demo_sessions_are_stopped_by_each_kind_of_actor(api):
    stopped = check(api.get("/transactions", params={"type": "STOPPED"}), "GET", TXS, 200)
    by_place = {(t["chargeBoxId"], t["ocppIdTag"]): t for t in stopped}
    remote = by_place[("CP-INDIA-09", "CARD-HEALTHY")]
    manual = by_place[("CP-HOTEL-08", "CARD-TERMINATED")]
    assert (remote["stopEventActor"], remote["stopReason"]) == ("station", "Remote")
    assert (manual["stopEventActor"], manual["stopReason"]) == ("manual", None)
    others = [t for t in stopped if t not in (remote, manual)]
    assert {(t["stopEventActor"], t["stopReason"]) for t in others} == {
        ("station", "EVDisconnected")
    }
    # A customer with several cards and sessions: Ada's cards (docs/demo-fleet.md).
    ada = {"CARD-HEALTHY", "CARD-BLOCKED", "CARD-UNSYNCED", "CARD-INACTIVE"}
    assert len([t for t in stopped if t["ocppIdTag"] in ada]) >= 4


def _unknown_rows(html: str) -> dict[str, tuple[int, str]]:
    table = html[html.index('id="unknownTable"') :]
    table = table[: table.index("</table>")]
    out = {}
    for row in table.split("<tr>")[2:]:
        cells = [c.split("</td>")[0] for c in row.split("<td")[1:]]
        key = cells[0].lstrip(">")
        attempts = int(cells[1].lstrip(">"))
        out[key] = (attempts, cells[2].split(">", 1)[1])
    return out


def test_refused_unknown_tag_is_on_the_ocpp_tags_page(sim, api):
    with httpx.Client() as client:
        login(sim, client)
        page = client.get(f"{sim.steve_url}/manager/ocppTags")
        assert page.status_code == 200
        assert _unknown_rows(page.text) == {
            "CARD-NEW-0001": (2, iso_z(FROZEN_NOW - timedelta(minutes=33)))
        }
        # Another refused tap counts; a tap SteVe accepts does not.
        sim.control("POST", "/chargers/tap", {"chargeBoxId": "CP-DELTA-04", "idTag": "NOPE-9"})
        sim.control("POST", "/chargers/tap", {"chargeBoxId": "CP-DELTA-04", "idTag": "CARD-KIOSK"})
        rows = _unknown_rows(client.get(f"{sim.steve_url}/manager/ocppTags").text)
        assert set(rows) == {"CARD-NEW-0001", "NOPE-9"} and rows["NOPE-9"][0] == 1
        # Adding the tag to SteVe takes it off the list.
        created = api.post("/ocppTags", json={"idTag": "NOPE-9"})
        assert created.status_code == 201
        rows = _unknown_rows(client.get(f"{sim.steve_url}/manager/ocppTags").text)
        assert set(rows) == {"CARD-NEW-0001"}


def test_ocpp_tags_page_needs_the_login(sim):
    resp = httpx.get(sim.steve_url + "/manager/ocppTags")
    assert resp.status_code == 302 and resp.headers["location"].endswith("/manager/signin")


@pytest.mark.parametrize("tag", ["<b>x</b>", "a&b"])
def test_unknown_tag_is_escaped_on_the_page(sim, tag):
    sim.control("POST", "/chargers/tap", {"chargeBoxId": "CP-DELTA-04", "idTag": tag})
    with httpx.Client() as client:
        login(sim, client)
        html = client.get(f"{sim.steve_url}/manager/ocppTags").text
    assert tag not in html.split('id="unknownTable"')[1]


def _details(html: str) -> dict[str, str]:
    rows = {}
    for part in html.split("<tr><td>")[1:]:
        label, _, rest = part.partition(":</td><td>")
        rows[label] = rest.split("</td>")[0]
    return rows


def test_charge_point_details_page_carries_the_boot_identity(sim):
    with httpx.Client() as client:
        login(sim, client)
        full = _details(client.get(f"{sim.steve_url}/manager/chargepoints/details/1").text)
        bare = _details(client.get(f"{sim.steve_url}/manager/chargepoints/details/12").text)
        missing = client.get(f"{sim.steve_url}/manager/chargepoints/details/999")
    assert full["Charge Point Vendor"] == "Alfen" and full["Firmware Version"] == "6.4.0-4152"
    assert full["Charge Box Serial Number"] == "CB-7712-0042" and full["Imsi"] == "234150123456789"
    assert full["Ocpp Protocol"] == "ocpp1.6J" and full["Endpoint Address"] == ""
    assert 'value="Accepted" selected="selected"' in full["Registration status"]
    assert bare["Charge Point Vendor"] == "" and bare["Firmware Version"] == ""
    assert missing.status_code == 404


def test_charge_point_details_page_needs_the_login(sim):
    resp = httpx.get(sim.steve_url + "/manager/chargepoints/details/1")
    assert resp.status_code == 302 and resp.headers["location"].endswith("/manager/signin")
