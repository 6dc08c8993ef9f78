"""The deterministic demo fleet of ``docs/demo-fleet.md``, and its scaled form.

Everything is placed relative to the clock's "now" at build time, so a frozen
clock gives byte-identical answers run after run; ``--chargers N`` adds
``CP-SIM-00013``... with a seeded, realistic mix of statuses and open sessions.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .central import Central
from .clock import floor_minute, iso_z
from .lago import LagoData
from .records import Transaction
from .station import DEFAULT_POWER_W, SimStation

if TYPE_CHECKING:
    from .world import World

# (chargeBoxId, description, connectors)
DEMO_CHARGERS = [
    ("CP-ALPHA-01", "Main St depot, bay 1", 1),
    ("CP-BRAVO-02", "Harbour car park, east", 1),
    ("CP-CHARLIE-03", "Airport long-stay P4", 2),
    ("CP-DELTA-04", "Riverside, 2 sockets", 2),
    ("CP-ECHO-05", "Mall roof level", 2),
    ("CP-FOXTROT-06", "Kiosk lobby (scan-to-login)", 1),
    ("CP-GOLF-07", "Station Rd car park", 2),
    ("CP-HOTEL-08", "Hotel Meridian garage", 1),
    ("CP-INDIA-09", "Library forecourt", 2),
    ("CP-JULIET-10", "Retail park, row C", 1),
    ("CP-KILO-11", "Depot B, bay 4", 2),
    ("CP-LIMA-12", "Sports centre", 1),
]

DEMO_FAULTS = ("offline:CP-CHARLIE-03", "stuck_stop:CP-BRAVO-02", "meter_stall:CP-BRAVO-02")
"""Faults the demo fleet starts with (see docs/demo-fleet.md)."""

# (idTag, parent, max_active, expiry offset in days or None, note, userPk)
DEMO_TAGS = [
    ("CARD-HEALTHY", None, 1, None, "Ada's card", 1),
    ("CARD-STUCK", None, 1, None, "Grace's card", 2),
    ("CARD-BLOCKED", None, 0, None, "Blocked after a lost-card report", None),
    ("CARD-EXPIRED", None, 1, -2, None, None),
    ("FLEET-PARENT", None, 0, None, "Fleet meta-card (blocked)", None),
    ("FLEET-CHILD-1", "FLEET-PARENT", 1, None, None, None),
    ("FLEET-CHILD-2", "FLEET-PARENT", 1, None, None, None),
    ("ACME-META", None, -1, None, "ACME Logistics meta-card", 3),
    ("ACME-01", "ACME-META", 1, None, "ACME van 1", 3),
    ("ACME-02", "ACME-META", 1, None, "ACME van 2", 3),
    ("CARD-UNLINKED", None, 1, None, None, None),
    ("CARD-TERMINATED", None, 1, None, None, None),
    ("CARD-UNSYNCED", None, 1, None, None, None),
    ("CARD-KIOSK", None, 1, None, "Kim's card", None),
    ("CARD-INACTIVE", None, 1, None, None, None),
]

# idTag → Lago subscription its sessions bill to (None = nothing is sent)
BILLING = {
    "CARD-HEALTHY": "sub-ada",
    "CARD-STUCK": "sub-grace",
    "CARD-BLOCKED": "sub-ada",
    "CARD-EXPIRED": "sub-grace",
    "FLEET-CHILD-1": "sub-acme",
    "FLEET-CHILD-2": "sub-acme",
    "ACME-01": "sub-acme",
    "ACME-02": "sub-acme",
    "CARD-KIOSK": "sub-kim",
    "CARD-INACTIVE": "sub-ada",
}

# Finished sessions stopped by someone other than the car leaving:
# (charger, idTag) → "remote" (RemoteStop: the station stops, reason Remote)
# or "manual" (closed in SteVe's database only: PATCH .../stop).
STOPPED_BY = {
    ("CP-INDIA-09", "CARD-HEALTHY"): "remote",
    ("CP-HOTEL-08", "CARD-TERMINATED"): "manual",
}

REFUSED_TAG = ("CARD-NEW-0001", "CP-DELTA-04", (35, 33))
"""A brand-new card SteVe never saw, tapped twice (minutes ago) at one charger."""

# What the stations told SteVe in their BootNotification: CP-ALPHA-01 all of
# it, CP-LIMA-12 nothing (a charger SteVe registered but that never booted).
FULL_IDENTITY = {
    "vendor": "Alfen",
    "model": "Eve Single Pro-line",
    "firmware": "6.4.0-4152",
    "charge_point_serial": "ACE0123456",
    "charge_box_serial": "CB-7712-0042",
    "iccid": "8944501234567890123",
    "imsi": "234150123456789",
    "meter_type": "Inepro PRO1-Mod",
    "meter_serial": "MTR-00917",
}
NO_IDENTITY_CHARGER = "CP-LIMA-12"

# Finished sessions: (start offset in minutes before now, charger, connector,
# idTag, Wh, minutes, synced to Lago)
DEMO_HISTORY = [
    (9 * 1440 + 300, "CP-DELTA-04", 1, "CARD-BLOCKED", 8_200, 70, True),
    (6 * 1440 + 200, "CP-GOLF-07", 1, "CARD-EXPIRED", 15_400, 140, True),
    (5 * 1440 + 600, "CP-KILO-11", 2, "FLEET-CHILD-1", 21_000, 180, True),
    (4 * 1440 + 120, "CP-DELTA-04", 1, "CARD-HEALTHY", 12_400, 100, True),
    (3 * 1440 + 400, "CP-HOTEL-08", 1, "CARD-TERMINATED", 6_100, 55, False),
    (2 * 1440 + 500, "CP-FOXTROT-06", 1, "CARD-KIOSK", 9_800, 90, True),
    (2 * 1440 + 200, "CP-JULIET-10", 1, "ACME-01", 18_300, 160, True),
    (1440 + 420, "CP-INDIA-09", 2, "CARD-HEALTHY", 10_100, 85, True),
    (1440 + 300, "CP-DELTA-04", 2, "CARD-UNSYNCED", 7_700, 75, False),
    (1440 + 90, "CP-ALPHA-01", 1, "CARD-STUCK", 5_100, 45, True),
    (8 * 60, "CP-LIMA-12", 1, "CARD-INACTIVE", 4_400, 40, True),
    (6 * 60, "CP-GOLF-07", 2, "CARD-UNLINKED", 3_300, 30, False),
]


def build(sim: World) -> tuple[Central, LagoData]:
    """A fresh Central (SteVe) and LagoData holding the demo fleet."""
    central = Central(sim.clock, sim.options)
    now = sim.clock.now()
    rng = random.Random(sim.options.seed)
    _tags(central, now)
    _chargers(sim, central, now)
    lago = _lago(now)
    _history(central, lago, now)
    _open_sessions(central, lago, now)
    _statuses(central, now)
    central.record_authorization(
        "CP-FOXTROT-06",
        1,
        "CARD-KIOSK",
        False,
        _intercepted(),
        at=now - timedelta(minutes=12),
    )
    tag, cb_id, minutes = REFUSED_TAG
    refused = _refused()
    for ago in minutes:
        central.record_authorization(cb_id, 1, tag, False, refused, at=now - timedelta(minutes=ago))
    if sim.options.chargers > len(DEMO_CHARGERS):
        _scale(sim, central, now, rng, sim.options.chargers)
    central.last_tick = floor_minute(now)
    return central, lago


def _intercepted():
    from .central import AuthDecision

    return AuthDecision(
        status="Blocked", steve_status="Accepted", override_by="hook", hook="blocked"
    )


def _refused():
    from .central import AuthDecision

    return AuthDecision(status="Invalid", steve_status="Invalid")


def _tags(central: Central, now: datetime) -> None:
    for id_tag, parent, max_active, expiry_days, note, user_pk in DEMO_TAGS:
        expiry = now + timedelta(days=expiry_days) if expiry_days is not None else None
        central.add_tag(
            id_tag, parent=parent, expiry=expiry, max_active=max_active, note=note, user_pk=user_pk
        )


def _chargers(sim: World, central: Central, now: datetime) -> None:
    for n, (cb_id, description, connectors) in enumerate(DEMO_CHARGERS, start=1):
        box = central.add_box(cb_id, description, connectors, hb_phase=(-n * 7) % 60)
        box.online_since = now - timedelta(days=2, minutes=n)
        box.last_heartbeat = now - timedelta(seconds=(n * 7) % 60)
        for conn in box.connectors.values():
            conn.meter_wh = 100_000 + n * 13_579 + conn.connector_id * 2_468
        box.link = SimStation(sim, box)
    for name, value in FULL_IDENTITY.items():
        setattr(central.boxes["CP-ALPHA-01"], name, value)
    bare = central.boxes[NO_IDENTITY_CHARGER]
    bare.vendor = bare.model = bare.firmware = None
    charlie = central.boxes["CP-CHARLIE-03"]
    charlie.online = False
    charlie.last_heartbeat = now - timedelta(hours=3)
    central.boxes["CP-BRAVO-02"].stuck_stop = True


def _lago(now: datetime) -> LagoData:
    lago = LagoData()
    people = [
        ("cust-ada", "Ada Lovelace", "Ada", "Lovelace", "ada@example.com", "individual", 400),
        ("cust-grace", "Grace Hopper", "Grace", "Hopper", "grace@example.com", "individual", 380),
        ("cust-acme", "ACME Logistics", None, None, "fleet@acme.example", "company", 300),
        ("cust-tom", "Tom Turner", "Tom", "Turner", "tom@example.com", "individual", 250),
        ("cust-kim", "Kim Park", "Kim", "Park", "kim@example.com", "individual", 90),
    ]
    for ext, name, first, last, email, kind, days in people:
        lago.add_customer(
            ext,
            name=name,
            firstname=first,
            lastname=last,
            email=email,
            customer_type=kind,
            created_at=now - timedelta(days=days),
        )
    plans = [
        ("sub-ada", "cust-ada", "ev_kwh_standard", "active", 399, None),
        ("sub-grace", "cust-grace", "ev_kwh_standard", "active", 379, None),
        ("sub-acme", "cust-acme", "ev_kwh_fleet", "active", 299, None),
        ("sub-tom", "cust-tom", "ev_kwh_standard", "terminated", 249, 30),
        ("sub-kim", "cust-kim", "ev_kwh_standard", "active", 89, None),
    ]
    for ext, cust, plan, status, days, ended in plans:
        lago.add_subscription(
            ext,
            cust,
            plan_code=plan,
            status=status,
            started_at=now - timedelta(days=days),
            name=f"EV charging ({plan})",
            terminated_at=now - timedelta(days=ended) if ended else None,
        )
    return lago


def _fill_values(
    central: Central,
    tx: Transaction,
    start_wh: int,
    power_w: int,
    until: datetime,
    *,
    stall_after: datetime | None = None,
) -> int:
    """Per-minute samples from the start up to ``until``; returns the reading reached."""
    wh = start_wh
    minute = floor_minute(tx.start_ts) + timedelta(minutes=1)
    while minute <= until:
        if stall_after is not None and minute > stall_after:
            break
        wh += power_w // 60
        central.meter_sample(tx, minute, wh, power_w)
        minute += timedelta(minutes=1)
    return wh


def _history(central: Central, lago: LagoData, now: datetime) -> None:
    for ago, cb_id, cid, id_tag, wh, minutes, synced in DEMO_HISTORY:
        box = central.boxes[cb_id]
        conn = box.connectors[cid]
        start = now - timedelta(minutes=ago)
        tx = central.start_transaction(box, cid, id_tag, conn.meter_wh, start)
        power = wh * 60 // minutes
        stop = start + timedelta(minutes=minutes)
        _fill_values(central, tx, conn.meter_wh, power, stop - timedelta(seconds=1))
        conn.meter_wh += wh
        stopped_by = STOPPED_BY.get((cb_id, id_tag))
        if stopped_by == "manual":
            central.manual_stop(tx)
            central.release_connector(tx)
        else:
            reason = "Remote" if stopped_by == "remote" else "EVDisconnected"
            central.stop_transaction(tx.id, conn.meter_wh, stop, reason, event_ts=now)
        conn.status_ts = stop + timedelta(minutes=1)
        if synced:
            kwh = f"{wh / 1000:.3f}"
            lago.add_event(
                f"steve_tx_{tx.id}_final",
                BILLING[id_tag],
                timestamp=stop,
                created_at=stop + timedelta(minutes=5),
                properties={
                    "value": kwh,
                    "kwh": kwh,
                    "charger_id": cb_id,
                    "connector_id": str(cid),
                    "session_duration_minutes": str(minutes),
                    "start_timestamp": iso_z(start),
                    "stop_timestamp": iso_z(stop),
                },
            )


def _open_sessions(central: Central, lago: LagoData, now: datetime) -> None:
    # CP-BRAVO-02: 3 h ago, the car left 25 min ago, the firmware never sent the stop.
    bravo = central.boxes["CP-BRAVO-02"]
    conn = bravo.connectors[1]
    tx = central.start_transaction(bravo, 1, "CARD-STUCK", conn.meter_wh, now - timedelta(hours=3))
    conn.meter_wh = _fill_values(
        central, tx, conn.meter_wh, DEFAULT_POWER_W, now, stall_after=now - timedelta(minutes=25)
    )
    conn.power_w, conn.meter_stalled = 0, True
    # CP-JULIET-10: ACME-01 charged for an hour, the car has paused (SuspendedEV) since.
    juliet = central.boxes["CP-JULIET-10"]
    conn = juliet.connectors[1]
    start = now - timedelta(minutes=95)
    tx = central.start_transaction(juliet, 1, "ACME-01", conn.meter_wh, start)
    wh = _fill_values(central, tx, conn.meter_wh, 11_000, now - timedelta(minutes=35))
    conn.meter_wh = _fill_values_from(central, tx, wh, now - timedelta(minutes=35), now)
    conn.power_w = 0
    # CP-ALPHA-01: CARD-HEALTHY, charging normally.
    alpha = central.boxes["CP-ALPHA-01"]
    conn = alpha.connectors[1]
    tx = central.start_transaction(
        alpha, 1, "CARD-HEALTHY", conn.meter_wh, now - timedelta(minutes=40)
    )
    flush_at = now - timedelta(minutes=10)
    conn.meter_wh = _fill_values(central, tx, conn.meter_wh, DEFAULT_POWER_W, now)
    conn.power_w = DEFAULT_POWER_W
    flushed = [s for s in tx.values if s.measurand != "Power.Active.Import" and s.ts <= flush_at]
    kwh = f"{(int(flushed[-1].value) - tx.start_value) / 1000:.3f}"
    lago.add_event(
        f"steve_tx_{tx.id}_{int(flush_at.timestamp())}",
        "sub-ada",
        timestamp=flush_at,
        properties={"value": kwh, "kwh": kwh, "charger_id": "CP-ALPHA-01"},
    )


def _fill_values_from(
    central: Central, tx: Transaction, wh: int, since: datetime, until: datetime
) -> int:
    """Zero-power samples (a paused car still reports its register)."""
    minute = floor_minute(since) + timedelta(minutes=1)
    while minute <= until:
        central.meter_sample(tx, minute, wh, 0)
        minute += timedelta(minutes=1)
    return wh


def _statuses(central: Central, now: datetime) -> None:
    """Latest StatusNotification of every demo connector."""
    for n, box in enumerate(central.boxes.values(), start=1):
        for conn in box.connectors.values():
            ts = conn.status_ts or now - timedelta(hours=2, minutes=n * 3 + conn.connector_id)
            if ts > now:
                ts = now - timedelta(minutes=1)
            central.status_notification(box, conn.connector_id, "Available", ts=ts)
    s = central.status_notification
    s(central.boxes["CP-ALPHA-01"], 1, "Charging", ts=now - timedelta(minutes=40))
    s(central.boxes["CP-BRAVO-02"], 1, "Charging", ts=now - timedelta(hours=3))
    s(central.boxes["CP-JULIET-10"], 1, "SuspendedEV", ts=now - timedelta(minutes=35))
    s(
        central.boxes["CP-ECHO-05"],
        1,
        "Faulted",
        "GroundFailure",
        ts=now - timedelta(minutes=75),
        info="Ground fault detected",
        vendor_error_code="E-GF-12",
    )
    for conn in central.boxes["CP-CHARLIE-03"].connectors.values():
        s(
            central.boxes["CP-CHARLIE-03"],
            conn.connector_id,
            "Available",
            ts=now - timedelta(hours=3, minutes=10 + conn.connector_id),
        )


SCALE_MIX = [
    ("Available", 0.68),
    ("Charging", 0.14),
    ("SuspendedEV", 0.03),
    ("SuspendedEVSE", 0.01),
    ("Preparing", 0.02),
    ("Finishing", 0.02),
    ("Unavailable", 0.04),
    ("Faulted", 0.06),
]
FAULT_CODES = [
    "GroundFailure",
    "OverCurrentFailure",
    "PowerMeterFailure",
    "ReaderFailure",
    "HighTemperature",
]


def _scale(sim: World, central: Central, now: datetime, rng: random.Random, total: int) -> None:
    """Add ``CP-SIM-00013``… up to ``total`` chargers, deterministic from the seed."""
    statuses = [s for s, _ in SCALE_MIX]
    weights = [w for _, w in SCALE_MIX]
    tag_no = 0
    for pk in range(len(DEMO_CHARGERS) + 1, total + 1):
        cb_id = f"CP-SIM-{pk:05d}"
        box = central.add_box(
            cb_id,
            f"Sim site {pk // 8:04d}, bay {pk % 8 + 1}",
            rng.choice((1, 2, 2)),
            hb_phase=rng.randrange(60),
        )
        box.online_since = now - timedelta(hours=rng.randrange(1, 200))
        box.last_heartbeat = now - timedelta(seconds=rng.randrange(60))
        box.link = SimStation(sim, box)
        if rng.random() < 0.04:
            box.online = False
            box.last_heartbeat = now - timedelta(minutes=rng.randrange(10, 3000))
        for conn in box.connectors.values():
            conn.meter_wh = rng.randrange(10_000, 5_000_000)
            status = rng.choices(statuses, weights)[0]
            ts = now - timedelta(minutes=rng.randrange(1, 600))
            error = rng.choice(FAULT_CODES) if status == "Faulted" else "NoError"
            if status in ("Charging", "SuspendedEV", "SuspendedEVSE"):
                tag_no += 1
                id_tag = f"SIM-TAG-{tag_no:05d}"
                central.add_tag(id_tag)
                start = now - timedelta(minutes=rng.randrange(5, 120))
                tx = central.start_transaction(box, conn.connector_id, id_tag, conn.meter_wh, start)
                power = DEFAULT_POWER_W if status == "Charging" else 0
                conn.meter_wh = _fill_values(central, tx, conn.meter_wh, power, now)
                conn.power_w = power
                ts = start
            central.status_notification(box, conn.connector_id, status, error, ts=ts)
    for n in range(max(total // 10, 1)):
        central.add_tag(f"SIM-IDLE-{n + 1:05d}")
