"""In-memory Lago, poller and demo data for the card service tests (no tests here).

The fake SteVe is ``tests.fakes.steve.FakeSteve`` (re-exported here): it
follows the tag PUT rules of contracts/STEVE.md §2, so a service that
forgets a field is caught here too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from polaris_tui.models import (
    CardMeta,
    ConnectionState,
    LagoCustomer,
    LagoEvent,
    LagoSubscription,
    OcppTag,
    SourceName,
    SourceState,
    Transaction,
)
from polaris_tui.models.errors import LagoUnreachable

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


class FakeLago:
    configured = True

    def __init__(
        self,
        customers: list[LagoCustomer],
        subscriptions: list[LagoSubscription],
        events: list[LagoEvent],
    ):
        self.customers = {c.external_id: c for c in customers}
        self.subs = subscriptions
        self.events = {e.transaction_id: e for e in events}
        self.down = False
        self.calls: list[str] = []

    def _check(self, what):
        self.calls.append(what)
        if self.down:
            raise LagoUnreachable("connection refused")

    async def customer(self, external_id):
        self._check(f"customer:{external_id}")
        return self.customers.get(external_id)

    async def subscriptions(self, external_customer_id):
        self._check(f"subscriptions:{external_customer_id}")
        return [s for s in self.subs if s.external_customer_id == external_customer_id]

    async def event(self, transaction_id):
        self._check(f"event:{transaction_id}")
        return self.events.get(transaction_id)


class FakePoller:
    def __init__(
        self, tags: list[OcppTag], fetched_at: datetime | None, state=ConnectionState.LIVE
    ):
        self._tags = tags
        self.tags_fetched_at = fetched_at
        self.fetched_at = fetched_at
        self.states = {
            SourceName.STEVE: SourceState(
                source=SourceName.STEVE, state=state, last_ok=fetched_at, since=fetched_at
            ),
            SourceName.LAGO: SourceState(
                source=SourceName.LAGO, state=ConnectionState.LIVE, last_ok=fetched_at
            ),
        }

    def tags(self):
        return list(self._tags)

    def customers(self):
        return []

    def state(self, source):
        return self.states[source].model_copy()


def tag(id_tag, pk, *, parent=None, max_active=1, expiry=None, note=None, active=0) -> OcppTag:
    return OcppTag(
        ocpp_tag_pk=pk,
        id_tag=id_tag,
        parent_id_tag=parent,
        max_active_transaction_count=max_active,
        blocked=max_active == 0,
        expiry_date=expiry,
        note=note,
        active_transaction_count=active,
        in_transaction=active > 0,
    )


def demo_tags() -> list[OcppTag]:
    return [
        tag("CARD-HEALTHY", 1, note="Ada's spare", expiry=NOW + timedelta(days=300)),
        tag("CARD-BLOCKED", 2, max_active=0),
        tag("CARD-EXPIRED", 3, expiry=NOW - timedelta(days=2), note="lapsed"),
        tag("FLEET-PARENT", 4, max_active=0),
        tag("FLEET-CHILD-1", 5, parent="FLEET-PARENT"),
        tag("FLEET-CHILD-2", 6, parent="FLEET-PARENT"),
        tag("ACME-META", 7, max_active=-1),
        tag("ACME-01", 8, parent="ACME-META", active=1),
        tag("ACME-02", 9, parent="ACME-META"),
        tag("CARD-UNLINKED", 10),
        tag("CARD-TERMINATED", 11),
        tag("CARD-KIOSK", 12),
        tag("CARD-INACTIVE", 13),
    ]


def demo_meta() -> list[CardMeta]:
    return [
        CardMeta(
            id_tag="CARD-HEALTHY",
            lago_customer_id="cust-ada",
            display_name="Ada Lovelace",
            tag_type="RFID",
        ),
        CardMeta(id_tag="CARD-BLOCKED", lago_customer_id="cust-ada"),
        CardMeta(id_tag="FLEET-PARENT", lago_customer_id="cust-acme", display_name="Fleet parent"),
        CardMeta(id_tag="ACME-META", lago_customer_id="cust-acme", display_name="ACME fleet"),
        CardMeta(id_tag="CARD-UNLINKED", display_name="Unlinked"),
        CardMeta(id_tag="CARD-TERMINATED", lago_customer_id="cust-tom"),
        CardMeta(id_tag="CARD-KIOSK", lago_customer_id="cust-kim"),
        CardMeta(id_tag="CARD-INACTIVE", lago_customer_id="cust-ada", active=False),
        CardMeta(id_tag="CARD-NEW-0001", tag_type="RFID", display_name="New card, unissued"),
    ]


def customer(ext, name, email) -> LagoCustomer:
    return LagoCustomer(lago_id=f"l-{ext}", external_id=ext, name=name, email=email)


def sub(ext, cust, status="active") -> LagoSubscription:
    return LagoSubscription(
        lago_id=f"l-{ext}",
        external_id=ext,
        external_customer_id=cust,
        plan_code="kwh",
        status=status,
    )


def demo_lago() -> FakeLago:
    return FakeLago(
        [
            customer("cust-ada", "Ada Lovelace", "ada@example.com"),
            customer("cust-acme", "ACME Logistics", "fleet@acme.example"),
            customer("cust-tom", "Tom Turner", "tom@example.com"),
            customer("cust-kim", "Kim Park", "kim@example.com"),
            customer("cust-grace", "Grace Hopper", "grace@example.com"),
        ],
        [
            sub("sub-ada", "cust-ada"),
            sub("sub-acme", "cust-acme"),
            sub("sub-tom", "cust-tom", "terminated"),
            sub("sub-kim", "cust-kim"),
        ],
        [
            LagoEvent(
                lago_id="e1",
                transaction_id="steve_tx_1001_final",
                code="ev_charging_kwh",
                timestamp=NOW - timedelta(hours=20),
                created_at=NOW - timedelta(hours=19),
            ),
        ],
    )


def tx(
    pk, id_tag, start, *, stop=None, start_value="1000", stop_value=None, cb="CP-ALPHA-01"
) -> Transaction:
    return Transaction(
        id=pk,
        charge_box_id=cb,
        connector_id=1,
        ocpp_id_tag=id_tag,
        start_timestamp=start,
        start_value=start_value,
        stop_timestamp=stop,
        stop_value=stop_value,
    )


def demo_transactions() -> list[Transaction]:
    healthy = [
        tx(
            1001,
            "CARD-HEALTHY",
            NOW - timedelta(hours=21),
            stop=NOW - timedelta(hours=20),
            stop_value="6100",
        ),
        tx(
            1002,
            "CARD-HEALTHY",
            NOW - timedelta(hours=5),
            stop=NOW - timedelta(hours=4),
            stop_value="3000",
        ),
        tx(1003, "CARD-HEALTHY", NOW - timedelta(minutes=20)),
    ]
    many = [
        tx(
            2000 + i,
            "ACME-02",
            NOW - timedelta(days=i + 1),
            stop=NOW - timedelta(days=i + 1) + timedelta(hours=1),
            stop_value="2000",
        )
        for i in range(14)
    ]
    return healthy + many
