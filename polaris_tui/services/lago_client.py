"""The only code that speaks HTTP to Lago (billing).

Read-only: customers, subscriptions and usage events (contracts/LAGO.md).
Bearer auth, one pooled ``httpx.AsyncClient``, reads retried with backoff,
answers size-capped and validated, every failure a ``Lago*`` domain error
whose message has been passed through ``redact()``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from polaris_tui.models import LagoCustomer, LagoEvent, LagoSubscription
from polaris_tui.models.errors import (
    ConfigError,
    LagoAuthError,
    LagoError,
    LagoMalformed,
    LagoNotFound,
    LagoUnreachable,
)
from polaris_tui.services.http_body import describe_validation, load_json, read_bounded
from polaris_tui.services.http_tls import tls_for
from polaris_tui.services.redact import redact, shorten
from polaris_tui.services.settings import LagoSettings
from polaris_tui.services.wire_thread import WIRE, on_wire

log = logging.getLogger(__name__)

API = "/api/v1"
PER_PAGE = 100
MAX_PAGES = 200
"""Cap on pages per list (20,000 items): a Lago that keeps saying "next page" cannot loop us forever."""
MAX_BODY_BYTES = 50 * 1024 * 1024
RETRY_DELAYS = (0.5, 1.5)
RETRY_STATUSES = frozenset({502, 503, 504})
SUBSCRIPTION_STATUSES = ("active", "pending", "canceled", "terminated")
"""Lago returns only active subscriptions unless each status is asked for."""
CONNECT_TIMEOUT = 5.0


class _Meta(BaseModel):
    """Lago's PaginationMeta (only what paging needs)."""

    model_config = ConfigDict(extra="ignore")
    current_page: int | None = None
    next_page: int | None = None
    total_pages: int | None = None


class _CustomerEnvelope(BaseModel):
    customer: LagoCustomer


class _EventEnvelope(BaseModel):
    event: LagoEvent


M = TypeVar("M", bound=BaseModel)
ItemT = TypeVar("ItemT")


class _Page(BaseModel, Generic[ItemT]):
    """One page of a Lago list: its items and where the next page is."""

    meta: _Meta | None = None

    def batch(self) -> list[ItemT]:
        raise NotImplementedError


class _CustomersPage(_Page[LagoCustomer]):
    customers: list[LagoCustomer]

    def batch(self) -> list[LagoCustomer]:
        return self.customers


class _SubscriptionsPage(_Page[LagoSubscription]):
    subscriptions: list[LagoSubscription]

    def batch(self) -> list[LagoSubscription]:
        return self.subscriptions


