"""The card triage verdict: the runbook's four questions, answered from data.

Pure functions only: no I/O, no clock, no service objects. The parent
chain and children they read are walked in ``card_family.py``; the two
questions about the tap itself are answered in ``triage_tap.py``. ``CardService``
gathers the data (SteVe tags and transactions, card metadata, Lago customer
and subscriptions, scan-to-login events) and hands it here, so every demo
case can be unit-tested with plain models.

The rule everywhere: an answer is "yes" or "no" only when Polaris holds the
data that says so, and every answer lists its evidence. Where Polaris has no
source it answers "unknown" and says why; it never guesses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from polaris_tui.models import (
    CardMeta,
    LagoCustomer,
    LagoSubscription,
    OcppTag,
    ScanEvent,
    Transaction,
    TriageAnswer,
    TriageVerdict,
)
from polaris_tui.models.identity import RefusedTags, TapQuery
from polaris_tui.services.card_family import ParentChain
from polaris_tui.services.card_links import MAX_CHAIN, LinkResolution
from polaris_tui.services.triage_tap import answer_accepted, answer_intercepted, tap_window
from polaris_tui.wording import when

Q_VALID = "Does SteVe consider this card valid right now?"
Q_LINKED = "Is the card linked to a Lago customer with an active subscription?"

SteveSource = Literal["live", "snapshot", "none"]


# --------------------------------------------------------------------------
# Does the card stand? (valid in SteVe, linked in Lago)
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


# --------------------------------------------------------------------------
# All four
# --------------------------------------------------------------------------


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
    window: TapQuery | None = None,
    refused: RefusedTags | None = None,
) -> TriageVerdict:
    """All four answers at once. ``window`` (the operator's when and where)
    wins over ``tap_at``; neither means the last hour, anywhere."""
    window = window or tap_window(now, tap_at)
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
            refused=refused,
            known_to_steve=tag is not None,
        ),
    )
