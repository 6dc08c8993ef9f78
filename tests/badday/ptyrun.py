"""Run the real ``polaris`` entry point under a pseudo-terminal.

The bad days that only a real process shows — SIGHUP when the SSH session
closes, a start with nothing listening, control bytes from data reaching the
terminal, mouse tracking — are tested by starting ``python -m polaris_tui``
on the slave side of ``os.openpty()`` with a fixed window size, reading every
byte it writes to the terminal, typing keys into the master side, and then
quitting with ``q`` or SIGHUP.

Tests wait on what the terminal shows, never on a pause: ``wait_screen``
feeds the bytes to a terminal emulator (``pyte``) and polls the visible
text until a condition holds, with a deadline generous enough for a busy
machine (``WAIT``); it returns as soon as the condition holds.

The child gets a hermetic environment: no ``POLARIS_…`` variable from the
machine running the tests, ``HOME`` in the test's temporary folder, and the
log file beside the store (the CLI logs there).
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyte

REPO = Path(__file__).resolve().parents[2]

WAIT = 90.0
"""Deadline for one on-screen condition. Only a hang reaches it, so it is
generous: under load a screen can take many seconds to draw."""

KEYS = {
    "enter": b"\r",
    "escape": b"\x1b",
    "tab": b"\t",
    "shift+tab": b"\x1b[Z",
    "ctrl+p": b"\x10",
    "down": b"\x1b[B",
    "up": b"\x1b[A",
}


class PtyPolaris:
    """A running ``polaris`` on a pseudo-terminal (use ``run_polaris``)."""

    def __init__(
        self, proc: subprocess.Popen[bytes], master: int, *, cols: int = 120, rows: int = 40
    ) -> None:
        self.proc = proc
        self.master = master
        self._out = bytearray()
        self._screen = pyte.Screen(cols, rows)
        self._stream = pyte.ByteStream(self._screen)
        self._fed = 0
        """How much of ``_out`` the emulator has seen (it is fed lazily, by the waiter)."""
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        # Drain continuously so the child can never block on a full pty buffer.
        # select() with a timeout, so that close_terminal() can stop this
        # thread first: a read blocked on the master would keep the terminal
        # open after close().
        while not self._closing.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.05)
                if not ready:
                    continue
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO once the child side is closed
                return
            if not chunk:
                return
            with self._lock:
                self._out.extend(chunk)

    @property
    def output(self) -> bytes:
        """Every byte written to the terminal so far."""
        with self._lock:
            return bytes(self._out)

    def mark(self) -> int:
        """The current output length (``wait_for(..., after=mark)`` looks only after it)."""
        with self._lock:
            return len(self._out)

    def wait_for(self, needle: str | bytes, *, timeout: float = 20.0, after: int = 0) -> bool:
        """Wait until ``needle`` appears in the output (after offset ``after``)."""
        data = needle.encode() if isinstance(needle, str) else needle
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if data in self.output[after:]:
                return True
            if self.proc.poll() is not None:
                return data in self.output[after:]
            time.sleep(0.05)
        return False

    def screen_text(self) -> str:
        """What the terminal shows now, one line per row (trailing blanks cut)."""
        with self._lock:
            pending, self._fed = bytes(self._out[self._fed :]), len(self._out)
        if pending:
            self._stream.feed(pending)
        return "\n".join(line.rstrip() for line in self._screen.display)

    def wait_screen(self, condition: str | Callable[[str], bool], *, timeout: float = WAIT) -> bool:
        """Wait until the screen shows ``condition`` (a text, or a test on the screen text)."""
        check = condition if callable(condition) else (lambda text: condition in text)
        deadline = time.monotonic() + timeout
        while True:
            if check(self.screen_text()):
                return True
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return check(self.screen_text())
            time.sleep(0.05)

    def settle(self, quiet: float = 0.6, *, timeout: float = 10.0) -> None:
        """Wait until the terminal has been quiet for ``quiet`` seconds."""
        self._wait_still(self.mark, quiet, timeout)

    def settle_screen(self, quiet: float = 0.6, *, timeout: float = 10.0) -> None:
        """Wait until the screen's text has stayed the same for ``quiet`` seconds.

        Unlike ``settle``, a blinking cursor (an input with focus rewrites its
        line every 0.5 s, forever) does not count as a change."""
        self._wait_still(self.screen_text, quiet, timeout)

    def _wait_still(self, probe: Callable[[], object], quiet: float, timeout: float) -> None:
        """Wait until ``probe()`` has returned the same for ``quiet`` seconds
        (at most ``timeout``)."""
        deadline = time.monotonic() + timeout
        last = probe()
        still_since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = probe()
            if now != last:
                last, still_since = now, time.monotonic()
            elif time.monotonic() - still_since >= quiet:
                return

    def type(self, *keys: str, pause: float = 0.08) -> None:
        """Type key names (``KEYS``) or literal text."""
        for key in keys:
            os.write(self.master, KEYS.get(key, key.encode()))
            time.sleep(pause if key != "escape" else max(pause, 0.3))

    def burst(self, data: str | bytes) -> None:
        """Send ``data`` in ONE write: keys that arrive together (laggy SSH, a fast typist)."""
        raw = data.encode() if isinstance(data, str) else data
        written = os.write(self.master, raw)
        assert written == len(raw), "a short write would split the burst"

    def hangup(self) -> None:
        """What the SSH server does when the session closes."""
        self.proc.send_signal(signal.SIGHUP)

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if the process did not end within ``timeout``."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close_terminal(self) -> None:
        """What a terminal emulator does when its window closes: close the master side."""
        self._closing.set()
        self._reader.join(5)
        try:
            os.close(self.master)
        except OSError:
            pass  # already closed

    def left_behind(self) -> list[str]:
        """The live processes of the child's session (it leads one: ``start_new_session``)."""
        return session_processes(self.proc.pid)

    def stop(self) -> None:
        """Kill the child if it still runs, and whatever it left in its group; close the terminal."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.left_behind():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own group, made by setsid
            except ProcessLookupError:
                pass  # gone meanwhile
        self.close_terminal()


def session_processes(sid: int) -> list[str]:
    """``"pid command"`` for every live (non-zombie) process in session ``sid``.

    Orphans keep their session when they are reparented, so this finds what a
    closed terminal left behind wherever it now hangs in the process tree.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # ended while we looked
        # Fields after the ")" that closes the command name: state ppid pgrp session ...
        state, _ppid, _pgrp, session = stat.rsplit(")", 1)[1].split()[:4]
        if int(session) == sid and state != "Z":
            command = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
            found.append(f"{entry.name} {command}")
    return found


