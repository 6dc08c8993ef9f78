"""The triage questions about the failing tap itself: intercepted? accepted?

The runbook's third and fourth questions look at one moment, the failing
tap: was it intercepted by scan-to-login, and did the charger accept the
authorize request? Both read the events and sessions around that moment
(``tap_window``). Pure functions, like the rest of ``triage.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from polaris_tui.models import ScanEvent, Transaction, TriageAnswer
from polaris_tui.models.identity import RefusedTags, TapQuery
from polaris_tui.wording import when

Q_INTERCEPTED = "Was the failing tap intercepted by scan-to-login?"
Q_ACCEPTED = "Did the charger accept the authorize request?"

DEFAULT_LOOKBACK = timedelta(hours=1)
"""Without a tap time, look at the last hour (the runbook: "within the last
hour is easiest to triage")."""

TAP_TOLERANCE = timedelta(minutes=5)
"""With a tap time, events this close to it count as "about that time"."""

TapWindow = TapQuery
"""The time range (and place) that counts as "the failing tap"."""


def tap_window(
    now: datetime, tap_at: datetime | None = None, charge_box_id: str | None = None
) -> TapQuery:
    """The default window: the last hour, or a few minutes around ``tap_at``."""
    if tap_at is None:
        return TapQuery(
            start=now - DEFAULT_LOOKBACK,
            end=now,
            charge_box_id=charge_box_id,
            label="in the last hour",
        )
    return TapQuery(
        start=tap_at - TAP_TOLERANCE,
        end=tap_at + TAP_TOLERANCE,
        charge_box_id=charge_box_id,
        label=f"within {int(TAP_TOLERANCE.total_seconds() // 60)} min of {when(tap_at)}",
    )


def _here(window: TapQuery, charge_box_id: str | None) -> bool:
    return window.charge_box_id is None or charge_box_id == window.charge_box_id


def _where(window: TapQuery) -> str:
    return f"{window.label} {window.place}"


def _intercept_line(event: ScanEvent) -> str:
    connector = f" connector {event.connector_id}" if event.connector_id is not None else ""
    pairing = f" (pairing #{event.pairing_id})" if event.pairing_id is not None else ""
    return f"scan.intercepted at {event.charge_box_id}{connector} on {when(event.occurred_at)}{pairing}"


def answer_intercepted(
    intercepts: list[ScanEvent] | None,
    window: TapQuery,
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
    in_time = [e for e in ordered if window.contains(e.occurred_at)]
    hits = [e for e in in_time if _here(window, e.charge_box_id)]
    if hits:
        return TriageAnswer(
            question=Q_INTERCEPTED,
            answer="yes",
            summary=f"Intercepted at {hits[0].charge_box_id} on {when(hits[0].occurred_at)}: "
            "the rejection was scan-to-login doing its job",
            evidence=[_intercept_line(e) for e in hits],
            healthy=True,
        )
    evidence = [f"no scan.intercepted event for this idTag {_where(window)}"]
    elsewhere = [e for e in in_time if e not in hits]
    if elsewhere:
        evidence.append(f"but one at another charger: {_intercept_line(elsewhere[0])}")
    elif ordered:
        evidence.append(f"the latest one is outside the window: {_intercept_line(ordered[0])}")
    return TriageAnswer(
        question=Q_INTERCEPTED,
        answer="no",
        summary=f"Not intercepted {_where(window)}",
        evidence=evidence,
        healthy=None,
    )


def _refused_answer(
    id_tag: str, refused: RefusedTags | None, window: TapQuery
) -> TriageAnswer | None:
    """ "No" when SteVe's unknown-tag list shows an attempt in the window."""
    entry = next((t for t in (refused.tags if refused else []) if t.id_tag == id_tag), None)
    if entry is None or not window.contains(entry.last_attempt):
        return None
    evidence = [
        f"SteVe's unknown-tag list: {entry.attempts} attempt(s), the last on "
        f"{when(entry.last_attempt)}",
        "SteVe answers Invalid to an idTag that is not in its database",
    ]
    if window.charge_box_id:
        evidence.append(
            f"SteVe's list keeps no charger: the attempt may not have been at {window.charge_box_id}"
        )
    return TriageAnswer(
        question=Q_ACCEPTED,
        answer="no",
        summary="No: SteVe answered Invalid (it does not know this idTag) "
        f"{window.label}, {entry.attempts} attempt(s)",
        evidence=evidence,
        healthy=False,
    )


def _missing(
    id_tag: str,
    transactions: list[Transaction] | None,
    intercepts: list[ScanEvent] | None,
    refused: RefusedTags | None,
    window: TapQuery,
    transactions_note: str | None,
) -> list[str]:
    """What Polaris looked at, and what evidence is missing to tell."""
    evidence = ["Polaris has no record of SteVe's per-tap Authorize answers"]
    if transactions is None:
        evidence.append(transactions_note or "SteVe could not be asked for this card's sessions")
    else:
        evidence.append(f"no session started by this card {_where(window)}")
    if intercepts is not None:
        evidence.append(f"no scan-to-login intercept {_where(window)}")
    if refused is None or not refused.available:
        note = refused.note if refused and refused.note else "not read"
        evidence.append(f"SteVe's unknown-tag list could not be read ({note})")
    else:
        entry = next((t for t in refused.tags if t.id_tag == id_tag), None)
        if entry is None:
            evidence.append("not in SteVe's unknown-tag list (SteVe never refused it as unknown)")
        else:
            evidence.append(
                f"in SteVe's unknown-tag list, but its last attempt ({when(entry.last_attempt)}) "
                "is outside the window"
            )
    return evidence


def answer_accepted(
    id_tag: str,
    transactions: list[Transaction] | None,
    intercepts: list[ScanEvent] | None,
    window: TapQuery,
    *,
    valid: TriageAnswer | None = None,
    transactions_note: str | None = None,
    refused: RefusedTags | None = None,
    known_to_steve: bool = True,
) -> TriageAnswer:
    """Q4: did the charger accept the authorize?

    Polaris has no record of SteVe's per-tap decisions, so it answers from
    what it has, in this order: an intercept in the window ⇒ no (blocked by
    the hook); an attempt in SteVe's unknown-tag list ⇒ no (Invalid); a
    session started by this card ⇒ yes; a card SteVe refuses outright
    (blocked, expired) ⇒ no; else unknown, listing the missing evidence.
    ``transactions`` None means SteVe could not be asked.
    """
    hits = sorted(
        (
            e
            for e in intercepts or []
            if window.contains(e.occurred_at) and _here(window, e.charge_box_id)
        ),
        key=lambda e: e.occurred_at,
        reverse=True,
    )
    started = sorted(
        (
            t
            for t in transactions or []
            if t.ocpp_id_tag == id_tag
            and window.contains(t.start_timestamp)
            and _here(window, t.charge_box_id)
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
    refused_answer = _refused_answer(id_tag, refused, window)
    if refused_answer is not None:
        return refused_answer
    if started:
        return TriageAnswer(
            question=Q_ACCEPTED,
            answer="yes",
            summary=f"Yes: a session started {_where(window)}",
            evidence=session_lines,
            healthy=True,
        )
    evidence = _missing(id_tag, transactions, intercepts, refused, window, transactions_note)
    own_refusal = valid is not None and valid.answer == "no" and valid.healthy is False
    if own_refusal and valid is not None and transactions is not None and known_to_steve:
        if "ancestor" not in valid.summary:
            state = valid.summary[:1].lower() + valid.summary[1:]
            return TriageAnswer(
                question=Q_ACCEPTED,
                answer="no",
                summary=f"No: {state}, so SteVe refuses every tap of it; "
                f"no session started {window.label}",
                evidence=[*evidence, f"as SteVe holds the card now: {valid.summary}"],
                healthy=False,
            )
        evidence.append(
            f"as SteVe holds the card now: {valid.summary}; SteVe's own Authorize does not "
            "consult the parent, so the charger may have been told Accepted"
        )
    elif valid is not None and valid.answer == "no":
        evidence.append(f"as SteVe holds the card now: {valid.summary}")
    return TriageAnswer(
        question=Q_ACCEPTED,
        answer="unknown",
        summary=f"Unknown: the tap left no trace {_where(window)}. "
        "Give its time and charger, or widen the window",
        evidence=evidence,
        healthy=None,
    )


__all__ = ["TapWindow", "answer_accepted", "answer_intercepted", "tap_window"]
