"""The tables of a manager page, parsed by Lexbor (``selectolax``).

A table's header is read at once; its body rows stay parsed nodes, read
cell by cell only by the caller that needs them (``page_memo`` skips the
rows whose markup did not change since the last poll).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser
from selectolax.lexbor import LexborNode as Node

_CELL_TAGS = ("td", "th")


def parse_html(html: str) -> LexborHTMLParser:
    """A page's tree, without Lexbor's mutation events: with them each
    ``<option>`` re-ran the selectedness of its whole ``<select>``, and the
    connector-status page's station filter (one option per charger) made
    the parse quadratic: 0.6 s of a 10,000-charger page's 0.65 s. Nothing
    read here depends on those events (they fill ``<selectedcontent>``)."""
    return LexborHTMLParser(html, options=LexborDocumentOptions.WO_EVENTS)


class Cell:
    """One ``<td>``/``<th>``: its text and the bits of markup we care about,
    read from the parsed node when first asked (most cells need their text only)."""

    __slots__ = ("_node", "header", "text")

    def __init__(self, node: Node) -> None:
        self._node = node
        self.header = node.tag == "th"
        """A ``<th>`` cell."""
        # Strip only: an id may legally hold inner spaces, which must survive.
        self.text = (node.text(deep=True, separator="", strip=False) or "").strip()

    @property
    def attrs(self) -> dict[str, str]:
        return {k: (v or "") for k, v in self._node.attributes.items()}

    @property
    def links(self) -> list[str]:
        return [a.attributes.get("href") or "" for a in self._node.css("a")]

    @property
    def link_texts(self) -> list[str]:
        """Text inside each ``<a>`` (same order as ``links``)."""
        return [(a.text(deep=True, separator="") or "").strip() for a in self._node.css("a")]

    @property
    def images(self) -> list[str]:
        return [img.attributes.get("src") or "" for img in self._node.css("img")]


def cells_of(tr: Node) -> list[Cell]:
    """The cells of one row (not of a table nested in a cell)."""
    return [Cell(cell) for cell in tr.iter() if cell.tag in _CELL_TAGS]


@dataclass
class Table:
    """One ``<table>``: its id, header texts and body rows (parsed ``<tr>``
    nodes, in page order; a row may be empty)."""

    id: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[Node] = field(default_factory=list)

    def header_names(self) -> list[str]:
        """Header texts, whitespace-collapsed and lower case."""
        return [" ".join(h.split()).lower() for h in self.headers]


def _rows_of(table: Node) -> list[tuple[Node, bool]]:
    """The ``<tr>`` of this table (not of a table nested in a cell), each with
    whether it is in the ``<thead>``."""
    rows: list[tuple[Node, bool]] = []
    for child in table.iter():
        if child.tag == "tr":
            rows.append((child, False))
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend((tr, child.tag == "thead") for tr in child.iter() if tr.tag == "tr")
    return rows


def tables(html: str) -> list[Table]:
    """Every table of a page. A ``<thead>`` row is the header; so is a first
    row of ``<th>`` only. Empty rows before the first body row are dropped."""
    found: list[Table] = []
    for node in parse_html(html).css("table"):
        table = Table(id=node.attributes.get("id") or "")
        for tr, in_thead in _rows_of(node):
            if in_thead or not table.rows:
                # Only rows up to the first body row can be a header without a <thead>.
                row = cells_of(tr)
                all_th = bool(row) and all(c.header for c in row)
                if in_thead or (all_th and not table.headers):
                    table.headers = [c.text for c in row]
                    continue
                if not row:
                    continue
            table.rows.append(tr)
        found.append(table)
    return found