def polaris_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for the child: no POLARIS_ leak, HOME in the test dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLARIS_", "TEXTUAL"))}
    env.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".state"),
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
        LANG="C.UTF-8",
    )
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    env.update(extra or {})
    return env


@contextmanager
def run_polaris(
    args: Sequence[str],
    *,
    home: Path,
    env: Mapping[str, str] | None = None,
    cols: int = 120,
    rows: int = 40,
) -> Iterator[PtyPolaris]:
    """Start ``python -m polaris_tui ARGS`` on a ``cols`` x ``rows`` pseudo-terminal."""
    argv = [sys.executable, "-m", "polaris_tui", *args]
    with run_on_pty(argv, home=home, env=env, cols=cols, rows=rows) as running:
        yield running


def _take_controlling_tty() -> None:
    """In the child, after ``setsid``: make stdin (the pty) its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@contextmanager
def run_on_pty(
    argv: Sequence[str],
    *,
    home: Path,
    env: Mapping[str, str] | None = None,
    cols: int = 120,
    rows: int = 40,
    cwd: Path | None = None,
    controlling_tty: bool = False,
) -> Iterator[PtyPolaris]:
    """Start ``argv`` in a new session on a ``cols`` x ``rows`` pseudo-terminal.

    With ``controlling_tty`` the pty becomes the session's controlling
    terminal, as in a terminal window: closing it then sends SIGHUP to the
    session leader (``argv[0]``) only, as the kernel does.
    """
    home.mkdir(parents=True, exist_ok=True)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=polaris_env(home, env),
            cwd=str(cwd or home),
            start_new_session=True,
            preexec_fn=_take_controlling_tty if controlling_tty else None,
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    running = PtyPolaris(proc, master, cols=cols, rows=rows)
    try:
        yield running
    finally:
        running.stop()
