"""``polaris fleet|stuck|ops|card``: read-only answers for scripts, against the stand-in.

The stand-in runs with its clock frozen at the real "now" (the commands use the
system clock, as they do in production), and each command runs through
``cli.main`` like a shell would call it. One test runs ``polaris stuck`` on the
real demo in a subprocess: it must exit 1 for CP-BRAVO-02.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from polaris_tui import cli, demo_standin
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from polaris_tui.services.settings import load_settings

SUBPROCESS_WAIT = 180.0


@pytest.fixture
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private config and state dirs, and the stand-in's secrets in the environment."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def live_sim(sim_factory: Any, user_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The demo fleet at the real now (frozen), credentials from the environment."""
    handle = sim_factory(now=datetime.now(UTC), frozen=True)
    monkeypatch.setenv("POLARIS_STEVE__API_PASSWORD", handle.steve_password)
    monkeypatch.setenv("POLARIS_STEVE__WEB_PASSWORD", handle.web_password)
    monkeypatch.setenv("POLARIS_LAGO__API_KEY", handle.lago_key)
    return handle


def flags(sim: Any, tmp: Path) -> list[str]:
    return [
        "--steve-url",
        sim.steve_url,
        "--lago-url",
        sim.lago_url,
        "--store",
        str(tmp / "store.sqlite"),
        "--config",
        str(tmp / "none.toml"),
    ]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_fleet_json_lists_every_charger_with_its_session(
    live_sim: Any, user_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "fleet", "--json", *flags(live_sim, user_dirs))
    assert code == 0, err
    data = json.loads(out)
    by_id = {c["charge_box_id"]: c for c in data["chargers"]}
    assert len(by_id) == 12 and data["counts"]["total"] == 12
    assert data["steve"]["state"] == "live"
    assert by_id["CP-BRAVO-02"]["id_tag"] == "CARD-STUCK"
    assert by_id["CP-BRAVO-02"]["status"] == "Charging"
    assert by_id["CP-CHARLIE-03"]["liveness"] == "offline"
    assert by_id["CP-ECHO-05"]["status"] == "Faulted"
    code, text, _ = run(capsys, "fleet", *flags(live_sim, user_dirs))
    assert code == 0
    assert text.splitlines()[0].split()[:3] == ["ID", "Status", "Liveness"]
    assert any(line.startswith("CP-DELTA-04") for line in text.splitlines())


def test_stuck_exits_1_naming_the_stuck_session_then_0_once_it_closes(
    live_sim: Any, user_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "stuck", "--json", *flags(live_sim, user_dirs))
    assert code == 1, err
    data = json.loads(out)
    assert data["count"] == 1 and data["unread_sessions"] == 0
    (stuck,) = data["stuck"]
    assert stuck["charge_box_id"] == "CP-BRAVO-02" and stuck["id_tag"] == "CARD-STUCK"
    assert "meter" in stuck["stuck_reason"].lower()

    live_sim.control("POST", "/sessions/stop", {"transactionId": stuck["transaction_id"]})
    code, out, err = run(capsys, "stuck", *flags(live_sim, user_dirs))
    assert code == 0, err
    assert out.strip() == "no stuck session"


def test_stuck_exits_2_with_one_line_when_steve_is_unreachable(
    user_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closed_port = demo_standin.free_port()  # nothing listens there
    code, out, err = run(
        capsys,
        "stuck",
        "--steve-url",
        f"http://127.0.0.1:{closed_port}/steve",
        "--store",
        str(user_dirs / "s.sqlite"),
        "--config",
        str(user_dirs / "none.toml"),
    )
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "SteVe is unreachable" in err


def test_ops_since_shows_only_the_newer_operations(
    live_sim: Any, user_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two dry runs written by the services, one 2 h old: --since 1h shows the new one."""
    settings = load_settings(
        {
            "steve": {"url": live_sim.steve_url},
            "lago": {"url": live_sim.lago_url},
            "store": {"path": user_dirs / "store.sqlite"},
            "operator": {"name": "ana", "admins": ["ana"]},
        },
        config_file=user_dirs / "none.toml",
    )

    async def write(at: datetime, charger: str, request_id: str) -> None:
        services = await PolarisServices.open(settings, clock=FixedClock(at))
        try:
            await services.operations.submit(
                charger,
                "TriggerMessage",
                {"triggerMessage": "Heartbeat"},
                dry_run=True,
                request_id=request_id,
            )
        finally:
            await services.close()

    now = datetime.now(UTC)
    asyncio.run(write(now - timedelta(hours=2), "CP-DELTA-04", "old"))
    asyncio.run(write(now, "CP-ALPHA-01", "new"))

    code, out, err = run(capsys, "ops", "--since", "1h", "--json", *flags(live_sim, user_dirs))
    assert code == 0, err
    rows = json.loads(out)["operations"]
    assert [(r["charge_box_id"], r["operation"], r["status"]) for r in rows] == [
        ("CP-ALPHA-01", "TriggerMessage", "dry_run")
    ]
    assert rows[0]["requested_by"] == "ana"
    code, out, _ = run(capsys, "ops", *flags(live_sim, user_dirs))
    assert code == 0
    assert "CP-ALPHA-01" in out and "CP-DELTA-04" in out


def test_card_prints_the_triage_verdict_with_its_evidence(
    live_sim: Any, user_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "card", "FLEET-CHILD-1", "--json", *flags(live_sim, user_dirs))
    assert code == 0, err
    data = json.loads(out)
    assert data["id_tag"] == "FLEET-CHILD-1" and data["parent_id_tag"] == "FLEET-PARENT"
    valid = data["verdict"][0]
    assert valid["question"].startswith("Does SteVe consider this card valid")
    assert valid["answer"] == "no" and valid["healthy"] is False
    assert any("FLEET-PARENT" in line and "blocked" in line for line in valid["evidence"])
    code, text, _ = run(capsys, "card", "FLEET-CHILD-1", *flags(live_sim, user_dirs))
    assert code == 0
    assert text.splitlines()[1].startswith("NO") and "parent FLEET-PARENT is blocked" in text


@pytest.mark.slow
def test_stuck_on_the_demo_exits_1_for_cp_bravo_02(tmp_path: Path) -> None:
    """A fresh machine, no configuration: `polaris stuck` starts the stand-in itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLARIS_")}
    env.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    result = subprocess.run(
        [sys.executable, "-m", "polaris_tui", "stuck", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_WAIT,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert [s["charge_box_id"] for s in data["stuck"]] == ["CP-BRAVO-02"]
    assert not (tmp_path / "state" / "polaris" / "demo.sqlite").exists(), (
        "the console's demo store is left alone"
    )
