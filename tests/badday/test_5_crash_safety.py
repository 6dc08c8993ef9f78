"""Bad day 5: a Polaris process dies, or its SSH session closes.

* SIGKILL between committing the operation row and calling SteVe (a real
  process that kills itself at that exact point): the next start marks the
  row ``interrupted``, the banner and the operation log show it, and nothing
  is ever sent (the stand-in saw no operation; the session is still open).
* SIGHUP (the SSH session closing) to the real ``polaris`` on a
  pseudo-terminal, with SteVe up and with SteVe down (a poll mid-retry):
  it exits promptly and cleanly, its store closed — no ``-wal`` left behind,
  no owner lock of the dead process, and a fresh connection can write.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from polaris_tui.models import OperationStatus
from polaris_tui.screens.operation_log import OperationLogScreen
from polaris_tui.services.settings import os_login
from polaris_tui.widgets.operation_outcome import describe_entry
from polaris_tui.widgets.operations_table import OperationsTable
from tests.functional.conftest import screen_text, settle
from tests.pg import is_postgres, raw_rows, wait_console_gone

from .conftest import build_app, settings_for
from .ptyrun import REPO, WAIT, polaris_env, run_polaris
from .test_1_start_during_outage import banner_text

pytestmark = pytest.mark.slow

CRASHER = textwrap.dedent(
    """
    import asyncio, json, os, signal, sys
    from polaris_tui.services.core import PolarisServices
    from polaris_tui.services.settings import Settings

    config = json.loads(sys.argv[1])

    async def main():
        services = await PolarisServices.open(Settings(**config))
        await services.poller.refresh_now()

        async def die(name, body):
            # The row is committed; SteVe has not been called: the worst moment to die.
            os.kill(os.getpid(), signal.SIGKILL)
            await asyncio.sleep(60)

        services.steve.operation = die
        print("submitting", os.getpid(), flush=True)
        stop = {"transactionId": int(sys.argv[2])}
        # The confirmed press, as the dialog makes it (prepare reads, never sends).
        preview = await services.operations.prepare("CP-ALPHA-01", "RemoteStopTransaction", stop)
        await services.operations.submit(
            "CP-ALPHA-01", "RemoteStopTransaction", stop,
            dry_run=False, request_id="press-before-crash", confirmation=preview.token,
        )
        print("not reached", flush=True)

    asyncio.run(main())
    """
)


def alpha_transaction(sim: Any) -> int:
    return next(
        t["id"]
        for t in sim.control("GET", "/transactions")
        if t["chargeBoxId"] == "CP-ALPHA-01" and t["stopTimestamp"] is None
    )


async def test_sigkill_between_commit_and_send_is_interrupted_shown_and_never_resent(
    sim: Any, tmp_path: Path, store_url: str
) -> None:
    """On a SQLite file, and on the team's PostgreSQL (where the dead console
    is found through its session's advisory lock)."""
    settings = settings_for(sim, tmp_path)
    if is_postgres(store_url):
        store_settings = settings.store.model_copy(update={"url": store_url})
        settings = settings.model_copy(update={"store": store_settings})
    url = settings.store.url or str(settings.store.path)
    tx_id = alpha_transaction(sim)
    config = settings.model_dump(mode="json", exclude={"hook"})  # secrets dump as ****
    config["steve"].update(api_password=sim.steve_password, web_password=sim.web_password)
    config["lago"]["api_key"] = sim.lago_key
    crash = subprocess.run(
        [sys.executable, "-c", CRASHER, json.dumps(config), str(tx_id)],
        capture_output=True,
        text=True,
        env=polaris_env(tmp_path),
        cwd=REPO,
        timeout=60,
    )
    assert crash.returncode == -signal.SIGKILL, crash.stderr
    assert "submitting" in crash.stdout and "not reached" not in crash.stdout

    # The row is there, pending, owned by a dead process.
    assert await raw_rows(url, "SELECT status FROM charger_operation_log") == [("pending",)]
    await wait_console_gone(url, int(crash.stdout.split()[1]))

    app = build_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        services = app.services
        assert [e.status for e in services.interrupted_at_start] == [OperationStatus.INTERRUPTED]
        entry = services.interrupted_at_start[0]
        assert entry.task_id is None and entry.request_id == "press-before-crash"
        assert (
            "1 operation(s) left pending by a crash were marked interrupted and not resent (#1)"
            in banner_text(app)
        )

        app.open_operation_log()
        await settle(pilot)
        assert isinstance(app.screen, OperationLogScreen)
        assert app.screen.query_one(OperationsTable).row_count == 1
        outcome = describe_entry((await services.operations.recent())[0])
        assert "interrupted" in outcome.headline and "not resent" in outcome.headline
        assert "interrupted" in screen_text(app)

    # A second start finds nothing more to mark, and nothing was ever sent.
    app = build_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert app.services.interrupted_at_start == []
        assert "left pending by a crash" not in banner_text(app)
    assert sim.control("GET", "/operations") == []
    assert alpha_transaction(sim) == tx_id, "the session is still open: the stop was never sent"


def store_is_closed_cleanly(store: Path, pid: int) -> None:
    wal = Path(f"{store}-wal")
    assert not wal.exists() or wal.stat().st_size == 0, (
        "the last connection closed: the WAL was checkpointed"
    )
    owners = Path(f"{store}-owners")
    assert not [p for p in owners.glob("*.lock") if f"_{pid}_" in p.name], (
        "its owner lock was released"
    )
    conn = sqlite3.connect(store, timeout=1)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO card_meta (id_tag, display_name, active) VALUES ('AFTER-HUP', 'x', 1)"
        )
        conn.execute("COMMIT")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


@pytest.mark.parametrize("steve_down", [False, True], ids=["steve-up", "steve-down-mid-retry"])
def test_sighup_ends_polaris_cleanly_with_its_store_closed(
    sim: Any, tmp_path: Path, steve_down: bool
) -> None:
    store = tmp_path / "state" / "polaris.sqlite"
    args = [
        "--steve-url",
        sim.steve_url,
        "--lago-url",
        sim.lago_url,
        "--store",
        str(store),
        "--config",
        str(tmp_path / "none.toml"),
    ]
    env = {
        "POLARIS_STEVE__API_PASSWORD": sim.steve_password,
        "POLARIS_LAGO__API_KEY": sim.lago_key,
        "POLARIS_OPERATOR__ADMINS": json.dumps([os_login()]),
        "POLARIS_POLL__INTERVAL_SECONDS": "0.5",
    }
    with run_polaris(args, home=tmp_path / "home", env=env) as polaris:
        assert polaris.wait_for("CP-ALPHA-01", timeout=WAIT), polaris.output[-2000:]
        polaris.type("enter")  # open a charger: its workers and timers are running too
        assert polaris.wait_for("Live status", timeout=WAIT)
        if steve_down:
            sim.fault("steve_down")
            assert polaris.wait_for("SteVe is unreachable", timeout=WAIT)
        polaris.hangup()
        code = polaris.wait(WAIT)
        assert code is not None, "SIGHUP must end Polaris promptly"
        assert code == 0
        pid = polaris.proc.pid
    log = (store.parent / "polaris.log").read_text()
    assert "SIGHUP" in log and "Traceback" not in log
    store_is_closed_cleanly(store, pid)
    assert os.path.exists(store)
