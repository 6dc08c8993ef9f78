"""The triage verdict as pure functions, one test per demo-fleet card case.

Data mirrors docs/demo-fleet.md; no services, no I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from polaris_tui.models import (
    CardMeta,
    LagoCustomer,
    LagoSubscription,
    OcppTag,
    ScanEvent,
    Transaction,
)
from polaris_tui.services import card_family, triage, triage_tap
from polaris_tui.services.card_links import resolve_link

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def tag(
    id_tag: str, pk: int, *, parent: str | None = None, max_active: int = 1, expiry=None, active=0
) -> OcppTag:
    return OcppTag(
        ocpp_tag_pk=pk,
        id_tag=id_tag,
        parent_id_tag=parent,
        max_active_transaction_count=max_active,
        blocked=max_active == 0,
        expiry_date=expiry,
        active_transaction_count=active,
        in_transaction=active > 0,
    )


TAGS = [
    tag("CARD-HEALTHY", 1),
    tag("CARD-BLOCKED", 2, max_active=0),
    tag("CARD-EXPIRED", 3, expiry=NOW - timedelta(days=2)),
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
    tag("LOOP-A", 14, parent="LOOP-B"),
    tag("LOOP-B", 15, parent="LOOP-A"),
]
BY_ID = {t.id_tag: t for t in TAGS}
META = {
    m.id_tag: m
    for m in [
        CardMeta(id_tag="CARD-HEALTHY", lago_customer_id="cust-ada", display_name="Ada's card"),
        CardMeta(id_tag="FLEET-PARENT", lago_customer_id="cust-acme"),
        CardMeta(id_tag="ACME-META", lago_customer_id="cust-acme", display_name="ACME fleet"),
        CardMeta(id_tag="CARD-UNLINKED", display_name="Unlinked"),
        CardMeta(id_tag="CARD-TERMINATED", lago_customer_id="cust-tom"),
        CardMeta(id_tag="CARD-KIOSK", lago_customer_id="cust-kim"),
        CardMeta(id_tag="CARD-INACTIVE", lago_customer_id="cust-ada", active=False),
        CardMeta(id_tag="CARD-NEW-0001", tag_type="RFID", display_name="New card, unissued"),
    ]
}
ADA = LagoCustomer(
    lago_id="l-ada", external_id="cust-ada", name="Ada Lovelace", email="ada@example.com"
)
SUB_ADA = LagoSubscription(
    lago_id="s1",
    external_id="sub-ada",
    external_customer_id="cust-ada",
    plan_code="kwh",
    status="active",
)


def valid(id_tag: str, *, source="live"):
    t = BY_ID.get(id_tag)
    chain = card_family.parent_chain(t, BY_ID, NOW, META)
    return triage.answer_valid(
        id_tag, t, chain, NOW, source=source, data_as_of=NOW, meta=META.get(id_tag)
    )


class TestValidInSteve:
    def test_healthy_card_is_valid(self):
        answer = valid("CARD-HEALTHY")
        assert (answer.answer, answer.healthy) == ("yes", True)
        assert "no parent idTag" in answer.evidence

    def test_blocked_card(self):
        answer = valid("CARD-BLOCKED")
        assert answer.answer == "no"
        assert any("answered Blocked" in e for e in answer.evidence)

    def test_expired_card(self):
        answer = valid("CARD-EXPIRED")
        assert answer.answer == "no"
        assert "expired" in answer.summary
        assert any("2026-11-20" in e and "Expired" in e for e in answer.evidence)

    def test_child_of_blocked_parent_shows_both_facts(self):
        answer = valid("FLEET-CHILD-1")
        assert answer.answer == "no"
        assert "FLEET-PARENT" in answer.summary
        assert "not blocked (max active transactions: 1)" in answer.evidence
        assert "parent FLEET-PARENT is blocked" in answer.evidence
        assert any("does not consult the parent" in e for e in answer.evidence)

    def test_parent_marked_as_cause(self):
        chain = card_family.parent_chain(BY_ID["FLEET-CHILD-2"], BY_ID, NOW, META)
        assert [(p.id_tag, p.blocked, p.is_cause) for p in chain.parents] == [
            ("FLEET-PARENT", True, True)
        ]

    def test_healthy_meta_child(self):
        assert valid("ACME-02").answer == "yes"

    def test_child_at_active_limit_mentions_concurrent_tx(self):
        answer = valid("ACME-01")
        assert answer.answer == "yes"
        assert any("ConcurrentTx" in e for e in answer.evidence)

    def test_unknown_to_steve(self):
        answer = valid("CARD-NEW-0001")
        assert answer.answer == "no"
        assert "Invalid" in answer.summary
        assert any("not yet registered" in e for e in answer.evidence)

    def test_cycle_is_guarded_and_reported(self):
        chain = card_family.parent_chain(BY_ID["LOOP-A"], BY_ID, NOW, META)
        assert [p.id_tag for p in chain.parents] == ["LOOP-B"]
        assert chain.cycle_at == "LOOP-A"
        answer = valid("LOOP-A")
        assert answer.answer == "unknown"
        assert any("loops back to LOOP-A" in e for e in answer.evidence)

    def test_missing_parent_is_unknown_not_guessed(self):
        orphan = tag("ORPHAN", 99, parent="GONE")
        chain = card_family.parent_chain(orphan, BY_ID, NOW, META)
        assert chain.parents[0].exists is False
        answer = triage.answer_valid("ORPHAN", orphan, chain, NOW, source="live", data_as_of=NOW)
        assert answer.answer == "unknown"

    def test_snapshot_source_is_said(self):
        answer = valid("CARD-HEALTHY", source="snapshot")
        assert answer.answer == "yes"
        assert answer.evidence[0].startswith("SteVe is unreachable: from the last snapshot")

    def test_no_source_is_unknown(self):
        answer = triage.answer_valid(
            "CARD-HEALTHY", None, card_family.ParentChain(), NOW, source="none", data_as_of=None
        )
        assert answer.answer == "unknown"

    def test_children_listed_with_own_state(self):
        kids = card_family.children_of("FLEET-PARENT", TAGS, NOW, META)
        assert [(k.id_tag, k.blocked, k.expired) for k in kids] == [
            ("FLEET-CHILD-1", False, False),
            ("FLEET-CHILD-2", False, False),
        ]


class TestLinked:
    def test_own_link_with_active_subscription(self):
        link = resolve_link("CARD-HEALTHY", BY_ID["CARD-HEALTHY"], BY_ID, META)
        answer = triage.answer_linked(link, ADA, [SUB_ADA], lago="ok")
        assert (answer.answer, link.inherited) == ("yes", False)
        assert "ada@example.com" in answer.summary

    def test_child_inherits_nearest_ancestor_link(self):
        link = resolve_link("ACME-01", BY_ID["ACME-01"], BY_ID, META)
        assert (link.customer_id, link.from_id_tag, link.inherited) == (
            "cust-acme",
            "ACME-META",
            True,
        )
        acme = LagoCustomer(lago_id="l", external_id="cust-acme", name="ACME Logistics")
        sub = SUB_ADA.model_copy(
            update={"external_id": "sub-acme", "external_customer_id": "cust-acme"}
        )
        answer = triage.answer_linked(link, acme, [sub], lago="ok")
        assert answer.answer == "yes"
        assert any("through ancestor ACME-META (inherited)" in e for e in answer.evidence)

    def test_unlinked(self):
        link = resolve_link("CARD-UNLINKED", BY_ID["CARD-UNLINKED"], BY_ID, META)
        answer = triage.answer_linked(link, None, [], lago="not_asked")
        assert answer.answer == "no"

    def test_terminated_subscription(self):
        link = resolve_link("CARD-TERMINATED", BY_ID["CARD-TERMINATED"], BY_ID, META)
        tom = LagoCustomer(lago_id="t", external_id="cust-tom", name="Tom Turner")
        sub = SUB_ADA.model_copy(update={"external_id": "sub-tom", "status": "terminated"})
        answer = triage.answer_linked(link, tom, [sub], lago="ok")
        assert answer.answer == "no"
        assert "subscription sub-tom (kwh): terminated" in answer.evidence

    def test_inactive_mapping_does_not_bill(self):
        link = resolve_link("CARD-INACTIVE", BY_ID["CARD-INACTIVE"], BY_ID, META)
        answer = triage.answer_linked(link, ADA, [SUB_ADA], lago="ok")
        assert answer.answer == "no"
        assert "inactive" in answer.summary

    def test_lago_unreachable_is_unknown(self):
        link = resolve_link("CARD-HEALTHY", BY_ID["CARD-HEALTHY"], BY_ID, META)
        answer = triage.answer_linked(
            link, None, [], lago="unreachable", lago_error="Lago is unreachable"
        )
        assert answer.answer == "unknown"
        assert any("Lago is unreachable" in e for e in answer.evidence)

    def test_customer_missing_in_lago(self):
        link = resolve_link("CARD-HEALTHY", BY_ID["CARD-HEALTHY"], BY_ID, META)
        assert triage.answer_linked(link, None, [], lago="not_found").answer == "no"

    def test_link_walk_survives_cycles(self):
        link = resolve_link("LOOP-A", BY_ID["LOOP-A"], BY_ID, META)
        assert link.customer_id is None


KIOSK_EVENT = ScanEvent(
    id=1,
    charge_box_id="CP-FOXTROT-06",
    connector_id=1,
    id_tag="CARD-KIOSK",
    pairing_id=7,
    occurred_at=NOW - timedelta(minutes=11),
)


def tx(pk: int, id_tag: str, start: datetime, cb: str = "CP-ALPHA-01") -> Transaction:
    return Transaction(
        id=pk, charge_box_id=cb, connector_id=1, ocpp_id_tag=id_tag, start_timestamp=start
    )


class TestInterceptAndAccept:
    def test_kiosk_intercepted_in_last_hour(self):
        window = triage_tap.tap_window(NOW)
        answer = triage_tap.answer_intercepted([KIOSK_EVENT], window)
        assert answer.answer == "yes"
        assert "CP-FOXTROT-06" in answer.summary
        assert "connector 1" in answer.evidence[0] and "pairing #7" in answer.evidence[0]

    def test_intercept_means_charger_refused(self):
        window = triage_tap.tap_window(NOW)
        answer = triage_tap.answer_accepted("CARD-KIOSK", [], [KIOSK_EVENT], window)
        assert answer.answer == "no"
        assert "scan-to-login" in answer.summary

    def test_old_intercept_is_not_this_tap(self):
        window = triage_tap.tap_window(NOW, NOW - timedelta(hours=3))
        answer = triage_tap.answer_intercepted([KIOSK_EVENT], window)
        assert answer.answer == "no"
        assert any("outside the window" in e for e in answer.evidence)

    def test_store_unreadable_is_unknown(self):
        answer = triage_tap.answer_intercepted(
            None, triage_tap.tap_window(NOW), store_error="disk I/O error"
        )
        assert answer.answer == "unknown"
        assert answer.evidence == ["disk I/O error"]

    def test_session_around_tap_means_accepted(self):
        window = triage_tap.tap_window(NOW)
        answer = triage_tap.answer_accepted(
            "CARD-HEALTHY", [tx(1001, "CARD-HEALTHY", NOW - timedelta(minutes=30))], [], window
        )
        assert answer.answer == "yes"
        assert "session 1001" in answer.evidence[0]

    def test_session_of_another_card_does_not_count(self):
        window = triage_tap.tap_window(NOW)
        answer = triage_tap.answer_accepted("CARD-HEALTHY", [tx(1001, "ACME-01", NOW)], [], window)
        assert answer.answer == "unknown"

    def test_later_session_after_intercept_is_evidence(self):
        window = triage_tap.tap_window(NOW)
        answer = triage_tap.answer_accepted(
            "CARD-KIOSK",
            [tx(1050, "CARD-KIOSK", NOW - timedelta(minutes=5), "CP-FOXTROT-06")],
            [KIOSK_EVENT],
            window,
        )
        assert answer.answer == "no"
        assert any("afterwards the card charged: session 1050" in e for e in answer.evidence)

    def test_nothing_known_says_why(self):
        window = triage_tap.tap_window(NOW)
        blocked = valid("CARD-BLOCKED")
        answer = triage_tap.answer_accepted(
            "CARD-BLOCKED",
            None,
            [],
            window,
            valid=blocked,
            transactions_note="SteVe is unreachable",
        )
        assert answer.answer == "unknown"
        assert "Polaris has no record of SteVe's per-tap Authorize answers" in answer.evidence
        assert "SteVe is unreachable" in answer.evidence
        assert any("blocked" in e for e in answer.evidence)

    @pytest.mark.parametrize("offset,expected", [(4, "yes"), (6, "unknown")])
    def test_tap_time_tolerance(self, offset, expected):
        tap = NOW - timedelta(hours=2)
        window = triage_tap.tap_window(NOW, tap)
        started = [tx(1002, "CARD-HEALTHY", tap + timedelta(minutes=offset))]
        assert triage_tap.answer_accepted("CARD-HEALTHY", started, [], window).answer == expected


def test_build_verdict_kiosk_case():
    t = BY_ID["CARD-KIOSK"]
    chain = card_family.parent_chain(t, BY_ID, NOW, META)
    kim = LagoCustomer(lago_id="k", external_id="cust-kim", name="Kim Park")
    sub = SUB_ADA.model_copy(update={"external_id": "sub-kim", "external_customer_id": "cust-kim"})
    verdict = triage.build_verdict(
        id_tag="CARD-KIOSK",
        tag=t,
        chain=chain,
        now=NOW,
        steve_source="live",
        data_as_of=NOW,
        meta=META["CARD-KIOSK"],
        link=resolve_link("CARD-KIOSK", t, BY_ID, META),
        customer=kim,
        subscriptions=[sub],
        lago="ok",
        lago_error=None,
        intercepts=[KIOSK_EVENT],
        store_error=None,
        transactions=[],
        transactions_note=None,
    )
    assert [a.answer for a in verdict.answers()] == ["yes", "yes", "yes", "no"]
