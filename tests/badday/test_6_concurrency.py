"""Bad day 6: four operators, four Polaris processes, one store, all at once
(a SQLite file, and the team's PostgreSQL).

Each process opens the real ``PolarisServices`` on the same store file
against the same stand-in, waits for a common start instant, then at the
same time submits real operations and dry runs, blocks and unblocks its own
card in SteVe, and renames one shared card (a local edit every process makes).
No row may be lost, every row must reach a final state, and no
"database is locked" may reach any of them (nor their logs).

(The store-level version of this, without HTTP, is
``tests/unit/test_store_multiprocess.py``.)
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.pg import is_postgres, raw_rows

from .conftest import settings_for
from .ptyrun import REPO, polaris_env

pytestmark = pytest.mark.slow

PROCESSES = 4
OPERATIONS = 6
DRY_RUNS = 6
TOGGLES = 3
RENAMES = 6
OWN_CARDS = ["CARD-HEALTHY", "CARD-STUCK", "CARD-UNLINKED", "CARD-TERMINATED"]
SHARED_CARD = "ACME-01"
CHARGERS = ["CP-DELTA-04", "CP-ECHO-05", "CP-FOXTROT-06", "CP-GOLF-07"]

WORKER = textwrap.dedent(
    """
    import asyncio, json, logging, sys, time
    from polaris_tui.models import CardEdit, CardEditKind
    from polaris_tui.services.core import PolarisServices
    from polaris_tui.services.settings import Settings

    config, n, go_at = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    spec = json.loads(sys.argv[4])
    logging.basicConfig(filename=sys.argv[5], level=logging.INFO)

    async def main():
        while time.time() < go_at:
            await asyncio.sleep(0.005)
        services = await PolarisServices.open(Settings(**config))
        errors, results = [], {"ops": [], "audits": []}
        try:
            await services.poller.refresh_now()

            async def guarded(coro):
                try:
                    return await coro
                except Exception as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")

            async def operation(i):
                charger = spec["chargers"][(n + i) % len(spec["chargers"])]
                params = {"commaSeparatedCustomConfKeys": f"p{n}-{i}"}
                # Confirmed as the dialog does: prepare's token for these params.
                preview = await guarded(services.operations.prepare(
                    charger, "GetConfiguration", params))
                entry = preview and await guarded(services.operations.submit(
                    charger, "GetConfiguration", params,
                    dry_run=False, request_id=f"op-{n}-{i}", confirmation=preview.token))
                if entry: results["ops"].append([entry.id, entry.status.value])

            async def dry_run(i):
                entry = await guarded(services.operations.submit(
                    "CP-ALPHA-01", "RemoteStopTransaction", {"transactionId": 100000 + n * 100 + i},
                    dry_run=True, request_id=f"dry-{n}-{i}"))
                if entry: results["ops"].append([entry.id, entry.status.value])

            async def toggles():
                for i in range(spec["toggles"]):
                    for kind in (CardEditKind.BLOCK, CardEditKind.UNBLOCK):
                        entry = await guarded(services.cards.edit(spec["own_card"], CardEdit(kind=kind)))
                        if entry: results["audits"].append([entry.id, entry.status])

            async def rename(i):
                entry = await guarded(services.cards.edit(
                    spec["shared_card"], CardEdit(kind=CardEditKind.RENAME, value=f"truck p{n}-{i}")))
                if entry: results["audits"].append([entry.id, entry.status])

            await asyncio.gather(
                *(operation(i) for i in range(spec["operations"])),
                *(dry_run(i) for i in range(spec["dry_runs"])),
                toggles(),
                *(rename(i) for i in range(spec["renames"])),
            )
        finally:
            await services.close()
        print(json.dumps({"worker": n, "errors": errors, **results}))

    asyncio.run(main())
    """
)


def read(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    return asyncio.run(raw_rows(url, sql, params))


def test_four_polaris_processes_share_one_store(sim: Any, tmp_path: Path, store_url: str) -> None:
    settings = settings_for(sim, tmp_path, operator="ops")
    if is_postgres(store_url):
        store_settings = settings.store.model_copy(update={"url": store_url})
        settings = settings.model_copy(update={"store": store_settings})
    url = settings.store.url or str(settings.store.path)
    go_at = time.time() + 2.0
    procs = []
    for n in range(PROCESSES):
        config = settings.model_dump(mode="json", exclude={"hook"})
        config["steve"].update(api_password=sim.steve_password, web_password=sim.web_password)
        config["lago"]["api_key"] = sim.lago_key
        # Every process is an admin: the first to open seeds the store's operators.
        config["operator"] = {"name": f"op{n}", "admins": [f"op{i}" for i in range(PROCESSES)]}
        spec = {
            "chargers": CHARGERS,
            "own_card": OWN_CARDS[n],
            "shared_card": SHARED_CARD,
            "operations": OPERATIONS,
            "dry_runs": DRY_RUNS,
            "toggles": TOGGLES,
            "renames": RENAMES,
        }
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    json.dumps(config),
                    str(n),
                    str(go_at),
                    json.dumps(spec),
                    str(tmp_path / f"worker{n}.log"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=polaris_env(tmp_path),
                cwd=REPO,
            )
        )
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert "locked" not in err.lower(), err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    for report in reports:
        assert report["errors"] == [], report["errors"]
        assert len(report["ops"]) == OPERATIONS + DRY_RUNS
        assert {status for _, status in report["ops"]} <= {"submitted", "dry_run"}
        assert len(report["audits"]) == 2 * TOGGLES + RENAMES
        assert {status for _, status in report["audits"]} == {"applied"}
    for n in range(PROCESSES):
        assert "locked" not in (tmp_path / f"worker{n}.log").read_text().lower()

    ops = read(url, "SELECT request_id, status, requested_by FROM charger_operation_log")
    audits = read(url, "SELECT actor, action, id_tag, status FROM audit_log")
    (name,) = read(url, "SELECT display_name FROM card_meta WHERE id_tag = ?", (SHARED_CARD,))
    if not is_postgres(url):
        assert read(url, "PRAGMA integrity_check") == [("ok",)]
    expected = {f"op-{n}-{i}" for n in range(PROCESSES) for i in range(OPERATIONS)}
    expected |= {f"dry-{n}-{i}" for n in range(PROCESSES) for i in range(DRY_RUNS)}
    assert {r for r, _, _ in ops} == expected and len(ops) == len(expected), "no operation row lost"
    assert {s for _, s, _ in ops} == {"submitted", "dry_run"}, "every row reached its final state"
    assert len(audits) == PROCESSES * (2 * TOGGLES + RENAMES), "no audit row lost"
    assert {s for *_, s in audits} == {"applied"}
    assert {a for a, *_ in audits} == {f"op{n}" for n in range(PROCESSES)}
    assert name is not None and name[0].startswith("truck p"), (
        "the shared card holds one of the names"
    )
    sent = [op for op in sim.control("GET", "/operations") if op["operation"] == "GetConfiguration"]
    assert len(sent) == PROCESSES * OPERATIONS, "each operation reached SteVe exactly once"
    tags = {t["idTag"]: t for t in sim.control("GET", "/cards")}
    for card in OWN_CARDS:
        assert tags[card]["maxActiveTransactionCount"] != 0, f"{card} ends unblocked"
