"""The ``polaris`` command line: help, flags, demo mode's stand-in, errors, SIGHUP.

The UI itself is replaced by a recorder where a test only checks what the
CLI hands to the App; the SIGHUP tests run the real console in a pty.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import pytest

from polaris_tui import cli, demo_standin
from polaris_tui.app import PolarisApp
from polaris_tui.models.errors import ConfigError
from polaris_tui.services.settings import os_login
from tests.badday.ptyrun import PtyPolaris

SUBPROCESS_WAIT = 120.0
"""Only a hang reaches it: on a loaded machine a console can take long to start."""


@pytest.fixture
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config and state dir (XDG), so no test touches the real ones."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    # In-process calls have pytest's pipes, not a terminal: let the console
    # path go on (test_no_terminal.py runs real processes without one).
    monkeypatch.setattr("polaris_tui.interactive.why_not_interactive", lambda: None)
    return tmp_path


@pytest.fixture
def recorded_run(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace ``PolarisApp.run`` with a recorder of what the App was given."""
    runs: list[dict[str, Any]] = []

    def fake_run(self: PolarisApp, *, mouse: bool = True, **_kw: Any) -> None:
        record = {"app": self, "mouse": mouse, "settings": self.settings}
        demo = getattr(cli, "_current_demo", None)
        record["demo_process_alive"] = (
            demo is not None and demo.process is not None and demo.process.poll() is None
        )
        runs.append(record)

    monkeypatch.setattr(PolarisApp, "run", fake_run)
    return runs