class LagoClient:
    """Async read client of one Lago.

    Args:
        settings: the ``lago`` section.
        transport: an httpx transport (tests: ``httpx.MockTransport``).
        secrets: extra values to redact besides the API key.
        retry_delays: pauses between read attempts.
    """

    def __init__(
        self,
        settings: LagoSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        secrets: Iterable[str] = (),
        retry_delays: Sequence[float] = RETRY_DELAYS,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.settings = settings
        key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
        self._secrets = [s for s in secrets if s] + ([key] if key else [])
        self._retry_delays = tuple(retry_delays)
        self._max_body = max_body_bytes
        self._max_pages = max_pages
        headers = {"User-Agent": "polaris-tui", "Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        base_url = (settings.url or "http://lago.invalid") + API
        self._client = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            verify=tls_for(base_url),
            timeout=httpx.Timeout(settings.timeout, connect=min(CONNECT_TIMEOUT, settings.timeout)),
            limits=httpx.Limits(max_connections=5, max_keepalive_connections=2),
            follow_redirects=False,
            headers=headers,
        )

    @property
    def configured(self) -> bool:
        """Whether a Lago URL is set (without one, billing data is simply absent)."""
        return bool(self.settings.url)

    def clean(self, text: object) -> str:
        """A message safe to show: secrets removed, length capped."""
        return shorten(redact(text, self._secrets))

    @on_wire
    async def close(self) -> None:
        """Close the connection pool (on the wire thread, where it lives). Idempotent."""
        await WIRE.run(self._client.aclose())

    async def _get_once(self, path: str, params: Any) -> tuple[int, bytes]:
        if not self.settings.url:
            raise ConfigError("Lago's URL is not configured (lago.url)")
        try:
            status, body = await WIRE.run(self._exchange(path, params))
        except ValueError as exc:
            raise LagoMalformed(self.clean(f"GET {path}: {exc}")) from None
        except httpx.DecodingError as exc:  # a broken gzip/deflate body
            raise LagoMalformed(
                self.clean(f"GET {path}: the answer could not be decoded ({exc})")
            ) from None
        except httpx.TimeoutException:
            raise LagoUnreachable(
                self.clean(f"no answer to GET {path} in time"), title="Lago did not answer in time"
            ) from None
        except httpx.TransportError as exc:
            raise LagoUnreachable(
                self.clean(f"GET {path}: {str(exc) or type(exc).__name__}")
            ) from None
        return status, body

    async def _exchange(self, path: str, params: Any) -> tuple[int, bytes]:
        """One GET and its bounded answer, on the wire thread (the only place
        ``self._client`` is used); ``_get_once`` maps what it raises."""
        request = self._client.build_request("GET", path, params=params)
        response = await self._client.send(request, stream=True)
        try:
            body = await read_bounded(response, self._max_body)
        finally:
            await response.aclose()
        return response.status_code, body

    async def _get(self, path: str, params: Any, what: str) -> bytes | None:
        """GET with retries; returns the body, None for 404, raises for other failures."""
        attempts = len(self._retry_delays) + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                status, body = await self._get_once(path, params)
            except LagoUnreachable as exc:
                if last:
                    raise
                log.info("Lago GET %s failed (%s); retrying", path, exc.title)
            else:
                if status not in RETRY_STATUSES or last:
                    return self._check(status, body, what)
                log.info("Lago GET %s answered %d; retrying", path, status)
            await asyncio.sleep(self._retry_delays[attempt])
        raise AssertionError("unreachable")

    def _check(self, status: int, body: bytes, what: str) -> bytes | None:
        if 200 <= status < 300:
            return body
        if status == 404:
            return None
        detail = (
            self._detail(body) or f"HTTP {status} {httpx.codes.get_reason_phrase(status)}".strip()
        )
        if status == 401:
            raise LagoAuthError(f"{what}: {detail}")
        if status == 403:
            raise LagoError(f"{what}: {detail}", title="Lago refused the request")
        raise LagoError(
            f"{what}: {detail}", title="Lago failed to answer" if status >= 500 else None
        )

    def _detail(self, body: bytes) -> str:
        """Lago's ``error`` and ``code`` fields, when the body has them."""
        try:
            payload = load_json(body) if body else None
        except (ValueError, RecursionError):
            return ""
        if not isinstance(payload, dict):
            return ""
        parts = [
            str(payload[k]) for k in ("error", "code") if isinstance(payload.get(k), (str, int))
        ]
        return self.clean(" / ".join(parts))

    def _parse(self, body: bytes, model: type[M], what: str) -> M:
        try:
            payload = load_json(body)
        except (ValueError, RecursionError):
            raise LagoMalformed(f"{what}: the answer is not JSON") from None
        try:
            return TypeAdapter(model).validate_python(payload)
        except ValidationError as exc:
            raise LagoMalformed(f"{what}: {self.clean(describe_validation(exc))}") from None

    # ------------------------------------------------------------------ reads

    @on_wire
    async def customer(self, external_id: str) -> LagoCustomer | None:
        """``GET /customers/{external_id}`` (URL-encoded); None when Lago does not know it.

        Raises:
            LagoUnreachable, LagoAuthError, LagoMalformed, LagoError.
        """
        body = await self._get(f"/customers/{quote(external_id, safe='')}", None, "Customer")
        if body is None:
            return None
        return self._parse(body, _CustomerEnvelope, "Customer").customer

    async def _paged(
        self, path: str, params: list[tuple[str, str]], page_model: type[_Page[ItemT]], what: str
    ) -> list[ItemT]:
        items: list[ItemT] = []
        page = 1
        for _ in range(self._max_pages):
            query = [*params, ("page", str(page)), ("per_page", str(PER_PAGE))]
            body = await self._get(path, query, what)
            if body is None:
                raise LagoNotFound(f"{what}: Lago answered 404")
            parsed = self._parse(body, page_model, what)
            batch = parsed.batch()
            items.extend(batch)
            next_page = parsed.meta.next_page if parsed.meta is not None else None
            if next_page is None or next_page <= page or not batch:
                return items
            page = next_page
        log.warning("%s: stopped after %d pages of %d (cap)", what, self._max_pages, PER_PAGE)
        return items

    @on_wire
    async def customers(self) -> list[LagoCustomer]:
        """Every customer (``GET /customers``, 100 a page until ``next_page`` is null, capped)."""
        return await self._paged("/customers", [], _CustomersPage, "Customer list")

    @on_wire
    async def subscriptions(self, external_customer_id: str) -> list[LagoSubscription]:
        """Every subscription of a customer, whatever its status (``status[]`` for each)."""
        params = [("external_customer_id", external_customer_id)]
        params += [("status[]", s) for s in SUBSCRIPTION_STATUSES]
        return await self._paged("/subscriptions", params, _SubscriptionsPage, "Subscriptions")

    @on_wire
    async def event(self, transaction_id: str) -> LagoEvent | None:
        """``GET /events/{transaction_id}`` (URL-encoded), e.g. ``steve_tx_1001_final``;
        None when Lago has no such event (the session was not synced)."""
        body = await self._get(f"/events/{quote(transaction_id, safe='')}", None, "Usage event")
        if body is None:
            return None
        return self._parse(body, _EventEnvelope, "Usage event").event


__all__ = ["LagoClient", "LagoError"]
