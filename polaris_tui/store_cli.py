"""``polaris store migrate|init|copy`` and ``polaris cards import-links``.

Administration of the store from a shell: no UI, output on stdout, errors
as one ``polaris: …`` line (``cli.main``) with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polaris_tui.models.roles import Role

# The settings and the store are imported by the commands, not here:
# ``polaris`` builds this parser on every start, and their modules (pydantic,
# asyncpg) delayed the demo's stand-in for commands that were not run.
if TYPE_CHECKING:
    from polaris_tui.services.settings import Settings, StoreSettings
    from polaris_tui.store import Store, StoreTarget
    from polaris_tui.store.links import LinkRow

URL_HELP = "the store (a path, sqlite:///path or postgresql://…; default: store.url of the config)"


def _run(command: Coroutine[Any, Any, int]) -> int:
    """Run one command's coroutine (asyncio is imported here: the parser is built
    on every start of the console, which must not wait for it)."""
    import asyncio

    return asyncio.run(command)


def say(line: str) -> None:
    """One line of a command's result on stdout (these commands have no UI)."""
    sys.stdout.write(line + "\n")


def add_store_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``store`` and ``cards`` to the ``polaris`` parser's subcommands."""
    store = commands.add_parser("store", help="create, migrate or copy the store")
    actions = store.add_subparsers(dest="store_command", metavar="{migrate,init,copy}")
    actions.required = True
    for name, text in (
        ("migrate", "apply the schema migrations this Polaris knows"),
        ("init", "create the schema of a new store and, on PostgreSQL, its database roles"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--url", help=URL_HELP)
    copy = actions.add_parser("copy", help="copy one store's history into another (idempotent)")
    copy.add_argument("--from", dest="source", required=True, metavar="URL", help="source store")
    copy.add_argument("--to", dest="destination", required=True, metavar="URL", help="target")

    cards = commands.add_parser("cards", help="card data in the store")
    card_actions = cards.add_subparsers(dest="cards_command", metavar="{import-links}")
    card_actions.required = True
    links = card_actions.add_parser(
        "import-links", help="load card <-> Lago customer links from a CSV file (idempotent)"
    )
    links.add_argument("file", type=Path, help="CSV: idTag, customer external id, name, type")
    links.add_argument("--url", help=URL_HELP)

    operators = commands.add_parser("operators", help="who may act: roles kept in the store")
    operator_actions = operators.add_subparsers(dest="operators_command", metavar="{list,grant}")
    operator_actions.required = True
    listing = operator_actions.add_parser("list", help="every operator and role, recent changes")
    listing.add_argument("--url", help=URL_HELP)
    grant = operator_actions.add_parser("grant", help="give NAME a role (admins only; audited)")
    grant.add_argument("name", metavar="NAME", help="the operator's OS login")
    grant.add_argument("role", choices=[role.value for role in Role])
    grant.add_argument("--url", help=URL_HELP)


def _store_settings(args: argparse.Namespace) -> StoreSettings:
    from polaris_tui.services.settings import load_settings

    return load_settings(config_file=getattr(args, "config", None)).store


def _target(args: argparse.Namespace, url: str | None) -> tuple[StoreTarget, bool]:
    from polaris_tui.store.target import parse_store_url

    settings = _store_settings(args)
    target = parse_store_url(url) if url else settings.target()
    return target, settings.shared_group


def run_store_command(args: argparse.Namespace) -> int:
    from polaris_tui.store.target import parse_store_url

    if args.store_command == "copy":
        return _run(_copy(parse_store_url(args.source), parse_store_url(args.destination)))
    target, shared = _target(args, args.url)
    return _run(_migrate(target, shared, init=args.store_command == "init"))


def run_cards_command(args: argparse.Namespace) -> int:
    from polaris_tui.store.links import read_links

    rows = read_links(args.file)  # the whole file is checked before the store is opened
    target, shared = _target(args, args.url)
    return _run(_import_links(target, shared, rows))


def run_operators_command(args: argparse.Namespace) -> int:
    """``polaris operators list|grant``: the actor is the OS login, never a flag."""
    from polaris_tui.services.settings import load_settings
    from polaris_tui.store.target import parse_store_url

    settings = load_settings(config_file=getattr(args, "config", None))
    target = parse_store_url(args.url) if args.url else settings.store.target()
    return _run(_operators(args, settings, target))


async def _operators(args: argparse.Namespace, settings: Settings, target: StoreTarget) -> int:
    from polaris_tui.services.settings import os_login

    store = await _open_for_admin(target, settings.store.shared_group)
    try:
        actor = os_login()
        await store.seed_admins(settings.operator.admins)  # the first admins, once
        if args.operators_command == "grant":
            before = await store.grant_role(actor, args.name, Role(args.role))
            was = f" (was {before.value})" if before else " (new)"
            say(f"{target.describe()}: {args.name} is now {args.role}{was}, by {actor}")
            return 0
        roles = await store.operator_roles()
        if not roles:
            say(f"{target.describe()}: no operators yet (roles come from the config file)")
        for name, role in roles.items():
            say(f"{name}\t{role.value}")
        for change in await store.operator_audit(limit=10):
            refused = f" REFUSED: {change['refused']}" if change["refused"] else ""
            say(
                f"  {change['created_at']} {change['actor']}: {change['name']} "
                f"{change['role_before'] or '-'} -> {change['role_after']}{refused}"
            )
    finally:
        await store.close()
    return 0


async def _migrate(target: StoreTarget, shared: bool, *, init: bool) -> int:
    from polaris_tui.store import SCHEMA_VERSION
    from polaris_tui.store.facade import open_backend
    from polaris_tui.store.origin import current_origin
    from polaris_tui.store.postgres_backend import PostgresBackend

    backend = await open_backend(target, origin=current_origin(), shared_group=shared)
    try:
        before = await backend.migrate()
        roles = await backend.init_roles() if init and isinstance(backend, PostgresBackend) else []
    finally:
        await backend.close()
    where = target.describe()
    if before == SCHEMA_VERSION:
        say(f"{where}: schema {SCHEMA_VERSION}, nothing to do")
    else:
        say(f"{where}: schema {before} -> {SCHEMA_VERSION}")
    for role in roles:
        say(f"{where}: role {role}")
    return 0


async def _open_for_admin(target: StoreTarget, shared: bool = False) -> Store:
    # A SQLite store is brought to the current schema (that also gives older
    # rows their uid); a PostgreSQL one must have been migrated already.
    from polaris_tui.services.clock import SystemClock
    from polaris_tui.store import Store

    return await Store.open(
        target, clock=SystemClock(), migrate=target.is_sqlite, shared_group=shared
    )


async def _copy(source_target: StoreTarget, destination: StoreTarget) -> int:
    from polaris_tui.store.transfer import copy_store

    source = await _open_for_admin(source_target)
    try:
        target = await _open_for_admin(destination)
        try:
            report = await copy_store(source, target)
        finally:
            await target.close()
    finally:
        await source.close()
    say(f"copied {source_target.describe()} -> {destination.describe()}")
    for line in report.lines():
        say(f"  {line}")
    return 0


async def _import_links(target: StoreTarget, shared: bool, rows: list[LinkRow]) -> int:
    from polaris_tui.store.links import import_links

    store = await _open_for_admin(target, shared)
    try:
        report = await import_links(store, rows)
    finally:
        await store.close()
    say(f"{target.describe()}: card links {report.line()}")
    return 0
