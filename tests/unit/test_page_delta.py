"""Manager pages read again only at the rows that changed (issue 13): the
stations of a changed row are read, grouped and merged again, every other
station is the very model of the last poll, and the result always equals a
reading without any memo (``page_delta``)."""

from __future__ import annotations

from datetime import UTC, datetime

from polaris_tui.models import ChargeBox
from polaris_tui.services.manager_merge import complete_with_status
from polaris_tui.services.manager_page import (
    parse_charge_points,
    parse_connector_status,
)
from polaris_tui.services.page_delta import OverviewLayout, StatusLayout
from polaris_tui.services.page_memo import MergeMemo, RowMemo
from tests.unit.test_manager_page import page, row

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def fleet_rows(statuses: dict[str, str]) -> list[str]:
    """Two connectors per station, the second one Available."""
    rows = []
    for pk, (cb, status) in enumerate(statuses.items(), start=1):
        rows += [row(cb, pk, 1, status), row(cb, pk, 2, "Available")]
    return rows


def status_of(statuses: dict[str, str], memo: RowMemo | None = None) -> list[ChargeBox]:
    return parse_connector_status(page(*fleet_rows(statuses)), now=NOW, memo=memo)


def same_models(a: list[ChargeBox], b: list[ChargeBox]) -> set[str]:
    return {x.charge_box_id for x, y in zip(a, b, strict=True) if x is y}


FLEET = {f"CP-{i}": "Charging" for i in range(6)}


def test_a_changed_row_reads_its_station_again_and_keeps_the_others() -> None:
    memo: RowMemo = RowMemo()
    first = status_of(FLEET, memo)
    assert isinstance(memo.layout, StatusLayout)
    quiet = status_of(FLEET, memo)
    assert same_models(quiet, first) == set(FLEET), "nothing changed: the same models"

    changed = dict(FLEET, **{"CP-3": "Faulted"})
    before = memo.size()
    second = status_of(changed, memo)
    assert second == status_of(changed), "as read without a memo"
    assert same_models(second, first) == set(FLEET) - {"CP-3"}
    assert second[3].connectors[0].status == "Faulted"
    assert memo.size() == before + 1, "a pass over the changed row only"


def test_a_station_gone_or_a_row_that_changed_station_reads_the_page_whole() -> None:
    memo: RowMemo = RowMemo()
    status_of(FLEET, memo)
    fewer = {k: v for k, v in FLEET.items() if k != "CP-2"}
    gone = status_of(fewer, memo)
    assert gone == status_of(fewer)
    assert "CP-2" not in {b.charge_box_id for b in gone}

    # The same number of rows, one now of another station.
    rows = fleet_rows(fewer)
    rows[-1] = row("CP-NEW", 99, 1, "Available")
    moved = parse_connector_status(page(*rows), now=NOW, memo=memo)
    assert moved == parse_connector_status(page(*rows), now=NOW)
    assert [b.charge_box_id for b in moved][-1] == "CP-NEW"
    assert [c.connector_id for c in moved[-2].connectors] == [1], "CP-5 lost a row"


def test_a_skipped_row_that_becomes_readable_reads_the_page_whole() -> None:
    memo: RowMemo = RowMemo()
    rows = [*fleet_rows(FLEET), row("", 50, 1, "Available")]  # no id: skipped
    parse_connector_status(page(*rows), now=NOW, memo=memo)
    rows[-1] = row("CP-LATE", 50, 1, "Available")
    late = parse_connector_status(page(*rows), now=NOW, memo=memo)
    assert late == parse_connector_status(page(*rows), now=NOW)
    assert late[-1].charge_box_id == "CP-LATE"


def overview_page(descriptions: dict[str, str]) -> str:
    head = "".join(
        f"<th>{h}</th>" for h in ("ChargeBox ID", "Description", "OCPP Protocol", "Last Heartbeat")
    )
    rows = "".join(
        f'<tr><td><a href="/steve/manager/chargepoints/details/{pk}">{cb}</a></td>'
        f'<td>{text}</td><td>ocpp1.6J</td><td data-sort-value="1795339200000">x</td></tr>'
        for pk, (cb, text) in enumerate(descriptions.items(), start=1)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def test_the_overview_and_the_merge_follow_only_the_changed_stations() -> None:
    overview_memo: RowMemo = RowMemo()
    status_memo: RowMemo = RowMemo()
    merges = MergeMemo()
    names = {cb: f"{cb} depot" for cb in FLEET}

    def cycle(names: dict[str, str], statuses: dict[str, str]) -> list[ChargeBox]:
        overview = parse_charge_points(overview_page(names), now=NOW, memo=overview_memo)
        assert overview is not None
        status = parse_connector_status(page(*fleet_rows(statuses)), now=NOW, memo=status_memo)
        return complete_with_status(overview, status, merges)

    def fresh(names: dict[str, str], statuses: dict[str, str]) -> list[ChargeBox]:
        overview = parse_charge_points(overview_page(names), now=NOW) or []
        return complete_with_status(overview, status_of(statuses))

    first = cycle(names, FLEET)
    assert isinstance(overview_memo.layout, OverviewLayout)
    assert cycle(names, FLEET) is first, "nothing changed: the very list"
    renamed = dict(names, **{"CP-1": "moved"})
    faulted = dict(FLEET, **{"CP-4": "Faulted"})
    second = cycle(renamed, faulted)
    assert second == fresh(renamed, faulted)
    assert same_models(second, first) == set(FLEET) - {"CP-1", "CP-4"}
    assert second[1].description == "moved"
    assert second[4].connectors[0].status == "Faulted" and second[4].online is True


def test_a_station_that_lost_its_status_rows_is_not_merged_with_old_ones() -> None:
    overview_memo: RowMemo = RowMemo()
    status_memo: RowMemo = RowMemo()
    merges = MergeMemo()
    names = {cb: f"{cb} depot" for cb in FLEET}

    def cycle(names: dict[str, str], statuses: dict[str, str]) -> list[ChargeBox]:
        overview = parse_charge_points(overview_page(names), now=NOW, memo=overview_memo)
        assert overview is not None
        status = parse_connector_status(page(*fleet_rows(statuses)), now=NOW, memo=status_memo)
        return complete_with_status(overview, status, merges)

    cycle(names, FLEET)
    without = {k: v for k, v in FLEET.items() if k != "CP-2"}
    cycle(names, without)  # CP-2 has no status rows now: merged whole
    later = cycle(dict(names, **{"CP-2": "renamed"}), without)  # only CP-2's name
    cp2 = next(b for b in later if b.charge_box_id == "CP-2")
    assert cp2.description == "renamed"
    assert cp2.connectors == [], "no connectors from the status rows it lost"


def test_rows_replaced_by_passes_over_changes_are_pruned_by_a_full_pass() -> None:
    memo: RowMemo = RowMemo()
    rows = fleet_rows(FLEET)
    status_of(FLEET, memo)
    sizes = []
    for turn in range(400):
        statuses = dict(FLEET, **{"CP-0": f"Status{turn}"})  # one row changes each poll
        parse_connector_status(page(*fleet_rows(statuses)), now=NOW, memo=memo)
        sizes.append(memo.size())
    assert max(sizes) <= len(rows) * 5 // 4 + 256 + 1, "bounded"
    drops = [after for before, after in zip(sizes, sizes[1:], strict=False) if after < before]
    assert drops and drops[0] <= len(rows), "a full pass kept only the page's rows"
    assert sizes[:2] == [len(rows) + 1, len(rows) + 2], "between full passes: the changed row"
