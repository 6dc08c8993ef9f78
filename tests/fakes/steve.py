"""An in-memory SteVe client for service tests.

It answers the reads the poller and fleet make (live status, open sessions,
tags, meter values), the tag edits of the card service (following the tag
PUT rules of contracts/STEVE.md §2: every field is replaced, an omitted
``maxActiveTransactionCount`` becomes 1, an omitted expiry is cleared, a
past ``expiryDate`` is a 400, an unknown parent a 500), and the remote
operations (a scripted envelope per call).

Every call is recorded in ``calls`` as ``(name, argument)``; a remote
operation under its OCPP name, every other call under its method name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from polaris_tui.models import (
    ChargeBox,
    MeterValue,
    OcppTag,
    OperationEnvelope,
    Transaction,
    TransactionDetails,
)
from polaris_tui.models.errors import ConfigError, SteveNotFound, SteveRejected, SteveUnreachable
from polaris_tui.models.identity import RefusedTag
from polaris_tui.services.clock import Clock

READS = ("live_status", "list_transactions", "list_tags", "transaction_details")
"""The reads the poller makes each cycle (``fail_all`` breaks them all)."""

METHODS = (*READS, "update_tag", "stop_transaction_in_db")
"""Calls recorded under their method name (anything else is an operation)."""


def _parse(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class FakeSteve:
    """The SteVe client's methods over in-memory data, with records and switches."""

    def __init__(
        self,
        *,
        chargers: Iterable[ChargeBox] = (),
        active: Iterable[Transaction] = (),
        tags: Iterable[OcppTag] = (),
        transactions: Iterable[Transaction] = (),
        meters: dict[int, list[MeterValue]] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.chargers = list(chargers)
        self.active = list(active)
        """Open sessions (``list_transactions(type="ACTIVE")``)."""
        self.transactions = list(transactions)
        """Every session, for the card service's history."""
        self.tags = {t.ocpp_tag_pk: t for t in tags}
        self.meters = dict(meters or {})
        self.clock = clock
        """Judges a PUT's expiry date (as SteVe would, with its own clock)."""
        self.calls: list[tuple[str, Any]] = []
        # Failure switches.
        self.fail: dict[str, BaseException] = {}
        """Method name → exception it raises."""
        self.down = False
        self.unknown: list[RefusedTag] | None = None
        """SteVe's unknown-tag list; None: no web password (the page cannot be read)."""
        """Every call fails as with SteVe unreachable."""
        self.put_fails = False
        """A tag PUT answers 500."""
        # Scripts for remote operations and the follow-up watcher.
        self.answer: OperationEnvelope | BaseException | None = None
        self.on_call: Callable[[str, dict[str, Any]], Awaitable[Any]] | None = None
        """Run inside ``operation`` before it answers (holds or inspects a request)."""
        self.on_put: Callable[[int, dict[str, Any]], Awaitable[Any]] | None = None
        """Run inside ``update_tag`` before the PUT is applied."""
        self.details: list[Transaction | BaseException] = []
        """Scripted ``transaction_details`` answers, in order (the last one repeats)."""
        self.db_stops: list[int] = []
        self.db_stop_error: BaseException | None = None
        self.after_db_stop: Callable[[int], Transaction] | None = None
        """The session ``transaction_details`` answers once closed in the database."""

    # -- records ------------------------------------------------------------------
    def _hit(self, name: str, argument: Any = None) -> None:
        self.calls.append((name, argument))
        if self.down:
            raise SteveUnreachable("connection refused")
        if name in self.fail:
            raise self.fail[name]

    def counts(self) -> dict[str, int]:
        """How often each method was called."""
        return dict(Counter(name for name, _ in self.calls))

    def sent(self) -> list[tuple[str, Any]]:
        """The remote operations sent, as ``(operation, body)``."""
        return [(name, arg) for name, arg in self.calls if name not in METHODS]

    @property
    def detail_calls(self) -> int:
        return self.counts().get("transaction_details", 0)

    def fail_all(self, exc: BaseException | None = None) -> None:
        """Make every poll read fail (by default: SteVe unreachable)."""
        for name in READS:
            self.fail[name] = exc or SteveUnreachable("connection refused")

    def tag(self, id_tag: str) -> OcppTag:
        return next(t for t in self.tags.values() if t.id_tag == id_tag)

    # -- reads --------------------------------------------------------------------
    async def live_status(self) -> list[ChargeBox]:
        self._hit("live_status")
        return [b.model_copy(deep=True) for b in self.chargers]

    async def list_transactions(
        self,
        *,
        type: str = "ALL",  # noqa: A002 - SteVe's own parameter name
        charge_box_ids: Iterable[str] = (),
        id_tags: Iterable[str] = (),
        from_: datetime | None = None,
        to: datetime | None = None,
        **_filters: Any,
    ) -> list[Transaction]:
        self._hit("list_transactions", type)
        if type == "ACTIVE":
            found = list(self.active)
        else:
            known = {t.id for t in self.transactions}
            found = self.transactions + [t for t in self.active if t.id not in known]
        boxes, cards = set(charge_box_ids), set(id_tags)
        found = [
            t
            for t in found
            if (not boxes or t.charge_box_id in boxes) and (not cards or t.ocpp_id_tag in cards)
        ]
        if from_ is not None and to is not None:  # SteVe's FROM_TO: on the start time
            found = [t for t in found if from_ <= t.start_timestamp <= to]
        # SteVe lists history newest first; open sessions keep the fleet's order.
        return found if type == "ACTIVE" else sorted(found, key=lambda t: t.id, reverse=True)

    async def unknown_tags(self) -> list[RefusedTag] | None:
        """The manager page's unknown tags; no web password unless a test sets some."""
        self._hit("unknown_tags")
        if self.unknown is None:
            raise ConfigError("the manager pages need steve.web_password")
        return [t.model_copy() for t in self.unknown]

    async def list_tags(self, **filters: Any) -> list[OcppTag]:
        self._hit("list_tags")
        tags = [t.model_copy(deep=True) for t in self.tags.values()]
        if "idTag" in filters:
            tags = [t for t in tags if t.id_tag == filters["idTag"]]
        return tags

    async def find_tag(self, id_tag: str) -> OcppTag | None:
        found = await self.list_tags(idTag=id_tag)
        return found[0] if found else None

    async def transaction_details(
        self, pk: int, *, energy_values_only: bool = True
    ) -> TransactionDetails:
        self._hit("transaction_details", pk)
        if self.details:
            item = self.details[0] if len(self.details) == 1 else self.details.pop(0)
            if isinstance(item, BaseException):
                raise item
            return TransactionDetails(
                transaction=item.model_copy(update={"id": pk}) if item.id != pk else item,
                values=self.meters.get(pk, []),
            )
        for t in [*self.active, *self.transactions]:
            if t.id == pk:
                return TransactionDetails(transaction=t, values=self.meters.get(pk, []))
        raise SteveNotFound(f"There is no transaction with id '{pk}'")

    # -- writes -------------------------------------------------------------------
    async def update_tag(self, pk: int, form: dict[str, Any]) -> OcppTag:
        self._hit("update_tag", dict(form))
        if self.on_put is not None:
            await self.on_put(pk, form)
        if self.put_fails:
            raise SteveRejected("Internal Server Error", status=500)
        old = self.tags[pk]
        expiry = _parse(form.get("expiryDate"))
        if expiry is not None and self.clock is not None and expiry <= self.clock.now():
            raise SteveRejected("Error understanding the request", status=400)
        parent = form.get("parentIdTag")
        if parent is not None and parent not in {t.id_tag for t in self.tags.values()}:
            raise SteveRejected("FK violation", status=500)
        max_active = form.get("maxActiveTransactionCount")
        max_active = 1 if max_active is None else max_active
        new = old.model_copy(
            update={
                "parent_id_tag": parent,
                "expiry_date": expiry,
                "max_active_transaction_count": max_active,
                "blocked": max_active == 0,
                "note": form.get("note"),
            }
        )
        self.tags[pk] = new
        return new.model_copy(deep=True)

    async def operation(self, name: str, body: dict[str, Any]) -> OperationEnvelope:
        self.calls.append((name, body))
        if self.on_call is not None:
            await self.on_call(name, body)
        if self.down:
            raise SteveUnreachable("connection refused")
        if isinstance(self.answer, BaseException):
            raise self.answer
        if self.answer is None:
            raise AssertionError(f"{name}: the test scripted no answer (set .answer)")
        return self.answer

    async def stop_transaction_in_db(self, pk: int) -> None:
        self.calls.append(("stop_transaction_in_db", pk))
        if self.db_stop_error is not None:
            raise self.db_stop_error
        self.db_stops.append(pk)
        if self.after_db_stop is not None:
            self.details = [self.after_db_stop(pk)]
