"""SteVe's HTTP plumbing: one pooled ``httpx.AsyncClient``, retries for
reads, one send for writes, and every failure turned into a domain error.

Rules that live here and nowhere else (contracts/STEVE.md, PITFALLS.md):

* reads retry with backoff on network errors, timeouts and 502/503/504;
  writes are sent once — an operation POST is never retried, since SteVe may
  already have sent it to the station;
* reads inside ``polling(timeout)`` (steve_wire) get that short timeout for
  every phase and are not retried: a hung SteVe must show within two poll
  intervals, while an operation POST elsewhere keeps its long wait;
* every failure becomes a domain error with a title an operator understands,
  and every message is passed through ``redact()`` so no secret leaves;
* answers are size-capped and validated into models; a JSON or validation
  error never escapes as such (``MalformedResponse``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable, Coroutine, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from polaris_tui.models import (
    ChargeBox,
    OcppTag,
    StatusSource,
    Transaction,
)
from polaris_tui.models.errors import (
    ConfigError,
    MalformedResponse,
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
from polaris_tui.services.http_body import (
    describe_validation,
    load_json,
    may_hold_surrogates,
    read_bounded,
)
from polaris_tui.services.http_tls import tls_for
from polaris_tui.services.manager_page import OverviewMemo, StatusMemo
from polaris_tui.services.page_memo import MergeMemo, RowMemo
from polaris_tui.services.redact import redact, shorten
from polaris_tui.services.settings import SteveSettings
from polaris_tui.services.steve_wire import (
    API,
    CONNECT_TIMEOUT,
    KEEPALIVE_CONNECTIONS,
    MAX_BODY_BYTES,
    NOT_ACTIVE_TEXT,
    OFFLINE_TEXT,
    POLL_TIMEOUT_VAR,
    RETRY_DELAYS,
    RETRY_STATUSES,
    THREAD_PARSE_BYTES,
    Answer,
    WireChargeBox,
    json_default,
)
from polaris_tui.services.wire_cache import ListCache
from polaris_tui.services.wire_thread import WIRE, on_wire

log = logging.getLogger(__name__)

T = TypeVar("T")
W = TypeVar("W")
C = TypeVar("C")


@functools.cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    """One validator per answer type: building a ``TypeAdapter`` costs about a
    millisecond (more on a loaded machine), and the meter sampler parses
    dozens of answers per poll on the UI's event loop."""
    return TypeAdapter(model)


def adapter(model: type[T]) -> TypeAdapter[T]:
    """The cached ``TypeAdapter`` of ``model``."""
    key: Any = model  # a class or a ``list[...]`` alias: both hashable
    cached: TypeAdapter[T] = _adapter(key)
    return cached


