"""Views of charging sessions (SteVe transactions) for the Sessions screens.

A session line joins one SteVe transaction with what Polaris knows around
it: the card's display name, the Lago customer the card bills to, who
stopped it, and whether Lago received its usage. Built by
``services/sessions.py``; plain data, formatted by the widgets.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from polaris_tui.models import (
    CardRow,
    LagoCustomer,
    LagoEvent,
    LagoSubscription,
    OperationLogEntry,
    PlainModel,
    SessionRow,
)
from polaris_tui.text_clean import CleanText, Key


class StoppedBy(StrEnum):
    """Who ended a session, read from SteVe's stopEventActor and stopReason."""

    STATION = "station"
    """The station sent StopTransaction on its own (car left, card tapped, fault...)."""
    REMOTE_STOP = "remote_stop"
    """The station stopped on a RemoteStopTransaction (stopReason Remote)."""
    UNLOCK = "unlock"
    """The station stopped on an UnlockConnector (stopReason UnlockCommand)."""
    DATABASE_CLOSE = "database_close"
    """Closed in SteVe's database only (stopEventActor manual): the station was never told."""


SessionState = Literal["all", "open", "stopped"]


class SessionQuery(PlainModel):
    """What the operator asked the Sessions screen for. Empty fields do not filter."""

    text: CleanText | None = None
    """Anything typed: a charger id or idTag when one matches exactly, else a customer."""
    charge_box_id: Key | None = None
    id_tag: Key | None = None
    customer: CleanText | None = None
    """Part of a Lago customer's e-mail or name."""
    customer_id: Key | None = None
    """Exactly this Lago customer (external id): the customer page's sessions."""
    state: SessionState = "all"
    since: datetime | None = None
    """Start of the window on the start time (default: ``until`` minus ``days``)."""
    until: datetime | None = None
    """End of the window (default: now)."""
    days: int = 7
    """Width of the window when ``since`` is not given (one page of finished sessions)."""
    limit: int | None = None
    """Show at most this many (newest first), e.g. a charger's last 20."""


class SessionLine(PlainModel):
    """One session as the lists show it."""

    row: SessionRow
    card_name: CleanText | None = None
    customer_id: Key | None = None
    customer_name: CleanText | None = None
    customer_email: CleanText | None = None
    stopped_by: StoppedBy | None = None


class SessionPage(PlainModel):
    """One answer of the Sessions query: open sessions and one window of finished ones."""

    query: SessionQuery
    since: datetime
    until: datetime
    lines: list[SessionLine] = Field(default_factory=list)
    open_count: int = 0
    stopped_count: int = 0
    searched: CleanText = ""
    """What was asked of SteVe (and of Lago), in words."""
    note: CleanText | None = None
    """Why nothing matched, or what could not be asked."""
    lago_note: CleanText | None = None
    """Set when Lago could not be asked (sync state then unknown)."""


class MeterPoint(PlainModel):
    """One instant of a session's meter: energy so far and power drawn."""

    at: datetime
    energy_wh: float | None = None
    """Delivered since the start (register minus the start value)."""
    power_w: float | None = None


class SessionDetail(PlainModel):
    """A session with its meter curve, the operations that touched it and its billing."""

    line: SessionLine
    points: list[MeterPoint] = Field(default_factory=list)
    values_note: CleanText | None = None
    operations: list[OperationLogEntry] = Field(default_factory=list)
    operations_note: CleanText | None = None
    lago_event: LagoEvent | None = None
    billing: CleanText = ""
    """Billing in words: what Lago holds, or why there is no usage event."""


class CustomerCard(PlainModel):
    """A card that bills to the customer, with how and whether it would charge."""

    row: CardRow
    relation: CleanText
    """Own link, or inherited from a parent (meta-)card; parent and children."""
    verdict: CleanText
    """Whether SteVe would accept it now, in a few words."""
    ok: bool = True


class CustomerView(PlainModel):
    """A Lago customer with cards, sessions and operations (runbook 2 from a person)."""

    query: CleanText
    customer: LagoCustomer | None = None
    matches: list[LagoCustomer] = Field(default_factory=list)
    """Every customer the text matched when it was not exactly one."""
    subscriptions: list[LagoSubscription] = Field(default_factory=list)
    cards: list[CustomerCard] = Field(default_factory=list)
    sessions: SessionPage | None = None
    operations: list[OperationLogEntry] = Field(default_factory=list)
    note: CleanText | None = None
    """Why no single customer is shown, or what could not be asked."""


__all__ = [
    "CustomerCard",
    "CustomerView",
    "MeterPoint",
    "SessionDetail",
    "SessionLine",
    "SessionPage",
    "SessionQuery",
    "SessionState",
    "StoppedBy",
]
