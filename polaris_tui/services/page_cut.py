"""A manager page cut into its table rows from the text, so a poll parses
only the rows that changed (issue 13).

Parsing a 10,000-charger page whole (Lexbor, 4.8 MB) and serializing each
of its ~16,700 rows to key it was most of a manager-page cycle, though a
poll changes a few dozen rows. Cutting markup by text is unsafe in general
(``<tr`` may sit in an attribute value, a comment or a script), so a cut is
used only where it provably yields what the full parse would:

* The page has one ``<tbody``; the text from the last ``<table`` before it
  to its end is a plain table head (``PLAIN_HEAD``: a ``<thead>`` with one
  header row, no comment, script or other construct), and the body is
  split at ``<tr`` into pieces that are each a plain row (``PLAIN_ROW``:
  lower-case ``tr``/``td``/``th`` and a few inline tags, quoted attribute
  values without ``<`` or ``>``, text without ``<``, at least one cell).
  HTML's tokenizer and tree builder leave such a row in the state it found
  it (data state, "in table body"; a cell's formatting elements end with
  it), so each piece makes exactly one ``<tr>``, parsed the same alone in a
  ``<table><tbody>`` as in the page.
* A cut is first checked against a full parse of the same page
  (``verified``): as many pieces as the table has body rows, each parsing
  alone to the markup the full parse gave that row.
* A later page is read by its pieces only when the text around them (head
  and tail) is byte for byte that of the checked page, it has as many
  pieces, and each changed piece is a plain row that parses alone to one
  ``<tr>``. The parser is deterministic: the same text before a row means
  the same state at it. Anything else is read by the full parse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import compress, count
from operator import ne

from selectolax.lexbor import LexborNode as Node

from polaris_tui.services.page_tables import parse_html

# HTML's whitespace only: Python's \s also matches Unicode spaces, which HTML
# reads as part of a tag or attribute name.
_WS = r"[ \t\n\f\r]"
_ATTR = (
    r"[a-z_:][a-z0-9_:.-]*"
    rf"(?:{_WS}*={_WS}*"
    r"(?:\"[^\"<>\x00]*\"|'[^'<>\x00]*'|[^ \t\n\f\r\"'<>=`\x00]+))?"
)
_ATTRS = rf"(?:{_WS}+{_ATTR})*{_WS}*/?"
_INLINE = r"(?:a|abbr|b|br|code|div|em|i|img|small|span|strong)"
_TEXT = r"[^<\x00]*"
_CONTENT = rf"{_TEXT}(?:</?{_INLINE}{_ATTRS}>{_TEXT})*"
_TD = rf"<td{_ATTRS}>{_CONTENT}</td>"
_TH = rf"<th{_ATTRS}>{_CONTENT}</th>"


def _row(cell: str) -> str:
    return rf"<tr{_ATTRS}>{_WS}*{cell}(?:{_WS}|{cell})*</tr>{_WS}*"


PLAIN_ROW = re.compile(_row(f"(?:{_TD}|{_TH})"))
"""One body row as the cut accepts it (with the whitespace after it)."""
PLAIN_HEAD = re.compile(
    rf"<table{_ATTRS}>{_WS}*<thead{_ATTRS}>{_WS}*{_row(_TH)}"
    rf"</thead>{_WS}*<tbody{_ATTRS}>{_WS}*"
)
"""From the table's start tag to its first body row."""


@dataclass(frozen=True, slots=True)
class PageCut:
    """A page as text: everything up to the first body row, the rows (each
    without its leading ``<tr``: a copy of every row a poll cost ~10 ms at
    10,000 chargers), the rest."""

    head: str
    pieces: list[str]
    tail: str
    headers: tuple[str, ...] = ()
    """The table's header texts (set once checked)."""

    def row(self, i: int) -> str:
        return "<tr" + self.pieces[i]

    def changed(self, last: PageCut) -> list[int] | None:
        """Positions of the rows that differ from ``last``'s, when the rest of
        the page is the same text and every changed row is plain; else None."""
        if len(self.pieces) != len(last.pieces) or self.tail != last.tail or self.head != last.head:
            return None
        changed = list(compress(count(), map(ne, self.pieces, last.pieces)))
        if not all(PLAIN_ROW.fullmatch(self.row(i)) for i in changed):
            return None
        return changed


