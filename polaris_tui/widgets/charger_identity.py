"""The charger's identity on its page: what it told SteVe, and from where.

Self-loading, on demand: hidden until ``I`` on the page shows it (the page
keeps its 120x40 layout, and SteVe is asked for the details page only when
an operator wants it), then one ``services.identity`` call, again on ``r``. Each line is a label, the value (or
"unknown" and why) and the source in brackets: ``[REST]`` for SteVe's
chargeBoxes API, ``[manager page]`` for the charge point details page,
``[store]`` for Polaris' own record of hook intercepts. Focusable, so ``I``
on the page (and ``tab``) brings it into view at 80x24.
"""

from __future__ import annotations

import logging

from rich.text import Text
from textual import work
from textual.widgets import Static
from textual.worker import Worker

from polaris_tui.console import console_of
from polaris_tui.models.errors import PolarisError
from polaris_tui.models.identity import ChargerIdentity, IdentityField
from polaris_tui.widgets.safe_text import clean

log = logging.getLogger(__name__)

LABEL_WIDTH = 20


def identity_line(field: IdentityField) -> Text:
    """One field as plain text: never markup, whatever the station sent."""
    line = Text(f"{field.label:<{LABEL_WIDTH}}", style="bold")
    if field.value is None:
        line.append("unknown", style="yellow")
        if field.why:
            line.append(f" ({clean(field.why, limit=200)})", style="dim")
        if field.source != "none":
            line.append(f"  [{field.source}]", style="dim")
        return line
    line.append(clean(field.value, limit=120))
    line.append(f"  [{field.source}]", style="dim")
    if field.why:
        line.append(f" {clean(field.why, limit=200)}", style="dim")
    return line


def identity_text(identity: ChargerIdentity) -> Text:
    lines = [identity_line(f) for f in identity.fields]
    return Text("\n").join(lines)


class ChargerIdentityPanel(Static, can_focus=True):
    """Vendor, model, serials, firmware, protocol, registration, boot, endpoint, hook."""

    def __init__(self, charge_box_id: str, *, id: str | None = None, classes: str | None = None):
        super().__init__("Loading…", id=id, classes=classes, markup=False)
        self.charge_box_id = charge_box_id
        self.identity: ChargerIdentity | None = None

    def on_mount(self) -> None:
        self.border_title = "Identity (what the charger told SteVe)"
        self.display = False

    def reveal(self) -> None:
        """Show the panel (loading it the first time), focus it, scroll to it."""
        if not self.display:
            self.display = True
            self.load()
        self.focus(scroll_visible=False)
        self.call_after_refresh(self._bring_into_view)

    def _bring_into_view(self) -> None:
        self.scroll_visible(top=True, animate=False)

    def on_resize(self) -> None:
        if self.has_focus:  # it grew when its data came: bring all of it into view
            self.call_after_refresh(self._bring_into_view)

    @work(exclusive=True, group="charger-identity", exit_on_error=False)
    async def load(self) -> None:
        services = console_of(self).services
        if services is None:
            return
        try:
            identity = await services.identity.identity(self.charge_box_id)
        except PolarisError as exc:
            self.update(Text(f"Identity could not be read — {clean(str(exc), limit=200)}"))
            return
        self.identity = identity
        self.update(identity_text(identity))
        self.border_subtitle = "details page not read" if identity.page_note else ""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        console_of(self).report_worker(event)
