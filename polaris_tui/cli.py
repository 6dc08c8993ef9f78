"""The ``polaris`` command line.

``polaris``                      the console; with no SteVe configured it runs the demo:
                                 the built-in stand-in (SteVe + Lago) in a subprocess.
``polaris --steve-url URL ...``  the console against a real SteVe (and Lago).
``polaris sim [...]``            the stand-in alone (``chargesim``'s own options).
``polaris hook [...]``           the scan-to-login pre-authorize hook server.
``polaris store …``, ``polaris cards import-links``  store administration (store_cli.py).

Secrets never come from the command line: only from the config file or
``POLARIS_…`` environment variables. In demo mode the stand-in's credentials
go from its JSON line straight into in-memory settings.

This is the only module of ``polaris_tui`` that may import ``chargesim``,
lazily, and only for ``polaris sim``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polaris_tui.demo_standin import (
    remove_store,
    start_script_demo,
)
from polaris_tui.models.errors import ConfigError, PolarisError

if TYPE_CHECKING:
    from polaris_tui.demo_early import DemoLaunch
    from polaris_tui.services.settings import Settings

log = logging.getLogger("polaris_tui.cli")

SCRIPT_COMMANDS = {
    "fleet": "every charger as a table or --json (read-only, for scripts)",
    "stuck": "stuck sessions; exit status 1 if any (for cron and monitoring)",
    "ops": "the operation log, e.g. --since 1h",
    "card": "a card's triage verdict with its evidence",
}
"""Read-only scripting commands, run by ``polaris_tui.commands``."""
LOG_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"

DESCRIPTION = """\
Polaris: a keyboard-driven terminal console for operators of an EV charging
network (OCPP 1.6 chargers on SteVe, billing on Lago).

Demo mode: with no SteVe configured (no --steve-url, no steve.url in the
config file, no POLARIS_STEVE__URL), `polaris` starts the built-in stand-in
(a simulated SteVe and Lago with a demo fleet) in a subprocess, opens a
fresh demo store, and runs the console against it as an admin. Everything in
demo mode is throwaway and the screen says so.
"""

EPILOG = """\
commands:
  polaris                 the console (demo mode when no SteVe is configured)
  polaris sim [--port N] [--chargers N] [--seed S] [...]
                          run the stand-in alone (see `polaris sim --help`)
  polaris hook [--host H] [--port N]
                          run the scan-to-login pre-authorize hook server
  polaris fleet|stuck|ops|card [--json] [...]
                          read-only answers for scripts; `polaris stuck` exits 1
                          when a session is stuck (see `polaris stuck --help`)
  polaris store migrate|init [--url URL]
                          bring the store to this version's schema (init: a new store)
  polaris store copy --from URL --to URL
                          copy a store's history into another (safe to run twice)
  polaris cards import-links FILE.csv [--url URL]
                          load card <-> Lago customer links (idTag,customer,name,type)

configuration (flags > environment > file > defaults):
  file         ~/.config/polaris/config.toml, or --config PATH, or $POLARIS_CONFIG
  environment  POLARIS_<SECTION>__<KEY>, e.g. POLARIS_STEVE__API_PASSWORD,
               POLARIS_LAGO__API_KEY, POLARIS_OPERATOR__ADMINS='["ana"]'
  secrets      (steve.api_password, steve.web_password, lago.api_key,
               hook.hmac_key) only from the file or the environment; keep the
               file private (chmod 600): Polaris warns when others can read it.

