"""The Lago subset Polaris reads: customers, subscriptions, usage events.

Shapes follow ``lago-openapi.yml`` (CustomerObjectExtended, SubscriptionObject,
EventObject, PaginationMeta, the ApiError* bodies); facts in LAGO.md. Served
under ``/lago/api/v1`` with ``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from .clock import iso_z, parse_iso

NS = uuid.UUID("6c1b8f3e-3a52-4d8e-9a55-5f1d7c0a1e01")
"""Namespace of the stand-in's deterministic Lago ids."""


def lago_uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NS, f"{kind}:{key}"))


def lago_ts(dt: datetime | None) -> str | None:
    """Lago's date-times: ISO-8601 UTC, seconds, ``Z``."""
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class LagoData:
    """Lago's records: customers, subscriptions and events, keyed as Lago keys them."""

    def __init__(self) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        self.subscriptions: list[dict[str, Any]] = []
        self.events: dict[str, dict[str, Any]] = {}
        self._seq = 0

    def add_customer(
        self,
        external_id: str,
        *,
        name: str | None,
        email: str | None,
        created_at: datetime,
        firstname: str | None = None,
        lastname: str | None = None,
        customer_type: str | None = "individual",
        country: str | None = "DE",
        currency: str | None = "EUR",
    ) -> dict[str, Any]:
        self._seq += 1
        customer = {
            "lago_id": lago_uuid("customer", external_id),
            "sequential_id": self._seq,
            "slug": f"LAG-{self._seq:04d}",
            "external_id": external_id,
            "billing_entity_code": "polaris-demo",
            "address_line1": None,
            "address_line2": None,
            "applicable_timezone": "UTC",
            "city": None,
            "country": country,
            "currency": currency,
            "email": email,
            "legal_name": name if customer_type == "company" else None,
            "legal_number": None,
            "logo_url": None,
            "name": name,
            "firstname": firstname,
            "lastname": lastname,
            "account_type": "customer",
            "customer_type": customer_type,
            "phone": None,
            "state": None,
            "tax_identification_number": None,
            "timezone": None,
            "url": None,
            "zipcode": None,
            "net_payment_term": None,
            "created_at": lago_ts(created_at),
            "updated_at": lago_ts(created_at),
            "finalize_zero_amount_invoice": "inherit",
            "skip_invoice_custom_sections": False,
            "billing_configuration": {"invoice_grace_period": 0, "document_locale": "en"},
            "shipping_address": {
                "address_line1": None,
                "address_line2": None,
                "city": None,
                "country": None,
                "state": None,
                "zipcode": None,
            },
            "metadata": [],
            "integration_customers": [],
            "taxes": [],
            "applicable_invoice_custom_sections": [],
        }
        self.customers[external_id] = customer
        return customer

    def add_subscription(
        self,
        external_id: str,
        external_customer_id: str,
        *,
        plan_code: str,
        status: str,
        started_at: datetime,
        name: str | None = None,
        terminated_at: datetime | None = None,
        canceled_at: datetime | None = None,
    ) -> dict[str, Any]:
        customer = self.customers[external_customer_id]
        sub = {
            "lago_id": lago_uuid("subscription", external_id),
            "external_id": external_id,
            "lago_customer_id": customer["lago_id"],
            "external_customer_id": external_customer_id,
            "billing_time": "calendar",
            "name": name,
            "plan_code": plan_code,
            "status": status,
            "created_at": lago_ts(started_at),
            "canceled_at": lago_ts(canceled_at),
            "started_at": lago_ts(started_at) if status != "pending" else None,
            "ending_at": None,
            "subscription_at": lago_ts(started_at),
            "terminated_at": lago_ts(terminated_at),
            "previous_plan_code": None,
            "next_plan_code": None,
            "downgrade_plan_date": None,
            "trial_ended_at": None,
            "current_billing_period_started_at": lago_ts(started_at)
            if status == "active"
            else None,
            "current_billing_period_ending_at": None,
            # The spec lists no null in this field's enum although it is nullable; "skip" validates.
            "on_termination_credit_note": "skip",
            "on_termination_invoice": "generate",
        }
        self.subscriptions.append(sub)
        return sub

    def add_event(
        self,
        transaction_id: str,
        external_subscription_id: str,
        *,
        timestamp: datetime,
        properties: dict[str, Any],
        code: str = "ev_charging_kwh",
        created_at: datetime | None = None,
    ) -> dict[str, Any]:
        sub = next(s for s in self.subscriptions if s["external_id"] == external_subscription_id)
        event = {
            "lago_id": lago_uuid("event", transaction_id),
            "transaction_id": transaction_id,
            "lago_customer_id": sub["lago_customer_id"],
            "code": code,
            "timestamp": iso_z(timestamp),
            "precise_total_amount_cents": None,
            "properties": properties,
            "lago_subscription_id": sub["lago_id"],
            "external_subscription_id": external_subscription_id,
            "created_at": iso_z(created_at or timestamp),
        }
        self.events[transaction_id] = event
        return event


