"""``python -m chargesim`` as Polaris' demo mode runs it: one JSON line, serve,
exit on SIGTERM, and exit when the parent dies (``--exit-with-parent``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.sim.helpers import wait_for

KEYS = {
    "steve_url",
    "lago_url",
    "control_url",
    "steve_user",
    "steve_password",
    "web_user",
    "web_password",
    "lago_key",
}


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "chargesim", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_json_line_then_serve_until_sigterm():
    proc = _start(
        "--port",
        "0",
        "--json",
        "--now",
        "2026-11-22T10:00:00Z",
        "--frozen",
        "--fault",
        "offline:CP-ALPHA-01",
    )
    try:
        info = json.loads(proc.stdout.readline())
        assert set(info) == KEYS
        assert info["steve_url"].startswith("http://127.0.0.1:") and info["steve_url"].endswith(
            "/steve"
        )
        tags = httpx.get(
            info["steve_url"] + "/api/v1/ocppTags",
            auth=(info["steve_user"], info["steve_password"]),
        )
        assert tags.status_code == 200 and len(tags.json()) == 15
        state = httpx.get(info["control_url"] + "/state").json()
        assert (
            state["now"] == "2026-11-22T10:00:00.000Z" and "offline:CP-ALPHA-01" in state["faults"]
        )
        customer = httpx.get(
            info["lago_url"] + "/api/v1/customers/cust-kim",
            headers={"Authorization": f"Bearer {info['lago_key']}"},
        )
        assert customer.json()["customer"]["email"] == "kim@example.com"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert proc.stdout.read() == ""  # exactly one line
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_readable_output_without_json():
    proc = _start("--port", "0")
    try:
        lines = [proc.stdout.readline() for _ in range(6)]
        text = "".join(lines)
        assert "SteVe REST" in text and "demo-api-password" in text and "/_sim" in text
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0


def test_exit_with_parent():
    """A parent that dies (SIGKILL, no cleanup) leaves no orphan stand-in behind."""
    launcher = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-m', 'chargesim', '--port', '0', '--json', '--exit-with-parent'],"
        " stdout=subprocess.PIPE, text=True)\n"
        "sys.stdout.write(str(p.pid) + ' ' + p.stdout.readline())\n"
        "sys.stdout.flush()\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", launcher], stdout=subprocess.PIPE, text=True)
    try:
        pid_text, _, line = parent.stdout.readline().partition(" ")
        child = int(pid_text)
        assert json.loads(line)["steve_url"]
        assert _alive(child)
        parent.kill()
        parent.wait()
        wait_for(
            lambda: not _alive(child) or _reap(child),
            timeout=20,
            what="the orphaned stand-in to exit",
        )
    finally:
        if parent.poll() is None:
            parent.kill()


def _reap(pid: int) -> bool:
    """True when ``pid`` is a zombie (exited, not yet reaped by init)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return True


def test_bad_arguments_exit_with_usage():
    proc = _start("--now", "yesterday")
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2 and "not an ISO-8601" in err


def test_port_in_use_is_a_clear_error():
    first = _start("--port", "0", "--json")
    try:
        port = json.loads(first.stdout.readline())["steve_url"].rsplit(":", 1)[1].split("/")[0]
        second = _start("--port", port)
        _, err = second.communicate(timeout=20)
        assert second.returncode == 1 and "cannot listen" in err
    finally:
        first.terminate()
        first.wait(timeout=20)


def test_the_hook_key_never_comes_from_the_command_line(tmp_path, monkeypatch):
    from chargesim.__main__ import HOOK_KEY_ENV, options_from, parser

    with pytest.raises(SystemExit, match="every user"):
        options_from(parser().parse_args(["--hook-key", "s3cret"]))
    monkeypatch.setenv(HOOK_KEY_ENV, "from-env")
    assert options_from(parser().parse_args([])).hook_key == "from-env"
    key_file = tmp_path / "hook.key"
    key_file.write_text("from-file\n")
    args = parser().parse_args(["--hook-key-file", str(key_file)])
    assert options_from(args).hook_key == "from-file"
    monkeypatch.delenv(HOOK_KEY_ENV)
    assert options_from(parser().parse_args([])).hook_key is None
