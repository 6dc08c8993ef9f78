"""Manager pages read by their changed rows only, cut from the text (issue 13).

The cut is an optimisation that must never change a result: every reading
here is compared with a full parse of the same page without a memo, and
each page the cut must not be trusted with is checked to be read whole
(``RowMemo.cut_reads`` does not move).
"""

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from polaris_tui.services.manager_page import (
    CUT_RETRY_READS,
    parse_charge_points,
    parse_connector_status,
)
from polaris_tui.services.page_cut import PLAIN_ROW, cut_page
from polaris_tui.services.page_memo import RowMemo

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
MS = 1763805300000
HEADERS = ("ChargeBox ID", "Connector ID", "Date/Time", "Status", "Error Code")


def row(cb: str, pk: int, conn: int, status: str, *, offline: bool = False, extra: str = "") -> str:
    """A row as SteVe's connectorStatus.jsp writes it (chargesim's shape)."""
    icon = (
        '\n   <a class="tooltip" href="#"><img src="/steve/static/images/offline-icon.svg"'
        ' style="height: 1em">\n    <span>disconnected</span>\n   </a>'
        if offline
        else ""
    )
    return (
        "\t\t\t<tr>\n\t\t\t\t<td>\n"
        f'   <a href="/steve/manager/chargepoints/details/{pk}">{cb}</a>{icon}\n\t\t\t\t</td>\n'
        f"\t\t\t\t<td>{conn}</td>\n"
        f'\t\t\t\t<td data-sort-value="{MS}">Today at 09:35</td>\n'
        f"\t\t\t\t<td>{status}</td>{extra}\n"
        "\t\t\t\t<td>NoError</td>\n\t\t\t</tr>\n"
    )


def page(rows: list[str], headers: tuple[str, ...] = HEADERS, before: str = "") -> str:
    head = "".join(f'\t\t\t<th data-sort="string">{h}</th>\n' for h in headers)
    return (
        "<!DOCTYPE html>\n<html>\n<head><title>SteVe</title>"
        "<script>var t = '<table><tr>';</script></head>\n<body>\n"
        "<table class='userInput'><tr><td>ChargeBox ID:</td><td><select name='chargeBoxId'>"
        "<option value='' selected>All</option><option value='CP-1'>CP-1</option></select>"
        f"</td></tr></table>\n{before}"
        f'<table class="res" id="connectorStatusTable">\n\t<thead>\n\t\t<tr>\n{head}\t\t</tr>\n'
        "\t</thead>\n\t<tbody>\n" + "".join(rows) + "\t</tbody>\n</table>\n</body>\n</html>\n"
    )


def fleet(n: int = 15) -> list[str]:
    return [
        row(f"CP-{i}", i, conn, "Available", offline=i % 3 == 0)
        for i in range(1, n + 1)
        for conn in (1, 2)
    ]


def read(memo: RowMemo, html: str) -> list:
    """The memo's reading, checked against a full parse of the same page."""
    got = parse_connector_status(html, now=NOW, memo=memo)
    assert got == parse_connector_status(html, now=NOW)
    return got


def established() -> RowMemo:
    memo: RowMemo = RowMemo()
    read(memo, page(fleet()))
    assert memo.cut is not None  # the plain page's cut checked out
    return memo


def test_a_changed_row_is_read_from_the_cut_and_equals_the_full_parse():
    memo = established()
    rows = fleet()
    first = read(memo, page(rows))
    assert memo.cut_reads == 1  # nothing changed: read by the cut
    rows[3] = row("CP-2", 2, 2, "Faulted")
    rows[6] = row("CP-4", 4, 1, "Charging", offline=True)
    again = read(memo, page(rows))
    assert memo.cut_reads == 2
    assert again[0] is first[0]  # untouched stations keep their models
    assert again[1].connectors[1].status == "Faulted"
    # An escaped "<tr>" is text, and plain.
    rows[0] = row("CP-1", 1, 1, "&lt;/tr&gt;&lt;tr&gt;")
    read(memo, page(rows))
    assert memo.cut_reads == 3


