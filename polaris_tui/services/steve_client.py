"""The only code that speaks HTTP to SteVe.

One pooled ``httpx.AsyncClient`` serves the REST API (HTTP Basic, stateless),
the ``chargeBoxes`` extension of SteVe forks and vanilla SteVe's manager
pages (form login with ``_csrf`` and a session cookie).

Rules that live here and nowhere else (contracts/STEVE.md, PITFALLS.md):

* reads retry with backoff on network errors, timeouts and 502/503/504;
  writes are sent once — an operation POST is never retried, since SteVe may
  already have sent it to the station;
* operations get ``operation_timeout`` (> SteVe's 30 s wait for the station);
* the poller's reads run inside ``polling(timeout)``: every phase (connect,
  pool, read) gets that short timeout, a timeout is not retried and becomes
  ``SteveNotAnswering`` — a hung SteVe must show within two poll intervals,
  while an operation POST elsewhere keeps its long wait;
* every failure becomes a domain error with a title an operator understands,
  and every message is passed through ``redact()`` so no secret leaves;
* answers are size-capped and validated into models; a JSON or validation
  error never escapes as such (``MalformedResponse``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from polaris_tui.models import (
    ChargeBox,
    ConnectorStatus,
    OcppTag,
    OperationEnvelope,
    StatusSource,
    SteveModel,
    Transaction,
    TransactionDetails,
)
from polaris_tui.models.errors import (
    ConfigError,
    MalformedResponse,
    OperationNotAllowed,
    StationOffline,
    SteveAuthError,
    SteveError,
    SteveNotAnswering,
    SteveNotFound,
    SteveRejected,
    SteveTimeout,
    SteveUnreachable,
    TransactionNotActive,
)
from polaris_tui.services.clock import Clock, SystemClock
from polaris_tui.services.manager_page import (
    complete_with_status,
    is_signin_page,
    parse_charge_points,
    parse_connector_status,
    parse_csrf,
    parse_humanized,
)
from polaris_tui.services.redact import redact, shorten
from polaris_tui.services.settings import SteveSettings

log = logging.getLogger(__name__)

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
THREAD_PARSE_BYTES = 256 * 1024
"""Answers larger than this are parsed in a worker thread: at 10,000 chargers
parsing takes long enough to stall the UI's event loop."""

# SteVe's own 400 messages that mean something specific to an operator.
_OFFLINE_TEXT = "No stations are eligible"
_NOT_ACTIVE_TEXT = "This transaction is not active at this station"
_OPERATION_NAME = re.compile(r"^[A-Za-z]{1,64}$")

T = TypeVar("T")

_POLL_TIMEOUT: ContextVar[float | None] = ContextVar("steve_poll_timeout", default=None)
"""Set by ``polling()``: the short timeout of the poller's reads.
A context variable, so the tasks ``asyncio.gather`` starts inherit it and
another caller's request on the same client (an operation) does not."""

POLL_TIMEOUT_SHARE = 0.5
"""Part of the poll interval a poll read may wait for an answer. Kept below one
interval so a hung SteVe is reported within two intervals of hanging."""
POLL_TIMEOUT_FLOOR = 2.0
"""Shortest poll-read wait: tests and tight configs poll every fraction of a
second, and a busy machine must not read as a hung SteVe."""


def poll_timeout(settings: Any) -> float:
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
    token = _POLL_TIMEOUT.set(timeout)
    try:
        yield
    finally:
        _POLL_TIMEOUT.reset(token)


@dataclass(frozen=True)
class _Answer:
    """A fully read HTTP answer (body already size-checked)."""

    status: int
    headers: httpx.Headers
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _WireConnector(SteveModel):
    """One connector in the ``chargeBoxes`` extension."""

    connector_id: int
    status: str
    error_code: str | None = None
    timestamp: datetime | None = None
    info: str | None = None
    vendor_error_code: str | None = None


class _WireChargeBox(SteveModel):
    """An item of ``GET /api/v1/chargeBoxes``: the stand-in's extended shape or
    the ExpresSync fork's plain one (no ``online``/``connectors``, humanized heartbeat)."""

    charge_box_id: str
    charge_box_pk: int | None = None
    description: str | None = None
    ocpp_protocol: str | None = None
    last_heartbeat_timestamp: str | None = None
    online: bool | None = None
    connectors: list[_WireConnector] | None = None


