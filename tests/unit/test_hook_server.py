"""The pre-authorize hook over real HTTP: signatures, answers, fail-open."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from polaris_tui.models import Operator, Role
from polaris_tui.models.errors import ConfigError
from polaris_tui.services.hook_server import (
    HOOK_PATH,
    build_hook_app,
    serve_hook,
    sign,
    signature_ok,
    start_hook_server,
)
from polaris_tui.services.scan_login import ScanLoginService

KEY = "test-hook-key"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def body(id_tag="CARD-KIOSK", charge_box_id="CP-FOXTROT-06", **extra) -> bytes:
    payload = {
        "idTag": id_tag,
        "chargeBoxId": charge_box_id,
        "connectorId": 1,
        "isStartTx": False,
        "ts": 1,
    }
    payload.update(extra)
    return json.dumps(payload).encode()


@pytest.fixture
def scan(store, clock):
    return ScanLoginService(store, clock, Operator(name="ada", role=Role.ADMIN))


@pytest.fixture
async def hook(scan):
    handle = await start_hook_server(scan, KEY, "127.0.0.1", 0)
    async with httpx.AsyncClient(timeout=5) as client:
        yield handle, client
    await handle.stop()


async def post(client, url, raw: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Signature"] = signature
    return await client.post(url, content=raw, headers=headers)


class TestSignature:
    async def test_valid_signature_answers_null_without_pairing(self, hook):
        handle, client = hook
        raw = body()
        response = await post(client, handle.url, raw, sign(raw, KEY))
        assert response.status_code == 200
        assert response.json() == {"override": None}
        assert response.headers["content-type"].startswith("application/json")

    async def test_wrong_key(self, hook):
        handle, client = hook
        raw = body()
        response = await post(client, handle.url, raw, sign(raw, "another-key"))
        assert (response.status_code, response.json()) == (401, {"error": "unauthorized"})

    async def test_missing_signature(self, hook):
        handle, client = hook
        response = await post(client, handle.url, body(), None)
        assert response.status_code == 401

    async def test_body_changed_after_signing(self, hook, scan):
        handle, client = hook
        await scan.arm("CP-FOXTROT-06")
        signed = body(id_tag="CARD-KIOSK")
        response = await post(client, handle.url, body(id_tag="CARD-OTHER"), sign(signed, KEY))
        assert response.status_code == 401
        assert len(await scan.pairings("CP-FOXTROT-06")) == 1  # nothing claimed

    @pytest.mark.parametrize(
        "header", ["", "zz", "abc", "0" * 64, "not hex at all \u00fc".encode("latin-1")]
    )
    async def test_garbage_signatures(self, hook, header):
        handle, client = hook
        response = await post(client, handle.url, body(), header)
        assert response.status_code == 401

    async def test_uppercase_hex_accepted(self, hook):
        handle, client = hook
        raw = body()
        response = await post(client, handle.url, raw, sign(raw, KEY).upper())
        assert response.status_code == 200

    async def test_verified_before_parsing(self, hook):
        """Unsigned garbage is 401, not 400: nothing is parsed before the check."""
        handle, client = hook
        response = await post(client, handle.url, b"{not json", None)
        assert response.status_code == 401

    def test_signature_ok_unit(self):
        raw = b'{"idTag":"X"}'
        assert signature_ok(raw, sign(raw, KEY), KEY.encode())
        assert not signature_ok(raw + b" ", sign(raw, KEY), KEY.encode())
        assert not signature_ok(raw, None, KEY.encode())


class TestBody:
    async def test_invalid_json_signed(self, hook):
        handle, client = hook
        raw = b"{not json"
        response = await post(client, handle.url, raw, sign(raw, KEY))
        assert (response.status_code, response.json()) == (400, {"error": "invalid_json"})

    @pytest.mark.parametrize(
        "payload",
        [
            {"idTag": "", "chargeBoxId": "CP"},
            {"idTag": "X"},
            [1, 2],
            {"idTag": 5, "chargeBoxId": "CP"},
        ],
    )
    async def test_invalid_body_signed(self, hook, payload):
        handle, client = hook
        raw = json.dumps(payload).encode()
        response = await post(client, handle.url, raw, sign(raw, KEY))
        assert (response.status_code, response.json()) == (400, {"error": "invalid_body"})

    async def test_too_large(self, hook):
        handle, client = hook
        raw = body(pad="x" * 20000)
        response = await post(client, handle.url, raw, sign(raw, KEY))
        assert response.status_code == 413

    async def test_connector_optional(self, hook, scan):
        handle, client = hook
        await scan.arm("CP-FOXTROT-06")
        raw = json.dumps({"idTag": "CARD-KIOSK", "chargeBoxId": "CP-FOXTROT-06"}).encode()
        response = await post(client, handle.url, raw, sign(raw, KEY))
        assert response.json() == {"override": "BLOCKED"}
        [event] = await scan.intercepts()
        assert event.connector_id is None


class TestDecision:
    async def test_one_tap_retry_and_second_card(self, hook, scan):
        handle, client = hook
        await scan.arm("CP-FOXTROT-06")
        first = body("CARD-KIOSK")
        other = body("CARD-HEALTHY")
        answers = [
            (await post(client, handle.url, raw, sign(raw, KEY))).json()["override"]
            for raw in (first, first, other)
        ]
        assert answers == ["BLOCKED", "BLOCKED", None]
        events = await scan.intercepts(charge_box_id="CP-FOXTROT-06")
        assert [(e.id_tag, e.connector_id) for e in events] == [("CARD-KIOSK", 1)]

    async def test_fail_open_on_store_error(self, hook, store, scan):
        handle, client = hook
        await scan.arm("CP-FOXTROT-06")
        await store.close()  # every store call now raises StoreError
        raw = body()
        response = await post(client, handle.url, raw, sign(raw, KEY))
        assert (response.status_code, response.json()) == (200, {"override": None})

    async def test_fail_open_on_unexpected_error(self, scan, caplog):
        class Broken(ScanLoginService):
            async def decide(self, *args, **kwargs):
                raise ZeroDivisionError("bug")

        handle = await start_hook_server(Broken(None, None, None), SecretStr(KEY), "127.0.0.1", 0)
        try:
            async with httpx.AsyncClient() as client:
                raw = body()
                response = await post(client, handle.url, raw, sign(raw, KEY))
        finally:
            await handle.stop()
        assert response.json() == {"override": None}
        assert any("answering no override" in r.getMessage() for r in caplog.records)

    async def test_only_post_on_the_path(self, hook):
        handle, client = hook
        assert (await client.get(handle.url)).status_code == 405
        assert (await client.post(handle.url.replace(HOOK_PATH, "/other"))).status_code == 404


class TestConfig:
    def test_no_key_refused(self, scan):
        for key in (None, "", SecretStr("")):
            with pytest.raises(ConfigError):
                build_hook_app(scan, key)

    async def test_port_in_use_is_config_error(self, scan, hook):
        handle, _ = hook
        with pytest.raises(ConfigError):
            await start_hook_server(scan, KEY, "127.0.0.1", handle.port)


async def test_serve_hook_opens_and_closes_its_store(tmp_path, clock):
    """The standalone command: serves on the configured port, then closes the
    store when told to stop (the signal handlers set the same event)."""
    from polaris_tui.services.settings import load_settings

    settings = load_settings(
        {
            "store": {"path": str(tmp_path / "hook.sqlite")},
            "hook": {"host": "127.0.0.1", "port": 0, "hmac_key": KEY},
            "operator": {"name": "hook"},
        },
        config_file=tmp_path / "none.toml",
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve_hook(settings, clock=clock, stop=stop))
    await asyncio.sleep(0.3)
    assert not task.done()
    stop.set()
    await asyncio.wait_for(task, 5)
    # the store was closed: no owner lock file remains
    owners = tmp_path / "hook.sqlite-owners"
    assert not any(owners.glob("*.lock"))


async def test_serve_hook_without_key_refuses_before_opening(tmp_path):
    from polaris_tui.services.settings import load_settings

    settings = load_settings(
        {"store": {"path": str(tmp_path / "hook.sqlite")}, "hook": {"port": 0}},
        config_file=tmp_path / "none.toml",
    )
    with pytest.raises(ConfigError):
        await serve_hook(settings)
    assert not (tmp_path / "hook.sqlite").exists()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
async def test_polaris_hook_command_serves_and_stops_on_sigterm(tmp_path):
    """The real ``polaris hook`` process: answers a signed call, exits 0 on
    SIGTERM, and leaves the store closed (no owner lock left behind)."""
    import os
    import signal
    import subprocess
    import sys

    port = _free_port()
    env = {
        **os.environ,
        "POLARIS_CONFIG": str(tmp_path / "absent.toml"),
        "POLARIS_HOOK__HMAC_KEY": KEY,
        "POLARIS_STORE__PATH": str(tmp_path / "hook.sqlite"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "polaris_tui", "hook", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}{HOOK_PATH}"
        raw = body()
        # Wait for the process to listen, not for a guessed number of tries:
        # under load its start-up alone can take many seconds.
        deadline = asyncio.get_running_loop().time() + 120
        async with httpx.AsyncClient(timeout=60) as client:
            while True:
                try:
                    response = await post(client, url, raw, sign(raw, KEY))
                    break
                except httpx.ConnectError:
                    if proc.poll() is not None:
                        pytest.fail(f"polaris hook exited {proc.returncode}: {proc.stderr.read()}")
                    if asyncio.get_running_loop().time() > deadline:
                        pytest.fail("polaris hook never listened")
                    await asyncio.sleep(0.05)
        assert response.json() == {"override": None}
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.to_thread(proc.communicate, timeout=60)
        assert proc.returncode == 0, err
        assert "pre-authorize hook stopping" in err
        assert not any((tmp_path / "hook.sqlite-owners").glob("*.lock"))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_polaris_hook_command_without_key_exits_2(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "POLARIS_CONFIG": str(tmp_path / "absent.toml"),
        "POLARIS_STORE__PATH": str(tmp_path / "hook.sqlite"),
    }
    env.pop("POLARIS_HOOK__HMAC_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "polaris_tui", "hook", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "hmac_key" in done.stderr
