"""A viewer on the team store writes nothing (issue 10, "who is who").

A viewer's console -- a read-only database login (``polaris_viewer``), or an
operator the store names viewer -- must not even try the writes it is not
allowed: it shows the fleet snapshot and Lago cache that admins' consoles
keep in the shared store, and never saves its own. Real stand-in over HTTP
and a real PostgreSQL (tests/pg.py).
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

from polaris_tui import cli
from polaris_tui.models import Role, SourceName
from polaris_tui.models.errors import PermissionDenied
from polaris_tui.services.clock import FixedClock, SystemClock
from polaris_tui.services.core import PolarisServices
from polaris_tui.services.settings import os_login
from polaris_tui.store import Store
from polaris_tui.store.postgres_backend import PostgresBackend
from polaris_tui.store.target import parse_store_url
from tests.conftest import FROZEN_NOW
from tests.pg import raw_rows
from tests.unit.test_team_consoles import as_login, console_settings, open_console


async def viewer_login(pg_url: str) -> str:
    """The URL of a new login that is a member of ``polaris_viewer`` only."""
    backend = await PostgresBackend.open(parse_store_url(pg_url))
    try:
        await backend.init_roles()
    finally:
        await backend.close()
    name = f"viewer_{uuid.uuid4().hex[:8]}"
    await raw_rows(pg_url, f"CREATE ROLE {name} LOGIN IN ROLE polaris_viewer")
    return as_login(pg_url, name)


async def test_a_viewer_login_reads_the_shared_snapshot_and_never_tries_to_write(
    sim: Any, tmp_path: Path, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # An admin's console polls and keeps the shared snapshot.
    admin = await open_console(sim, tmp_path, pg_url, "ana")
    try:
        await admin.poller.refresh_now()
        saved = await admin.store.load_snapshot()
        assert saved is not None and saved.chargers
    finally:
        await admin.close()
    before = await raw_rows(pg_url, "SELECT source, fetched_at FROM snapshot_meta ORDER BY source")

    # "ana" is an admin in the store, but this login may only read: a viewer.
    url = await viewer_login(pg_url)
    caplog.set_level(logging.INFO)
    services = await PolarisServices.open(
        console_settings(sim, tmp_path, url, "ana"), clock=FixedClock(FROZEN_NOW)
    )
    try:
        assert not services.store.writable
        assert services.operator.role == Role.VIEWER
        steve = services.source_state(SourceName.STEVE)
        assert steve.from_snapshot and steve.last_ok == saved.fetched_at, "the shared one"
        await services.start()
        await services.poller.refresh_now()
        assert services.source_state(SourceName.STEVE).from_snapshot is False, "live data"
        await services.poller.refresh_now()
    finally:
        await services.close()
    assert (
        await raw_rows(pg_url, "SELECT source, fetched_at FROM snapshot_meta ORDER BY source")
        == before
    )
    tried = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING
        and r.name.startswith("polaris_tui")
        and "login is read-only: viewer" not in r.getMessage()  # said once, at start
    ]
    assert not tried, f"a viewer tried writes the database refuses: {tried}"


async def test_a_viewer_by_role_keeps_no_copies_either(
    sim: Any, tmp_path: Path, store_url: str
) -> None:
    """Both backends: a viewer named by the store (admin database login) saves
    no snapshot; an admin's console does."""
    viewer_settings = console_settings(sim, tmp_path, store_url, "vic")
    viewer = await PolarisServices.open(viewer_settings, clock=FixedClock(FROZEN_NOW))
    try:
        assert viewer.operator.role == Role.VIEWER and viewer.store.writable
        await viewer.poller.refresh_now()
        assert await viewer.store.load_snapshot() is None, "the viewer saved nothing"
    finally:
        await viewer.close()
    admin = await open_console(sim, tmp_path, store_url, "ana")
    try:
        assert await admin.store.load_snapshot() is not None
    finally:
        await admin.close()


# -- refused role changes are audited ---------------------------------------------


async def test_a_refused_grant_is_audited_with_who_where_and_why(store_url: str) -> None:
    store = await Store.open(store_url, clock=SystemClock())
    try:
        await store.seed_admins(["ana"])
        with pytest.raises(PermissionDenied, match="not an admin"):
            await store.grant_role("mallory", "mallory", Role.ADMIN)
        with pytest.raises(PermissionDenied, match="last admin"):
            await store.grant_role("ana", "ana", Role.VIEWER)
        assert await store.operator_roles() == {"ana": Role.ADMIN}, "nothing changed"
        last, first = (await store.operator_audit())[:2]
        assert (first["actor"], first["name"], first["role_after"]) == (
            "mallory",
            "mallory",
            "admin",
        )
        assert first["role_before"] is None and "not an admin" in str(first["refused"])
        assert first["console_host"]
        assert (last["actor"], last["role_before"], last["role_after"]) == (
            "ana",
            "admin",
            "viewer",
        )
        assert "last admin" in str(last["refused"])
        assert (await store.operator_audit())[2]["refused"] is None, "the seed was made"
    finally:
        await store.close()


def test_operators_list_shows_a_refused_grant(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text('[operator]\nadmins = ["someone-else"]\n')
    args = ["--config", str(empty), "operators"]
    assert cli.main([*args, "grant", os_login(), "admin", "--url", store_url]) == 2
    assert "not an admin" in capsys.readouterr().err
    assert cli.main([*args, "list", "--url", store_url]) == 0
    out = capsys.readouterr().out
    assert f"{os_login()}: {os_login()} - -> admin REFUSED: {os_login()} is not an admin" in out


async def test_a_read_only_login_refusal_goes_to_the_log_not_the_database(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    seed = await Store.open(pg_url, clock=SystemClock())
    try:
        await seed.seed_admins(["ana"])
    finally:
        await seed.close()
    store = await Store.open(await viewer_login(pg_url), clock=SystemClock(), migrate=False)
    try:
        with pytest.raises(PermissionDenied):
            await store.grant_role("mallory", "mallory", Role.ADMIN)
        assert [a["refused"] for a in await store.operator_audit()] == [None], "only the seed"
    finally:
        await store.close()
    assert any("refused: mallory tried" in r.getMessage() for r in caplog.records)
