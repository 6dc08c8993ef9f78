"""Charger identity and SteVe's refused tags: the manager pages parsed, the
services against the stand-in over HTTP, and the tap window an operator types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from polaris_tui.demo import seed_demo_store
from polaris_tui.models.errors import InvalidParams
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from polaris_tui.services.manager_details import parse_charge_point_details, parse_unknown_tags
from polaris_tui.services.tap_query import parse_tap
from tests.conftest import FROZEN_NOW
from tests.functional.conftest import sim_settings

# What SteVe's JSP renders (Spring form tags: a read-only input, a select with
# the selected option, tooltips inside the label cell, empty cells).
STEVE_DETAILS = """
<table class="userInput"><thead><tr><th>Related Data Pages</th><th></th></thead>
<tbody><tr><td>Transactions:</td><td><a href="/x">ACTIVE</a> / <a href="/y">ALL</a></td></tr></tbody></table>
<form id="chargePointForm" action="/steve/manager/chargepoints/update" method="post">
<input id="chargeBoxPk" name="chargeBoxPk" type="hidden" value="7"/>
<table class="userInput"><thead><tr><th>OCPP</th><th></th></thead><tbody>
<tr><td>ChargeBox ID:</td><td><input id="chargeBoxId" name="chargeBoxId" readonly="readonly"
 type="text" value="CP-&lt;1&gt;"/><a class="tooltip" href="#"><span>set when adding</span></a></td></tr>
<tr><td>Endpoint Address:</td><td></td></tr>
<tr><td>Ocpp Protocol:</td><td>ocpp1.6J</td></tr>
<tr><td>Charge Point Vendor:</td><td>Alfen &amp; Co [red]x[/]</td></tr>
<tr><td>Charge Point Model:</td><td>  Eve
   Single </td></tr>
