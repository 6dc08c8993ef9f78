"""``polaris fleet|stuck|ops|card``: parse, open the services, answer, exit.

Exit status: 0 fine; 1 ``polaris stuck`` found at least one stuck session;
2 anything went wrong (settings, store, SteVe unreachable, a bad argument),
with one line on stderr. Every command is read-only: one or two poll cycles,
never an operation, never a card edit, never a resumed RemoteStop followup.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from polaris_tui.commands import output
from polaris_tui.commands.session import StartDemo, open_services, settings_for
from polaris_tui.models import ChargerRow, ConnectionState, SourceName
from polaris_tui.models.errors import PolarisError

if TYPE_CHECKING:
    from polaris_tui.services.core import PolarisServices
    from polaris_tui.services.settings import Settings

log = logging.getLogger(__name__)

EXIT_OK, EXIT_STUCK, EXIT_ERROR = 0, 1, 2

MAX_METER_CYCLES = 5
"""Poll cycles ``polaris stuck`` may run until every open session's meter was read
(the sampler reads a bounded number per cycle; an unread meter is never stuck)."""

OPS_SCAN_LIMIT = 100_000
"""Rows read from the operation log when ``--since`` bounds the answer instead."""

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class CommandError(Exception):
    """A scripting command cannot answer (one line for stderr, exit 2)."""


def parse_since(text: str, now: datetime) -> datetime:
    """``30m``, ``1h``, ``2d``, ``1h30m``, or an ISO 8601 time (UTC when it has no zone)."""
    compact = text.strip().lower()
    parts = _DURATION.findall(compact)
    if parts and "".join(f"{n}{u}" for n, u in parts) == compact.replace(" ", ""):
        return now - timedelta(seconds=sum(int(n) * _UNIT_SECONDS[u] for n, u in parts))
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since {text!r}: expected a duration such as 30m, 1h, 2d, 1h30m "
            "or a time such as 2026-11-22T09:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--steve-url", metavar="URL", help="SteVe base URL (else config/demo)")
    parser.add_argument("--lago-url", metavar="URL", help="Lago base URL")
    parser.add_argument(
        "--status-source", choices=["chargeboxes-api", "manager-page", "auto"], help="live status"
    )
    parser.add_argument("--store", metavar="PATH", type=Path, help="local SQLite store")
    parser.add_argument("--config", metavar="PATH", type=Path, help="config file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polaris",
        description="Read-only commands for scripts and monitoring. With no SteVe "
        "configured they run on their own demo stand-in.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fleet = commands.add_parser("fleet", help="every charger with status, session and stuck mark")
    _common(fleet)
    stuck = commands.add_parser(
        "stuck",
        help="stuck sessions; exit status 1 when there is any, 0 when none, 2 on error",
        description="List stuck sessions. Exit status: 0 none, 1 at least one, 2 error.",
    )
    _common(stuck)
    ops = commands.add_parser("ops", help="the operation log (newest first)")
    _common(ops)
    ops.add_argument(
        "--since", metavar="WHEN", help="only newer rows: 30m, 1h, 2d, or an ISO 8601 time"
    )
    ops.add_argument("--charger", metavar="ID", help="only this charger")
    ops.add_argument("--limit", type=int, default=100, help="at most this many rows (100)")
    card = commands.add_parser("card", help="a card's triage verdict with its evidence")
    _common(card)
    card.add_argument("id_tag", metavar="TAG", help="the card's idTag")
    return parser


def _require_steve(services: PolarisServices) -> None:
    state = services.source_state(SourceName.STEVE)
    if state.state in (ConnectionState.UNREACHABLE, ConnectionState.UNKNOWN):
        why = f": {state.error_message}" if state.error_message else ""
        raise CommandError(f"SteVe is {state.state.value}{why}")


async def _refresh(services: PolarisServices) -> None:
    await services.poller.refresh_now()
    _require_steve(services)


def _unread_sessions(rows: list[ChargerRow]) -> int:
    return sum(1 for r in rows if r.open_session is not None and r.meter_checked_at is None)


async def cmd_fleet(services: PolarisServices, args: argparse.Namespace) -> int:
    await _refresh(services)
    rows = services.fleet.rows()
    if args.json:
        print(
            output.dumps(
                {
                    "fetched_at": output.iso(services.poller.fetched_at),
                    "steve": output.source_record(services.source_state(SourceName.STEVE)),
                    "counts": output.counts_record(services.fleet.counts()),
                    "chargers": [output.charger_record(r) for r in rows],
                }
            )
        )
    else:
        print(output.fleet_text(rows))
    return EXIT_OK


async def cmd_stuck(services: PolarisServices, args: argparse.Namespace) -> int:
    await _refresh(services)
    cycles = 1
    # Wait on the condition: every open session's meter read (or the cap reached).
    while _unread_sessions(services.fleet.rows()) and cycles < MAX_METER_CYCLES:
        await _refresh(services)
        cycles += 1
    rows = services.fleet.rows()
    stuck = [r for r in rows if r.stuck]
    unread = _unread_sessions(rows)
    if unread:
        log.warning("%d open session(s) still without a meter read after %d cycles", unread, cycles)
    if args.json:
        print(
            output.dumps(
                {
                    "fetched_at": output.iso(services.poller.fetched_at),
                    "count": len(stuck),
                    "open_sessions": sum(1 for r in rows if r.open_session is not None),
                    "unread_sessions": unread,
                    "stuck": [output.charger_record(r) for r in stuck],
                }
            )
        )
    else:
        print(output.stuck_text(stuck))
    return EXIT_STUCK if stuck else EXIT_OK


async def cmd_ops(services: PolarisServices, args: argparse.Namespace) -> int:
    since = parse_since(args.since, services.clock.now()) if args.since else None
    entries = await services.operations.recent(
        charge_box_id=args.charger, limit=OPS_SCAN_LIMIT if since else args.limit
    )
    if since is not None:
        entries = [e for e in entries if e.created_at >= since][: args.limit]
    if args.json:
        print(
            output.dumps(
                {
                    "since": output.iso(since),
                    "operations": [output.operation_record(e) for e in entries],
                }
            )
        )
    else:
        print(output.operations_text(entries))
    return EXIT_OK


async def cmd_card(services: PolarisServices, args: argparse.Namespace) -> int:
    await _refresh(services)
    view = await services.cards.card(args.id_tag)
    print(output.dumps(output.card_record(view)) if args.json else output.card_text(view))
    return EXIT_OK


Command = Callable[["PolarisServices", argparse.Namespace], Awaitable[int]]

COMMANDS: dict[str, Command] = {
    "fleet": cmd_fleet,
    "stuck": cmd_stuck,
    "ops": cmd_ops,
    "card": cmd_card,
}


async def _run(args: argparse.Namespace, settings: Settings, start_demo: StartDemo) -> int:
    needs_steve = args.command != "ops"
    async with open_services(
        args, settings, start_demo=start_demo, needs_steve=needs_steve
    ) as services:
        return await COMMANDS[args.command](services, args)


def _log_to_file(settings: Settings) -> None:
    """Log like the console does (rotating file, redacted): stdout is the answer."""
    from polaris_tui.logging_setup import LOG_FORMAT, setup_logging
    from polaris_tui.services.redact import RedactingFormatter

    setup_logging(
        settings.store.path.parent,
        level=settings.log.level,
        max_bytes=settings.log.max_bytes,
        backup_count=settings.log.backup_count,
    )
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter(LOG_FORMAT, secrets=settings.secrets()))


def run_command(argv: list[str], *, start_demo: StartDemo) -> int:
    """Run ``polaris <command> ...`` (``argv`` starts with the command name);
    ``start_demo`` starts the stand-in when no SteVe is configured."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "since", None) is not None:
        try:
            parse_since(args.since, datetime.now(UTC))
        except argparse.ArgumentTypeError as error:
            parser.error(str(error))
    try:
        settings = settings_for(args)
        _log_to_file(settings)
        return asyncio.run(_run(args, settings, start_demo))
    except (PolarisError, CommandError) as error:
        print(f"polaris {args.command}: {error}", file=sys.stderr)
        return EXIT_ERROR