def test_help_explains_demo_commands_and_config(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for phrase in (
        "Demo mode",
        "no SteVe configured",
        "polaris sim",
        "polaris hook",
        "POLARIS_CONFIG",
        "POLARIS_STEVE__API_PASSWORD",
        "--no-mouse",
        "chmod 600",
        "? help",
    ):
        assert phrase in out, phrase


def test_sim_subcommand_hands_over_to_the_stand_in(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["sim", "--help"])
    assert exit_info.value.code == 0
    assert "Stand-in for SteVe" in capsys.readouterr().out


def test_secrets_cannot_be_given_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    for flag in ("--steve-password", "--api-password", "--lago-key", "--hmac-key"):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([flag, "x"])
        assert exit_info.value.code == 2
    capsys.readouterr()


def test_real_mode_flags_reach_the_app(
    user_dirs: Path, recorded_run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLARIS_STEVE__API_PASSWORD", "from-env")
    code = cli.main(
        [
            "--steve-url",
            "http://steve.example:8080/steve/",
            "--lago-url",
            "http://lago.example:3000",
            "--status-source",
            "manager-page",
            "--readonly",
            "--store",
            str(user_dirs / "p.sqlite"),
            "--no-mouse",
        ]
    )
    assert code == 0
    (run,) = recorded_run
    settings = run["settings"]
    assert settings.steve.url == "http://steve.example:8080/steve"
    assert settings.steve.status_source == "manager-page"
    assert settings.steve.api_password.get_secret_value() == "from-env"
    assert settings.lago.url == "http://lago.example:3000"
    assert settings.operator.name == os_login() and settings.store.path == user_dirs / "p.sqlite"
    assert settings.operator.readonly is True
    assert run["mouse"] is False, "--no-mouse runs without mouse tracking"
    assert run["app"].demo is False


def test_operator_flag_and_name_are_refused_outside_the_demo(
    user_dirs: Path, recorded_run, capsys: pytest.CaptureFixture[str]
) -> None:
    """Who is who: outside the demo the operator is the OS login, never a flag."""
    real = ["--steve-url", "http://steve.example:8080/steve", "--store", str(user_dirs / "p.db")]
    assert cli.main([*real, "--operator", "admin-from-config"]) == 2
    assert "--operator is only for the demo" in capsys.readouterr().err
    config = user_dirs / "named.toml"
    config.write_text('[operator]\nname = "somebody-else"\n')
    assert cli.main([*real, "--config", str(config)]) == 2
    assert "always the OS login" in capsys.readouterr().err
    assert recorded_run == [], "the console never started"


def test_world_readable_config_with_secrets_is_warned_about(
    user_dirs: Path, recorded_run, capsys: pytest.CaptureFixture[str]
) -> None:
    config = user_dirs / "polaris.toml"
    config.write_text('[steve]\nurl = "http://h:8080/steve"\napi_password = "s3cret-value"\n')
    config.chmod(0o644)
    assert cli.main(["--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert "holds secrets and can be read by everyone" in err and "chmod 600" in err
    assert "s3cret-value" not in err
    assert recorded_run[0]["app"].startup_notices, "the UI shows it too"


def test_demo_mode_starts_the_stand_in_with_a_fresh_store(
    user_dirs: Path, recorded_run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No SteVe configured → the stand-in subprocess, in-memory settings, a fresh demo
    store, the OS user as admin, the hook in the console; the stand-in stops after."""
    started: list[demo_standin.DemoStandIn] = []
    original_launch = demo_standin.DemoStandIn.launch

    def tracking_launch(self: demo_standin.DemoStandIn) -> None:
        started.append(self)
        cli._current_demo = self  # type: ignore[attr-defined]
        original_launch(self)

    monkeypatch.setattr(demo_standin.DemoStandIn, "launch", tracking_launch)
    state = user_dirs / "state" / "polaris"
    state.mkdir(parents=True)
    old_store = state / "demo.sqlite"
    old_store.write_text("previous demo")
    Path(f"{old_store}-wal").write_text("wal")
    try:
        assert cli.main(["--operator", "ana"]) == 0
    finally:
        cli._current_demo = None  # type: ignore[attr-defined]
    (run,) = recorded_run
    app, settings = run["app"], run["settings"]
    assert run["demo_process_alive"], "the stand-in runs while the console does"
    assert app.demo and app.seed_demo and settings.demo
    assert settings.steve.url and settings.steve.url.endswith("/steve")
    assert settings.steve.api_password.get_secret_value() == "demo-api-password"
    assert settings.lago.api_key.get_secret_value() == "demo-lago-key"
    assert settings.operator.resolve().role.value == "admin" and settings.operator.name == "ana"
    assert (
        settings.store.path == old_store
        and not old_store.exists()
        and not Path(f"{old_store}-wal").exists()
    )
    assert app.hook_options is not None and app.hook_options.port == settings.hook.port
    assert not any(k.startswith("POLARIS_") for k in os.environ), (
        "no secret went to the environment"
    )
    (demo,) = started
    assert demo.process is not None and demo.process.poll() is not None, "the stand-in was stopped"
    assert "demo-api-password" not in " ".join(demo.command())


def test_stand_in_that_fails_to_start_is_a_clear_error(
    user_dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        demo_standin.DemoStandIn,
        "command",
        lambda self: [sys.executable, "-c", "import sys; sys.exit(3)"],
    )
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert (
        "the demo stand-in did not start" in err
        and "exited with code 3" in err
        and "stand-in.log" in err
    )


def test_stand_in_that_never_answers_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = demo_standin.DemoStandIn(
        hook_url="http://127.0.0.1:9/x", hook_key="k", log_path=tmp_path / "p.log", timeout=0.5
    )
    monkeypatch.setattr(
        demo, "command", lambda: [sys.executable, "-c", "import time; time.sleep(30)"]
    )
    with pytest.raises(ConfigError, match="no answer within 0.5 s"):
        demo.start()
    assert demo.process is not None and demo.process.poll() is not None, (
        "the silent stand-in was stopped"
    )


def test_hook_without_a_key_is_refused(user_dirs: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert cli.main(["hook", "--port", "0"]) == 2
    assert "needs a shared key" in caplog.text


# -- SIGHUP on a real terminal -------------------------------------------------------


def _spawn_in_pty(args: list[str], env: dict[str, str]) -> PtyPolaris:
    """``polaris ARGS`` on a 120x40 pty whose output is drained all along.

    A console whose terminal is not read blocks on its next write, and then
    cannot see a key or exit: reading only until a needle made these tests
    hang on a slow machine.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "polaris_tui", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return PtyPolaris(proc, master, cols=120, rows=40)


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + SUBPROCESS_WAIT
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_sighup_in_demo_mode_exits_and_stops_the_stand_in(user_dirs: Path) -> None:
    """SSH closes → SIGHUP: the console exits cleanly (services closed, logged) and
    its stand-in does not outlive it."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    polaris = _spawn_in_pty(["--no-mouse"], env)
    try:
        assert polaris.wait_screen("CP-ALPHA-01", timeout=SUBPROCESS_WAIT), polaris.screen_text()
        children = _children(polaris.proc.pid)
        assert children, "the stand-in runs as a child"
        polaris.hangup()
        assert polaris.wait(SUBPROCESS_WAIT) == 0
        assert all(_gone(child) for child in children)
    finally:
        polaris.stop()
    log = (user_dirs / "state" / "polaris" / "polaris.log").read_text()
    assert "SIGHUP" in log


@pytest.mark.slow
def test_console_against_a_real_url_draws_and_quits(sim: Any, user_dirs: Path) -> None:
    """`polaris --steve-url …` against the stand-in, credentials from the environment."""
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "POLARIS_STEVE__API_PASSWORD": sim.steve_password,
        "POLARIS_LAGO__API_KEY": sim.lago_key,
    }
    polaris = _spawn_in_pty(
        [
            "--steve-url",
            sim.steve_url,
            "--lago-url",
            sim.lago_url,
            "--store",
            str(user_dirs / "p.sqlite"),
        ],
        env,
    )
    try:
        assert polaris.wait_screen("CP-BRAVO-02", timeout=SUBPROCESS_WAIT), polaris.screen_text()
        assert b"Demo:" not in polaris.output
        polaris.type("q")
        assert polaris.wait(SUBPROCESS_WAIT) == 0
    finally:
        polaris.stop()
