"""The edit confirmation dialog and the parsing of typed values.

The dialog is the operator's last look before an audited change reaches
SteVe: it must show before → after, refuse values SteVe would refuse (a past
expiry, a malformed parent idTag) before anything is written, and never apply
on an Enter pressed by habit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from textual.app import App
from textual.widgets import Button, Static

from polaris_tui.dialogs.card_edit import CardEditDialog, parse_expiry, parse_value
from polaris_tui.models import (
    CardEdit,
    CardEditKind,
    CardMeta,
    CardView,
    ConnectionState,
    OcppTag,
    SourceName,
    SourceState,
    TriageAnswer,
    TriageVerdict,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _answer() -> TriageAnswer:
    return TriageAnswer(question="q", answer="unknown", summary="s")


def make_view(
    id_tag: str = "CARD-HEALTHY",
    *,
    blocked: bool = False,
    parent: str | None = None,
    expiry: datetime | None = None,
) -> CardView:
    """A hand-built card view (the dialog reads only the tag and the metadata)."""
    return CardView(
        id_tag=id_tag,
        tag=OcppTag(
            ocpp_tag_pk=1,
            id_tag=id_tag,
            parent_id_tag=parent,
            expiry_date=expiry,
            max_active_transaction_count=0 if blocked else 1,
            blocked=blocked,
        ),
        meta=CardMeta(
            id_tag=id_tag, display_name="Ada's card", tag_type="RFID", lago_customer_id="cust-ada"
        ),
        verdict=TriageVerdict(
            valid_in_steve=_answer(),
            linked_with_active_subscription=_answer(),
            intercepted_by_scan_login=_answer(),
            charger_accepted=_answer(),
        ),
        steve_state=SourceState(source=SourceName.STEVE, state=ConnectionState.LIVE),
        lago_state=SourceState(source=SourceName.LAGO, state=ConnectionState.LIVE),
    )


class DialogApp(App):
    """Pushes one dialog and records what it dismissed with."""

    def __init__(self, dialog: CardEditDialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[CardEdit | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


def preview_of(app: DialogApp) -> str:
    return str(app.screen.query_one("#edit-preview", Static).content)


# -- parsing ------------------------------------------------------------------


class TestParseValue:
    def test_parent_is_an_id_tag_or_empty(self) -> None:
        assert (
            parse_value(CardEditKind.SET_PARENT, " FLEET-PARENT ", id_tag="X", now=NOW)
            == "FLEET-PARENT"
        )
        assert parse_value(CardEditKind.SET_PARENT, "", id_tag="X", now=NOW) is None
        with pytest.raises(ValueError, match="1–20 characters"):
            parse_value(CardEditKind.SET_PARENT, "[red]bad[/]", id_tag="X", now=NOW)
        with pytest.raises(ValueError, match="own parent"):
            parse_value(CardEditKind.SET_PARENT, "X", id_tag="X", now=NOW)

    def test_expiry_forms_and_the_future_rule(self) -> None:
        assert parse_expiry("", NOW) is None
        assert parse_expiry("+30d", NOW) == NOW + timedelta(days=30)
        assert parse_expiry("2027-01-01", NOW) == datetime(2027, 1, 1, tzinfo=UTC)
        assert parse_expiry("2027-01-01 12:30", NOW) == datetime(2027, 1, 1, 12, 30, tzinfo=UTC)
        assert parse_expiry("2027-01-01T12:30:00Z", NOW) == datetime(2027, 1, 1, 12, 30, tzinfo=UTC)
        with pytest.raises(ValueError, match="future"):
            parse_expiry("2026-11-21", NOW)
        with pytest.raises(ValueError, match="not a date"):
            parse_expiry("tomorrow", NOW)

    def test_local_text_fields_clear_when_empty(self) -> None:
        assert parse_value(CardEditKind.RELINK, "cust-grace", id_tag="X", now=NOW) == "cust-grace"
        assert parse_value(CardEditKind.RELINK, "  ", id_tag="X", now=NOW) is None
        assert parse_value(CardEditKind.RENAME, "Ada's card", id_tag="X", now=NOW) == "Ada's card"
        with pytest.raises(ValueError, match="200"):
            parse_value(CardEditKind.SET_TYPE, "x" * 201, id_tag="X", now=NOW)


# -- the dialog ----------------------------------------------------------------


class TestCardEditDialog:
    async def test_block_shows_before_and_after_and_applies_on_y(self) -> None:
        app = DialogApp(CardEditDialog(make_view(), CardEditKind.BLOCK, now=NOW))
        async with app.run_test() as pilot:
            await pilot.pause()
            text = preview_of(app)
            assert "before: not blocked" in text
            assert "after:  blocked (max active transactions 0)" in text
            await pilot.press("y")
            await pilot.pause()
        assert app.results == [CardEdit(kind=CardEditKind.BLOCK, value=None)]

    async def test_enter_by_habit_cancels_a_toggle(self) -> None:
        app = DialogApp(CardEditDialog(make_view(blocked=True), CardEditKind.UNBLOCK, now=NOW))
        async with app.run_test() as pilot:
            await pilot.pause()
            assert app.screen.focused is app.screen.query_one("#edit-cancel", Button)
            await pilot.press("enter")
            await pilot.pause()
        assert app.results == [None]

    async def test_a_past_expiry_cannot_be_applied(self) -> None:
        app = DialogApp(CardEditDialog(make_view(), CardEditKind.SET_EXPIRY, now=NOW))
        async with app.run_test() as pilot:
            await pilot.pause()
            await pilot.press(*"2026-11-01", "enter")
            await pilot.pause()
            error = str(app.screen.query_one("#edit-error", Static).content)
            assert "must be in the future" in error
            assert app.screen.query_one("#edit-apply", Button).disabled
            assert app.results == []  # still open: nothing was dismissed
            await pilot.press("ctrl+a", "ctrl+k", *"+10d", "enter")
            await pilot.pause()
        assert app.results == [
            CardEdit(kind=CardEditKind.SET_EXPIRY, value=NOW + timedelta(days=10))
        ]

    async def test_parent_prefilled_and_unchanged_value_is_not_applied(self) -> None:
        view = make_view("FLEET-CHILD-1", parent="FLEET-PARENT")
        app = DialogApp(CardEditDialog(view, CardEditKind.SET_PARENT, now=NOW))
        async with app.run_test() as pilot:
            await pilot.pause()
            assert "No change" in preview_of(app)
            await pilot.press("enter")
            await pilot.pause()
            assert app.results == []
            await pilot.press("ctrl+a", "ctrl+k", *"ACME-META")
            await pilot.pause()
            text = preview_of(app)
            assert "before: FLEET-PARENT" in text and "after:  ACME-META" in text
            await pilot.press("enter")
            await pilot.pause()
        assert app.results == [CardEdit(kind=CardEditKind.SET_PARENT, value="ACME-META")]

    async def test_untrusted_id_tag_is_shown_literally(self) -> None:
        hostile = "[@click=app.quit]x[/]\x1b[2J"
        app = DialogApp(CardEditDialog(make_view(hostile), CardEditKind.SET_ACTIVE, now=NOW))
        async with app.run_test() as pilot:
            await pilot.pause()
            title = str(app.screen.query_one(".dialog-title").content)
            assert "[@click=app.quit]x[/]^[[2J" in title
            assert "before: active" in preview_of(app) and "after:  inactive" in preview_of(app)
            await pilot.press("y")
            await pilot.pause()
        assert app.results == [CardEdit(kind=CardEditKind.SET_ACTIVE, value=False)]
