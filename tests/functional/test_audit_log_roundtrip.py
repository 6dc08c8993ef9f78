"""Audited edits through the UI, and their revert from the Audit log, against the stand-in.

The runbook's "Audit and reversibility": an unblock, a parent change or a
relink is written to the Audit log and can be reversed. Here an admin blocks
CARD-HEALTHY and relinks it by keyboard, sees each result on the card page,
finds both rows in the Audit log, reverts them (confirmed), and SteVe's
record and the local metadata end exactly as they started — checked field by
field on SteVe's own REST API. A viewer is refused at the key.
"""

from __future__ import annotations

from typing import Any

import httpx

from polaris_tui.dialogs.card_edit import CardEditDialog
from polaris_tui.dialogs.confirm import ConfirmDialog
from polaris_tui.screens.audit_log import AuditLogScreen
from polaris_tui.screens.card_detail import CardDetailScreen
from polaris_tui.widgets.card_verdict import VerdictAnswer

from .conftest import settle, type_keys, wait_for_dialog, wait_until
from .test_card_detail_runbook import answers, open_card, page, text

TAG_FIELDS = ("parentIdTag", "expiryDate", "maxActiveTransactionCount", "note", "blocked")


def steve_tag(sim: Any, id_tag: str) -> dict[str, Any]:
    """The tag as SteVe's REST API returns it (not through Polaris)."""
    response = httpx.get(
        f"{sim.steve_url}/api/v1/ocppTags",
        params={"idTag": id_tag},
        auth=(sim.steve_user, sim.steve_password),
        timeout=10,
    )
    response.raise_for_status()
    (tag,) = response.json()
    return {field: tag[field] for field in TAG_FIELDS}


async def edit_result(pilot: Any, screen: CardDetailScreen) -> str:
    """Wait for the app-level edit worker and the page's reload; the result line."""
    await settle(pilot)
    return text(screen.query_one("#card-edit-result"))


def audit_rows(screen: AuditLogScreen) -> dict[int, list[str]]:
    table = screen.query_one("#audit-table")
    return {
        int(row.key.value): [cell.plain for cell in table.get_row(row.key)]
        for row in table.ordered_rows
    }


class TestEditRevertRoundTrip:
    async def test_block_and_relink_then_revert_both_from_the_audit_log(self, sim, sim_app) -> None:
        before = steve_tag(sim, "CARD-HEALTHY")
        app = sim_app(operator="alice")
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            screen = await open_card(pilot, "CARD-HEALTHY")
            meta_before = screen.view.meta

            # Block: the dialog shows before → after; y applies it.
            await pilot.press("b")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, CardEditDialog)
            preview = text(dialog.query_one("#edit-preview"))
            assert "before: not blocked" in preview and "after:  blocked" in preview
            await pilot.press("y")
            assert "block applied" in await edit_result(pilot, screen)
            # The page re-reads SteVe after the edit; under load that read can
            # land after the result line, so wait for it rather than race it.
            await wait_until(
                pilot,
                lambda: "Blocked                 yes" in page(screen)["record"],
                "the page to show the card blocked",
            )
            assert answers(screen)[0][0] == "NO"
            assert steve_tag(sim, "CARD-HEALTHY") == {
                **before,
                "maxActiveTransactionCount": 0,
                "blocked": True,
            }

            # Relink to another Lago customer (local metadata).
            await pilot.press("k")
            await pilot.pause()
            await pilot.press("ctrl+a", "ctrl+k", *type_keys("cust-grace"))
            await pilot.pause()
            assert "after:  cust-grace" in text(app.screen.query_one("#edit-preview"))
            await pilot.press("enter")
            assert "relink applied" in await edit_result(pilot, screen)
            assert "Grace Hopper" in page(screen)["header"]

            # The Audit log lists both, newest first, with who/what/before/after/status.
            await pilot.press("h")
            await settle(pilot)
            log_screen = app.screen
            assert isinstance(log_screen, AuditLogScreen)
            rows = audit_rows(log_screen)
            (relink_id, block_id) = sorted(rows, reverse=True)
            assert rows[block_id][2:5] == ["alice", "CARD-HEALTHY", "block"]
            assert rows[block_id][7] == "applied" and rows[block_id][8] == "—"
            assert rows[relink_id][4] == "relink" and rows[relink_id][6] == "customer=cust-grace"

            # Revert the relink (cursor on the newest row), then the block.
            await pilot.press("v")
            assert isinstance(await wait_for_dialog(pilot), ConfirmDialog)
            await pilot.press("y")
            await settle(pilot)
            await pilot.press("down", "down")  # newest is now the revert; then relink, then block
            await pilot.pause()
            assert log_screen.selected().id == block_id
            await pilot.press("v")
            body = text((await wait_for_dialog(pilot)).query_one("#confirm-body"))
            assert "now:      max active=0" in body and "restored: max active=1" in body
            await pilot.press("y")
            await settle(pilot)
            rows = audit_rows(log_screen)
            assert len(rows) == 4
            reverts = [rows[k] for k in sorted(rows)[2:]]
            assert [r[4] for r in reverts] == ["revert", "revert"]
            assert rows[block_id][8].startswith("reverted by #")
            assert rows[relink_id][8].startswith("reverted by #")

            # Reverting twice is refused at the key, before any dialog.
            await pilot.press("v")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmDialog)
            assert any(n.title == "Already reverted" for n in app._notifications)

            # Back on the card page: everything as it was.
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen
            assert "Blocked                 no" in page(screen)["record"]
            assert screen.view.meta == meta_before
            assert [w.query_one(".verdict-badge").content for w in screen.query(VerdictAnswer)][
                0
            ] == "YES"
        assert steve_tag(sim, "CARD-HEALTHY") == before

    async def test_a_refused_edit_says_why_and_changes_nothing(self, sim, sim_app) -> None:
        """SteVe's parent must exist: the service refuses before writing; the page shows why."""
        before = steve_tag(sim, "CARD-HEALTHY")
        app = sim_app()
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            screen = await open_card(pilot, "CARD-HEALTHY")
            await pilot.press("p")
            await pilot.pause()
            await pilot.press(*type_keys("NO-SUCH-CARD"), "enter")
            result = await edit_result(pilot, screen)
            assert "refused" in result and "NO-SUCH-CARD" in result
            await pilot.press("h")
            await settle(pilot)
            assert audit_rows(app.screen) == {}
        assert steve_tag(sim, "CARD-HEALTHY") == before


class TestViewer:
    async def test_viewer_cannot_edit_or_revert(self, sim, sim_app) -> None:
        before = steve_tag(sim, "CARD-BLOCKED")
        app = sim_app(role="viewer")
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            screen = await open_card(pilot, "CARD-BLOCKED")
            assert "Read-only: editing cards needs the admin role" in page(screen)["record"]
            assert "‹b›" not in page(screen)["record"]
            for key in ("b", "p", "e", "k", "n", "t", "i"):
                await pilot.press(key)
                await pilot.pause()
                assert app.screen is screen, f"{key} opened nothing"
            titles = {n.title for n in app._notifications}
            assert "Not allowed for your role" in titles
        assert steve_tag(sim, "CARD-BLOCKED") == before
