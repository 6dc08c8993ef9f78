"""Rows a steady poll keeps instead of building again (issue 13).

At 10,000 chargers a poll changes a few dozen stations. A row is kept when
everything it was built from is the same as last time: the station (equal,
or the very object the poll's parser handed back), and for a row with open
sessions, the same session, meter note, card and customer lookups, and the
same judgement of each session now (the stuck rules depend on the clock).
The rows kept are exactly what a build from scratch gives
(``tests/unit/test_fleet_incremental.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from polaris_tui.models import (
    CardMeta,
    ChargeBox,
    ChargerRow,
    LagoCustomer,
    Liveness,
    OcppTag,
    Transaction,
)
from polaris_tui.services.stuck_rules import MeterNote


@dataclass(frozen=True)
class SessionInputs:
    """What a row with open sessions was built from, each compared by identity
    (the poll's parser hands back the same objects for unchanged items), and
    the judgement of each session then (``judge`` depends on the clock)."""

    box: ChargeBox
    transactions: tuple[Transaction, ...]
    notes: tuple[MeterNote | None, ...]
    reasons: tuple[str | None, ...]
    links: LinkInputs


@dataclass(frozen=True)
class LinkInputs:
    """What sessions' cards and customers are looked up in (``Lookups``)."""

    tags: Sequence[OcppTag]
    card_meta: Mapping[str, CardMeta]
    customers: Sequence[LagoCustomer]

    def same_as(self, other: LinkInputs) -> bool:
        return (
            self is other
            or _same_items(self.tags, other.tags)
            and _same_items(self.customers, other.customers)
            and (self.card_meta is other.card_meta or self.card_meta == other.card_meta)
        )


def _same_items(a: Sequence[object], b: Sequence[object]) -> bool:
    return a is b or (len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True)))


def _same_objects(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class Previous:
    """The last build's stations and rows: a station equal to the one its row
    was built from, with no open session, keeps its row (only ``fetched_at``
    moves), so a steady cycle builds the rows that changed, not the fleet.
    A row with sessions is kept when every input is the same object as last
    time and each session is judged as before (``SessionInputs``)."""

    boxes: Mapping[str, ChargeBox]
    rows: Mapping[str, ChargerRow]
    sessions: Mapping[str, SessionInputs] = field(default_factory=dict)

    def links_like(self, links: LinkInputs) -> LinkInputs:
        """The last build's lookups when ``links`` are the same (compared once a
        build; rows then compare them by identity), else ``links``."""
        last = next(iter(self.sessions.values()), None)
        if last is not None and links.same_as(last.links):
            return last.links
        return links

    def session_row_for(
        self, inputs: SessionInputs, alive: Liveness, fetched_at: datetime | None
    ) -> ChargerRow | None:
        """The previous row of a station with sessions, when built from the same inputs."""
        key = inputs.box.charge_box_id
        old = self.rows.get(key)
        before = self.sessions.get(key)
        if (
            old is None
            or before is None
            or before.box is not inputs.box
            or not inputs.box.description  # the description may come from the inventory
            or old.liveness != alive
            or before.reasons != inputs.reasons
            or not _same_objects(before.transactions, inputs.transactions)
            or not _same_objects(before.notes, inputs.notes)
            or inputs.links is not before.links  # see ``links_like``
        ):
            return None
        return (
            old
            if old.fetched_at == fetched_at
            else old.model_copy(update={"fetched_at": fetched_at})
        )

    def row_for(
        self, box: ChargeBox, alive: Liveness, fetched_at: datetime | None
    ) -> ChargerRow | None:
        """The previous row of ``box`` when nothing it shows can have changed."""
        key = box.charge_box_id
        old = self.rows.get(key)
        if (
            old is None
            or old.open_session is not None  # sessions are judged against "now"
            or not box.description  # the description may come from the inventory
            or old.liveness != alive  # a heartbeat that went stale with time
            or (self.boxes.get(key) is not box and self.boxes.get(key) != box)
        ):
            return None
        return (
            old
            if old.fetched_at == fetched_at
            else old.model_copy(update={"fetched_at": fetched_at})
        )
