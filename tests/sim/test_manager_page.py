"""Vanilla SteVe's manager pages behind the form login (STEVE.md §5)."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest

from tests.sim.helpers import steve


class _Table(HTMLParser):
    """Rows of ``#connectorStatusTable``: cell texts, the cell's sort value, an offline icon flag."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self._in_table = self._in_body = False
        self._cell: list[str] | None = None
        self._row: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "connectorStatusTable":
            self._in_table = True
        elif self._in_table and tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self._row = {"cells": [], "sort": [], "offline": False, "link": None}
        elif self._row is not None and tag == "td":
            self._cell = []
            self._row["sort"].append(a.get("data-sort-value"))
        elif self._row is not None and tag == "img" and "offline-icon" in (a.get("src") or ""):
            self._row["offline"] = True
        elif self._row is not None and tag == "a" and a.get("href", "#") != "#":
            self._row["link"] = a["href"]

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row["cells"].append(self._cell[0].strip() if self._cell else "")
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "table":
            self._in_table = self._in_body = False

    def handle_data(self, data):
        if self._cell is not None and data.strip() and not self._cell:
            self._cell.append(data)


def _csrf(html: str) -> str:
    marker = 'name="_csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def login(sim, client: httpx.Client, password: str | None = None) -> httpx.Response:
    form = client.get(f"{sim.steve_url}/manager/signin")
    return client.post(
        f"{sim.steve_url}/manager/signin",
        data={
            "username": sim.web_user,
            "password": password or sim.web_password,
            "_csrf": _csrf(form.text),
        },
    )


def rows(html: str) -> list[dict]:
    parser = _Table()
    parser.feed(html)
    return parser.rows


def test_pages_redirect_to_signin_without_a_session(sim):
    for page in ("/manager/home/connectorStatus", "/manager/chargepoints", "/manager/home"):
        resp = httpx.get(sim.steve_url + page)
        assert (
            resp.status_code == 302
            and resp.headers["location"] == f"{sim.steve_url}/manager/signin"
        )
    stale = httpx.get(sim.steve_url + "/manager/home", cookies={"JSESSIONID": "NOT-A-SESSION"})
    assert stale.status_code == 302 and stale.headers["location"].endswith("/manager/signin")


def test_login_flow(sim):
    with httpx.Client() as client:
        first = client.get(f"{sim.steve_url}/manager/home/connectorStatus")
        assert first.status_code == 302 and "JSESSIONID" in client.cookies
        form = client.get(f"{sim.steve_url}/manager/signin")
        assert form.status_code == 200 and 'name="username"' in form.text
        no_token = client.post(
            f"{sim.steve_url}/manager/signin",
            data={"username": sim.web_user, "password": sim.web_password},
        )
        assert no_token.status_code == 403
        wrong = login(sim, client, password="wrong")
        assert wrong.status_code == 302 and wrong.headers["location"].endswith(
            "/manager/signin?error"
        )
        old_session = client.cookies["JSESSIONID"]
        ok = login(sim, client)
        assert ok.status_code == 302
        assert ok.headers["location"] == f"{sim.steve_url}/manager/home/connectorStatus?continue"
        assert client.cookies["JSESSIONID"] != old_session  # session fixation protection
        page = client.get(ok.headers["location"])
        assert page.status_code == 200 and "connectorStatusTable" in page.text
        # The API password is not the web password, and vice versa.
        api_pw = login(sim, httpx.Client(), password=sim.steve_password)
        assert api_pw.headers["location"].endswith("?error")
        out = client.get(f"{sim.steve_url}/manager/signout")
        assert out.status_code == 302
        assert client.get(f"{sim.steve_url}/manager/home").status_code == 302


def test_connector_status_table(sim):
    with httpx.Client() as client:
        login(sim, client)
        html = client.get(f"{sim.steve_url}/manager/home/connectorStatus").text
    table = rows(html)
    by_key = {(r["cells"][0], int(r["cells"][1])): r for r in table}
    assert len(table) == 18  # every reported connector of the 12 demo chargers
    alpha = by_key[("CP-ALPHA-01", 1)]
    assert alpha["cells"][2:] == ["Today at 09:20", "Charging", "NoError"]
    assert (
        alpha["sort"][2] == "1795339200000"
        and alpha["link"] == "/steve/manager/chargepoints/details/1"
    )
    assert by_key[("CP-ECHO-05", 1)]["cells"][3:] == ["Faulted", "GroundFailure"]
    assert by_key[("CP-CHARLIE-03", 1)]["cells"][2] == "Today at 06:49"
    assert {k[0] for k, r in by_key.items() if r["offline"]} == {"CP-CHARLIE-03"}
    assert "This JSON charge point is currently disconnected" in html
    old = by_key[("CP-GOLF-07", 1)]["cells"][2]
    assert old.startswith("2026-11-") and " at " in old  # older than yesterday: a date


def test_filter_connector_zero_and_offline_marker_follow_state(sim):
    sim.control(
        "POST",
        "/chargers/status",
        {"chargeBoxId": "CP-KILO-11", "connectorId": 0, "status": "Unavailable"},
    )
    sim.fault("offline:CP-DELTA-04")
    with httpx.Client() as client:
        login(sim, client)
        kilo = rows(
            client.get(
                f"{sim.steve_url}/manager/home/connectorStatus/query",
                params={"chargeBoxId": "CP-KILO-11", "status": ""},
            ).text
        )
        faulted = rows(
            client.get(
                f"{sim.steve_url}/manager/home/connectorStatus/query", params={"status": "Faulted"}
            ).text
        )
        table = rows(client.get(f"{sim.steve_url}/manager/home/connectorStatus").text)
    assert [(r["cells"][1], r["cells"][3]) for r in kilo] == [
        ("0", "Unavailable")
    ]  # connector 0 is newer
    assert [r["cells"][0] for r in faulted] == ["CP-ECHO-05"]
    assert {r["cells"][0] for r in table if r["offline"]} == {"CP-CHARLIE-03", "CP-DELTA-04"}


@pytest.mark.parametrize(
    "hostile", ["[/]", "[@click=app.quit]x", "a&b <i>", "\x1b]52;c;SGVsbG8=\x07x"]
)
def test_hostile_ids_survive_the_page(sim, hostile):
    sim.control(
        "POST",
        "/chargers",
        {"chargeBoxId": hostile, "description": "status [/] ok", "connectors": 1},
    )
    with httpx.Client() as client:
        login(sim, client)
        table = rows(client.get(f"{sim.steve_url}/manager/home/connectorStatus").text)
        points = client.get(f"{sim.steve_url}/manager/chargepoints").text
    assert hostile.strip() in {r["cells"][0] for r in table}
    assert "status [/] ok" in points


def test_chargepoints_and_json_status_pages(sim):
    with httpx.Client() as client:
        login(sim, client)
        points = client.get(f"{sim.steve_url}/manager/chargepoints").text
        online = client.get(f"{sim.steve_url}/manager/home/ocppJsonStatus").text
    assert (
        "Harbour car park, east" in points and "Today at 09:59" in points and "ocpp1.6J" in points
    )
    assert "CP-ALPHA-01" in online and "CP-CHARLIE-03" not in online


def test_web_sessions_do_not_open_the_api(sim):
    with httpx.Client() as client:
        login(sim, client)
        assert client.get(f"{sim.steve_api}/ocppTags").status_code == 403
    with steve(sim) as api:
        assert api.get("/ocppTags").status_code == 200