keys: / filter, enter open, escape back, ? help, ctrl+p commands, r refresh, q quit.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also documents ``polaris --help``)."""
    parser = argparse.ArgumentParser(
        prog="polaris",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--steve-url",
        metavar="URL",
        help="SteVe base URL incl. context path, e.g. http://host:8080/steve",
    )
    parser.add_argument("--lago-url", metavar="URL", help="Lago base URL, e.g. http://host:3000")
    parser.add_argument(
        "--status-source",
        choices=["chargeboxes-api", "manager-page", "auto"],
        help="live status from the chargeBoxes API extension, the manager page, or auto (default)",
    )
    parser.add_argument(
        "--operator",
        metavar="NAME",
        help="demo only: the operator's name (otherwise it is always your OS login)",
    )
    parser.add_argument(
        "--readonly",
        action="store_true",
        help="run as a viewer for this session, whatever your role",
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        help="the store: a SQLite path, sqlite:///path or postgresql://… (default: SQLite in the user state dir)",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        help="config file (default: ~/.config/polaris/config.toml)",
    )
    parser.add_argument(
        "--no-mouse",
        action="store_true",
        help="run without mouse tracking (less traffic over SSH, native text selection)",
    )
    parser.add_argument("--version", action=VersionAction, nargs=0, help=VersionAction.HELP)
    commands = parser.add_subparsers(
        dest="command", metavar="{sim,hook,fleet,stuck,ops,card,store,cards,operators}"
    )
    commands.add_parser(
        "sim", help="run the stand-in alone (options: polaris sim --help)", add_help=False
    )
    hook = commands.add_parser("hook", help="run the pre-authorize hook server")
    hook.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    hook.add_argument("--port", type=int, help="port to listen on (default 8787)")
    hook.add_argument("--config", metavar="PATH", type=Path, dest="hook_config", help="config file")
    for name, summary in SCRIPT_COMMANDS.items():  # parsed by polaris_tui.commands
        commands.add_parser(name, help=summary, add_help=False)
    from polaris_tui.store_cli import add_store_commands

    add_store_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``polaris`` (``pyproject``: ``polaris = "polaris_tui.cli:main"``)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "sim":
        return run_sim(args_list[1:])
    if args_list and args_list[0] in SCRIPT_COMMANDS:
        from polaris_tui.commands.run import run_command

        return run_command(args_list, start_demo=start_script_demo)
    args = build_parser().parse_args(args_list)
    try:
        if args.command == "hook":
            return run_hook_command(args)
        if args.command in ("store", "cards", "operators"):
            from polaris_tui.store_cli import (
                run_cards_command,
                run_operators_command,
                run_store_command,
            )

            run = {
                "store": run_store_command,
                "cards": run_cards_command,
                "operators": run_operators_command,
            }[args.command]
            return run(args)
        return run_console(args)
    except PolarisError as error:
        print(f"polaris: {error}", file=sys.stderr)
        return 2


class VersionAction(argparse.Action):
    """``--version``: reads the installed version only when asked (the package
    metadata costs every start ~20 ms of CPU otherwise)."""

    HELP = "show program's version number and exit"

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        sys.stdout.write(f"polaris {package_version()}\n")  # on stdout, as argparse's own
        parser.exit()


def package_version() -> str:
    """The installed package's version (``pyproject.toml``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("polaris-tui")
    except PackageNotFoundError:
        return "unknown (not installed)"


def run_sim(argv: list[str]) -> int:
    """``polaris sim``: hand the arguments to the stand-in's own CLI."""
    from chargesim.__main__ import main as sim_main  # the one place polaris imports chargesim

    result = sim_main(argv, prog="polaris sim")
    return int(result or 0)


def run_hook_command(args: argparse.Namespace) -> int:
    """``polaris hook``: the pre-authorize hook server, until SIGTERM/SIGINT."""
    from polaris_tui.logging_setup import setup_stderr_logging
    from polaris_tui.services.hook_server import run_hook
    from polaris_tui.services.settings import load_settings, resolve_config_path
    from polaris_tui.services.settings_file import config_warnings

    config = args.hook_config or args.config
    settings = load_settings({"hook": {"host": args.host, "port": args.port}}, config_file=config)
    setup_stderr_logging(settings.log.level)  # log.level, as the console's log file
    for warning in config_warnings(resolve_config_path(config)):
        print(f"warning: {warning}", file=sys.stderr)
    return run_hook(settings)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "steve": {"url": args.steve_url, "status_source": args.status_source},
        "lago": {"url": args.lago_url},
        "operator": {"name": args.operator, "readonly": True if args.readonly else None},
        # A plain path sets store.path (the SQLite file); a URL sets store.url.
        "store": {"url": args.store}
        if args.store and "://" in args.store
        else {"path": args.store},
        "ui": {"mouse": False if args.no_mouse else None},
    }


def _setup_logging(state_dir: Path, settings: Settings) -> Path:
    """Log to a rotating file: the terminal belongs to the UI (no print in the TUI).
    Private (0600 in a 0700 folder) like the store, or group-shared with it."""
    from polaris_tui.logging_setup import setup_logging

    return setup_logging(
        state_dir,
        level=settings.log.level,
        max_bytes=settings.log.max_bytes,
        backup_count=settings.log.backup_count,
        shared=settings.store.shared_group,
    )


def _redact_logs(secrets: list[str]) -> None:
    """Pass every log line through ``redact()`` with the configured secrets."""
    from polaris_tui.services.redact import RedactingFormatter

    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter(LOG_FORMAT, secrets=secrets))


