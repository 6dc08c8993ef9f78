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
from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from polaris_tui.console import Console, console_of
from polaris_tui.models import CardRow
from polaris_tui.models.errors import PolarisError
from polaris_tui.services.sessions import customer_matches
from polaris_tui.widgets.safe_text import clean

log = logging.getLogger(__name__)

MAX_GOTO_HITS = 20

SCREENS: tuple[tuple[str, Callable[[Console], None], str], ...] = (
    ("Chargers", lambda console: console.open_chargers(), "The live fleet table"),
    ("Cards", lambda console: console.open_cards(), "Every EV card, with triage"),
    (
        "Sessions",
        lambda console: console.open_sessions(),
        "Charging sessions, open and recent: who, where, stop and billing",
    ),
    (
        "Operation log",
        lambda console: console.open_operation_log(),
        "Every remote operation, who and what",
    ),
    ("Audit log", lambda console: console.open_audit_log(), "Every card edit, with revert"),
)


class PolarisCommands(Provider):
    """Screens, and go-to a charger or card by id."""

    async def startup(self) -> None:
        self._cards: list[CardRow] = []
        services = console_of(self).services
        if services is None:
            return
        try:
            self._cards = await services.cards.cards()
        except PolarisError as error:
            # The palette still works for chargers and screens; say why cards are missing.
            log.warning("command palette: cards unavailable: %s", error)

    def _screen_command(self, open_screen: Callable[[Console], None]) -> Callable[[], None]:
        console = console_of(self)
        return lambda: open_screen(console)

    async def discover(self) -> Hits:
        for title, open_screen, help_text in SCREENS:
            yield DiscoveryHit(
                Content(title), self._screen_command(open_screen), text=title, help=help_text
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, open_screen, help_text in SCREENS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    Content(title),
                    self._screen_command(open_screen),
                    text=title,
                    help=help_text,
                )
        needle = query.strip().lower()
        if not needle:
            return
        console = console_of(self)
        services = console.services
        if services is None:
            return
        for row in services.fleet.search(query.strip())[:MAX_GOTO_HITS]:
            label = f"Go to charger {clean(row.charge_box_id, limit=60)}"
            description = clean(row.description or "", limit=60)
            exact = row.charge_box_id.lower() == needle
            yield Hit(
                1.0 if exact else 0.6,
                Content.assemble(label, (f"  {description}" if description else "", "dim")),
                _opener(console.open_charger, row.charge_box_id),
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
                    _opener(console.open_card, card.id_tag),
                    text=label,
                )
                count += 1
                if count >= MAX_GOTO_HITS:
                    break
        for customer in services.customers.known():
            if not customer_matches(customer, needle):
                continue
            label = f"Customer {clean(customer.display_name, limit=60)}"
            email = clean(customer.email or "", limit=60)
            exact = needle in ((customer.email or "").lower(), customer.display_name.lower())
            yield Hit(
                1.0 if exact else 0.5,
                Content.assemble(label, (f"  {email}" if email else "", "dim")),
                _opener(console.open_customer, customer.external_id),
                text=label,
            )


def _opener(method: Callable[[str], object], key: str) -> Callable[[], None]:
    """A zero-argument callback opening ``key`` (binds the value, not the loop variable)."""

    def open_key() -> None:
        method(key)

    return open_key
