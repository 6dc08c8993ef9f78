"""The command palette's Polaris commands (``ctrl+p``).

Screens: Chargers, Cards, Operation log, Audit log; and "go to" any charger
or card by id: the provider searches the fleet rows (``fleet.search``) and
the cards (``cards.cards()``, read once when the palette opens).

Why not ``Matcher.highlight``, and why no ``help=`` on go-to hits: both are
parsed as markup by Textual, and a charger id or description is untrusted.
Go-to hits are built as ``Content`` from cleaned text, description included.
"""

from __future__ import annotations

import logging
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from polaris_tui.models import CardRow
from polaris_tui.models.errors import PolarisError
from polaris_tui.widgets.safe_text import clean

log = logging.getLogger(__name__)

MAX_GOTO_HITS = 20

SCREENS: tuple[tuple[str, str, str], ...] = (
    ("Chargers", "open_chargers", "The live fleet table"),
    ("Cards", "open_cards", "Every EV card, with triage"),
    ("Operation log", "open_operation_log", "Every remote operation, who and what"),
    ("Audit log", "open_audit_log", "Every card edit, with revert"),
)


class PolarisCommands(Provider):
    """Screens, and go-to a charger or card by id."""

    async def startup(self) -> None:
        self._cards: list[CardRow] = []
        services: Any = getattr(self.app, "services", None)
        if services is None:
            return
        cards = getattr(services, "cards", None)
        if cards is None:
            return
        try:
            self._cards = await cards.cards()
        except PolarisError as error:
            # The palette still works for chargers and screens; say why cards are missing.
            log.warning("command palette: cards unavailable: %s", error)

    def _screen_command(self, method: str) -> Any:
        app: Any = self.app
        return getattr(app, method)

    async def discover(self) -> Hits:
        for title, method, help_text in SCREENS:
            yield DiscoveryHit(
                Content(title), self._screen_command(method), text=title, help=help_text
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, method, help_text in SCREENS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score, Content(title), self._screen_command(method), text=title, help=help_text
                )
        needle = query.strip().lower()
        if not needle:
            return
        app: Any = self.app
        services: Any = getattr(app, "services", None)
        if services is None:
            return
        for row in services.fleet.search(query.strip())[:MAX_GOTO_HITS]:
            label = f"Go to charger {clean(row.charge_box_id, limit=60)}"
            description = clean(row.description or "", limit=60)
            exact = row.charge_box_id.lower() == needle
            yield Hit(
                1.0 if exact else 0.6,
                Content.assemble(label, (f"  {description}" if description else "", "dim")),
                _opener(app.open_charger, row.charge_box_id),
                text=label,
            )
        count = 0
        for card in self._cards:
            name = card.display_name or ""
            if needle in card.id_tag.lower() or needle in name.lower():
                label = f"Go to card {clean(card.id_tag, limit=60)}"
                shown_name = clean(name, limit=60)
                yield Hit(
                    1.0 if card.id_tag.lower() == needle else 0.5,
                    Content.assemble(label, (f"  {shown_name}" if shown_name else "", "dim")),
                    _opener(app.open_card, card.id_tag),
                    text=label,
                )
                count += 1
                if count >= MAX_GOTO_HITS:
                    break


def _opener(method: Any, key: str) -> Any:
    """A zero-argument callback opening ``key`` (binds the value, not the loop variable)."""
    return lambda: method(key)
