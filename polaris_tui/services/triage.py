"""The card triage verdict: the runbook's four questions, answered from data.

Pure functions only: no I/O, no clock, no service objects. ``CardService``
gathers the data (SteVe tags and transactions, card metadata, Lago customer
and subscriptions, scan-to-login events) and hands it here, so every demo
case can be unit-tested with plain models.

The rule everywhere: an answer is "yes" or "no" only when Polaris holds the
data that says so, and every answer lists its evidence. Where Polaris has no
source it answers "unknown" and says why; it never guesses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from polaris_tui.models import (
    CardMeta,
    LagoCustomer,
    LagoSubscription,
    OcppTag,
    RelatedTag,
    ScanEvent,
    Transaction,
    TriageAnswer,
    TriageVerdict,
)
from polaris_tui.services.card_links import MAX_CHAIN, LinkResolution
from polaris_tui.wording import when

Q_VALID = "Does SteVe consider this card valid right now?"
Q_LINKED = "Is the card linked to a Lago customer with an active subscription?"
Q_INTERCEPTED = "Was the failing tap intercepted by scan-to-login?"
Q_ACCEPTED = "Did the charger accept the authorize request?"

DEFAULT_LOOKBACK = timedelta(hours=1)
"""Without a tap time, look at the last hour (the runbook: "within the last
hour is easiest to triage")."""

TAP_TOLERANCE = timedelta(minutes=5)
"""With a tap time, events this close to it count as "about that time"."""

SteveSource = Literal["live", "snapshot", "none"]


# --------------------------------------------------------------------------
# Relations: the parent chain and the children
# --------------------------------------------------------------------------


def related(tag: OcppTag, now: datetime, meta: Mapping[str, CardMeta]) -> RelatedTag:
    """A tag as a relation row with its own blocked/expired state."""
    card_meta = meta.get(tag.id_tag)
    return RelatedTag(
        id_tag=tag.id_tag,
        exists=True,
        blocked=tag.blocked or tag.max_active_transaction_count == 0,
        expired=tag.is_expired(now),
        expiry_date=tag.expiry_date,
        display_name=card_meta.display_name if card_meta else None,
    )


@dataclass
class ParentChain:
    """The ancestors of a card, nearest first, and what went wrong walking them."""

    parents: list[RelatedTag] = field(default_factory=list)
    cycle_at: str | None = None
    """idTag at which the chain loops back on itself (None: no loop)."""
    truncated: bool = False

    @property
    def causes(self) -> list[RelatedTag]:
        return [p for p in self.parents if p.is_cause]

    @property
    def missing(self) -> list[RelatedTag]:
        return [p for p in self.parents if not p.exists]


def parent_chain(
    tag: OcppTag | None,
    tags_by_id: Mapping[str, OcppTag],
    now: datetime,
    meta: Mapping[str, CardMeta],
) -> ParentChain:
    """Walk ``parentIdTag`` up to the root, guarding against cycles.

    Every blocked or expired ancestor is marked ``is_cause``: children inherit
    (runbook), even though SteVe's own Authorize does not look at the parent.
    An ancestor missing from the tag list is kept with ``exists=False``.
    """
    chain = ParentChain()
    if tag is None:
        return chain
    seen = {tag.id_tag}
    parent_id = tag.parent_id_tag
    while parent_id:
        if parent_id in seen:
            chain.cycle_at = parent_id
            break
        if len(chain.parents) >= MAX_CHAIN:
            chain.truncated = True
            break
        seen.add(parent_id)
        parent = tags_by_id.get(parent_id)
        if parent is None:
            card_meta = meta.get(parent_id)
            chain.parents.append(
                RelatedTag(
                    id_tag=parent_id,
                    exists=False,
                    display_name=card_meta.display_name if card_meta else None,
                )
            )
            break
        row = related(parent, now, meta)
        row.is_cause = row.blocked or row.expired
        chain.parents.append(row)
        parent_id = parent.parent_id_tag
    return chain


def children_of(
    id_tag: str,
    tags: Iterable[OcppTag],
    now: datetime,
    meta: Mapping[str, CardMeta],
) -> list[RelatedTag]:
    """Every tag whose parent is ``id_tag``, each with its own state, sorted by idTag."""
    rows = [related(t, now, meta) for t in tags if t.parent_id_tag == id_tag and t.id_tag != id_tag]
    return sorted(rows, key=lambda r: r.id_tag)


# --------------------------------------------------------------------------
# The Lago link (own, or inherited from the nearest ancestor: LAGO.md §3)
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# The tap window ("at about that time")
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# The four answers
# --------------------------------------------------------------------------


def _source_note(source: SteveSource, data_as_of: datetime | None) -> str | None:
    if source == "snapshot":
        return f"SteVe is unreachable: from the last snapshot of {when(data_as_of)}"
    return None


def answer_valid(
    id_tag: str,
    tag: OcppTag | None,
    chain: ParentChain,
    now: datetime,
    *,
    source: SteveSource,
    data_as_of: datetime | None,
    meta: CardMeta | None = None,
) -> TriageAnswer:
    """Q1: would SteVe accept this card now, and does its parent chain allow it?"""
    evidence: list[str] = []
    note = _source_note(source, data_as_of)
    if note:
        evidence.append(note)
    if source == "none":
        return TriageAnswer(
            question=Q_VALID,
            answer="unknown",
            summary="SteVe is unreachable and no snapshot of its tags is stored",
            evidence=["Polaris has never fetched SteVe's tags, so it cannot say"],
            healthy=None,
        )
    if tag is None:
        evidence.append(f"no OCPP tag with idTag {id_tag} in SteVe's tag list")
        if meta is not None:
            evidence.append("local card metadata exists: a new card not yet registered in SteVe?")
        return TriageAnswer(
            question=Q_VALID,
            answer="no",
            summary="SteVe does not know this idTag: a tap is answered Invalid",
            evidence=evidence,
            healthy=False,
        )

    problems: list[str] = []
    own_blocked = tag.blocked or tag.max_active_transaction_count == 0
    own_expired = tag.is_expired(now)
    if own_blocked:
        problems.append("blocked")
        evidence.append(
            "blocked in SteVe (maxActiveTransactionCount = 0): a tap is answered Blocked"
        )
    else:
        limit = (
            "unlimited"
            if tag.max_active_transaction_count < 0
            else str(tag.max_active_transaction_count)
        )
        evidence.append(f"not blocked (max active transactions: {limit})")
    if own_expired:
        problems.append("expired")
        evidence.append(f"expired on {when(tag.expiry_date)}: a tap is answered Expired")
    elif tag.expiry_date is not None:
        evidence.append(f"expires {when(tag.expiry_date)}")
    else:
        evidence.append("no expiry date")
    if (
        not own_blocked
        and tag.max_active_transaction_count > 0
        and tag.active_transaction_count >= tag.max_active_transaction_count
    ):
        evidence.append(
            f"at its limit of {tag.max_active_transaction_count} active transaction(s): "
            "a new StartTransaction is answered ConcurrentTx (Authorize itself is not)"
        )

    if not chain.parents:
        evidence.append("no parent idTag")
    for parent in chain.parents:
        if not parent.exists:
            evidence.append(f"parent {parent.id_tag} is not in SteVe's tag list")
        elif parent.is_cause:
            states = [
                s for s, on in (("blocked", parent.blocked), ("expired", parent.expired)) if on
            ]
            evidence.append(f"parent {parent.id_tag} is {' and '.join(states)}")
        else:
            evidence.append(f"parent {parent.id_tag} is fine (not blocked, not expired)")
    if chain.cycle_at:
        evidence.append(f"the parent chain loops back to {chain.cycle_at}")
    if chain.truncated:
        evidence.append(f"the parent chain is longer than {MAX_CHAIN}; the rest was not walked")

    if problems:
        return TriageAnswer(
            question=Q_VALID,
            answer="no",
            summary=f"The card is {' and '.join(problems)} in SteVe",
            evidence=evidence,
            healthy=False,
        )
    if chain.causes:
        names = ", ".join(p.id_tag for p in chain.causes)
        evidence.append(
            "SteVe's own Authorize does not consult the parent; the runbook's rule is that "
            "children inherit their parent's block or expiry"
        )
        return TriageAnswer(
            question=Q_VALID,
            answer="no",
            summary=f"The card itself is fine in SteVe, but its ancestor {names} refuses it (children inherit)",
            evidence=evidence,
            healthy=False,
        )
    if chain.missing or chain.cycle_at or chain.truncated:
        return TriageAnswer(
            question=Q_VALID,
            answer="unknown",
            summary="The card itself is fine in SteVe, but its parent chain cannot be fully checked",
            evidence=evidence,
            healthy=None,
        )
    return TriageAnswer(
        question=Q_VALID,
        answer="yes",
        summary="Exists, not blocked, not expired, parent chain fine",
        evidence=evidence,
        healthy=True,
    )


LagoOutcome = Literal["ok", "not_found", "unreachable", "not_asked"]


def answer_linked(
    link: LinkResolution,
    customer: LagoCustomer | None,
    subscriptions: list[LagoSubscription],
    *,
    lago: LagoOutcome,
    lago_error: str | None = None,
) -> TriageAnswer:
    """Q2: linked (own or inherited) to a Lago customer with an active subscription?"""
    evidence: list[str] = []
    if link.customer_id is None:
        evidence.append("no Lago customer in this card's metadata nor in any ancestor's")
        return TriageAnswer(
            question=Q_LINKED,
            answer="no",
            summary="Not linked to a Lago customer: sessions will not bill",
            evidence=evidence,
            healthy=False,
        )
    if link.inherited:
        evidence.append(
            f"linked to {link.customer_id} through ancestor {link.from_id_tag} (inherited)"
        )
    else:
        evidence.append(f"linked to {link.customer_id} in this card's metadata")
    if not link.active:
        evidence.append("the local mapping is marked inactive")

    if lago == "unreachable" or lago == "not_asked":
        evidence.append(f"Lago could not be asked: {lago_error or 'not configured'}")
        return TriageAnswer(
            question=Q_LINKED,
            answer="unknown",
            summary=f"Linked to {link.customer_id}, but Lago cannot be asked about its subscriptions",
            evidence=evidence,
            healthy=None,
        )
    if lago == "not_found" or customer is None:
        evidence.append(f"Lago has no customer with external id {link.customer_id}")
        return TriageAnswer(
            question=Q_LINKED,
            answer="no",
            summary=f"Linked to {link.customer_id}, which Lago does not know",
            evidence=evidence,
            healthy=False,
        )
    who = customer.display_name
    if customer.email:
        who = f"{who} <{customer.email}>"
    evidence.append(f"Lago customer: {who}")
    active = [s for s in subscriptions if s.status == "active"]
    for sub in subscriptions:
        evidence.append(f"subscription {sub.external_id} ({sub.plan_code}): {sub.status}")
    if not subscriptions:
        evidence.append("the customer has no subscriptions")
    if not active:
        return TriageAnswer(
            question=Q_LINKED,
            answer="no",
            summary=f"Linked to {who}, but no subscription is active: sessions will not bill",
            evidence=evidence,
            healthy=False,
        )
    if not link.active:
        return TriageAnswer(
            question=Q_LINKED,
            answer="no",
            summary=f"Linked to {who} with an active subscription, but the mapping is inactive: "
            "sessions will not bill",
            evidence=evidence,
            healthy=False,
        )
    return TriageAnswer(
        question=Q_LINKED,
        answer="yes",
        summary=f"Linked to {who}, subscription {active[0].external_id} active",
        evidence=evidence,
        healthy=True,
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


def build_verdict(
    *,
    id_tag: str,
    tag: OcppTag | None,
    chain: ParentChain,
    now: datetime,
    steve_source: SteveSource,
    data_as_of: datetime | None,
    meta: CardMeta | None,
    link: LinkResolution,
    customer: LagoCustomer | None,
    subscriptions: list[LagoSubscription],
    lago: LagoOutcome,
    lago_error: str | None,
    intercepts: list[ScanEvent] | None,
    store_error: str | None,
    transactions: list[Transaction] | None,
    transactions_note: str | None,
    tap_at: datetime | None = None,
) -> TriageVerdict:
    """All four answers at once."""
    window = tap_window(now, tap_at)
    valid = answer_valid(
        id_tag, tag, chain, now, source=steve_source, data_as_of=data_as_of, meta=meta
    )
    return TriageVerdict(
        valid_in_steve=valid,
        linked_with_active_subscription=answer_linked(
            link, customer, subscriptions, lago=lago, lago_error=lago_error
        ),
        intercepted_by_scan_login=answer_intercepted(intercepts, window, store_error=store_error),
        charger_accepted=answer_accepted(
            id_tag,
            transactions,
            intercepts,
            window,
            valid=valid,
            transactions_note=transactions_note,
        ),
    )
