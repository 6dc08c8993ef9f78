"""The triage questions about the failing tap itself: intercepted? accepted?

The runbook's third and fourth questions look at one moment, the failing
tap: was it intercepted by scan-to-login, and did the charger accept the
authorize request? Both read the events and sessions around that moment
(``tap_window``). Pure functions, like the rest of ``triage.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from polaris_tui.models import ScanEvent, Transaction, TriageAnswer
from polaris_tui.wording import when

Q_INTERCEPTED = "Was the failing tap intercepted by scan-to-login?"
Q_ACCEPTED = "Did the charger accept the authorize request?"

DEFAULT_LOOKBACK = timedelta(hours=1)
"""Without a tap time, look at the last hour (the runbook: "within the last
hour is easiest to triage")."""

TAP_TOLERANCE = timedelta(minutes=5)
"""With a tap time, events this close to it count as "about that time"."""


@dataclass(frozen=True)
class TapWindow:
    start: datetime
    end: datetime
    label: str

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment <= self.end


def tap_window(now: datetime, tap_at: datetime | None = None) -> TapWindow:
    """The time range that counts as "the failing tap"."""
    if tap_at is None:
        return TapWindow(now - DEFAULT_LOOKBACK, now, "in the last hour")
    return TapWindow(
        tap_at - TAP_TOLERANCE,
        tap_at + TAP_TOLERANCE,
        f"within {int(TAP_TOLERANCE.total_seconds() // 60)} min of {when(tap_at)}",
    )


def _intercept_line(event: ScanEvent) -> str:
    connector = f" connector {event.connector_id}" if event.connector_id is not None else ""
    pairing = f" (pairing #{event.pairing_id})" if event.pairing_id is not None else ""
    return f"scan.intercepted at {event.charge_box_id}{connector} on {when(event.occurred_at)}{pairing}"


def answer_intercepted(
    intercepts: list[ScanEvent] | None,
    window: TapWindow,
    *,
    store_error: str | None = None,
) -> TriageAnswer:
    """Q3: did the pre-authorize hook answer BLOCKED to this card around the tap?

    ``intercepts`` are the store's scan events for this idTag (any order);
    None means the store could not be read.
    """
    if intercepts is None:
        return TriageAnswer(
            question=Q_INTERCEPTED,
            answer="unknown",
            summary="The local store could not be read for scan-to-login events",
            evidence=[store_error or "store error"],
            healthy=None,
        )
    ordered = sorted(intercepts, key=lambda e: e.occurred_at, reverse=True)
    hits = [e for e in ordered if window.contains(e.occurred_at)]
    if hits:
        return TriageAnswer(
            question=Q_INTERCEPTED,
            answer="yes",
            summary=f"Intercepted at {hits[0].charge_box_id} on {when(hits[0].occurred_at)}: "
            "the rejection was scan-to-login doing its job",
            evidence=[_intercept_line(e) for e in hits],
            healthy=True,
        )
    evidence = [f"no scan.intercepted event for this idTag {window.label}"]
    if ordered:
        evidence.append(f"the latest one is older: {_intercept_line(ordered[0])}")
    return TriageAnswer(
        question=Q_INTERCEPTED,
        answer="no",
        summary=f"Not intercepted {window.label}",
        evidence=evidence,
        healthy=None,
    )


def answer_accepted(
    id_tag: str,
    transactions: list[Transaction] | None,
    intercepts: list[ScanEvent] | None,
    window: TapWindow,
    *,
    valid: TriageAnswer | None = None,
    transactions_note: str | None = None,
) -> TriageAnswer:
    """Q4: did the charger accept the authorize?

    Polaris has no record of SteVe's per-tap decisions, so it answers from
    what it has: an intercept around the tap ⇒ no (blocked by the hook); a
    session started by this card around the tap ⇒ yes; else unknown.
    ``transactions`` None means SteVe could not be asked.
    """
    hits = sorted(
        (e for e in intercepts or [] if window.contains(e.occurred_at)),
        key=lambda e: e.occurred_at,
        reverse=True,
    )
    started = sorted(
        (
            t
            for t in transactions or []
            if t.ocpp_id_tag == id_tag and window.contains(t.start_timestamp)
        ),
        key=lambda t: t.start_timestamp,
        reverse=True,
    )
    session_lines = [
        f"session {t.id} started at {t.charge_box_id} connector {t.connector_id} on {when(t.start_timestamp)}"
        for t in started
    ]
    if hits:
        last = hits[0]
        evidence = [
            _intercept_line(last),
            "the hook answered BLOCKED, so SteVe answered Blocked to the charger",
        ]
        later = [
            line
            for t, line in zip(started, session_lines, strict=True)
            if t.start_timestamp > last.occurred_at
        ]
        if later:
            evidence.append("afterwards the card charged: " + "; ".join(later))
        return TriageAnswer(
            question=Q_ACCEPTED,
            answer="no",
            summary=f"No: blocked by the scan-to-login hook at {last.charge_box_id} (by design)",
            evidence=evidence,
            healthy=None,
        )
    if started:
        return TriageAnswer(
            question=Q_ACCEPTED,
            answer="yes",
            summary=f"Yes: a session started {window.label}",
            evidence=session_lines,
            healthy=True,
        )
    evidence = ["Polaris has no record of SteVe's per-tap Authorize answers"]
    if transactions is None:
        evidence.append(transactions_note or "SteVe could not be asked for this card's sessions")
    else:
        evidence.append(f"no session started by this card {window.label}")
    if intercepts is not None:
        evidence.append(f"no scan-to-login intercept {window.label}")
    if valid is not None and valid.answer == "no":
        evidence.append(f"as SteVe holds the card now: {valid.summary}")
    return TriageAnswer(
        question=Q_ACCEPTED,
        answer="unknown",
        summary="Unknown: no session and no intercept around the tap to tell",
        evidence=evidence,
        healthy=None,
    )


__all__ = ["TapWindow", "answer_accepted", "answer_intercepted", "tap_window"]