def _to_boxes(wire: list[_WireChargeBox], now: datetime) -> tuple[list[ChargeBox], bool]:
    """Wire items -> ChargeBox models; True when any item had the plain shape."""
    boxes: list[ChargeBox] = []
    plain = False
    for item in wire:
        plain = plain or item.connectors is None
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
        boxes.append(
            ChargeBox(
                charge_box_id=item.charge_box_id,
                charge_box_pk=item.charge_box_pk,
                description=item.description,
                ocpp_protocol=item.ocpp_protocol,
                last_heartbeat=parse_humanized(item.last_heartbeat_timestamp or "", now),
                online=item.online,
                connectors=connectors,
                source=StatusSource.CHARGEBOXES_API,
            )
        )
    return boxes, plain


def _iso(moment: datetime) -> str:
    """SteVe's date-time format: UTC, milliseconds, ``Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    raise TypeError(f"cannot send a {type(value).__name__} to SteVe")


def describe_validation(exc: ValidationError) -> str:
    """Where an answer did not fit, without echoing the values."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False)[:3]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "(top)"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_text(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_valid_text(item) for item in value]
    if isinstance(value, dict):
        return {_valid_text(key): _valid_text(item) for key, item in value.items()}
    return value


def load_json(body: bytes) -> Any:
    """``json.loads`` whose strings are valid Unicode.

    ``"\\ud800"`` alone is valid JSON (Java servers emit it for a broken
    string) but not encodable text: kept as is, it would make the snapshot,
    the log and the terminal fail on one charger's description. A lone
    surrogate becomes U+FFFD. Raises ValueError / RecursionError like ``json.loads``.
    """
    payload = json.loads(body)
    if _SURROGATE_ESCAPE.search(body):
        payload = _valid_text(payload)
    return payload


