"""The console App: its screens, global keys, navigation, export, clipboard
and theme (the plumbing under it is ``ServicesApp``)."""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import Awaitable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work
from textual.await_complete import AwaitComplete
from textual.command import Provider
from textual.screen import ModalScreen, Screen

from polaris_tui.app.navigation import jump
from polaris_tui.app.services_app import HookOptions, ServicesApp, ServicesFactory
from polaris_tui.console import Console
from polaris_tui.models.errors import PolarisError
from polaris_tui.models.sessions import SessionQuery
from polaris_tui.screens.base import SCREENS_CSS, PolarisScreen, css_file
from polaris_tui.screens.fleet import FleetScreen
from polaris_tui.services.clock import Clock
from polaris_tui.services.jump import CommandHistory, Jump, Place
from polaris_tui.services.settings import Settings
from polaris_tui.widgets.css_warmup import warm_default_css
from polaris_tui.widgets.keymap import bind
from polaris_tui.widgets.safe_text import clean

if TYPE_CHECKING:
    from polaris_tui.dialogs.command_line import CommandLine
    from polaris_tui.services.export import ExportFormat

log = logging.getLogger(__name__)

T = TypeVar("T")


def _polaris_commands() -> type[Provider]:
    """The palette's Polaris commands, imported when the palette first opens."""
    from polaris_tui.widgets.commands import PolarisCommands

    return PolarisCommands


AFTER_FIRST_ROWS = (
    "polaris_tui.screens.charger_detail",
    "polaris_tui.screens.operation_log",
    "polaris_tui.dialogs.command_line",
    "polaris_tui.dialogs.help",
    "polaris_tui.widgets.commands",
)
"""Modules of the places one key away (``enter``, ``l``, ``:``, ``?``,
``ctrl+p``), imported once the first rows are painted, not before."""


