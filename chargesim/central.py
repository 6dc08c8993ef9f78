"""The central-system half of the stand-in: what SteVe does with OCPP messages.

Simulated firmware (``station.py``) and real OCPP-J connections (``ocppj.py``)
both report here — boot, heartbeat, StatusNotification, Authorize,
StartTransaction, StopTransaction, MeterValues — and the REST layer reads the
result. Rules follow SteVe where STEVE.md documents them (authorize decision,
StopTransaction validation, unknown tags inserted blocked on a start), plus the
one rule the card runbook adds: a child of a blocked or expired parent is
refused too (``SimOptions.inherit_parent_status``).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .clock import SimClock, floor_minute, iso_z
from .hook import HookClient
from .options import SimOptions
from .records import ChargeBox, Connector, MeterSample, OcppTag, Reservation, Transaction
from .unknown_tags import UnknownTags

log = logging.getLogger("chargesim.central")

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
MAX_SAMPLES = 6_000
"""Samples kept per transaction (two per minute: about two days)."""


@dataclass
class AuthDecision:
    """The answer to one Authorize / StartTransaction, and why."""

    status: str
    steve_status: str
    """What vanilla SteVe alone would have answered."""
    inherited_from: str | None = None
    """The blocked/expired ancestor that refused a child, if any."""
    override_by: str | None = None
    """``hook`` or ``intercept`` when Accepted was downgraded to Blocked."""
    hook: str = "off"
    parent_id_tag: str | None = None
    expiry: datetime | None = None

    @property
    def overridden(self) -> bool:
        return self.override_by is not None


class Central:
    """SteVe's database and OCPP server logic, in memory.

    Not thread-safe: everything runs on the stand-in's event loop.
    """

    def __init__(self, clock: SimClock, options: SimOptions) -> None:
        self.clock = clock
        self.options = options
        self.hook = HookClient(options.hook_url, options.hook_key, options.hook_timeout)
        self.tags: dict[str, OcppTag] = {}
        self.tags_by_pk: dict[int, OcppTag] = {}
        self.boxes: dict[str, ChargeBox] = {}
        self.boxes_by_pk: dict[int, ChargeBox] = {}
        self.transactions: dict[int, Transaction] = {}
        self.active_by_tag: Counter[str] = Counter()
        self.running: set[tuple[str, int]] = set()
        """(chargeBoxId, connectorId) where the station believes a transaction runs."""
        self.reservations: dict[int, Reservation] = {}
        self.charging_profiles: dict[int, dict[str, Any]] = {}
        self.authorizations: list[dict[str, Any]] = []
        self.unknown_tags = UnknownTags()
        self.stop_failures: list[dict[str, Any]] = []
        self.next_tag_pk = 1
        self.next_box_pk = 1
        self.next_tx_id = 1001
        self.next_reservation_id = 1
        self.last_tick = floor_minute(clock.now())

    # ------------------------------------------------------------------ tags

    def add_tag(
        self,
        id_tag: str,
        *,
        parent: str | None = None,
        expiry: datetime | None = None,
        max_active: int = 1,
        note: str | None = None,
        user_pk: int | None = None,
    ) -> OcppTag:
        """Insert a tag with no validation (the REST layer validates)."""
        tag = OcppTag(self.next_tag_pk, id_tag, parent, expiry, max_active, note, user_pk)
        self.next_tag_pk += 1
        self.tags[id_tag] = tag
        self.tags_by_pk[tag.pk] = tag
        return tag

    def delete_tag(self, tag: OcppTag) -> None:
        self.tags.pop(tag.id_tag, None)
        self.tags_by_pk.pop(tag.pk, None)

    def is_expired(self, tag: OcppTag) -> bool:
        """SteVe: expired when ``expiryDate <= now``."""
        return tag.expiry_date is not None and tag.expiry_date <= self.clock.now()

    def tag_overview(self, tag: OcppTag) -> dict[str, Any]:
        """SteVe's OcppTagOverview (nulls serialized as null)."""
        parent = self.tags.get(tag.parent_id_tag) if tag.parent_id_tag else None
        active = self.active_by_tag.get(tag.id_tag, 0)
        return {
            "ocppTagPk": tag.pk,
            "idTag": tag.id_tag,
            "parentIdTag": tag.parent_id_tag,
            "parentOcppTagPk": parent.pk if parent else None,
            "userPk": tag.user_pk,
            "expiryDate": iso_z(tag.expiry_date),
            "maxActiveTransactionCount": tag.max_active,
            "activeTransactionCount": active,
            "inTransaction": active > 0,
            "blocked": tag.max_active == 0,
            "note": tag.note,
        }

    # ------------------------------------------------------------- authorize

    def steve_status(self, id_tag: str, *, concurrent_check: bool) -> str:
        """SteVe's ``decideStatus``: first match wins (STEVE.md §7)."""
        tag = self.tags.get(id_tag)
        if tag is None:
            return "Invalid"
        if tag.max_active == 0:
            return "Blocked"
        if self.is_expired(tag):
            return "Expired"
        if concurrent_check and tag.max_active > 0:
            if self.active_by_tag.get(id_tag, 0) >= tag.max_active:
                return "ConcurrentTx"
        return "Accepted"

    def ancestor_refusal(self, id_tag: str) -> tuple[str, str] | None:
        """The first blocked or expired ancestor: (status, its idTag), or None."""
        seen = {id_tag}
        tag = self.tags.get(id_tag)
        while tag is not None and tag.parent_id_tag and tag.parent_id_tag not in seen:
            seen.add(tag.parent_id_tag)
            tag = self.tags.get(tag.parent_id_tag)
            if tag is None:
                return None
            if tag.max_active == 0:
                return ("Blocked", tag.id_tag)
            if self.is_expired(tag):
                return ("Expired", tag.id_tag)
        return None

    async def authorize(
        self, box: ChargeBox, connector_id: int | None, id_tag: str, *, is_start_tx: bool
    ) -> AuthDecision:
        """Decide an Authorize (or the idTagInfo of a StartTransaction) and record it.

        Order: SteVe's rules → the runbook's parent rule → the pre-authorize
        hook (only downgrades Accepted → Blocked) → a scan-to-login
        interception armed on this charger by a fault.
        """
        steve = self.steve_status(id_tag, concurrent_check=is_start_tx)
        decision = AuthDecision(status=steve, steve_status=steve)
        tag = self.tags.get(id_tag)
        if tag is not None:
            decision.parent_id_tag = tag.parent_id_tag
            decision.expiry = tag.expiry_date
        if steve == "Accepted" and self.options.inherit_parent_status:
            refusal = self.ancestor_refusal(id_tag)
            if refusal is not None:
                decision.status, decision.inherited_from = refusal
        hook = await self.hook.call(
            id_tag, box.charge_box_id, connector_id, is_start_tx, self.clock.epoch_ms()
        )
        decision.hook = hook.outcome
        if hook.override == "BLOCKED" and decision.status == "Accepted":
            decision.status, decision.override_by = "Blocked", "hook"
        elif box.intercept_armed and not is_start_tx and decision.status == "Accepted":
            decision.status, decision.override_by = "Blocked", "intercept"
            box.intercept_armed = False
        self.record_authorization(box.charge_box_id, connector_id, id_tag, is_start_tx, decision)
        return decision

    def record_authorization(
        self,
        charge_box_id: str,
        connector_id: int | None,
        id_tag: str,
        is_start_tx: bool,
        decision: AuthDecision,
        *,
        at: datetime | None = None,
    ) -> None:
        if decision.steve_status == "Invalid":  # SteVe lists every idTag it answered Invalid
            self.unknown_tags.seen(id_tag, at or self.clock.now())
        self.authorizations.append(
            {
                "time": iso_z(at or self.clock.now()),
                "chargeBoxId": charge_box_id,
                "connectorId": connector_id,
                "idTag": id_tag,
                "isStartTx": is_start_tx,
                "status": decision.status,
                "steveStatus": decision.steve_status,
                "inheritedFrom": decision.inherited_from,
                "overridden": decision.overridden,
                "overrideBy": decision.override_by,
                "hook": decision.hook,
            }
        )
        if len(self.authorizations) > 10_000:
            del self.authorizations[:1_000]

    # --------------------------------------------------------------- stations

    def add_box(
        self, charge_box_id: str, description: str | None = None, connectors: int = 1, **fields: Any
    ) -> ChargeBox:
        """Register a station with ``connectors`` connectors (status never reported)."""
        box = ChargeBox(
            pk=self.next_box_pk, charge_box_id=charge_box_id, description=description, **fields
        )
        self.next_box_pk += 1
        for n in range(1, connectors + 1):
            box.connectors.setdefault(n, Connector(n))
        self.boxes[charge_box_id] = box
        self.boxes_by_pk[box.pk] = box
        return box

    def remove_box(self, box: ChargeBox) -> None:
        self.boxes.pop(box.charge_box_id, None)
        self.boxes_by_pk.pop(box.pk, None)
        self.running = {r for r in self.running if r[0] != box.charge_box_id}

    def connector(self, box: ChargeBox, connector_id: int) -> Connector:
        """The connector, created if the station reports a new one (SteVe does)."""
        conn = box.connectors.get(connector_id)
        if conn is None:
            conn = box.connectors[connector_id] = Connector(connector_id)
        return conn

    def status_notification(
        self,
        box: ChargeBox,
        connector_id: int,
        status: str,
        error_code: str = "NoError",
        *,
        ts: datetime | None = None,
        info: str | None = None,
        vendor_error_code: str | None = None,
    ) -> None:
        conn = self.connector(box, connector_id)
        conn.status = status
        conn.error_code = error_code
        conn.status_ts = ts or self.clock.now()
        conn.info = info
        conn.vendor_error_code = vendor_error_code

    def heartbeat(self, box: ChargeBox, ts: datetime | None = None) -> None:
        box.last_heartbeat = ts or self.clock.now()

    def effective_heartbeat(self, box: ChargeBox) -> datetime | None:
        """Last heartbeat; an online simulated station beats every interval.

        Computed, not ticked: the latest instant ``phase + k * interval`` at or
        before now (and not before the station came online).
        """
        last = box.last_heartbeat
        if box.online and is_simulated(box):
            interval = self.options.heartbeat_interval
            now = self.clock.now().timestamp()
            k = math.floor((now - box.hb_phase) / interval)
            aligned = datetime.fromtimestamp(k * interval + box.hb_phase, UTC)
            if box.online_since is not None and aligned < box.online_since:
                aligned = box.online_since
            if last is None or aligned > last:
                last = aligned
        return last

    # ----------------------------------------------------------- transactions

    def start_transaction(
        self,
        box: ChargeBox,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        ts: datetime,
        *,
        reservation_id: int | None = None,
    ) -> Transaction:
        """Insert a transaction as SteVe does: always, whatever the idTagInfo."""
        tag = self.tags.get(id_tag)
        if tag is None:
            # SteVe inserts an unknown tag blocked, "to prevent information loss".
            tag = self.add_tag(
                id_tag,
                max_active=0,
                note=f"This unknown idTag was used in a transaction that started @ {iso_z(ts)}. "
                f"It was reported @ {iso_z(self.clock.now())}.",
            )
        tx = Transaction(
            id=self.next_tx_id,
            charge_box_pk=box.pk,
            charge_box_id=box.charge_box_id,
            connector_id=connector_id,
            id_tag=id_tag,
            ocpp_tag_pk=tag.pk,
            user_id=tag.user_pk,
            start_ts=ts,
            start_value=meter_start,
        )
        self.next_tx_id += 1
        tx.values.append(MeterSample(ts, str(meter_start), context="Transaction.Begin"))
        self.transactions[tx.id] = tx
        self.active_by_tag[id_tag] += 1
        conn = self.connector(box, connector_id)
        conn.tx_id = tx.id
        self.running.add((box.charge_box_id, connector_id))
        if reservation_id is not None and reservation_id in self.reservations:
            self.reservations[reservation_id].status = "Used"
            conn.reservation_id = None
        return tx

    def related_by_parent(self, a: str, b: str) -> bool:
        """SteVe's ``areIdTagsRelatedByParent``."""
        ta, tb = self.tags.get(a), self.tags.get(b)
        pa = ta.parent_id_tag if ta else None
        pb = tb.parent_id_tag if tb else None
        return (pa is not None and pa == pb) or pa == b or pb == a

    def stop_transaction(
        self,
        tx_id: int,
        meter_stop: int,
        ts: datetime,
        reason: str | None,
        *,
        id_tag: str | None = None,
        actor: str = "station",
        event_ts: datetime | None = None,
    ) -> str | None:
        """Apply a StopTransaction.req. Returns the validation error, or None.

        SteVe's hard errors (unknown transaction, already stopped by the
        station, idTag unrelated, stop before start or in the future, meter
        going backwards) leave the transaction active and are only recorded
        (``stop_failures``), as ``updateTransactionAsFailed`` does.
        """
        tx = self.transactions.get(tx_id)
        now = event_ts or self.clock.now()
        error = None
        if tx is None:
            error = f"There is no transaction with id '{tx_id}'"
        elif tx.stop_ts is not None and tx.stop_actor == "station":
            error = f"Transaction '{tx_id}' is already stopped"
        elif id_tag and id_tag != tx.id_tag and not self.related_by_parent(id_tag, tx.id_tag):
            error = f"The idTag '{id_tag}' is not related to the transaction's idTag"
        elif ts < tx.start_ts:
            error = "The stop timestamp is before the start timestamp"
        elif ts > now + timedelta(minutes=1):
            error = "The stop timestamp is in the future"
        elif meter_stop < tx.start_value:
            error = "meterStop is smaller than meterStart"
        if tx is not None:
            self.release_connector(tx)
        if error is not None:
            self.stop_failures.append(
                {"time": iso_z(now), "transactionId": tx_id, "error": error, "reason": reason}
            )
            return error
        assert tx is not None
        if tx.stop_ts is None:
            self.active_by_tag[tx.id_tag] -= 1
        tx.stop_ts, tx.stop_value, tx.stop_reason, tx.stop_actor = ts, meter_stop, reason, actor
        tx.values.append(MeterSample(ts, str(meter_stop), context="Transaction.End"))
        return None

    def release_connector(self, tx: Transaction) -> None:
        """The station no longer runs ``tx`` on its connector."""
        box = self.boxes.get(tx.charge_box_id)
        if box is None:
            return
        conn = box.connectors.get(tx.connector_id)
        if conn is not None and conn.tx_id == tx.id:
            conn.tx_id = None
            conn.power_w = 0
            self.running.discard((box.charge_box_id, tx.connector_id))

    def manual_stop(self, tx: Transaction) -> None:
        """``PATCH /transactions/{pk}/stop``: database only, nothing to the station.

        Stop value and time come from the last energy meter value (SteVe's
        ``findNeededValues``), else the start value and now.
        """
        if tx.stop_ts is not None:
            return
        last = next((s for s in reversed(tx.values) if is_energy(s)), None)
        if last is not None:
            stop_ts, stop_value = last.ts, int(float(last.value))
        else:
            stop_ts, stop_value = self.clock.now(), tx.start_value
        self.active_by_tag[tx.id_tag] -= 1
        tx.stop_ts, tx.stop_value, tx.stop_reason, tx.stop_actor = (
            stop_ts,
            stop_value,
            None,
            "manual",
        )

    def meter_sample(self, tx: Transaction, ts: datetime, wh: int, power_w: int | None) -> None:
        """A periodic MeterValues.req for ``tx`` (energy, plus power if known)."""
        tx.values.append(MeterSample(ts, str(wh)))
        if power_w is not None:
            tx.values.append(MeterSample(ts, str(power_w), measurand=POWER, unit="W"))
        if len(tx.values) > MAX_SAMPLES:
            # A session left running for days: keep its Begin value and the recent ones.
            del tx.values[1 : len(tx.values) - MAX_SAMPLES + 1]

    # -------------------------------------------------------------- the clock

    def advance_to(self, now: datetime) -> int:
        """Play every whole minute up to ``now``: meter values, expiries.

        Returns the number of minute ticks played.
        """
        target = floor_minute(now)
        ticks = 0
        while self.last_tick < target:
            self.last_tick += timedelta(minutes=1)
            minute = self.last_tick
            ticks += 1
            for cb_id, connector_id in list(self.running):
                box = self.boxes.get(cb_id)
                if box is None or not is_simulated(box):
                    continue
                conn = box.connectors[connector_id]
                conn.meter_wh += conn.power_w // 60
                tx = self.transactions.get(conn.tx_id) if conn.tx_id else None
                if tx is not None and box.online and not conn.meter_stalled:
                    self.meter_sample(tx, minute, conn.meter_wh, conn.power_w)
            for res in list(self.reservations.values()):
                if res.status == "Accepted" and res.expiry <= minute:
                    self.expire_reservation(res, minute)
        return ticks

    def expire_reservation(self, res: Reservation, at: datetime) -> None:
        res.status = "Expired"
        box = self.boxes.get(res.charge_box_id)
        if box is None:
            return
        conn = box.connectors.get(res.connector_id)
        if conn is not None and conn.reservation_id == res.id:
            conn.reservation_id = None
            if conn.status == "Reserved":
                self.status_notification(box, res.connector_id, "Available", ts=at)


def is_energy(sample: MeterSample) -> bool:
    """SteVe's ``isEnergyValue``: numeric, not signed, energy measurand, Wh/kWh."""
    if sample.fmt == "SignedData":
        return False
    if sample.measurand not in (None, "", ENERGY):
        return False
    if (sample.unit or "") not in ("", "Wh", "kWh"):
        return False
    try:
        float(sample.value)
    except ValueError:
        return False
    return True


def is_simulated(box: ChargeBox) -> bool:
    """True when the stand-in's own firmware drives ``box`` (not a real OCPP-J link)."""
    return bool(getattr(box.link, "simulated", False))
