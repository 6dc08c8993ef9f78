"""The read-only panels of the charger detail: Live status and Current session.

Each panel renders a ``ChargerDetail`` into ``Content`` lines (untrusted text
through ``clean()``), carries its data's age in its border subtitle, and
turns ``-stale`` when the data is a snapshot rather than live.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.widgets import Static

from polaris_tui.models import ChargerDetail, ConnectionState, Liveness, OpenSession
from polaris_tui.widgets.alarm_style import ALARM, WARNING
from polaris_tui.widgets.fleet_cells import STATUS_STYLE
from polaris_tui.widgets.freshness import as_of
from polaris_tui.widgets.quiet import set_subtitle, update_static
from polaris_tui.widgets.safe_text import clean
from polaris_tui.wording import coarse_ago as ago
from polaris_tui.wording import duration, kwh, when

LIVENESS_TEXT = {
    Liveness.ONLINE: ("● online", "bold $success"),
    Liveness.STALE: ("● online? heartbeat overdue", WARNING),
    Liveness.OFFLINE: ("● OFFLINE", ALARM),
    Liveness.UNKNOWN: ("● online state unknown", "$text-muted"),
    Liveness.UNMANAGED: ("● unmanaged (not in SteVe)", "$text-muted"),
}


SOURCE_SHORT = {"chargeboxes-api": "api", "manager-page": "page", "snapshot": "snapshot"}
"""Where a status came from, short enough for the connector line."""


def is_stale(detail: ChargerDetail) -> bool:
    """True when SteVe could not be asked: what we show is the saved snapshot."""
    state = detail.steve_state
    return state is not None and state.state == ConnectionState.UNREACHABLE


def header_content(detail: ChargerDetail, now: datetime) -> Content:
    """The one-line header: ChargeBox ID, description, online state, heartbeat."""
    row = detail.row
    text, style = LIVENESS_TEXT.get(row.liveness, ("●", ""))
    parts: list[tuple[str, str] | str | Content] = [
        (clean(row.charge_box_id, limit=80), "bold"),
        "  ",
        clean(row.description or "", limit=120),
        "   ",
        (text, style),
    ]
    if row.managed:
        parts.append(f" · last heartbeat {ago(row.last_heartbeat, now)}")
    return Content.assemble(*parts)


class PanelStatic(Static):
    """A bordered panel with a fixed title and a data-age subtitle."""

    DEFAULT_CSS = """
    PanelStatic { height: auto; border: round $primary-darken-2; padding: 0 1; }
    PanelStatic.-stale { border: round $error; }
    """

    TITLE = ""

    def on_mount(self) -> None:
        self.border_title = Content(self.TITLE)

    def set_age(self, fetched_at: datetime | None, now: datetime, *, stale: bool) -> None:
        set_subtitle(self, as_of(fetched_at, now, stale=stale))
        self.set_class(stale, "-stale")


class LiveStatusPanel(PanelStatic):
    """Online/offline, heartbeat, each connector's status, the newest meter value."""

    TITLE = "Live status"

    def show(self, detail: ChargerDetail, now: datetime) -> None:
        row = detail.row
        stale = is_stale(detail)
        self.set_age(row.fetched_at or detail.fetched_at, now, stale=stale)
        lines: list[Content] = []
        text, style = LIVENESS_TEXT.get(row.liveness, ("●", ""))
        if not row.managed:
            lines.append(Content.styled(text, style))
            lines.append(
                Content("Known only to Polaris' local inventory; SteVe has no live status for it.")
            )
            update_static(self, Content("\n").join(lines))
            return
        lines.append(
            Content.assemble(
                (text, style),
                f" · last heartbeat {ago(row.last_heartbeat, now)} ({when(row.last_heartbeat)})",
            )
        )
        if stale:
            lines.append(
                Content.styled(
                    "SteVe is unreachable: statuses below are the last snapshot.", "$error"
                )
            )
        lines.append(
            Content.styled(
                f"{'Conn':<5}{'Status':<13}{'Error code':<14}{'Reported':<12}Source", "bold"
            )
        )
        connectors = sorted(row.connectors, key=lambda c: c.connector_id)
        if not connectors:
            lines.append(Content.styled("No connector has reported a status.", "$text-muted"))
        for c in connectors:
            status = clean(c.status, limit=12)
            lines.append(
                Content.assemble(
                    f"{c.connector_id:<5}",
                    (status, STATUS_STYLE.get(c.status, "")),  # the chip: the word only
                    " " * max(1, 13 - len(status)),
                    f"{clean(c.error_code or '—', limit=13):<14}",
                    f"{ago(c.timestamp, now):<12}",
                    SOURCE_SHORT.get(c.source.value, c.source.value),
                )
            )
            extra = " ".join(clean(v, limit=60) for v in (c.info, c.vendor_error_code) if v)
            if extra:
                lines.append(Content.styled(f"     info: {extra}", "$text-muted"))
        meter = newest_meter(detail)
        if meter is None:
            lines.append(
                Content.styled("Meter: no meter values for an open session.", "$text-muted")
            )
        else:
            session, at = meter
            advancing = {
                True: ("still advancing", "$success"),
                False: ("NOT advancing", ALARM),
                None: ("cannot tell if advancing", "$text-muted"),
            }[session.meter_advancing]
            lines.append(
                Content.assemble(
                    f"Newest meter value {when(at)} ({ago(at, now)}) · ",
                    advancing,
                )
            )
        update_static(self, Content("\n").join(lines))


