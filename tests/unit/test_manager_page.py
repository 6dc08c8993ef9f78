"""The manager-page parser: real HTML parsing of #connectorStatusTable."""

from datetime import UTC, datetime

import pytest

from polaris_tui.models import StatusSource
from polaris_tui.models.errors import MalformedResponse
from polaris_tui.services.manager_merge import complete_with_status
from polaris_tui.services.manager_page import (
    is_signin_page,
    parse_charge_points,
    parse_connector_status,
    parse_csrf,
    parse_humanized,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
MS = int(datetime(2026, 11, 22, 9, 35, tzinfo=UTC).timestamp() * 1000)


def row(cb, pk, conn, status, err="NoError", *, offline=False, millis=MS, text="Today at 09:35"):
    icon = (
        '<a class="tooltip" href="#"><img src="/steve/static/images/offline-icon.svg" style="height: 1em">'
        "<span>This JSON charge point is currently disconnected. The status information of its\n"
        "connectors might be not up-to-date.</span></a>"
        if offline
        else ""
    )
    sort = f' data-sort-value="{millis}"' if millis is not None else ""
    return (
        f'<tr><td>\n  <a href="/steve/manager/chargepoints/details/{pk}">{cb}</a>\n  {icon}\n</td>'
        f"<td>{conn}</td><td{sort}>{text}</td><td>{status}</td><td>{err}</td></tr>"
    )


def page(*rows, headers=("ChargeBox ID", "Connector ID", "Date/Time", "Status", "Error Code")):
    head = "".join(f'<th data-sort="string">{h}</th>' for h in headers)
    return (
        "<html><body><table class='userInput'><tr><td>ChargeBox ID:</td><td><select></select></td></tr></table>"
        f'<table class="res" id="connectorStatusTable"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></body></html>"
    )


def test_rows_group_into_stations_with_millis_times():
    boxes = parse_connector_status(
        page(
            row("CP-ALPHA-01", 1, 1, "Charging"),
            row("CP-ECHO-05", 5, 1, "Faulted", "GroundFailure"),
            row("CP-ECHO-05", 5, 2, "Available"),
        ),
        now=NOW,
    )
    assert [b.charge_box_id for b in boxes] == ["CP-ALPHA-01", "CP-ECHO-05"]
    echo = boxes[1]
    assert echo.charge_box_pk == 5 and echo.online is None
    assert echo.source == StatusSource.MANAGER_PAGE
    assert [(c.connector_id, c.status, c.error_code) for c in echo.connectors] == [
        (1, "Faulted", "GroundFailure"),
        (2, "Available", "NoError"),
    ]
    assert echo.connectors[0].timestamp == datetime(2026, 11, 22, 9, 35, tzinfo=UTC)
    assert all(c.source == StatusSource.MANAGER_PAGE for c in echo.connectors)


def test_offline_marker_sets_online_false_and_tooltip_is_not_the_id():
    boxes = parse_connector_status(
        page(row("CP-CHARLIE-03", 3, 1, "Available", offline=True)), now=NOW
    )
    assert boxes[0].charge_box_id == "CP-CHARLIE-03"
    assert boxes[0].online is False


def test_hostile_ids_and_entities_are_read_literally():
    hostile = "CP &lt;b&gt; [red]x[/] &amp; \x1b[2J"
    boxes = parse_connector_status(page(row(hostile, 9, 1, "Available")), now=NOW)
    assert boxes[0].charge_box_id == "CP <b> [red]x[/] & \x1b[2J"


def test_inner_spaces_of_an_id_survive():
    boxes = parse_connector_status(page(row("CP  DOUBLE", 2, 1, "Available")), now=NOW)
    assert boxes[0].charge_box_id == "CP  DOUBLE"


def test_humanized_time_used_without_sort_value():
    boxes = parse_connector_status(
        page(row("CP-1", 1, 1, "Available", millis=None, text="Yesterday at 23:10")), now=NOW
    )
    assert boxes[0].connectors[0].timestamp == datetime(2026, 11, 21, 23, 10, tzinfo=UTC)


def test_columns_found_by_header_not_position():
    html = page(
        "<tr><td>Available</td><td><a href='/steve/manager/chargepoints/details/4'>CP-X</a></td>"
        "<td>2</td><td>NoError</td><td>extra</td><td data-sort-value='0'>x</td></tr>",
        headers=("Status", "ChargeBox ID", "Connector ID", "Error Code", "Vendor", "Date/Time"),
    )
    boxes = parse_connector_status(html, now=NOW)
    assert boxes[0].charge_box_id == "CP-X"
    assert boxes[0].connectors[0].connector_id == 2
    assert boxes[0].connectors[0].status == "Available"


def test_bad_rows_are_skipped_not_fatal():
    boxes = parse_connector_status(
        page(row("CP-1", 1, "x", "Available"), row("CP-2", 2, 1, "Available")), now=NOW
    )
    assert [b.charge_box_id for b in boxes] == ["CP-2"]


def test_empty_table_is_no_stations():
    assert parse_connector_status(page(), now=NOW) == []


def test_missing_table_is_malformed():
    with pytest.raises(MalformedResponse):
        parse_connector_status("<html><body>Oops</body></html>", now=NOW)


SIGNIN = """<html><body><form method="POST" action="/steve/manager/signin"><table class="userInput">
<tr><td>Name:</td><td><input type="text" name="username" id="username" required /></td></tr>
<tr><td>Password:</td><td><input type="password" name="password" id="password" required /></td></tr>
</table><input type="hidden" name="_csrf" value="tok-&quot;123"/></form></body></html>"""


def test_signin_page_and_csrf():
    assert parse_csrf(SIGNIN) == 'tok-"123'
    assert is_signin_page(SIGNIN)
    assert not is_signin_page(page(row("CP-1", 1, 1, "Available")))
    assert parse_csrf("<html></html>") is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Today at 09:58", datetime(2026, 11, 22, 9, 58, tzinfo=UTC)),
        ("Yesterday at 23:10", datetime(2026, 11, 21, 23, 10, tzinfo=UTC)),
        ("Tomorrow at 00:05", datetime(2026, 11, 23, 0, 5, tzinfo=UTC)),
        ("2026-11-20 at 14:30", datetime(2026, 11, 20, 14, 30, tzinfo=UTC)),
        ("2026-11-22T10:00:00.000Z", datetime(2026, 11, 22, 10, 0, tzinfo=UTC)),
        ("", None),
        ("sometime at noon", None),
        ("garbage", None),
    ],
)
def test_parse_humanized(text, expected):
    assert parse_humanized(text, NOW) == expected