async def read_bounded(response: httpx.Response, limit: int) -> bytes:
    """Read a streamed body, refusing more than ``limit`` bytes (raises ValueError)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ValueError(f"the answer is larger than {limit // (1024 * 1024)} MB")
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > limit:
            raise ValueError(f"the answer is larger than {limit // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


class SteveClient:
    """Async client of one SteVe (REST API, chargeBoxes extension, manager pages).

    Args:
        settings: the ``steve`` section.
        transport: an httpx transport (tests: ``httpx.MockTransport``); default: network.
        clock: "now" for humanized times; default the system clock.
        secrets: extra values to redact besides this section's passwords.
        retry_delays: pauses between read attempts.
        max_body_bytes: largest answer accepted.
    """

    def __init__(
        self,
        settings: SteveSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        secrets: Iterable[str] = (),
        retry_delays: Sequence[float] = RETRY_DELAYS,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self._secrets = [s for s in secrets if s]
        for secret in (settings.api_password, settings.web_password):
            if secret is not None and secret.get_secret_value():
                self._secrets.append(secret.get_secret_value())
        self._retry_delays = tuple(retry_delays)
        self._max_body = max_body_bytes
        self._client = httpx.AsyncClient(
            base_url=settings.url or "http://steve.invalid",
            transport=transport,
            timeout=httpx.Timeout(
                settings.read_timeout, connect=min(CONNECT_TIMEOUT, settings.read_timeout)
            ),
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=5),
            follow_redirects=False,
            headers={"User-Agent": "polaris-tui"},
        )
        self._auth = (
            httpx.BasicAuth(settings.api_user, settings.api_password.get_secret_value())
            if settings.api_password is not None
            else None
        )
        self._logged_in = False
        self._login_lock = asyncio.Lock()
        self._extension_missing = False
        """``auto`` source: the chargeBoxes extension answered 404 once; use the page."""

    # ------------------------------------------------------------------ plumbing

    def clean(self, text: object) -> str:
        """A message safe to show: secrets removed, length capped."""
        return shorten(redact(text, self._secrets))

    @property
    def status_source_in_use(self) -> StatusSource | None:
        """Which live-status source ``auto`` settled on (None until known)."""
        if self.settings.status_source == "manager-page" or self._extension_missing:
            return StatusSource.MANAGER_PAGE
        if self.settings.status_source == "chargeboxes-api":
            return StatusSource.CHARGEBOXES_API
        return None

    async def close(self) -> None:
        """Close the connection pool. Idempotent."""
        await self._client.aclose()

    async def probe(self) -> bool:
        """One cheap read, sent once: True when SteVe answered it with a 2xx.

        The poller asks it every interval while a failing source backs off, so
        that SteVe coming back is seen within one interval without a key.
        """
        try:
            answer = await self._send_once(
                "GET",
                API + "/transactions",
                params={"type": "ACTIVE", "periodType": "ALL"},
                headers={"Accept": "application/json"},
            )
        except SteveError as exc:
            log.debug("SteVe probe: %s", exc.title)
            return False
        return 200 <= answer.status < 300

    async def _send_once(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        content: bytes | None = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
        api: bool = True,
    ) -> _Answer:
        if not self.settings.url:
            raise ConfigError("SteVe's URL is not configured (steve.url)")
        poll_timeout = _POLL_TIMEOUT.get() if timeout is None else None
        if poll_timeout is not None:
            timeout = httpx.Timeout(poll_timeout)
        request = self._client.build_request(
            method,
            path,
            params=params,
            content=content,
            data=data,
            headers=headers,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        try:
            response = await self._client.send(
                request, stream=True, auth=self._auth if api else None
            )
            try:
                body = await read_bounded(response, self._max_body)
            finally:
                await response.aclose()
        except ValueError as exc:
            raise MalformedResponse(self.clean(f"{method} {path}: {exc}")) from None
        except httpx.DecodingError as exc:  # a broken gzip/deflate body
            raise MalformedResponse(
                self.clean(f"{method} {path}: the answer could not be decoded ({exc})")
            ) from None
        except httpx.TimeoutException as exc:
            if poll_timeout is not None:
                # The poller's short wait ran out: whether connecting or reading,
                # SteVe is not answering (it may hold the connection open forever).
                raise SteveNotAnswering(
                    self.clean(f"no answer to {method} {path} within {poll_timeout:g} s")
                ) from None
            if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
                # Never sent: unlike a read timeout, SteVe cannot have acted on it.
                raise SteveUnreachable(
                    self.clean(f"{method} {path}: could not connect in time")
                ) from None
            raise SteveTimeout(self.clean(f"no answer to {method} {path} in time")) from None
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            raise SteveUnreachable(self.clean(f"{method} {path}: {reason}")) from None
        return _Answer(response.status_code, response.headers, body)

    async def _send(self, method: str, path: str, *, retry: bool, **kwargs: Any) -> _Answer:
        """Send once (writes) or with retries and backoff (reads)."""
        attempts = len(self._retry_delays) + 1 if retry else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                answer = await self._send_once(method, path, **kwargs)
            except SteveUnreachable as exc:  # includes SteveTimeout
                if last or isinstance(exc, SteveNotAnswering):
                    raise  # a hung SteVe will not answer a second time either
                log.info("SteVe %s %s failed (%s); retrying", method, path, exc.title)
            else:
                if answer.status not in RETRY_STATUSES or last:
                    return answer
                log.info("SteVe %s %s answered %d; retrying", method, path, answer.status)
            await asyncio.sleep(self._retry_delays[attempt])
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _message(self, answer: _Answer) -> str:
        """SteVe's own message (ApiErrorResponse.message), else the HTTP status line."""
        try:
            payload = load_json(answer.body) if answer.body else None
        except (ValueError, RecursionError):
            payload = None
        if (
            isinstance(payload, dict)
            and isinstance(payload.get("message"), str)
            and payload["message"]
        ):
            return self.clean(payload["message"])
        reason = httpx.codes.get_reason_phrase(answer.status)
        return f"HTTP {answer.status} {reason}".strip()

    def _raise_for(self, answer: _Answer, what: str, *, api: bool = True) -> None:
        """Turn a non-2xx answer into the domain error an operator understands."""
        status = answer.status
        if 200 <= status < 300:
            return
        if 300 <= status < 400:
            target = self.clean(answer.headers.get("location", "?"))
            raise MalformedResponse(
                f"{what}: SteVe redirected to {target} (a login proxy in between?)"
            )
        message = self._message(answer)
        if status in (401, 403):
            hint = (
                "" if self._auth or not api else " (no API password configured: steve.api_password)"
            )
            raise SteveAuthError(f"{what}: {message}{hint}")
        if status == 404:
            raise SteveNotFound(f"{what}: {message}")
        if status == 400 and _OFFLINE_TEXT in message:
            raise StationOffline(message, status=status)
        if status == 400 and _NOT_ACTIVE_TEXT in message:
            raise TransactionNotActive(message, status=status)
        raise SteveRejected(message, status=status)

    def _parse(self, answer: _Answer, model: Any, what: str) -> Any:
        """JSON body -> model (or list of models); anything else is MalformedResponse."""
        try:
            payload = load_json(answer.body)
        except (ValueError, RecursionError):
            raise MalformedResponse(f"{what}: the answer is not JSON") from None
        try:
            return TypeAdapter(model).validate_python(payload)
        except ValidationError as exc:
            raise MalformedResponse(f"{what}: {self.clean(describe_validation(exc))}") from None

    async def _get(self, path: str, model: Any, what: str, params: Any = None) -> Any:
        answer = await self._send(
            "GET", API + path, retry=True, params=params, headers={"Accept": "application/json"}
        )
        self._raise_for(answer, what)
        if len(answer.body) > THREAD_PARSE_BYTES:
            return await asyncio.to_thread(self._parse, answer, model, what)
        return self._parse(answer, model, what)

    async def _write(
        self,
        method: str,
        path: str,
        what: str,
        body: Any = None,
        *,
        timeout: httpx.Timeout | None = None,
    ) -> _Answer:
        content = None
        headers = {"Accept": "application/json"}
        if body is not None:
            content = json.dumps(body, default=_json_default).encode()
            headers["Content-Type"] = "application/json"
        answer = await self._send(
            method, API + path, retry=False, content=content, headers=headers, timeout=timeout
        )
        self._raise_for(answer, what)
        return answer

    # ------------------------------------------------------------------ tags

    async def list_tags(self, **filters: Any) -> list[OcppTag]:
        """``GET /ocppTags`` with SteVe's filters (snake_case or camelCase names;
        booleans become ``TRUE``/``FALSE``; None is dropped).

        Raises:
            SteveError: any failure (see the module docstring).
        """
        params: dict[str, str] = {}
        for key, value in filters.items():
            if value is None:
                continue
            name = to_camel(key) if "_" in key else key
            params[name] = ("TRUE" if value else "FALSE") if isinstance(value, bool) else str(value)
        return await self._get("/ocppTags", list[OcppTag], "Card list", params=params)

    async def get_tag(self, pk: int) -> OcppTag:
        """``GET /ocppTags/{pk}``. Raises SteveNotFound for an unknown pk."""
        return await self._get(f"/ocppTags/{int(pk)}", OcppTag, "Card")

    async def find_tag(self, id_tag: str) -> OcppTag | None:
        """The tag with exactly this idTag, or None if SteVe does not know it."""
        for tag in await self.list_tags(idTag=id_tag):
            if tag.id_tag == id_tag:
                return tag
        return None

    async def create_tag(self, form: dict[str, Any]) -> OcppTag:
        """``POST /ocppTags`` (sent once). Returns the new tag."""
        answer = await self._write("POST", "/ocppTags", "Create card", form)
        return self._parse(answer, OcppTag, "Create card")

    async def update_tag(self, pk: int, form: dict[str, Any]) -> OcppTag:
        """``PUT /ocppTags/{pk}`` with the whole form (SteVe clears omitted fields
        and turns an omitted ``maxActiveTransactionCount`` into 1: callers pass
        every field). Returns the tag as SteVe now has it."""
        answer = await self._write("PUT", f"/ocppTags/{int(pk)}", "Update card", form)
        try:
            return self._parse(answer, OcppTag, "Update card")
        except MalformedResponse:
            # Some forks answer {} to a PUT: read the tag back instead.
            return await self.get_tag(pk)

    async def delete_tag(self, pk: int) -> None:
        """``DELETE /ocppTags/{pk}`` (sent once)."""
        await self._write("DELETE", f"/ocppTags/{int(pk)}", "Delete card")

    # ------------------------------------------------------------------ transactions

    async def list_transactions(
        self,
        *,
        type: str = "ALL",  # noqa: A002 - SteVe's parameter name
        period_type: str = "ALL",
        charge_box_ids: Iterable[str] = (),
        id_tags: Iterable[str] = (),
        from_: datetime | None = None,
        to: datetime | None = None,
    ) -> list[Transaction]:
        """``GET /transactions`` (newest first). Both ``from_`` and ``to`` switch
        ``periodType`` to ``FROM_TO`` as SteVe requires."""
        params: list[tuple[str, str]] = [("type", type)]
        if from_ is not None and to is not None and period_type == "ALL":
            period_type = "FROM_TO"
        params.append(("periodType", period_type))
        params += [("chargeBoxId", cb) for cb in charge_box_ids]
        params += [("ocppIdTag", tag) for tag in id_tags]
        if from_ is not None:
            params.append(("from", _iso(from_)))
        if to is not None:
            params.append(("to", _iso(to)))
        return await self._get(
            "/transactions", list[Transaction], "Transaction list", params=params
        )

    async def transaction_details(
        self, pk: int, *, energy_values_only: bool = True
    ) -> TransactionDetails:
        """``GET /transactions/{pk}`` with its meter values (oldest first)."""
        params = {"energyValuesOnly": "true" if energy_values_only else "false"}
        return await self._get(
            f"/transactions/{int(pk)}", TransactionDetails, "Transaction", params=params
        )

    async def stop_transaction_in_db(self, pk: int) -> None:
        """``PATCH /transactions/{pk}/stop``: closes it in SteVe's database only
        (nothing goes to the station). Sent once."""
        await self._write("PATCH", f"/transactions/{int(pk)}/stop", "Close transaction in SteVe")

    # ------------------------------------------------------------------ operations

    async def operation(self, name: str, body: dict[str, Any]) -> OperationEnvelope:
        """``POST /operations/{name}``: sent exactly once, waits up to
        ``operation_timeout`` (SteVe itself waits 30 s for the station).

        Raises:
            StationOffline: 400 "No stations are eligible…".
            TransactionNotActive: 400 "This transaction is not active at this station."
            SteveRejected: any other refusal, SteVe's message kept.
            SteveTimeout / SteveUnreachable / SteveAuthError / MalformedResponse.
        """
        if not _OPERATION_NAME.match(name):
            raise OperationNotAllowed(f"{name!r} is not an operation name")
        timeout = httpx.Timeout(
            self.settings.operation_timeout,
            connect=min(OPERATION_CONNECT_TIMEOUT, self.settings.operation_timeout),
        )
        answer = await self._write("POST", f"/operations/{name}", name, body, timeout=timeout)
        return self._parse(answer, OperationEnvelope, name)

    async def task(self, task_id: int) -> OperationEnvelope | None:
        """The fork's ``GET /operations/tasks/{id}``; None when SteVe does not have it
        (vanilla SteVe, or the task left SteVe's memory after a restart)."""
        try:
            return await self._get(f"/operations/tasks/{int(task_id)}", OperationEnvelope, "Task")
        except SteveNotFound:
            return None

    # ------------------------------------------------------------------ live status

    async def _charge_boxes(self) -> tuple[list[ChargeBox], bool]:
        """The extension's stations, and whether any lacks connector data (plain shape)."""
        wire = await self._get("/chargeBoxes", list[_WireChargeBox], "Charger list")
        now = self.clock.now()
        if len(wire) > 1000:
            return await asyncio.to_thread(_to_boxes, wire, now)
        return _to_boxes(wire, now)

    async def charge_boxes(self) -> list[ChargeBox]:
        """``GET /chargeBoxes`` (SteVe forks). The plain fork shape gives stations
        without connectors or ``online``; ``live_status()`` completes them.

        Raises:
            SteveNotFound: vanilla SteVe (no extension).
        """
        boxes, _ = await self._charge_boxes()
        return boxes

    def _page_configured(self) -> bool:
        return self.settings.web_password is not None

    async def _manager_get(self, path: str, what: str) -> str:
        """GET a manager page with form login (and one re-login when the session expired)."""
        if not self._page_configured():
            raise ConfigError("the manager-page status source needs steve.web_password")
        async with self._login_lock:
            for _ in range(2):
                if not self._logged_in:
                    await self._login()
                answer = await self._send("GET", path, retry=True, api=False)
                if self._is_signin(answer):
                    self._logged_in = False  # session expired: sign in again, once
                    continue
                self._raise_for(answer, what, api=False)
                return answer.text()
            raise SteveAuthError(f"SteVe keeps sending the {what.lower()} back to sign-in")

    async def connector_status_page(self) -> list[ChargeBox]:
        """Vanilla SteVe's ``/manager/home/connectorStatus``: stations with
        connectors and offline marks (only stations whose connectors reported).

        Raises:
            ConfigError: no manager-page password configured.
            SteveAuthError: the login is refused.
            MalformedResponse: the page has no connector table.
        """
        html = await self._manager_get("/manager/home/connectorStatus", "Connector status page")
        if len(html) > THREAD_PARSE_BYTES:
            return await asyncio.to_thread(parse_connector_status, html, now=self.clock.now())
        return parse_connector_status(html, now=self.clock.now())

    async def charge_points_page(self) -> list[ChargeBox] | None:
        """Vanilla SteVe's ``/manager/chargepoints`` overview: every registered
        station with description, protocol and last heartbeat; None when the
        page has no overview table (the caller goes on without it)."""
        html = await self._manager_get("/manager/chargepoints", "Charge point overview")
        if len(html) > THREAD_PARSE_BYTES:
            boxes = await asyncio.to_thread(parse_charge_points, html, now=self.clock.now())
        else:
            boxes = parse_charge_points(html, now=self.clock.now())
        if boxes is None:
            log.warning(
                "SteVe's charge point overview has no table Polaris can read; descriptions and heartbeats are missing"
            )
        return boxes

    async def _page_status(self) -> list[ChargeBox]:
        """Live status from the manager pages: connector status + the overview (two pages)."""
        status = await self.connector_status_page()
        overview = await self.charge_points_page()
        return complete_with_status(overview, status) if overview is not None else status

    def _is_signin(self, answer: _Answer) -> bool:
        if 300 <= answer.status < 400:
            return "signin" in answer.headers.get("location", "")
        return answer.status == 200 and is_signin_page(answer.text())

    async def _login(self) -> None:
        """Sign in to the manager UI: GET the form for ``_csrf`` + cookie, POST it."""
        form_page = await self._send("GET", "/manager/signin", retry=True, api=False)
        self._raise_for(form_page, "Manager sign-in page", api=False)
        data = {
            "username": self.settings.web_user,
            "password": self.settings.web_password.get_secret_value()
            if self.settings.web_password
            else "",
        }
        csrf = parse_csrf(form_page.text())
        if csrf is not None:
            data["_csrf"] = csrf
        answer = await self._send("POST", "/manager/signin", retry=False, api=False, data=data)
        location = answer.headers.get("location", "")
        refused = (300 <= answer.status < 400 and "error" in location) or (
            answer.status == 200 and is_signin_page(answer.text())
        )
        if refused or answer.status in (401, 403):
            raise SteveAuthError(
                f"SteVe refused the manager-page login of {self.clean(self.settings.web_user)!r}"
            )
        if not (300 <= answer.status < 400 or answer.status == 200):
            self._raise_for(answer, "Manager sign-in", api=False)
        self._logged_in = True

    async def live_status(self) -> list[ChargeBox]:
        """Stations with connector status, from the configured source.

        ``chargeboxes-api``: the extension (plain fork shape completed from the
        connector-status page when a web password is configured). ``manager-page``:
        the connector-status page plus the charge point overview (descriptions,
        heartbeats). ``auto``: the extension, falling back to the pages (and
        staying there) when SteVe answers 404. Either way a fixed number of
        requests, whatever the fleet size.
        """
        source = self.settings.status_source
        if source == "manager-page" or (source == "auto" and self._extension_missing):
            return await self._page_status()
        try:
            boxes, plain = await self._charge_boxes()
        except SteveNotFound:
            if source != "auto":
                raise
            log.info("SteVe has no chargeBoxes extension; using the manager page for live status")
            self._extension_missing = True
            return await self._page_status()
        if plain and self._page_configured():
            return complete_with_status(boxes, await self.connector_status_page())
        return boxes


__all__ = ["SteveClient", "SteveError", "poll_timeout", "polling"]
