"""Issue 10, "two consoles, as two different OS users, on one PostgreSQL".

The operator is the OS login running the console, never a flag: here one
console runs as this test's user, the other in a child process that has
become another OS user (``nobody``, with ``setuid``), both on one
PostgreSQL. The child's stop is recorded as ``nobody``'s, reaches the
first console live, and that console's confirmation names it.

Becoming another user needs root (CI runs as root); the child is forked
after everything it needs is imported, as another user cannot read this
interpreter's files under /root.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from polaris_tui.demo import seed_demo_store
from polaris_tui.models import StoreChanged
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from polaris_tui.services.settings import Settings, StoreSettings, os_login
from polaris_tui.store import Store
from tests.conftest import FROZEN_NOW
from tests.pg_own import RestartablePg
from tests.unit.helpers import confirmed, sim_settings_for
from tests.unit.test_team_consoles import DEADLINE, wait_for

OTHER_USER = "nobody"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="becoming a second OS user needs root (CI runs as root)"
)


def team_settings(sim: Any, tmp_path: Path, pg_url: str) -> Settings:
    """Both consoles' settings: no operator name (it is the OS login of the
    process that builds them), both users admins."""
    settings = sim_settings_for(
        sim,
        tmp_path,
        poll={"stop_followup_seconds": 120.0},
        operator={"admins": [os_login(), OTHER_USER]} if os.geteuid() == 0 else {},
    )
    return settings.model_copy(update={"store": StoreSettings(url=pg_url)})


async def open_team_console(settings: Settings, **transports: Any) -> PolarisServices:
    services = await PolarisServices.open(settings, clock=FixedClock(FROZEN_NOW), **transports)
    await services.poller.reload_local()
    await services.poller.refresh_now()
    return services


async def _stop_as_the_other_user(settings: Any, transaction: int) -> dict[str, Any]:
    """The child's console: who it is, and its live stop of ``transaction``."""
    plain = httpx.AsyncHTTPTransport(verify=False)  # no CA file to read as another user
    services = await open_team_console(
        settings, steve_transport=plain, lago_transport=httpx.AsyncHTTPTransport(verify=False)
    )
    try:
        stop = {"transactionId": transaction}
        entry = await services.operations.submit(
            "CP-BRAVO-02",
            "RemoteStopTransaction",
            stop,
            dry_run=False,
            request_id=uuid.uuid4().hex,
            confirmation=confirmed(
                services.operations, "CP-BRAVO-02", "RemoteStopTransaction", stop
            ),
        )
        return {"login": services.operator.name, "id": entry.id, "by": entry.requested_by}
    finally:
        await services.close()


def _fork_other_user(sim: Any, tmp_path: Path, pg_url: str, go: int, done: int) -> int:
    """Fork a child that becomes ``OTHER_USER``, waits for ``go``, stops, reports on ``done``."""
    user = pwd.getpwnam(OTHER_USER)
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:  # the child: no test framework from here on, only its exit status and pipe
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
        # What a login as that user would have (asyncpg looks for ~/.postgresql).
        os.environ.update(HOME=user.pw_dir, USER=OTHER_USER, LOGNAME=OTHER_USER)
        settings = team_settings(sim, tmp_path, pg_url)  # its name: os_login(), now nobody
        transaction = int(os.read(go, 64).decode())
        result = asyncio.run(_stop_as_the_other_user(settings, transaction))
        os.write(done, json.dumps(result).encode())
        code = 0
    except BaseException as exc:  # reported through the pipe and the exit status
        os.write(2, f"child as {OTHER_USER}: {exc!r}\n".encode())
    finally:
        os._exit(code)


def test_two_os_users_on_one_postgres_see_each_other_and_the_guard_names_them(
    sim: Any, tmp_path: Path, restartable_pg: RestartablePg
) -> None:
    # Over TCP on 127.0.0.1, as from two hosts: the other user cannot enter the
    # server's socket folder.
    restartable_pg.stop()
    restartable_pg.start(tcp=True)
    pg_url = restartable_pg.url
    settings = team_settings(sim, tmp_path, pg_url)
    assert settings.operator.name == os_login() != OTHER_USER

    async def prepare() -> None:
        # Migrate, seed links and warm every lazy import the child will need.
        await (await Store.open(pg_url, clock=FixedClock(FROZEN_NOW))).close()
        first = await open_team_console(settings)
        await seed_demo_store(first.store)
        await first.close()

    asyncio.run(prepare())
    go_read, go_write = os.pipe()
    done_read, done_write = os.pipe()
    pid = _fork_other_user(sim, tmp_path, pg_url, go_read, done_write)
    os.close(go_read)
    os.close(done_write)
    try:
        asyncio.run(_first_console(settings, go_write, done_read))
    finally:
        os.close(go_write)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


async def _first_console(settings: Settings, go: int, done: int) -> None:
    console = await open_team_console(settings)
    heard: list[StoreChanged] = []
    console.subscribe(lambda e: heard.append(e) if isinstance(e, StoreChanged) else None)
    try:
        await console.start()
        (row,) = [r for r in console.fleet.search("grace@example.com") if r.open_session]
        transaction = row.open_session.transaction.id  # type: ignore[union-attr]
        os.write(go, str(transaction).encode())
        reply = await asyncio.wait_for(asyncio.to_thread(os.read, done, 4096), DEADLINE)
        assert reply, "the child wrote nothing (its error is on stderr)"
        child = json.loads(reply)
        assert child["login"] == child["by"] == OTHER_USER, "the OS login, not a flag"

        await wait_for(lambda: any("operations" in e.topics for e in heard), "heard live")
        (seen,) = [e for e in await console.operations.recent() if e.id == child["id"]]
        assert seen.requested_by == OTHER_USER
        other = await console.operations.concurrent(
            row.charge_box_id, {"transactionId": transaction}
        )
        assert other is not None and other.entry.id == child["id"]
        assert other.describe().startswith(
            f"{OTHER_USER} sent RemoteStopTransaction for transaction {transaction}"
        )
    finally:
        await console.close()