class PolarisApp(ServicesApp):
    """The console. Build it with ``make_app``."""

    CSS_PATH = css_file("polaris.tcss")  # the fleet's; the other screens': SCREENS_CSS
    TITLE = "Polaris"
    COMMANDS = ServicesApp.COMMANDS | {_polaris_commands}
    BINDINGS = [
        bind("q"),
        bind("question_mark"),
        bind("colon", show=False),
        bind("ctrl+s", show=False),
        bind("y", show=False),
    ]

    # -- lifecycle ------------------------------------------------------------
    def on_mount(self) -> None:
        self._loop_thread = threading.get_ident()
        self._loop = asyncio.get_running_loop()
        self._install_sighup()
        self._apply_saved_theme()
        self.push_screen(FleetScreen())
        self.ready_signal.subscribe(self, self._warm_up)
        for notice in self.startup_notices:
            self.notify(
                clean(notice), title="Configuration", severity="warning", markup=False, timeout=20
            )
        self.open_services()

    def _warm_up(self, _services: object) -> None:
        """Once the first poll has landed (``ready_signal``'s second call): the
        charger page's widget CSS, which at its first ``enter`` cost ~60 ms of
        CPU before the page's first frame (widgets/css_warmup.py)."""
        if self.data_loaded.is_set():
            from polaris_tui.screens.charger_detail import ChargerDetailScreen

            warm_default_css(self.stylesheet, ChargerDetailScreen.WIDGET_TYPES)

    def after_first_rows(self) -> None:
        """Import the places one key away now (~35 ms), not before the first
        rows: the first ``enter`` must not pay it either."""
        for name in AFTER_FIRST_ROWS:
            importlib.import_module(name)
        # Their rules too (~10-25 ms to parse). Read here, the first screen
        # that opens finds them and Textual does not reparse every source.
        if not self.stylesheet.has_source(str(SCREENS_CSS)):
            self.stylesheet.read(SCREENS_CSS)
            self.stylesheet.parse()

    @cached_property
    def command_history(self) -> CommandHistory:
        """The ``:`` lines run this session (up/down in the command line)."""
        return CommandHistory()

    # -- navigation (screens call these) ------------------------------------------
    def _ready_or_say(self) -> bool:
        if self.services is None:
            self.notify("Still connecting to SteVe and Lago…", markup=False)
            return False
        return True

    def open_chargers(self) -> None:
        """Back to the fleet table."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, FleetScreen):
            self.pop_screen()

    def _jump(self, screen: Screen[Any]) -> AwaitComplete:
        """Show ``screen`` without piling up the stack (``navigation.jump``)."""
        return AwaitComplete(jump(self, screen)).call_next(self)

    def open_charger(self, charge_box_id: str) -> Awaitable[object] | None:
        """Open the detail of one charger.

        Returns an awaitable done once it is shown, or None; callers may ignore it.
        """
        if not self._ready_or_say():
            return None
        from polaris_tui.screens.charger_detail import ChargerDetailScreen

        return self._jump(ChargerDetailScreen(charge_box_id))

    def open_operation_log(self, charge_box_id: str | None = None) -> None:
        """Open the operation log, optionally filtered to one charger."""
        if self._ready_or_say():
            from polaris_tui.screens.operation_log import OperationLogScreen

            self._jump(OperationLogScreen(charge_box_id))

    def open_card(self, id_tag: str) -> None:
        """Open one card's detail (the card screens)."""
        if not self._ready_or_say():
            return
        from polaris_tui.screens.card_detail import CardDetailScreen

        self._jump(CardDetailScreen(id_tag))

    def open_sessions(self, query: SessionQuery | None = None, title: str = "Sessions") -> None:
        """Open the Sessions list under fixed filters (a charger, card or customer)."""
        if not self._ready_or_say():
            return
        from polaris_tui.screens.sessions import SessionsScreen

        self._jump(SessionsScreen(query, title=title))

    def open_session(self, transaction_id: int) -> None:
        """Open one session's detail."""
        if not self._ready_or_say():
            return
        from polaris_tui.screens.session_detail import SessionDetailScreen

        self._jump(SessionDetailScreen(transaction_id))

    def open_customer(self, text: str) -> None:
        """Open a customer's page by e-mail, name or Lago external id."""
        if not self._ready_or_say():
            return
        from polaris_tui.screens.customer import CustomerScreen

        self._jump(CustomerScreen(text))

    def open_cards(self) -> None:
        """Open the cards list."""
        if not self._ready_or_say():
            return
        from polaris_tui.screens.cards import CardsScreen

        self._jump(CardsScreen())

    def open_audit_log(self, id_tag: str | None = None) -> None:
        """Open the audit log of card edits, optionally for one card."""
        if not self._ready_or_say():
            return
        from polaris_tui.screens.audit_log import AuditLogScreen

        self._jump(AuditLogScreen(id_tag=id_tag))

    def action_command_line(self) -> None:
        """``:`` as in k9s: type a place (``charger CP-…``, ``cards``…) and jump."""
        if isinstance(self.screen, ModalScreen):
            return  # a dialog keeps its keys (a typed confirmation takes ``:``)
        from polaris_tui.dialogs.command_line import CommandLine

        ids = [row.charge_box_id for row in self.services.fleet.rows()] if self.services else []
        line = CommandLine(self.command_history, ids)
        self.push_screen(line, self.go)
        # An app worker, not the modal's: a modal's workers die with it (PITFALLS).
        self.run_worker(
            self._complete_cards(line), name="command-cards", group="command", exit_on_error=False
        )

    async def _complete_cards(self, line: CommandLine) -> None:
        """Give the command line the card idTags to complete (chargers it has)."""
        if self.services is None:
            return
        try:
            cards = await self.services.cards.cards()
        except PolarisError as error:  # chargers and places still complete
            log.warning("command line: cards unavailable: %s", error)
            return
        if line.is_attached:
            line.set_card_tags([card.id_tag for card in cards])

    def go(self, where: Jump | None) -> None:
        """Jump to ``where`` (from the command line; None: it was closed)."""
        if where is None:
            return
        if where.place == Place.CHARGERS:
            self.open_chargers()
        elif where.place == Place.CARDS:
            self.open_cards()
        elif where.place == Place.OPS:
            self.open_operation_log(where.target)
        elif where.place == Place.AUDIT:
            self.open_audit_log(where.target)
        elif where.place == Place.CHARGER and where.target:
            self.open_charger(where.target)
        elif where.place == Place.CARD and where.target:
            self.open_card(where.target)

    # -- global actions --------------------------------------------------------------
    def action_help(self) -> None:
        from polaris_tui.dialogs.help import HelpScreen, screen_keys

        if isinstance(self.screen, HelpScreen):
            return
        screen = self.screen
        title = screen.HELP_TITLE if isinstance(screen, PolarisScreen) else None
        title = title or type(screen).__name__.removesuffix("Screen")
        self.push_screen(HelpScreen(title, screen_keys(screen)))

    def action_refresh_now(self) -> None:
        """``r``: poll every source now."""
        if self.services is not None:
            self._refresh_now()

    # ``@work`` makes the coroutine only when the worker starts: ``exclusive``
    # cancels a refresh still pending when the next ``r`` comes, and a
    # coroutine made up front for it would never be awaited.
    @work(name="refresh-now", group="refresh", exclusive=True, exit_on_error=False)
    async def _refresh_now(self) -> None:
        if self.services is not None:
            await self.services.poller.refresh_now()

    def action_export_table(self) -> None:
        """``ctrl+s``: save the table on screen, as shown, as CSV or JSON."""
        from polaris_tui.dialogs.export import ExportDialog
        from polaris_tui.widgets.table_export import export_name, table_contents, table_on

        table = table_on(self.screen)
        if table is None:
            self.notify("There is no table on this screen to export.", markup=False)
            return
        columns, rows = table_contents(table)  # as shown now, before the dialog covers it
        name = export_name(table)
        folder = self.export_dir()

        def chosen(choice: str | None) -> None:
            fmt: ExportFormat | None = (
                "csv" if choice == "csv" else "json" if choice == "json" else None
            )
            if fmt is not None:
                self.run_worker(
                    self._export(columns, rows, fmt, name, folder),
                    name="export",
                    group="export",
                    exit_on_error=False,
                )

        self.push_screen(ExportDialog(len(rows), clean(name), clean(str(folder))), chosen)

    def export_dir(self) -> Path:
        from polaris_tui.services.export import default_export_dir

        return self.settings.ui.export_dir or default_export_dir()

    async def _export(
        self,
        columns: list[str],
        rows: list[list[str]],
        fmt: ExportFormat,
        name: str,
        folder: Path,
    ) -> Path:
        from polaris_tui.services.export import export_table

        path = await asyncio.to_thread(
            export_table, columns, rows, fmt=fmt, folder=folder, name=name, at=self.clock.now()
        )
        log.info("exported %d rows of %s to %s", len(rows), name, path)
        self.notify(clean(f"Saved {len(rows)} rows to {path}"), title="Exported", markup=False)
        return path

    def action_copy_id(self) -> None:
        """``y``: copy the id under the cursor (OSC 52: works over SSH). The only
        place Polaris writes the clipboard: always the operator's own key press."""
        from polaris_tui.widgets.table_export import copy_target

        target = copy_target(self.screen)
        if target is None:
            self.notify("Nothing to copy here.", markup=False)
            return
        what, value = target
        self.copy_to_clipboard(value)
        self.notify(clean(f"Copied {what} {value}"), title="Clipboard", markup=False, timeout=4)

    # -- theme: the picker's choice is saved to the config file ---------------------
    def _apply_saved_theme(self) -> None:
        wanted = self.settings.ui.theme
        if wanted and wanted in self.available_themes:
            self.theme = wanted
        elif wanted:
            self.notify(
                clean(f"Unknown theme {wanted!r} in ui.theme; using the default."),
                title="Configuration",
                severity="warning",
                markup=False,
            )
        self._theme_applied = True

    def watch_theme(self, theme: str) -> None:
        if not self._theme_applied or self.config_path is None:
            return
        if theme == self.settings.ui.theme:
            return
        self.settings.ui.theme = theme
        self.run_worker(self._save_theme(theme), name="save-theme", exit_on_error=False)

    async def _save_theme(self, theme: str) -> None:
        from polaris_tui.services.settings_file import save_setting

        assert self.config_path is not None
        await asyncio.to_thread(save_setting, self.config_path, "ui", "theme", theme)
        log.info("theme %s saved to %s", theme, self.config_path)

    async def action_quit(self) -> None:
        self._type_ahead.close()
        await self.close_services()
        self.exit()


def make_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    demo: bool = False,
    seed_demo: bool | None = None,
    hook: HookOptions | None = None,
    services_factory: ServicesFactory | None = None,
    type_ahead: bool | None = None,
) -> PolarisApp:
    """The one factory used by the CLI and the tests.

    Args:
        settings: validated settings (``load_settings``).
        clock: "now" for the services and every age on screen; default the system clock.
        demo: running against the built-in stand-in (banner, demo store seed).
        seed_demo: seed the demo card metadata and inventory first (default: ``demo``).
        hook: serve the pre-authorize hook in the console's loop (demo mode).
        services_factory: replaces ``PolarisServices.open`` (tests with fakes).
        type_ahead: handle keys one at a time (default: on a real terminal only).
    """
    return PolarisApp(
        settings,
        clock=clock,
        demo=demo,
        seed_demo=demo if seed_demo is None else seed_demo,
        hook=hook,
        services_factory=services_factory,
        type_ahead=type_ahead,
    )


if TYPE_CHECKING:

    def _app_is_a_console(app: PolarisApp) -> Console:
        """mypy proves here that screens may treat the App as a ``Console``."""
        return app
