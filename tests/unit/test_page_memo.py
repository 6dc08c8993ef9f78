"""Manager pages read again only where a row's markup changed (issue 13)."""

from datetime import UTC, datetime, timedelta

from polaris_tui.services.manager_merge import complete_with_status
from polaris_tui.services.manager_page import (
    parse_charge_points,
    parse_connector_status,
)
from polaris_tui.services.page_memo import MergeMemo, RowMemo
from tests.unit.test_manager_page import OVERVIEW, page, row

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def status_page(status_of_echo: str) -> str:
    return page(
        row("CP-ALPHA-01", 1, 1, "Charging"),
        row("CP-ECHO-05", 5, 1, status_of_echo, offline=True),
        row("CP-ECHO-05", 5, 2, "Available"),
        row("", 7, 1, "Available"),  # no station id: skipped
    )


def test_unchanged_stations_come_back_as_the_same_models():
    memo: RowMemo = RowMemo()
    first = parse_connector_status(status_page("Faulted"), now=NOW, memo=memo)
    again = parse_connector_status(status_page("Faulted"), now=NOW, memo=memo)
    changed = parse_connector_status(status_page("Available"), now=NOW, memo=memo)

    assert again == first == parse_connector_status(status_page("Faulted"), now=NOW)
    assert all(a is b for a, b in zip(again, first, strict=True))
    assert changed == parse_connector_status(status_page("Available"), now=NOW)
    assert changed[0] is first[0]  # ALPHA's row did not change
    assert changed[1] is not first[1] and changed[1].online is False
    assert [c.status for c in changed[1].connectors] == ["Available", "Available"]


def test_a_new_day_reads_humanized_times_again():
    memo: RowMemo = RowMemo()
    html = page(row("CP-1", 1, 1, "Available", millis=None, text="Today at 09:35"))
    today = parse_connector_status(html, now=NOW, memo=memo)
    tomorrow = parse_connector_status(html, now=NOW + timedelta(days=1), memo=memo)
    assert tomorrow[0].connectors[0].timestamp == today[0].connectors[0].timestamp + timedelta(
        days=1
    )


def overview_status(status_of_cp1: str) -> str:
    return page(row("CP-1", 1, 1, status_of_cp1), row("CP-2", 2, 1, "Available"))


def test_overview_and_merge_reuse_what_did_not_change():
    overview_memo: RowMemo = RowMemo()
    status_memo: RowMemo = RowMemo()
    merges = MergeMemo()

    def cycle(echo: str):
        overview = parse_charge_points(OVERVIEW, now=NOW, memo=overview_memo)
        assert overview is not None
        status = parse_connector_status(overview_status(echo), now=NOW, memo=status_memo)
        return complete_with_status(overview, status, merges), overview, status

    first, _, _ = cycle("Faulted")
    second, overview, status = cycle("Available")
    assert second == complete_with_status(
        parse_charge_points(OVERVIEW, now=NOW) or [],
        parse_connector_status(overview_status("Available"), now=NOW),
    )
    by_id = {b.charge_box_id: b for b in first}
    for box in second:
        unchanged = box.charge_box_id != "CP-1"
        assert (box is by_id[box.charge_box_id]) is unchanged, box.charge_box_id
