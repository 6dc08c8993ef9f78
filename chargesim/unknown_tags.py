"""SteVe's in-memory list of refused unknown tags ("Unknown Tags" on the
manager's OCPP Tags page).

SteVe counts every authorization it answers ``Invalid`` (the idTag is not in
its database) under that idTag: number of attempts and the time of the last
one. It keeps no charger and no connector, the list is lost when SteVe
restarts, and it is sorted by attempts, most first. The stand-in keeps the
same facts and renders the same table (``render_table``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from .clock import iso_z


@dataclass(slots=True)
class UnknownTag:
    """One refused idTag: how often, and when last."""

    id_tag: str
    attempts: int
    last_attempt: datetime


class UnknownTags:
    """idTag → attempts, bounded like SteVe's cache."""

    LIMIT = 1_000

    def __init__(self) -> None:
        self.by_tag: dict[str, UnknownTag] = {}

    def seen(self, id_tag: str, at: datetime) -> None:
        entry = self.by_tag.get(id_tag)
        if entry is None:
            entry = self.by_tag[id_tag] = UnknownTag(id_tag, 0, at)
            while len(self.by_tag) > self.LIMIT:
                del self.by_tag[next(iter(self.by_tag))]
        entry.attempts += 1
        entry.last_attempt = max(entry.last_attempt, at)

    def forget(self, id_tag: str) -> None:
        """SteVe drops a tag from the list once it is added to the database."""
        self.by_tag.pop(id_tag, None)

    def ordered(self) -> list[UnknownTag]:
        return sorted(self.by_tag.values(), key=lambda t: -t.attempts)


def render_table(tags: list[UnknownTag], ctx: str) -> str:
    """The ``#unknownTable`` block of SteVe's ocppTags page (Add/Forget forms kept)."""
    rows = []
    for t in tags:
        key = html.escape(t.id_tag, quote=True)
        millis = int(t.last_attempt.timestamp() * 1000)
        rows.append(
            f"<tr><td>{key}</td><td>{t.attempts}</td>"
            f'<td data-sort-value="{millis}">{iso_z(t.last_attempt)}</td>'
            '<td class="inlineWrapper">'
            f'<form class="inline" action="{ctx}/manager/ocppTags/unknown/add/{key}/" method="post">'
            '<input type="submit" class="blueSubmit" value="Add"/></form>'
            f'<form class="inline" action="{ctx}/manager/ocppTags/unknown/remove/{key}/" method="post">'
            '<input type="submit" class="redSubmit" value="Forget"/></form></td></tr>\n'
        )
    return (
        '<section><span id="unknown">Unknown Tags</span></section>\n'
        '<div id="unknownTable" style="display: none">\n<table class="res add-margin-bottom">\n'
        '<thead><tr><th data-sort="string">ID Tag</th><th data-sort="int"># of Attempts</th>'
        '<th data-sort="date">Last Attempt</th><th></th></tr></thead>\n<tbody>\n'
        + "".join(rows)
        + "</tbody>\n</table>\n</div>"
    )