def newest_meter(detail: ChargerDetail) -> tuple[OpenSession, datetime] | None:
    """The open session with the newest meter value, and that value's time."""
    best: tuple[OpenSession, datetime] | None = None
    for session in detail.sessions:
        if session.latest_meter is not None:
            at = session.latest_meter.value_timestamp
            if best is None or at > best[1]:
                best = (session, at)
    return best


class SessionPanel(PanelStatic):
    """The open transaction(s): who, since when, energy, the meter and a stuck warning."""

    TITLE = "Current session"

    def show(self, detail: ChargerDetail, now: datetime, *, stuck_after_minutes: float) -> None:
        stale = is_stale(detail)
        self.set_age(detail.fetched_at, now, stale=stale)
        if not detail.row.managed:
            update_static(
                self,
                Content.styled("Not in SteVe: Polaris cannot see its sessions.", "$text-muted"),
            )
            return
        if not detail.sessions:
            update_static(self, Content("No open session on this charger."))
            return
        blocks = [self._session(s, now, stuck_after_minutes) for s in detail.sessions]
        if stale:
            blocks.insert(0, Content.styled("From the snapshot: SteVe is unreachable.", "$error"))
        update_static(self, Content("\n\n").join(blocks))

    @staticmethod
    def _session(session: OpenSession, now: datetime, stuck_after_minutes: float) -> Content:
        tx = session.transaction
        lines: list[Content] = [
            Content.assemble(
                ("Transaction ", "bold"), (str(tx.id), "bold"), f" · connector {tx.connector_id}"
            )
        ]
        who: list[tuple[str, str] | str] = [
            ("idTag     ", "$text-muted"),
            (clean(tx.ocpp_id_tag, limit=60), "bold"),
        ]
        if session.card and session.card.display_name:
            who.append(f" — {clean(session.card.display_name, limit=60)}")
        if session.customer is not None:
            email = f", {clean(session.customer.email, limit=80)}" if session.customer.email else ""
            who.append(f" (customer {clean(session.customer.display_name, limit=60)}{email})")
        elif session.card is None or not session.card.lago_customer_id:
            who.append(("  not linked to a customer", "$warning"))
        lines.append(Content.assemble(*who))
        elapsed = (now - tx.start_timestamp).total_seconds()
        lines.append(
            Content.assemble(
                ("Started   ", "$text-muted"),
                f"{when(tx.start_timestamp)} · elapsed {duration(elapsed)}",
            )
        )
        checked = getattr(session, "meter_checked_at", None)
        lines.append(
            Content.assemble(
                ("Energy    ", "$text-muted"),
                f"{kwh(session.energy_wh)} so far",
                (f" · meter read {ago(checked, now)}", "$text-muted")
                if checked is not None
                else "",
            )
        )
        meter = session.latest_meter
        if meter is None:
            lines.append(
                Content.assemble(
                    ("Meter     ", "$text-muted"), ("no meter values yet", "$text-muted")
                )
            )
        else:
            reading = kwh(meter.wh) if meter.wh is not None else clean(meter.value, limit=30)
            lines.append(
                Content.assemble(
                    ("Meter     ", "$text-muted"),
                    f"{reading} at {when(meter.value_timestamp)} ({ago(meter.value_timestamp, now)})",
                )
            )
        if not session.stuck and session.meter_advancing is False:
            # A flat meter while the car pauses (SuspendedEV/EVSE) is not a stuck
            # session: say it is flat, without the alarm.
            lines.append(
                Content.styled(
                    "Meter is flat, but the connector reports the car or charger paused: not stuck.",
                    "$warning",
                )
            )
        elif session.stuck:
            reason = clean(session.stuck_reason, limit=200) if session.stuck_reason else ""
            age = f" for {ago(meter.value_timestamp, now).removesuffix(' ago')}" if meter else ""
            lines.append(
                Content.assemble(
                    ("STUCK", ALARM),
                    (
                        f" ⚠ Meter has not advanced{age} (threshold {stuck_after_minutes:g} min): "
                        "the session looks stuck.",
                        "bold",
                    ),
                    f" {reason}" if reason else "",
                )
            )
        elif session.meter_advancing:
            lines.append(
                Content.styled(
                    "Meter is advancing: the car is still drawing, the session is not stuck.",
                    "$success",
                )
            )
        lines.append(Content.styled("c: go to this card", "$text-muted"))
        return Content("\n").join(lines)