class SteveTransport:
    """The connection to one SteVe and the rules of talking to it; the
    requests themselves are in ``SteveClient`` and ``SteveManagerPages``.

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
        base_url = settings.url or "http://steve.invalid"
        self._client = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            verify=tls_for(base_url),
            timeout=httpx.Timeout(
                settings.read_timeout, connect=min(CONNECT_TIMEOUT, settings.read_timeout)
            ),
            limits=httpx.Limits(
                max_connections=2 * KEEPALIVE_CONNECTIONS,
                max_keepalive_connections=KEEPALIVE_CONNECTIONS,
            ),
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
        # The lists the poller reads every cycle, validated only where they changed.
        self._boxes_cache: ListCache[WireChargeBox, tuple[ChargeBox, bool]] = ListCache(
            adapter(list[WireChargeBox])
        )
        self._active_cache: ListCache[Transaction, Transaction] = ListCache(
            adapter(list[Transaction])
        )
        self._tags_cache: ListCache[OcppTag, OcppTag] = ListCache(adapter(list[OcppTag]))
        # The manager pages' rows, read again only where their markup changed.
        self._status_memo: StatusMemo = RowMemo()
        self._overview_memo: OverviewMemo = RowMemo()
        self._merge_memo = MergeMemo()

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

    async def run_here(self, call: Coroutine[Any, Any, T]) -> T:
        """Run ``call``, a use of this client, where the client lives (the wire
        thread): a poll cycle's reads and their glue, in one hop."""
        return await WIRE.run(call)

    @on_wire
    async def close(self) -> None:
        """Close the connection pool (on the wire thread, where it lives). Idempotent."""
        await WIRE.run(self._client.aclose())

    @on_wire
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
    ) -> Answer:
        if not self.settings.url:
            raise ConfigError("SteVe's URL is not configured (steve.url)")
        poll_timeout = POLL_TIMEOUT_VAR.get() if timeout is None else None
        if poll_timeout is not None:
            timeout = httpx.Timeout(poll_timeout)
        request = {
            "params": params,
            "content": content,
            "data": data,
            "headers": headers,
            "timeout": timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        }
        try:
            return await WIRE.run(self._exchange(method, path, request, api=api))
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

    async def _exchange(
        self, method: str, path: str, request: dict[str, Any], *, api: bool
    ) -> Answer:
        """One request (``request``: ``build_request``'s arguments) and its
        bounded answer, on the wire thread (the only place ``self._client``
        is used); ``_send_once`` maps what it raises."""
        built = self._client.build_request(method, path, **request)
        response = await self._client.send(built, stream=True, auth=self._auth if api else None)
        try:
            body = await read_bounded(response, self._max_body)
        finally:
            await response.aclose()
        return Answer(response.status_code, response.headers, body)

    async def _send(self, method: str, path: str, *, retry: bool, **kwargs: Any) -> Answer:
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

    def _message(self, answer: Answer) -> str:
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

    def _raise_for(self, answer: Answer, what: str, *, api: bool = True) -> None:
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
        if status == 400 and OFFLINE_TEXT in message:
            raise StationOffline(message, status=status)
        if status == 400 and NOT_ACTIVE_TEXT in message:
            raise TransactionNotActive(message, status=status)
        raise SteveRejected(message, status=status)

    def _parse(self, answer: Answer, model: type[T], what: str) -> T:
        """JSON body -> model (or list of models); anything else is MalformedResponse."""
        validator = adapter(model)
        if not may_hold_surrogates(answer.body):
            # Straight from the bytes: no dicts built and dropped. The meter
            # sampler parses ~650 kB of meter values a cycle at 10,000 chargers.
            try:
                return validator.validate_json(answer.body)
            except ValidationError:
                pass  # read again below: the same error as always, or not JSON
        payload = self._json(answer, what)
        try:
            return validator.validate_python(payload)
        except ValidationError as exc:
            raise MalformedResponse(f"{what}: {self.clean(describe_validation(exc))}") from None

    def _json(self, answer: Answer, what: str) -> Any:
        try:
            return load_json(answer.body)
        except (ValueError, RecursionError):
            raise MalformedResponse(f"{what}: the answer is not JSON") from None

    def _parse_list(
        self,
        answer: Answer,
        model: type[list[W]],
        what: str,
        cache: ListCache[W, C],
        convert: Callable[[W], C],
        epoch: Hashable,
    ) -> list[C]:
        """A list answer through ``cache``: only items that changed since the
        last answer are validated and converted (``wire_cache``)."""
        try:
            return cache.parse(answer.body, convert, epoch)
        except (ValueError, RecursionError):
            raise MalformedResponse(f"{what}: the answer is not JSON") from None
        except ValidationError:
            pass  # validated whole below: the error then names the item's index
        try:
            payload = self._json(answer, what)
            return [convert(item) for item in adapter(model).validate_python(payload)]
        except ValidationError as exc:
            raise MalformedResponse(f"{what}: {self.clean(describe_validation(exc))}") from None

    async def _answer(self, path: str, what: str, params: Any) -> Answer:
        answer = await self._send(
            "GET", API + path, retry=True, params=params, headers={"Accept": "application/json"}
        )
        self._raise_for(answer, what)
        return answer

    async def _get(self, path: str, model: type[T], what: str, params: Any = None) -> T:
        answer = await self._answer(path, what, params)
        if len(answer.body) > THREAD_PARSE_BYTES:
            return await asyncio.to_thread(self._parse, answer, model, what)
        return self._parse(answer, model, what)

    async def _get_list(
        self,
        path: str,
        model: type[list[W]],
        what: str,
        cache: ListCache[W, C],
        convert: Callable[[W], C],
        *,
        params: Any = None,
        epoch: Hashable = None,
    ) -> list[C]:
        """``_get`` of a list the poller asks for every cycle, through ``cache``."""
        answer = await self._answer(path, what, params)
        parse = functools.partial(self._parse_list, answer, model, what, cache, convert, epoch)
        if len(answer.body) > THREAD_PARSE_BYTES:
            return await asyncio.to_thread(parse)
        return parse()

    async def _write(
        self,
        method: str,
        path: str,
        what: str,
        body: Any = None,
        *,
        timeout: httpx.Timeout | None = None,
    ) -> Answer:
        content = None
        headers = {"Accept": "application/json"}
        if body is not None:
            content = json.dumps(body, default=json_default).encode()
            headers["Content-Type"] = "application/json"
        answer = await self._send(
            method, API + path, retry=False, content=content, headers=headers, timeout=timeout
        )
        self._raise_for(answer, what)
        return answer