# ----------------------------------------------------------------- HTTP


def lago_error(status: int, code: str | None = None) -> web.Response:
    """Lago's error bodies (``ApiError*`` schemas)."""
    error = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}.get(
        status, "Unprocessable entity"
    )
    body: dict[str, Any] = {"status": status, "error": error}
    if status in (403, 404, 422):
        body["code"] = code or {404: "object_not_found", 403: "feature_unavailable"}.get(
            status, "validation_errors"
        )
    if status == 422:
        body["error_details"] = {}
    return web.json_response(body, status=status)


def _page_args(request: web.Request) -> tuple[int, int] | web.Response:
    try:
        page = int(request.query.get("page", "1") or 1)
        per_page = int(request.query.get("per_page", "20") or 20)
    except ValueError:
        return lago_error(400)
    return max(page, 1), max(per_page, 1)


def _paged(key: str, items: list[dict[str, Any]], page: int, per_page: int) -> web.Response:
    total = len(items)
    pages = max(math.ceil(total / per_page), 1) if total else 0
    chunk = items[(page - 1) * per_page : page * per_page]
    meta = {
        "current_page": page,
        "next_page": page + 1 if page < pages else None,
        "prev_page": page - 1 if page > 1 else None,
        "total_pages": pages,
        "total_count": total,
    }
    return web.json_response({key: chunk, "meta": meta})


def lago_routes(get_data, get_key) -> list[web.RouteDef]:
    """Routes under ``/lago/api/v1``; ``get_data()`` returns the live LagoData."""

    def authorized(request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {get_key()}"

    async def customers(request: web.Request) -> web.Response:
        if not authorized(request):
            return lago_error(401)
        args = _page_args(request)
        if isinstance(args, web.Response):
            return args
        term = (request.query.get("search_term") or "").strip().lower()
        items = list(get_data().customers.values())
        if term:
            fields = ("name", "firstname", "lastname", "legal_name", "external_id", "email")
            items = [c for c in items if any(term in (c.get(f) or "").lower() for f in fields)]
        items.sort(key=lambda c: (c["created_at"], c["sequential_id"]), reverse=True)
        return _paged("customers", items, *args)

    async def customer(request: web.Request) -> web.Response:
        if not authorized(request):
            return lago_error(401)
        found = get_data().customers.get(request.match_info["external_customer_id"])
        if found is None:
            return lago_error(404, "customer_not_found")
        return web.json_response({"customer": found})

    async def subscriptions(request: web.Request) -> web.Response:
        if not authorized(request):
            return lago_error(401)
        args = _page_args(request)
        if isinstance(args, web.Response):
            return args
        statuses = request.query.getall("status[]", []) or ["active"]
        ext = request.query.get("external_customer_id")
        plan = request.query.get("plan_code")
        items = [
            s
            for s in get_data().subscriptions
            if s["status"] in statuses
            and (not ext or s["external_customer_id"] == ext)
            and (not plan or s["plan_code"] == plan)
        ]
        items = sorted(items, key=lambda s: s["created_at"], reverse=True)
        return _paged("subscriptions", items, *args)

    async def event(request: web.Request) -> web.Response:
        if not authorized(request):
            return lago_error(401)
        found = get_data().events.get(request.match_info["transaction_id"])
        if found is None:
            return lago_error(404, "event_not_found")
        return web.json_response({"event": found})

    async def events(request: web.Request) -> web.Response:
        if not authorized(request):
            return lago_error(401)
        args = _page_args(request)
        if isinstance(args, web.Response):
            return args
        q = request.query
        try:
            t_from = parse_iso(q["timestamp_from"]) if q.get("timestamp_from") else None
            t_to = parse_iso(q["timestamp_to"]) if q.get("timestamp_to") else None
        except ValueError:
            return lago_error(422, "validation_errors")
        sub_id = q.get("external_subscription_id")
        if q.get("timestamp_from_started_at") == "true" and not sub_id:
            return lago_error(422, "validation_errors")
        started = None
        if q.get("timestamp_from_started_at") == "true":
            sub = next((s for s in get_data().subscriptions if s["external_id"] == sub_id), None)
            started = parse_iso(sub["started_at"]) if sub and sub["started_at"] else None
        items = []
        for e in get_data().events.values():
            ts = parse_iso(e["timestamp"])
            if sub_id and e["external_subscription_id"] != sub_id:
                continue
            if q.get("code") and e["code"] != q["code"]:
                continue
            if (t_from and ts < t_from) or (t_to and ts > t_to) or (started and ts < started):
                continue
            items.append(e)
        items.sort(key=lambda e: (e["timestamp"], e["transaction_id"]), reverse=True)
        return _paged("events", items, *args)

    base = "/lago/api/v1"
    return [
        web.get(f"{base}/customers", customers),
        web.get(f"{base}/customers/{{external_customer_id}}", customer),
        web.get(f"{base}/subscriptions", subscriptions),
        web.get(f"{base}/events", events),
        web.get(f"{base}/events/{{transaction_id}}", event),
    ]