def hostile_rows() -> dict[str, list[str]]:
    """Pages the cut must leave to the full parse, each a change of ``fleet()``."""
    base = fleet()

    def with_row(i: int, new: str) -> list[str]:
        rows = list(base)
        rows[i] = new
        return rows

    return {
        "attribute holding </tr><tr>": with_row(
            2,
            row("CP-2", 2, 1, "Available", extra='<td title="</tr><tr><td>CP-X</td>">x</td>'),
        ),
        "attribute holding <tr in single quotes": with_row(
            2, row("CP-2", 2, 1, "Available", extra="<td title='a<tr>b'>x</td>")
        ),
        "comment holding a row": with_row(
            2, row("CP-2", 2, 1, "Faulted") + "<!-- <tr><td>CP-Z</td><td>1</td></tr> -->"
        ),
        "script in a cell": with_row(
            2,
            row("CP-2", 2, 1, "Faulted", extra="<td><script>'</td></tr><tr><td>'</script></td>"),
        ),
        "style in a cell": with_row(
            2, row("CP-2", 2, 1, "Faulted", extra="<td><style></tr></style></td>")
        ),
        "textarea in a cell": with_row(
            2, row("CP-2", 2, 1, "Faulted", extra="<td><textarea></tr><tr></textarea></td>")
        ),
        "title in a cell": with_row(
            2, row("CP-2", 2, 1, "Faulted", extra="<td><title></tr></title></td>")
        ),
        "CDATA": with_row(2, row("CP-2", 2, 1, "Faulted", extra="<td><![CDATA[</tr>]]></td>")),
        "upper-case cell": with_row(2, row("CP-2", 2, 1, "Faulted").replace("<td>", "<TD>", 1)),
        "unicode space in a tag": with_row(
            2, row("CP-2", 2, 1, "Faulted", extra="<td\u00a0title=x>y</td>")
        ),
        "a nested table": with_row(
            2, row("CP-2", 2, 1, "Faulted", extra="<td><table><tr><td>z</td></tr></table></td>")
        ),
        "a row without cells": with_row(2, "<tr></tr>\n"),
        "text between rows": with_row(2, row("CP-2", 2, 1, "Faulted") + "stray"),
        "a new station": base + [row("CP-7", 7, 1, "Available")],
        "a removed station": base[:-2],
        "a station moved": base[2:4] + base[:2] + base[4:],
    }


def test_hostile_and_reshaped_pages_are_read_whole():
    for name, rows in hostile_rows().items():
        memo = established()
        read(memo, page(rows))
        assert memo.cut_reads == 0, name
        # What the full parse made of it is what later polls build on.
        read(memo, page(fleet()))


def test_a_changed_head_or_tail_is_read_whole():
    for changed in (
        page(
            fleet(), headers=("Connector ID", "ChargeBox ID", "Date/Time", "Status", "Error Code")
        ),
        page(fleet(), before="<div>"),
        page(fleet(), before="<!-- <tr> -->"),
        page(fleet()).replace("</html>", "</html><!-- -->"),
    ):
        memo = established()
        read(memo, changed)
        assert memo.cut_reads == 0


def test_an_unplain_page_is_never_cut():
    # A comment between rows, a row attribute holding "<tr": the cut is not
    # even kept, so every poll is read whole.
    for rows in (
        fleet() + ["<!-- a -->"],
        [*fleet()[:-1], fleet()[-1].replace("<tr>", '<tr title="<tr>">')],
    ):
        memo: RowMemo = RowMemo()
        read(memo, page(rows))
        assert memo.cut is None
        read(memo, page(rows))
        assert memo.cut_reads == 0


def test_the_plain_row_grammar_refuses_what_could_move_the_parser():
    good = row("CP-1", 1, 1, "Available", offline=True).lstrip()
    assert PLAIN_ROW.fullmatch(good)
    for bad in (
        good.replace("Available", "<!-- x -->"),
        good.replace("Available", "<script>x</script>"),
        good.replace('href="', 'href="<'),
        good.replace('href="/steve', 'href="/steve"x"'),  # a quote in a name
        good.replace("Available", "a\x00b"),
        good.replace("</tr>", "</tr><tr>"),
        good.replace("<td>", "<td><form>", 1),
        "<tr><td>a</td></tr><tr><td>b</td></tr>",
        "<track><td>a</td></tr>",
    ):
        assert not PLAIN_ROW.fullmatch(bad), bad


