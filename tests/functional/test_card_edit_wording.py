"""The words the card screens use, from ``widgets/card_format`` (pure functions).

Each is what an operator reads to decide: the before → after of an edit, the
audit row's fields, the "Linked" answer in the header, the outage line in
the runbook's own words.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from polaris_tui.models import (
    AuditEntry,
    CardEditKind,
    ConnectionState,
    LagoCustomer,
    LagoSubscription,
    SourceName,
    SourceState,
)
from polaris_tui.widgets.card_format import (
    STEVE_UNREACHABLE_BANNER,
    audit_reverted,
    audit_status,
    edit_summary,
    expiry_text,
    lago_note,
    linked_text,
    page_title,
    state_text,
    steve_note,
)

from .test_card_edit_dialog import make_view

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_state_text_uses_short_names_hides_bookkeeping_and_formats_times() -> None:
    state = {
        "max_active_transaction_count": 0,
        "parent_id_tag": None,
        "meta_row": False,
        "expiry_date": "2026-12-22T03:02:14+00:00",
    }
    assert state_text(state) == "max active=0, parent=(none), expiry=2026-12-22 03:02:14Z"
    assert state_text({}) == "—"
    assert state_text({"display_name": "[b]x\x1b"}) == "name=[b]x^["


def test_audit_status_and_reverted() -> None:
    entry = AuditEntry(
        id=3,
        actor="alice",
        action="block",
        id_tag="X",
        status="failed",
        error="SteVe refused the request: 500",
        created_at=NOW,
    )
    assert audit_status(entry) == "failed: SteVe refused the request: 500"
    assert audit_reverted(entry) == "—"
    assert audit_reverted(entry.model_copy(update={"reverted_by": 4})) == "reverted by #4"
    assert audit_reverted(entry.model_copy(update={"reverts": 1})) == "reverts #1"


def test_expiry_text() -> None:
    assert expiry_text(None, NOW) == "never"
    assert expiry_text(NOW - timedelta(days=2), NOW) == "2026-11-20 10:00:00Z (expired)"
    assert expiry_text(NOW + timedelta(days=1), NOW) == "2026-11-23 10:00:00Z"


def test_edit_summary_before_after() -> None:
    view = make_view(parent="FLEET-PARENT")
    assert edit_summary(view, CardEditKind.SET_PARENT, None) == (
        "parent idTag (SteVe)",
        "FLEET-PARENT",
        "(none)",
    )
    assert edit_summary(view, CardEditKind.RELINK, "cust-grace")[1:] == ("cust-ada", "cust-grace")
    assert edit_summary(view, CardEditKind.SET_EXPIRY, None)[1:] == (
        "never expires",
        "never expires",
    )


class TestLinkedText:
    def test_own_link_with_active_subscription(self) -> None:
        view = make_view().model_copy(
            update={
                "customer": LagoCustomer(lago_id="l", external_id="cust-ada", name="Ada Lovelace"),
                "subscriptions": [
                    LagoSubscription(
                        lago_id="s0",
                        external_id="sub-old",
                        external_customer_id="cust-ada",
                        plan_code="p",
                        status="terminated",
                    ),
                    LagoSubscription(
                        lago_id="s1",
                        external_id="sub-ada",
                        external_customer_id="cust-ada",
                        plan_code="p",
                        status="active",
                    ),
                ],
                "link_from_id_tag": "CARD-HEALTHY",
            }
        )
        assert linked_text(view) == "Ada Lovelace · sub-ada (active)"

    def test_inherited_link_names_its_source(self) -> None:
        view = make_view("FLEET-CHILD-1").model_copy(
            update={
                "customer": LagoCustomer(
                    lago_id="l", external_id="cust-acme", name="ACME Logistics"
                ),
                "link_from_id_tag": "FLEET-PARENT",
            }
        )
        assert linked_text(view) == "ACME Logistics · no subscription (inherited from FLEET-PARENT)"

    def test_lago_down_says_unknown_not_unlinked(self) -> None:
        view = make_view().model_copy(
            update={
                "lago_state": SourceState(source=SourceName.LAGO, state=ConnectionState.UNREACHABLE)
            }
        )
        assert linked_text(view) == "cust-ada (Lago unreachable: name and subscription unknown)"
        assert "Lago is unreachable right now" in (lago_note(view, NOW) or "")


def test_steve_note_and_page_title() -> None:
    view = make_view()
    assert steve_note(view, NOW) is None
    assert page_title(view) == "EV Card details"
    down = view.model_copy(
        update={
            "steve_state": SourceState(
                source=SourceName.STEVE,
                state=ConnectionState.UNREACHABLE,
                since=NOW - timedelta(minutes=5),
            ),
            "data_as_of": NOW - timedelta(minutes=7),
            "is_meta": True,
        }
    )
    assert steve_note(down, NOW) == (
        f"{STEVE_UNREACHABLE_BANNER}. Data shown is from 7m ago (since 5m ago)."
    )
    assert page_title(down) == "Meta-EV Card details"