OVERVIEW = (
    '<table class="res add-margin-bottom"><thead><tr><th>ChargeBox ID</th><th># of Attempts</th>'
    "<th>Last Attempt</th><th></th></tr></thead><tbody><tr><td>UNKNOWN-9</td><td>2</td><td></td><td></td></tr></tbody></table>"
    '<table class="res action"><thead><tr><th data-sort="string">ChargeBox ID</th><th>Description</th>'
    "<th>OCPP Protocol</th><th>Last Heartbeat</th><th><form><input type='submit' value='Add New'></form></th></tr></thead>"
    f'<tbody><tr><td><a href="/steve/manager/chargepoints/details/1">CP-1</a></td><td>Depot &amp; yard</td>'
    f'<td>ocpp1.6J</td><td data-sort-value="{MS}">Today at 09:35</td><td><form><input value="Delete"></form></td></tr>'
    '<tr><td><a href="/steve/manager/chargepoints/details/2">CP-2</a></td><td></td><td>ocpp1.5S</td>'
    '<td data-sort-value="">Yesterday at 08:00</td><td></td></tr></tbody></table>'
)


def test_charge_point_overview_is_found_by_its_headers():
    boxes = parse_charge_points(OVERVIEW, now=NOW)
    assert [(b.charge_box_id, b.charge_box_pk) for b in boxes] == [("CP-1", 1), ("CP-2", 2)]
    assert boxes[0].description == "Depot & yard" and boxes[0].ocpp_protocol == "ocpp1.6J"
    assert boxes[0].last_heartbeat == datetime(2026, 11, 22, 9, 35, tzinfo=UTC)
    assert boxes[1].description is None
    assert boxes[1].last_heartbeat == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)  # from the text
    assert parse_charge_points("<table><tr><th>Other</th></tr></table>", now=NOW) is None


def test_complete_with_status_infers_online_only_for_ocpp_j():
    overview = parse_charge_points(OVERVIEW, now=NOW)
    status = parse_connector_status(
        page(
            row("CP-1", 1, 1, "Charging"),
            row("CP-2", 2, 1, "Available"),
            row("CP-3", 3, 1, "Faulted", offline=True),
        ),
        now=NOW,
    )
    merged = {b.charge_box_id: b for b in complete_with_status(overview, status)}
    assert merged["CP-1"].online is True and merged["CP-1"].connectors[0].status == "Charging"
    assert merged["CP-2"].online is None  # SOAP: SteVe never marks it, so unknown
    assert merged["CP-3"].online is False  # only on the status page: kept
    assert merged["CP-1"].description == "Depot & yard"


def test_signin_detection_without_a_full_parse_keeps_its_answers() -> None:
    """The fast path (no "password" anywhere) must not miss a sign-in form."""
    assert is_signin_page('<form><input type="PASSWORD" name="p"></form>')
    assert is_signin_page('<form><input name="&#112;assword"></form>')  # a character reference
    assert not is_signin_page("<form><input name='user'></form>")
    data_page = page(row("CP-1", 1, 1, "Available"))
    assert not is_signin_page(data_page.replace("</body>", '<input type="password"></body>'))