def test_a_copy_of_the_rows_before_the_cut_table_keeps_the_page_whole():
    # The full parse reads the first table with the id; the only <tbody> is
    # in a second table holding the same rows. Were that one cut, a change
    # to its rows would show though the table read did not change.
    copy = (
        '<table id="connectorStatusTable"><thead><tr><th>ChargeBox ID</th><th>Connector ID</th>'
        "<th>Date/Time</th><th>Status</th><th>Error Code</th></tr></thead>"
        + "".join(fleet())
        + "</table>"
    )
    second = page(fleet(), before=copy).replace(
        '<table class="res" id="connectorStatusTable">', '<table class="res">'
    )
    memo: RowMemo = RowMemo()
    read(memo, second)
    assert memo.cut is None
    rows = fleet()
    rows[4] = row("CP-3", 3, 1, "Faulted")
    changed = second.replace("".join(fleet()) + "\t</tbody>", "".join(rows) + "\t</tbody>")
    assert changed != second
    read(memo, changed)
    assert memo.cut_reads == 0


def test_a_page_with_two_table_bodies_is_not_cut():
    html = page(fleet()).replace(
        "<table class='userInput'>", "<table><tbody></tbody></table><table>"
    )
    assert cut_page(html) is None


def test_overview_page_is_read_by_its_cut():
    def overview(desc: str) -> str:
        rows = "".join(
            f'<tr><td><a href="/steve/manager/chargepoints/details/{i}">CP-{i}</a></td>'
            f"<td>{desc if i == 2 else ''}</td><td>ocpp1.6J</td>"
            f'<td data-sort-value="{MS}">Today at 09:35</td></tr>\n'
            for i in range(1, 13)
        )
        return (
            '<html><body><table class="res" id="chargePointTable">\n<thead><tr>'
            "<th>ChargeBox ID</th><th>Description</th><th>OCPP Protocol</th>"
            f"<th>Last Heartbeat</th></tr></thead>\n<tbody>\n{rows}</tbody></table></body></html>"
        )

    memo: RowMemo = RowMemo()
    for desc in ("depot", "depot &amp; yard", "<b>bold</b>", "<!-- x -->", "yard"):
        html = overview(desc)
        assert parse_charge_points(html, now=NOW, memo=memo) == parse_charge_points(html, now=NOW)
    # Not the first page, the comment, nor the page after it (the comment's
    # page left no checked cut to compare with).
    assert memo.cut_reads == 2


def test_a_page_that_did_not_check_out_is_checked_again_later():
    odd = fleet()
    odd[5] = row("CP-3", 3, 2, "<!-- a -->")
    memo: RowMemo = RowMemo()
    read(memo, page(odd))
    assert memo.cut is None
    for _ in range(CUT_RETRY_READS):
        read(memo, page(fleet()))  # read whole, not checked
        assert memo.cut is None
    read(memo, page(fleet()))
    assert memo.cut is not None
    read(memo, page(fleet()))
    assert memo.cut_reads == 1


_PIECES = st.sampled_from(
    [
        "Faulted",
        "Charging",
        "a &amp; b",
        "&lt;tr&gt;",
        "<b>x</b>",
        "<b>unclosed",
        "</span>",
        "<!-- <tr> -->",
        "<script></tr></script>",
        '"</tr><tr>"',
        "<td>extra</td>",
        "</td><td>split",
        "</tr><tr><td>CP-9</td><td>1</td>",
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 29), _PIECES), min_size=1, max_size=6))
def test_any_sequence_of_row_changes_reads_as_the_full_parse(changes):
    memo = established()
    rows = fleet()
    for position, text in changes:
        rows[position] = row(f"CP-{position // 2 + 1}", position // 2 + 1, position % 2 + 1, text)
        read(memo, page(rows))
