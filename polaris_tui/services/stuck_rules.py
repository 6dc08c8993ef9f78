"""Stuck sessions: the two rules, and the meter knowledge they rest on.

Pure functions (no I/O, no clock of their own): the poller's row build and
the charger detail judge a session with the same ``judge``, so a row and the
detail never disagree.

* **Meter knowledge** (``MeterNote``): the poller's bounded sampler reads
  the meter values (``GET /transactions/{pk}``) of open sessions within a
  request budget (``poll.meter_reads_per_second``), never-read first, then
  those whose meter could be stuck soonest (``meter_schedule``) — and the charger detail reads those of
  the charger it shows. A note keeps the newest energy value (time, Wh), when
  the reading last changed (``advanced_at``; the start value counts as a
  reading) and when it was read (``checked_at``). Notes of sessions that are
  no longer active are forgotten.
* **Stuck** — the same rule on rows and in the detail (the detail has just
  read the meter, the row uses the newest note). An open transaction is stuck
  when
  (a) its connector reports a status other than Charging/SuspendedEV/
      SuspendedEVSE (Available, Finishing, Faulted… with the transaction
      still open) and has done so for at least ``STATUS_GRACE_SECONDS`` (by
      the connector's timestamp; no timestamp counts as long enough) — judged
      against the clock now; or
  (b) its meter is not advancing: as of the last read (``checked_at``), the
      newest meter value was older than ``poll.stuck_after_minutes``, or
      there was no value at all since a start older than that, or values
      still arrived but the reading had not changed for that long.
  Not stuck: a session whose meter has not been read yet (unknown — the row
  says ``meter_checked_at = None``), a connector Polaris has no status for
  (rule (a) needs a status), and on rule (b) a SuspendedEV/SuspendedEVSE
  session: the car is plugged in and not drawing, which is what the status
  says (``meter_advancing`` still says the meter is flat).
  Rule (b) is judged as of the read, not against the clock now: on a large
  fleet the rotation can take longer than the threshold, and measuring an old
  read against now would mark every healthy session stuck between two reads.
  The row therefore carries ``meter_checked_at``: its stuck mark is as of then.
  (Earlier versions marked any session older than the threshold whose
  connector had not reported a change: every healthy long session.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from polaris_tui.models import ConnectorStatus, MeterValue, Transaction

CHARGING_LIKE = frozenset({"Charging", "SuspendedEV", "SuspendedEVSE"})
"""Connector statuses that fit an open transaction."""
SUSPENDED = frozenset({"SuspendedEV", "SuspendedEVSE"})
"""A paused session: a flat meter is expected."""
STATUS_GRACE_SECONDS = 60.0
"""A connector may show Preparing/Finishing briefly around a start or stop."""


@dataclass(frozen=True)
class MeterNote:
    """What one read of a session's meter values showed (sampler or detail)."""

    checked_at: datetime
    """When the values were read (the clock at the read)."""
    latest: MeterValue | None
    """The newest energy value (its time and Wh), None when there was none."""
    advanced_at: datetime | None
    """Time of the newest value that differed from the reading before it."""
    advancing: bool | None
    """Did the reading change within the threshold before ``checked_at``? None: no values."""

    @property
    def latest_at(self) -> datetime | None:
        return self.latest.value_timestamp if self.latest is not None else None

    @property
    def latest_wh(self) -> float | None:
        return self.latest.wh if self.latest is not None else None


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes} min"


def status_rule(tx: Transaction, connector: ConnectorStatus | None, now: datetime) -> str | None:
    """Rule (a): the connector no longer fits an open transaction. Returns the reason."""
    if connector is None or not connector.status or connector.status in CHARGING_LIKE:
        return None
    if connector.timestamp is not None:
        if (now - connector.timestamp).total_seconds() < STATUS_GRACE_SECONDS:
            return None
        since = f" for {_minutes(now - connector.timestamp)}"
    else:
        since = ""
    return (
        f"Connector {tx.connector_id} reports {connector.status}{since} "
        f"while transaction {tx.id} is still open"
    )


def _start_wh(tx: Transaction) -> float | None:
    try:
        return float(tx.start_value) if tx.start_value is not None else None
    except ValueError:
        return None


def read_meter(
    tx: Transaction, values: Sequence[MeterValue], checked_at: datetime, threshold: timedelta
) -> MeterNote:
    """Condense one read of a session's meter values (energy values only) into a note."""
    # Each value's Wh is worked out once: the sampler condenses ~3,000 values a
    # cycle at 10,000 chargers, and ``wh`` parses the text on every call.
    energy = sorted(
        ((value, wh) for value in values if (wh := value.wh) is not None),
        key=lambda pair: pair[0].value_timestamp,
    )
    latest = energy[-1][0] if energy else None
    advanced_at: datetime | None = None
    previous = _start_wh(tx)
    for value, wh in energy:
        if previous is not None and wh != previous:
            advanced_at = value.value_timestamp
        previous = wh
    advancing = (
        None
        if latest is None
        else (advanced_at is not None and checked_at - advanced_at <= threshold)
    )
    return MeterNote(
        checked_at=checked_at, latest=latest, advanced_at=advanced_at, advancing=advancing
    )


def meter_rule(
    tx: Transaction, connector: ConnectorStatus | None, note: MeterNote | None, threshold: timedelta
) -> str | None:
    """Rule (b): the meter is not advancing, as of the note's read. Returns the reason."""
    if note is None:
        return None  # not read yet: unknown, not stuck
    if connector is not None and connector.status in SUSPENDED:
        return None  # a paused car: a flat meter is what the status says
    at = note.checked_at
    if note.latest is None:
        if at - tx.start_timestamp > threshold:
            return f"No meter value since the start {_minutes(at - tx.start_timestamp)} ago"
        return None
    if at - note.latest.value_timestamp > threshold:
        return f"Newest meter value is {_minutes(at - note.latest.value_timestamp)} old"
    flat_since = note.advanced_at or tx.start_timestamp
    if not note.advancing and at - flat_since > threshold:
        return f"Meter has not advanced for {_minutes(at - flat_since)}"
    return None


class MeterFields(TypedDict, total=False):
    """The ``OpenSession`` fields a meter note fills."""

    latest_meter: MeterValue | None
    energy_wh: float | None
    meter_advancing: bool | None
    meter_checked_at: datetime | None
    meter_advanced_at: datetime | None


def meter_fields(tx: Transaction, note: MeterNote | None) -> MeterFields:
    """The ``OpenSession`` fields a meter note fills (none without a note)."""
    if note is None:
        return {}
    start_wh = _start_wh(tx)
    latest_wh = note.latest_wh
    return {
        "latest_meter": note.latest,
        "energy_wh": latest_wh - start_wh
        if latest_wh is not None and start_wh is not None
        else None,
        "meter_advancing": note.advancing,
        "meter_checked_at": note.checked_at,
        "meter_advanced_at": note.advanced_at,
    }


def judge(
    tx: Transaction,
    connector: ConnectorStatus | None,
    note: MeterNote | None,
    now: datetime,
    threshold: timedelta,
) -> str | None:
    """The stuck reason by rules (a) then (b), or None."""
    return status_rule(tx, connector, now) or meter_rule(tx, connector, note, threshold)


__all__ = [
    "CHARGING_LIKE",
    "STATUS_GRACE_SECONDS",
    "SUSPENDED",
    "MeterFields",
    "MeterNote",
    "judge",
    "meter_fields",
    "meter_rule",
    "read_meter",
    "status_rule",
]
