"""Snapshots of the card page ("EV Card details") against the stand-in, clock at FROZEN_NOW."""

from __future__ import annotations

from typing import Any

from .conftest import no_blink, settle, type_keys


def card(id_tag: str, *keys: str, steve_down: Any = None):
    """``run_before``: open ``id_tag`` (after an outage if ``steve_down`` is the sim), press ``keys``."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        if steve_down is not None:
            steve_down.fault("steve_down")
            await pilot.app.services.poller.refresh_now()
        pilot.app.open_card(id_tag)
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return run_before


class TestCardDetailSnapshots:
    """The card runbook's page, one demo case per snapshot."""

    def test_healthy_120x40(self, snap_compare, sim_app) -> None:
        """CARD-HEALTHY: title "EV Card details · CARD-HEALTHY · loaded 0s ago"; header
        strip with Type RFID, Active yes, Linked Ada Lovelace · sub-ada (active); verdict
        YES, YES, NO (orange: not intercepted), YES with session 1015 at CP-ALPHA-01; the
        record and local metadata side by side with ‹key› hints; "Relations: no parent and
        no children"; Recent transactions 1015 running ("not yet (running)"), 1008 and
        1004 with their Lago sync times. All of it on screen without scrolling."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=card("CARD-HEALTHY"))

    def test_healthy_80x24(self, snap_compare, sim_app) -> None:
        """CARD-HEALTHY at 80x24: header strip wraps to two lines, the verdict fills the
        page, a scrollbar on the right says more is below (record, relations, sessions)."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=card("CARD-HEALTHY"))

    def test_parent_blocked_120x40(self, snap_compare, sim_app) -> None:
        """FLEET-CHILD-1: first answer NO (red) "… its ancestor FLEET-PARENT refuses it
        (children inherit)"; Linked ACME Logistics … (inherited from FLEET-PARENT); own
        record Blocked no; Relations: parent FLEET-PARENT, Blocked yes, "CAUSE: refuses
        this card" in bold red."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=card("FLEET-CHILD-1"))

    def test_meta_card_120x40(self, snap_compare, sim_app) -> None:
        """FLEET-PARENT: titled "Meta-EV Card details"; Blocked yes (red) in the record;
        Relations lists both children, each "refused too: inherits it"; no sessions."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=card("FLEET-PARENT"))

    def test_unknown_to_steve_80x24(self, snap_compare, sim_app) -> None:
        """CARD-NEW-0001: "Linked not linked"; verdict NO "SteVe does not know this idTag:
        a tap is answered Invalid" with the local-metadata evidence."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=card("CARD-NEW-0001"))

    def test_intercepted_120x40(self, snap_compare, sim_app) -> None:
        """CARD-KIOSK: third answer YES "Intercepted at CP-FOXTROT-06 on 2026-11-22
        09:49:00Z: the rejection was scan-to-login doing its job"; fourth NO "blocked by
        the scan-to-login hook (by design)"; the card itself valid (YES)."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=card("CARD-KIOSK"))

    def test_steve_unreachable_120x40(self, snap_compare, sim, sim_app) -> None:
        """SteVe down after the first poll, FLEET-CHILD-1 opened: the app banner (red) and
        the page's own red line "SteVe is unreachable right now — charging history and
        hierarchy may be stale. Data shown is from 0s ago"; panels say "stale: last good
        data 0s ago"; the verdict cites the snapshot; the parent chain still shows
        FLEET-PARENT as the cause; Recent transactions says SteVe is unreachable."""
        run_before = card("FLEET-CHILD-1", steve_down=sim)
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=run_before)

    def test_block_dialog_80x24(self, snap_compare, sim_app) -> None:
        """`b` on CARD-HEALTHY: the confirmation "Block · CARD-HEALTHY", "blocked in SteVe",
        before: not blocked, after: blocked (max active transactions 0); Cancel (n)
        focused, Apply (y) beside it."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=card("CARD-HEALTHY", "b"))

    def test_viewer_120x40(self, snap_compare, sim_app) -> None:
        """A viewer on CARD-BLOCKED: no ‹key› hints in the record, the line "Read-only:
        editing cards needs the admin role." in yellow; Blocked yes in red."""
        run_before = card("CARD-BLOCKED")
        assert snap_compare(sim_app(role="viewer"), terminal_size=(120, 40), run_before=run_before)


class TestTapWindowSnapshots:
    """The triage with a time and a place (``T``)."""

    def test_tap_dialog_80x24(self, snap_compare, sim_app) -> None:
        """CARD-KIOSK, ``T``, "6h" typed: the dialog "When and where did CARD-KIOSK
        fail?" with the When field holding 6h, the Charger field empty with its
        placeholder, and the keys (enter, tab, esc) below."""
        keys = ("T", *type_keys("6h"))

        async def run_before(pilot) -> None:
            await card("CARD-KIOSK", *keys)(pilot)
            no_blink(pilot.app)

        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=run_before)

    def test_window_and_place_120x40(self, snap_compare, sim_app) -> None:
        """CARD-KIOSK with "6h" at CP-DELTA-04: the verdict's title says "tap in the
        last 6 h at CP-DELTA-04 (T)"; not intercepted there "but one at another
        charger: … CP-FOXTROT-06"; the fourth answer UNKNOWN listing what it looked at
        (no session, no intercept, not in SteVe's unknown-tag list)."""
        keys = ("T", *type_keys("6h"), "tab", *type_keys("CP-DELTA-04"), "enter")
        assert snap_compare(
            sim_app(), terminal_size=(120, 40), run_before=card("CARD-KIOSK", *keys)
        )