def run_console(args: argparse.Namespace) -> int:
    """The console; the demo when no SteVe is configured."""
    from polaris_tui.startup_gc import pause_collector, resume_collector

    pause_collector()  # until the first poll has landed (ServicesApp._open)
    try:
        return _run_console_early(args)
    finally:
        resume_collector()  # no App ran (an error, not a terminal) or it ended


def _run_console_early(args: argparse.Namespace) -> int:
    """The console, its demo's stand-in launched first when that is certain."""
    from polaris_tui.demo_early import STARTING, launch_if_certain
    from polaris_tui.interactive import why_not_interactive

    early = None
    if why_not_interactive() is None:
        early = launch_if_certain(flags=[args.steve_url, args.store], config_file=args.config)
        if early is not None:
            print(STARTING, file=sys.stderr)
    try:
        return _run_console(args, early)
    except BaseException:
        if early is not None:
            early.stand_in.stop()
        raise


def _run_console(args: argparse.Namespace, early: DemoLaunch | None) -> int:
    """``run_console`` once the demo's stand-in is launched, if it surely runs."""
    from polaris_tui.demo_early import STARTING, launch_demo
    from polaris_tui.interactive import NOT_INTERACTIVE_STATUS, why_not_interactive
    from polaris_tui.services.settings import load_settings, resolve_config_path
    from polaris_tui.services.settings_file import config_warnings

    overrides = _overrides(args)
    settings = load_settings(overrides, config_file=args.config)
    warnings = config_warnings(resolve_config_path(args.config))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    refusal = why_not_interactive()
    if refusal is not None:  # after the settings, whose errors matter more
        print(refusal, file=sys.stderr)
        return NOT_INTERACTIVE_STATUS
    target = settings.store.target()
    state_dir = (target.path or settings.store.path).parent  # logs beside a SQLite store
    log_path = _setup_logging(state_dir, settings)
    _redact_logs(settings.secrets())
    if settings.steve.url:
        if early is not None:  # cannot be (nothing configured has no SteVe); never leak it
            early.stand_in.stop()
        from polaris_tui.services.store_open import preflight

        check_identity(settings, flag=args.operator)
        preflight(settings.store)  # a store it cannot use: one line here, not a screen
        from polaris_tui.app import make_app

        app = make_app(settings)
        app.startup_notices = warnings
        app.config_path = resolve_config_path(args.config)
        app.run(mouse=settings.ui.mouse)
        return 0

    # Demo: the stand-in in a subprocess, a fresh demo store, the hook in our loop.
    # It takes a second or two to listen: import the UI meanwhile, not after.
    launched = early
    if launched is None:
        launched = launch_demo(log_path)
        print(STARTING, file=sys.stderr)
    demo, hook_port, hook_key = launched.stand_in, launched.hook_port, launched.hook_key
    try:
        from polaris_tui.app import HookOptions, make_app

        info = demo.wait_ready()
        store_path = state_dir / "demo.sqlite"
        remove_store(store_path)  # the stand-in restarts fresh, so does its store
        operator = settings.operator.name
        demo_overrides = {
            **overrides,
            "steve": {
                "url": info["steve_url"],
                "api_user": info["steve_user"],
                "api_password": info["steve_password"],
                "web_user": info["web_user"],
                "web_password": info["web_password"],
                "status_source": args.status_source,
            },
            "lago": {"url": info["lago_url"], "api_key": info["lago_key"]},
            "store": {"path": store_path, "url": str(store_path)},
            "operator": {"name": operator, "admins": [operator]},
            "hook": {"host": "127.0.0.1", "port": hook_port, "hmac_key": hook_key},
            "demo": True,
        }
        settings = load_settings(demo_overrides, config_file=args.config)
        _redact_logs(settings.secrets())
        app = make_app(settings, demo=True, hook=HookOptions("127.0.0.1", hook_port, hook_key))
        app.startup_notices = warnings
        app.config_path = resolve_config_path(args.config)
        app.run(mouse=settings.ui.mouse)
    finally:
        demo.stop()
    return 0


def check_identity(settings: Settings, *, flag: str | None) -> None:
    """Outside the demo the operator is the OS login (``SUDO_USER`` behind
    sudo): a name from a flag, the config or the environment is refused.

    Raises:
        ConfigError: ``--operator`` was given, or ``operator.name`` is not the login.
    """
    from polaris_tui.services.settings import os_login

    login = os_login()
    if flag is not None:
        raise ConfigError(
            f"--operator is only for the demo: the operator is your OS login ({login})."
        )
    if settings.operator.name != login:
        raise ConfigError(
            f"operator.name is {settings.operator.name!r} but you are logged in as {login!r}: "
            "the operator is always the OS login (remove operator.name from the config)."
        )
