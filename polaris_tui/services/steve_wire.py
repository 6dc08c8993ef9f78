"""SteVe's wire: constants, the poll-timeout context, the ``chargeBoxes``
extension's item shapes and SteVe's date-time format.

The poller's reads run inside ``polling(timeout)``: every phase (connect,
pool, read) gets that short timeout, and a timeout becomes
``SteveNotAnswering`` instead of being retried (see ``steve_transport``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from polaris_tui.models import ChargeBox, ConnectorStatus, StatusSource, SteveModel
from polaris_tui.services.manager_page import parse_humanized

if TYPE_CHECKING:
    from polaris_tui.services.settings import Settings

API = "/api/v1"
MAX_BODY_BYTES = 50 * 1024 * 1024
"""Largest answer accepted; beyond it the answer is refused as malformed."""
RETRY_DELAYS = (0.5, 1.5)
"""Pauses between read attempts (so three attempts in all)."""
RETRY_STATUSES = frozenset({502, 503, 504})
"""Answers of a proxy or a restarting SteVe: worth another try for a read."""
CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection for a read (reads are retried)."""
OPERATION_CONNECT_TIMEOUT = 15.0
"""Seconds to open a connection for an operation POST, which is sent once and
may then wait 45 s for its answer: a laggy link (or a loaded host) that needs
a few SYN retries must not fail the operator's one press."""
KEEPALIVE_CONNECTIONS = 5
"""Connections to SteVe kept open between requests (the client's pool keeps
up to twice as many while busy)."""
THREAD_PARSE_BYTES = 8 * 1024
"""Answers larger than this are parsed in a worker thread: at 10,000 chargers
parsing takes long enough to stall the UI's event loop, and the meter
sampler's dozens of session details per poll (each a few kB of validated
meter values) added up to tens of ms of the UI thread per poll."""

# SteVe's own 400 messages that mean something specific to an operator.
OFFLINE_TEXT = "No stations are eligible"
NOT_ACTIVE_TEXT = "This transaction is not active at this station"
POLL_TIMEOUT_VAR: ContextVar[float | None] = ContextVar("steve_poll_timeout", default=None)
"""Set by ``polling()``: the short timeout of the poller's reads.
A context variable, so the tasks ``asyncio.gather`` starts inherit it and
another caller's request on the same client (an operation) does not."""

POLL_TIMEOUT_SHARE = 0.5
"""Part of the poll interval a poll read may wait for an answer. Kept below one
interval so a hung SteVe is reported within two intervals of hanging."""
POLL_TIMEOUT_FLOOR = 2.0
"""Shortest poll-read wait: tests and tight configs poll every fraction of a
second, and a busy machine must not read as a hung SteVe."""


def poll_timeout(settings: Settings) -> float:
    """How long a poll read waits for SteVe before it counts as not answering:
    half a poll interval, at least ``POLL_TIMEOUT_FLOOR``, at most
    ``steve.read_timeout`` (``settings`` is the whole ``Settings``)."""
    share = max(POLL_TIMEOUT_FLOOR, settings.poll.interval_seconds * POLL_TIMEOUT_SHARE)
    return min(settings.steve.read_timeout, share)


@contextlib.contextmanager
def polling(timeout: float) -> Iterator[None]:
    """SteVe reads started inside (and in tasks started inside) use ``timeout``
    for every phase and are not retried after a timeout, which is then a
    ``SteveNotAnswering``. Explicit timeouts (operations) are not affected."""
    token = POLL_TIMEOUT_VAR.set(timeout)
    try:
        yield
    finally:
        POLL_TIMEOUT_VAR.reset(token)


@dataclass(frozen=True)
class Answer:
    """A fully read HTTP answer (body already size-checked)."""

    status: int
    headers: httpx.Headers
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class WireConnector(SteveModel):
    """One connector in the ``chargeBoxes`` extension."""

    connector_id: int
    status: str
    error_code: str | None = None
    timestamp: datetime | None = None
    info: str | None = None
    vendor_error_code: str | None = None


class WireChargeBox(SteveModel):
    """An item of ``GET /api/v1/chargeBoxes``: the stand-in's extended shape or
    the ExpresSync fork's plain one (no ``online``/``connectors``, humanized heartbeat)."""

    charge_box_id: str
    charge_box_pk: int | None = None
    description: str | None = None
    ocpp_protocol: str | None = None
    last_heartbeat_timestamp: str | None = None
    online: bool | None = None
    connectors: list[WireConnector] | None = None


def to_box(item: WireChargeBox, now: datetime) -> tuple[ChargeBox, bool]:
    """A wire item -> its ChargeBox model; True when it had the plain shape
    (no connector data)."""
    connectors = [
        ConnectorStatus(
            charge_box_id=item.charge_box_id,
            connector_id=c.connector_id,
            status=c.status,
            error_code=c.error_code,
            timestamp=c.timestamp,
            info=c.info,
            vendor_error_code=c.vendor_error_code,
            source=StatusSource.CHARGEBOXES_API,
        )
        for c in item.connectors or []
    ]
    box = ChargeBox(
        charge_box_id=item.charge_box_id,
        charge_box_pk=item.charge_box_pk,
        description=item.description,
        ocpp_protocol=item.ocpp_protocol,
        last_heartbeat=parse_humanized(item.last_heartbeat_timestamp or "", now),
        online=item.online,
        connectors=connectors,
        source=StatusSource.CHARGEBOXES_API,
    )
    return box, item.connectors is None


def steve_time(moment: datetime) -> str:
    """SteVe's date-time format: UTC, milliseconds, ``Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return steve_time(value)
    raise TypeError(f"cannot send a {type(value).__name__} to SteVe")