def cut_page(html: str, *, checked: PageCut | None = None) -> PageCut | None:
    """The page cut at its one table body's rows; None when it is not of that
    plain shape (read it whole).

    With ``checked`` (the last page's checked cut) the search for a second
    ``<tbody`` is left out: one could only sit in the rows, where the plain
    row grammar refuses it, or in a tail that must equal ``checked``'s."""
    start = html.find("<tbody")
    if start < 0 or (checked is None and html.find("<tbody", start + 6) >= 0):
        return None
    table = html.rfind("<table", 0, start)
    # The last "</tbody>": searched from the end, over the tail only.
    end = html.rfind("</tbody>", start)
    if table < 0 or end < 0:
        return None
    body_at = html.find("<tr", start, end)
    if body_at < 0:
        return None
    head = PLAIN_HEAD.fullmatch(html, table, body_at)
    if head is None:
        return None
    return PageCut(html[:body_at], html[body_at + 3 : end].split("<tr"), html[end:])


def parse_rows(rows: Sequence[str]) -> list[Node] | None:
    """Each row parsed in a table body of its own page: one ``<tr>`` each,
    or None when the pieces do not make exactly that."""
    tree = parse_html("<!DOCTYPE html><table><tbody>" + "".join(rows) + "</tbody></table>")
    body = tree.body
    if body is None:
        return None
    tables = list(body.iter())
    if len(tables) != 1 or tables[0].tag != "table":
        return None
    bodies = list(tables[0].iter())
    if len(bodies) != 1 or bodies[0].tag != "tbody":
        return None
    trs = list(bodies[0].iter())
    if len(trs) != len(rows) or any(tr.tag != "tr" for tr in trs):
        return None
    return trs


def verified(cut: PageCut | None, markups: Sequence[str], headers: Sequence[str]) -> PageCut | None:
    """``cut`` (with the table's ``headers``) when its rows are plain and each
    parses alone to the markup the full parse of the same page gave that row
    (``markups``); else None.

    The table the full parse read must be the one cut, not another holding
    the same rows (a copy in the text around them would stay as it was when
    the cut's rows change): every row of such a copy needs a tag starting
    ``<t`` (``<tr``, ``<td``, ``<th``, any case) outside the cut rows, so
    the text around them must hold fewer of those than the table has rows."""
    if cut is None or len(cut.pieces) != len(markups):
        return None
    outside = sum(part.count(tag) for part in (cut.head, cut.tail) for tag in ("<t", "<T"))
    if outside >= len(cut.pieces):
        return None
    rows = [cut.row(i) for i in range(len(cut.pieces))]
    if not all(PLAIN_ROW.fullmatch(row) for row in rows):
        return None
    trs = parse_rows(rows)
    if trs is None or any(tr.html != markup for tr, markup in zip(trs, markups, strict=True)):
        return None
    return replace(cut, headers=tuple(headers))


@dataclass(frozen=True, slots=True)
class RowsAgain:
    """A page read by its cut: the page's cut, every row's markup (the
    changed rows' from their own parse) and the changed rows' nodes."""

    cut: PageCut
    markups: list[str]
    nodes: dict[int, Node]


def rows_again(last: object, last_markups: Sequence[str] | None, html: str) -> RowsAgain | None:
    """The page's rows from its text, when ``last`` (the checked cut of the
    last page read, whose rows had ``last_markups``) allows it; else None."""
    if not isinstance(last, PageCut) or last_markups is None:
        return None
    if len(last_markups) != len(last.pieces):
        return None
    now = cut_page(html, checked=last)
    changed = None if now is None else now.changed(last)
    if now is None or changed is None:
        return None
    trs = parse_rows([now.row(i) for i in changed]) if changed else []
    if trs is None:
        return None
    markups = list(last_markups)
    for i, tr in zip(changed, trs, strict=True):
        markups[i] = tr.html or ""
    now = replace(now, headers=last.headers)
    return RowsAgain(now, markups, dict(zip(changed, trs, strict=True)))
