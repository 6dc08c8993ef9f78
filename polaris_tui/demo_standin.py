"""Demo mode's stand-in: the ``chargesim`` subprocess the console (or one
scripting command) runs against when no SteVe is configured. It is started
as a process, never imported: only ``polaris sim`` imports ``chargesim``."""

from __future__ import annotations

import json
import logging
import os
import secrets
import selectors
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from polaris_tui.models.errors import ConfigError

log = logging.getLogger(__name__)

SIM_START_TIMEOUT = 30.0
"""Seconds to wait for the stand-in's JSON line before giving up."""

HOOK_PATH = "/api/ocpp/pre-authorize"


def start_script_demo(log_path: Path) -> tuple[DemoStandIn, dict[str, str]]:
    """A stand-in for one scripting command; nothing listens on its hook URL
    (a scripting command never sees a tap). Returns it (to stop) and its JSON line."""
    demo = DemoStandIn(
        hook_url=f"http://127.0.0.1:{free_port()}{HOOK_PATH}",
        hook_key=secrets.token_urlsafe(24),
        log_path=log_path,
    )
    return demo, demo.start()


def free_port() -> int:
    """A free loopback TCP port (for the in-console hook server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def remove_store(path: Path) -> None:
    """Delete a previous demo store (and its WAL files)."""
    for suffix in ("", "-wal", "-shm"):
        target = Path(f"{path}{suffix}")
        try:
            target.unlink()
        except FileNotFoundError:
            continue


class DemoStandIn:
    """The stand-in subprocess of demo mode: start, read its JSON line, stop."""

    def __init__(
        self, *, hook_url: str, hook_key: str, log_path: Path, timeout: float = SIM_START_TIMEOUT
    ) -> None:
        self.hook_url = hook_url
        self.hook_key = hook_key
        self.log_path = log_path
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._err_path = log_path.with_name("stand-in.log")

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "chargesim",
            "--port",
            "0",
            "--json",
            "--exit-with-parent",
            "--hook-url",
            self.hook_url,
        ]

    def environment(self) -> dict[str, str]:
        """Our environment plus the hook key: never on the command line, which
        every user of the host can read (``ps``); the environment only we can."""
        return {**os.environ, "CHARGESIM_HOOK_KEY": self.hook_key}

    def start(self) -> dict[str, str]:
        """Start it and return its JSON line (URLs and credentials).

        Raises:
            ConfigError: it failed to start or did not answer in time (with where to look).
        """
        self.launch()
        return self.wait_ready()

    def launch(self) -> None:
        """Start the process and return at once: it takes a second or two to
        listen, which the console spends importing itself (``wait_ready``)."""
        from polaris_tui.store.files import open_private_append

        self._stderr = open_private_append(self._err_path)
        self.process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=self.environment(),
        )

    def wait_ready(self) -> dict[str, str]:
        """Its JSON line (URLs and credentials), once it listens (after ``launch``).

        Raises:
            ConfigError: it failed to start or did not answer in time (with where to look).
        """
        err_path = self._err_path
        try:
            line = self._read_line()
            info: dict[str, str] = json.loads(line)
        except (ValueError, ConfigError) as error:
            self.stop()
            detail = (
                error.message if isinstance(error, ConfigError) else f"unreadable answer ({error})"
            )
            raise ConfigError(
                f"the demo stand-in did not start: {detail}; see {err_path}"
            ) from None
        missing = [
            k
            for k in (
                "steve_url",
                "lago_url",
                "steve_user",
                "steve_password",
                "web_user",
                "web_password",
                "lago_key",
            )
            if k not in info
        ]
        if missing:
            self.stop()
            raise ConfigError(f"the demo stand-in's answer lacks {', '.join(missing)}")
        # Keep reading its stdout so a chatty stand-in can never block on a full pipe.
        threading.Thread(target=self._drain, daemon=True, name="stand-in-stdout").start()
        return info

    def _read_line(self) -> str:
        process = self.process
        assert process is not None and process.stdout is not None
        deadline = time.monotonic() + self.timeout
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while b"\n" not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ConfigError(f"no answer within {self.timeout:g} s")
                if not selector.select(remaining):
                    continue
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    raise ConfigError(f"it exited with code {process.wait()} before it was ready")
                buffer += chunk
        return buffer.split(b"\n", 1)[0].decode("utf-8", "replace")

    def _drain(self) -> None:
        process = self.process
        if process is None or process.stdout is None:
            return
        try:
            while process.stdout.read(65536):
                continue
        except (OSError, ValueError) as error:  # closed while reading: we are stopping
            log.debug("stand-in stdout closed: %s", error)

    def stop(self) -> None:
        """Terminate it (then kill if it lingers) and close our ends."""
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.warning("the stand-in did not stop on SIGTERM; killing it")
                process.kill()
                process.wait(timeout=5)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
