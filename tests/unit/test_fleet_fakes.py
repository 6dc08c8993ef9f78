"""Shared fakes for the poller and fleet tests (no tests in this module).

In-memory stand-ins for the SteVe client, the Lago client and the store,
with the same method names as the real ones, counters of calls and switches
to make each part fail. The real clients are tested over HTTP elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from polaris_tui.models import (
    CardMeta,
    ChargeBox,
    ConnectorStatus,
    InventoryCharger,
    LagoCustomer,
    MeterValue,
    OcppTag,
    Snapshot,
    Transaction,
)
from polaris_tui.models.errors import SteveRejected, StoreError
from tests.fakes.steve import FakeSteve

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def ago(**kw) -> datetime:
    return NOW - timedelta(**kw)


def connector(
    cb: str, cid: int, status: str, at: datetime, error: str = "NoError"
) -> ConnectorStatus:
    return ConnectorStatus(
        charge_box_id=cb, connector_id=cid, status=status, error_code=error, timestamp=at
    )


def box(
    cb: str,
    *connectors: ConnectorStatus,
    online: bool | None = True,
    heartbeat: datetime | None = None,
    description: str | None = None,
) -> ChargeBox:
    return ChargeBox(
        charge_box_id=cb,
        description=description or f"{cb} site",
        last_heartbeat=heartbeat if heartbeat is not None else ago(minutes=1),
        online=online,
        connectors=list(connectors),
    )


def tx(
    tx_id: int,
    cb: str,
    id_tag: str,
    start: datetime,
    connector_id: int = 1,
    start_value: str = "1000",
) -> Transaction:
    return Transaction(
        id=tx_id,
        charge_box_id=cb,
        connector_id=connector_id,
        ocpp_id_tag=id_tag,
        start_timestamp=start,
        start_value=start_value,
    )


def tag(id_tag: str, pk: int, parent: str | None = None) -> OcppTag:
    return OcppTag(ocpp_tag_pk=pk, id_tag=id_tag, parent_id_tag=parent)


def meter(at: datetime, wh: float) -> MeterValue:
    return MeterValue(
        value_timestamp=at, value=str(wh), unit="Wh", measurand="Energy.Active.Import.Register"
    )


def demo_data():
    """A small fleet in the spirit of docs/demo-fleet.md."""
    chargers = [
        box(
            "CP-ALPHA-01",
            connector("CP-ALPHA-01", 1, "Charging", ago(minutes=40)),
            description="Main St depot, bay 1",
        ),
        box(
            "CP-BRAVO-02",
            connector("CP-BRAVO-02", 1, "Charging", ago(hours=3)),
            description="Harbour car park, east",
        ),
        box(
            "CP-CHARLIE-03",
            connector("CP-CHARLIE-03", 1, "Available", ago(hours=3)),
            online=False,
            heartbeat=ago(hours=3),
            description="Airport long-stay P4",
        ),
        box(
            "CP-DELTA-04",
            connector("CP-DELTA-04", 1, "Available", ago(hours=5)),
            connector("CP-DELTA-04", 2, "Available", ago(hours=5)),
        ),
        box(
            "CP-ECHO-05",
            connector("CP-ECHO-05", 1, "Faulted", ago(minutes=30), "GroundFailure"),
            connector("CP-ECHO-05", 2, "Available", ago(hours=2)),
            description="Mall roof level",
        ),
        box("CP-JULIET-10", connector("CP-JULIET-10", 1, "SuspendedEV", ago(minutes=5))),
    ]
    active = [
        tx(1010, "CP-ALPHA-01", "CARD-HEALTHY", ago(minutes=40)),
        tx(1011, "CP-BRAVO-02", "CARD-STUCK", ago(hours=3)),
        tx(1012, "CP-JULIET-10", "ACME-01", ago(minutes=50)),
    ]
    tags = [
        tag("CARD-HEALTHY", 1),
        tag("CARD-STUCK", 2),
        tag("ACME-META", 3),
        tag("ACME-01", 4, parent="ACME-META"),
    ]
    customers = [
        LagoCustomer(
            lago_id="u1", external_id="cust-ada", name="Ada Lovelace", email="ada@example.com"
        ),
        LagoCustomer(
            lago_id="u2", external_id="cust-grace", name="Grace Hopper", email="grace@example.com"
        ),
        LagoCustomer(
            lago_id="u3", external_id="cust-acme", name="ACME Logistics", email="fleet@acme.example"
        ),
    ]
    card_meta = {
        "CARD-HEALTHY": CardMeta(id_tag="CARD-HEALTHY", lago_customer_id="cust-ada"),
        "CARD-STUCK": CardMeta(id_tag="CARD-STUCK", lago_customer_id="cust-grace"),
        "ACME-META": CardMeta(id_tag="ACME-META", lago_customer_id="cust-acme"),
    }
    inventory = [
        InventoryCharger(
            charge_box_id="LEGACY-GARAGE-99", description="Old garage AC post", managed=False
        )
    ]
    return chargers, active, tags, customers, card_meta, inventory


def demo_meters() -> dict[int, list[MeterValue]]:
    """Meter values of demo_data()'s open sessions, as docs/demo-fleet.md tells them:
    ALPHA (1010) advancing every minute; BRAVO (1011) 3 h session whose values
    stopped 25 min ago; JULIET (1012) paused car, values still every minute but
    flat for 35 min."""
    return {
        1010: [meter(ago(minutes=m), 1000 + (40 - m) * 100) for m in range(39, 0, -1)],
        1011: [meter(ago(minutes=m), 1000 + (180 - m) * 100) for m in range(179, 24, -1)],
        1012: [meter(ago(minutes=m), 1000 + min(50 - m, 15) * 100) for m in range(49, 0, -1)],
    }


class FakeLago:
    configured = True

    def __init__(self, customers):
        self._customers = customers
        self.calls = 0
        self.fail: Exception | None = None

    async def customers(self):
        self.calls += 1
        if self.fail:
            raise self.fail
        return list(self._customers)


class FakeStore:
    """The store methods the poller and fleet call, in memory."""

    def __init__(self, card_meta=None, inventory=None):
        self.snapshot: Snapshot | None = None
        self.customers_cache = None
        self.meta = dict(card_meta or {})
        self.inv = list(inventory or [])
        self.saves = 0
        self.meta_reads = 0
        self.fail_reads = False
        self.operations = []
        self.pairings_list = []
        self.scans = []

    async def save_snapshot(self, snapshot):
        self.saves += 1
        self.snapshot = Snapshot.model_validate_json(snapshot.model_dump_json())

    async def load_snapshot(self):
        return self.snapshot

    async def save_customers(self, customers, fetched_at):
        self.customers_cache = (list(customers), fetched_at)

    async def load_customers(self):
        return self.customers_cache

    async def card_meta_all(self):
        self.meta_reads += 1
        if self.fail_reads:
            raise StoreError("disk I/O error")
        return dict(self.meta)

    async def inventory(self):
        return list(self.inv)

    async def add_inventory(self, charger):
        self.inv = [c for c in self.inv if c.charge_box_id != charger.charge_box_id] + [charger]
        return charger

    async def recent_operations(
        self, *, charge_box_id=None, requested_by=None, status=None, limit=100
    ):
        if self.fail_reads:
            raise StoreError("disk I/O error")
        return [
            o for o in self.operations if charge_box_id is None or o.charge_box_id == charge_box_id
        ][:limit]

    async def pairings(self, charge_box_id=None, include_inactive=False):
        return [
            p
            for p in self.pairings_list
            if charge_box_id is None or p.charge_box_id == charge_box_id
        ]

    async def scan_events(self, *, charge_box_id=None, id_tag=None, since=None, limit=50):
        return [s for s in self.scans if charge_box_id is None or s.charge_box_id == charge_box_id][
            :limit
        ]


__all__ = [
    "NOW",
    "FakeLago",
    "FakeStore",
    "FakeSteve",
    "SteveRejected",
    "ago",
    "box",
    "connector",
    "demo_data",
    "demo_meters",
    "meter",
    "tag",
    "tx",
]