<tr><td>Firmware Version:</td><td></td></tr>
<tr><td>Registration status:</td><td><select id="registrationStatus" name="registrationStatus">
<option value="ACCEPTED">Accepted</option><option value="PENDING" selected="selected">Pending</option>
<option value="REJECTED">Rejected</option></select></td></tr>
</tbody></table></form>
"""

STEVE_UNKNOWN = """
<section><span id="unknown">Unknown Tags</span></section>
<div id="unknownTable" style="display: none"><table class="res add-margin-bottom">
<thead><tr><th data-sort="string">ID Tag</th><th data-sort="int"># of Attempts</th>
<th data-sort="date">Last Attempt</th><th></th></tr></thead><tbody>
<tr><td>NEW-1</td><td>3</td><td data-sort-value="1795000000000">2026-11-18T09:46:40.000Z</td>
<td class="inlineWrapper"><form><input type="submit" value="Add"/></form></td></tr>
<tr><td>NEW-2</td><td>1</td><td>2026-11-18T10:00:00.000+01:00</td><td></td></tr>
</tbody></table></div>
<section><span>OCPP Tag Overview</span></section><table class="res"><thead><tr><th>ID Tag</th>
<th>Parent ID Tag</th></tr></thead><tbody><tr><td>CARD-1</td><td></td></tr></tbody></table>
"""


class TestDetailsPage:
    def test_fields_by_label(self) -> None:
        page = parse_charge_point_details(STEVE_DETAILS)
        assert page is not None
        assert page["charge point vendor"] == "Alfen & Co [red]x[/]"
        assert page["charge point model"] == "Eve Single"
        assert page["firmware version"] == ""
        assert page["registration status"] == "Pending"
        assert "transactions" not in page  # the related-pages table is not the OCPP one

    @pytest.mark.parametrize(
        "html",
        [
            "",
            "<html><form action='/steve/manager/signin'><input name='username'/></form>",
            "<table><tr><td>Charge Point Vendor:",  # cut off mid-page
            "<table><tr><td>x</td></tr></table></table></td>",
        ],
    )
    def test_odd_pages_give_none_or_partial_never_raise(self, html: str) -> None:
        page = parse_charge_point_details(html)
        assert page is None or isinstance(page, dict)


class TestUnknownTagsPage:
    def test_rows_attempts_and_last_attempt(self) -> None:
        tags = parse_unknown_tags(STEVE_UNKNOWN)
        assert tags is not None
        assert [(t.id_tag, t.attempts) for t in tags] == [("NEW-1", 3), ("NEW-2", 1)]
        assert tags[0].last_attempt == datetime.fromtimestamp(1795000000, tz=UTC)
        assert tags[1].last_attempt == datetime(2026, 11, 18, 9, 0, tzinfo=UTC)

    def test_no_table_is_none(self) -> None:
        assert parse_unknown_tags("<html><body>Sign in</body></html>") is None


class TestTapQuery:
    def test_empty_is_the_last_hour_anywhere(self) -> None:
        tap = parse_tap("", " anywhere ", FROZEN_NOW)
        assert (tap.start, tap.end, tap.charge_box_id) == (
            FROZEN_NOW - timedelta(hours=1),
            FROZEN_NOW,
            None,
        )

    def test_widen_and_place(self) -> None:
        tap = parse_tap("last 6h", "CP-DELTA-04", FROZEN_NOW)
        assert tap.start == FROZEN_NOW - timedelta(hours=6)
        assert (tap.charge_box_id, tap.label, tap.typed_when) == (
            "CP-DELTA-04",
            "in the last 6 h",
            "last 6h",
        )

    def test_a_moment_counts_minutes_either_side(self) -> None:
        moment = FROZEN_NOW.replace(second=0, microsecond=0) - timedelta(hours=2)
        tap = parse_tap(moment.strftime("%Y-%m-%d %H:%M"), "", FROZEN_NOW)
        assert tap.contains(moment + timedelta(minutes=4))
        assert not tap.contains(moment + timedelta(minutes=6))

    @pytest.mark.parametrize("text", ["yesterday-ish", "0h", "91d", "25:00"])
    def test_unreadable_says_why(self, text: str) -> None:
        with pytest.raises(InvalidParams) as caught:
            parse_tap(text, "", FROZEN_NOW)
        assert "when" in caught.value.field_errors


@pytest.fixture
async def services(sim, tmp_path):
    opened = await PolarisServices.open(sim_settings(sim, tmp_path), clock=FixedClock(FROZEN_NOW))
    await seed_demo_store(opened.store)
    await opened.poller.refresh_now()
    yield opened
    await opened.close()


class TestAgainstTheStandIn:
    async def test_full_identity_with_sources(self, services) -> None:
        identity = await services.identity.identity("CP-ALPHA-01")
        values = {f.label: (f.value, f.source) for f in identity.fields}
        assert values["Vendor"] == ("Alfen", "manager page")
        assert values["Firmware"] == ("6.4.0-4152", "manager page")
        assert values["Charge point serial"] == ("ACE0123456", "manager page")
        assert values["OCPP protocol"] == ("ocpp1.6J", "REST")
        assert values["Registration"] == ("Accepted", "manager page")
        assert identity.page_note is None

    async def test_no_identity_says_why(self, services) -> None:
        identity = await services.identity.identity("CP-LIMA-12")
        vendor = identity.field("Vendor")
        assert vendor is not None and vendor.value is None
        assert "never sent" in (vendor.why or "") and vendor.source == "manager page"
        boot = identity.field("Last boot")
        assert boot is not None and boot.value is None and "no boot time" in (boot.why or "")

    async def test_hook_line_from_the_store(self, services) -> None:
        identity = await services.identity.identity("CP-FOXTROT-06")
        hook = identity.field("Pre-authorize hook")
        assert hook is not None and hook.source == "store"
        assert "CARD-KIOSK" in (hook.value or "")

    async def test_unmanaged_charger_is_unknown_not_an_error(self, services) -> None:
        identity = await services.identity.identity("LEGACY-GARAGE-99")
        assert identity.page_note == "SteVe does not list this charger"
        assert all(f.value is None or f.label == "Pre-authorize hook" for f in identity.fields)

    async def test_refused_tags_from_the_manager_page(self, services) -> None:
        refused = await services.cards.refused_tags()
        assert refused.available
        assert [(t.id_tag, t.attempts) for t in refused.tags] == [("CARD-NEW-0001", 2)]

    async def test_new_card_refused_in_the_last_hour(self, services) -> None:
        view = await services.cards.card("CARD-NEW-0001")
        answer = view.verdict.charger_accepted
        assert answer.answer == "no" and "Invalid" in answer.summary

    async def test_kiosk_intercept_found_again_by_widening(self, services) -> None:
        late = FROZEN_NOW + timedelta(hours=3)
        services.cards.reads._clock = FixedClock(late)
        narrow = await services.cards.card("CARD-KIOSK")
        assert narrow.verdict.intercepted_by_scan_login.answer == "no"
        assert narrow.verdict.charger_accepted.answer != "no"
        wide = await services.cards.card("CARD-KIOSK", tap=parse_tap("6h", "", late))
        assert wide.verdict.intercepted_by_scan_login.answer == "yes"
        assert wide.verdict.charger_accepted.answer == "no"
        elsewhere = await services.cards.card(
            "CARD-KIOSK", tap=parse_tap("6h", "CP-DELTA-04", late)
        )
        assert elsewhere.verdict.intercepted_by_scan_login.answer == "no"
        assert any(
            "another charger" in e for e in elsewhere.verdict.intercepted_by_scan_login.evidence
        )

    async def test_every_demo_card_answers_or_says_why(self, services) -> None:
        for row in await services.cards.cards():
            view = await services.cards.card(row.id_tag)
            for answer in (
                view.verdict.valid_in_steve,
                view.verdict.linked_with_active_subscription,
                view.verdict.intercepted_by_scan_login,
                view.verdict.charger_accepted,
            ):
                assert answer.answer != "unknown" or answer.evidence, (row.id_tag, answer)


async def test_fleet_search_follows_a_session_that_just_ended(services) -> None:
    """Runbook 2 from a person: after the stop, /grace@example.com still finds
    the charger (the old search followed open sessions only: 0 of 0)."""
    assert [r.charge_box_id for r in services.fleet.search("grace@example.com")] == ["CP-BRAVO-02"]
    stuck = next(t for t in services.poller.active_transactions() if t.ocpp_id_tag == "CARD-STUCK")
    await services.steve.stop_transaction_in_db(stuck.id)
    await services.poller.refresh_now()
    assert stuck.id not in {t.id for t in services.poller.active_transactions()}
    assert [r.charge_box_id for r in services.fleet.search("Grace Hopper")] == ["CP-BRAVO-02"]
    assert "seen ending" not in services.fleet.search_note("nobody@example.com")
    assert "saw end in the last day" in services.fleet.search_note("nobody@example.com")
