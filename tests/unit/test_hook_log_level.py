"""``polaris hook`` honours ``log.level`` and keeps per-request lines at DEBUG.

It logged at INFO whatever the setting, with aiohttp's access line for every
tap: a busy site's journal filled with them. A real process each time.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.unit.test_hook_server import HOOK_PATH, KEY, _free_port, body, post, sign

pytestmark = pytest.mark.slow
WAIT = 60.0
"""Only a hang reaches it."""


async def run_hook_once(tmp_path: Path, level: str | None) -> str:
    """Start ``polaris hook``, answer one signed call, stop it; its stderr."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLARIS_")}
    env.update(
        POLARIS_CONFIG=str(tmp_path / "absent.toml"),
        POLARIS_HOOK__HMAC_KEY=KEY,
        POLARIS_STORE__PATH=str(tmp_path / f"hook-{level}.sqlite"),
    )
    if level is not None:
        env["POLARIS_LOG__LEVEL"] = level
    proc = subprocess.Popen(
        [sys.executable, "-m", "polaris_tui", "hook", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        raw = body()
        url = f"http://127.0.0.1:{port}{HOOK_PATH}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        async with httpx.AsyncClient(timeout=5) as client:
            while True:
                try:
                    response = await post(client, url, raw, sign(raw, KEY))
                    break
                except httpx.ConnectError:
                    assert loop.time() < deadline, "polaris hook never listened"
                    await asyncio.sleep(0.1)
        assert response.status_code == 200
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.to_thread(proc.communicate, timeout=WAIT)
        assert proc.returncode == 0, err
        return err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_default_info_has_no_request_lines(tmp_path: Path) -> None:
    err = await run_hook_once(tmp_path, None)
    assert "INFO" in err and "pre-authorize hook stopping" in err
    assert "aiohttp.access" not in err and f"POST {HOOK_PATH}" not in err


async def test_log_level_warning_silences_info(tmp_path: Path) -> None:
    err = await run_hook_once(tmp_path, "WARNING")
    assert " INFO " not in err and "pre-authorize hook stopping" not in err, err
