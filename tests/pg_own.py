"""A PostgreSQL of one test's own, to stop and start again (``restartable_pg``).

The shared server of tests/pg.py must stay up for every other test; a test
of what a console does while the server restarts, or of a second OS user
reaching it over TCP (the shared one listens on a Unix socket in a folder
only its system user may enter), starts this one instead (about 2 s).
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.pg_guard import guard_server


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RestartablePg:
    """One running server; ``stop()``, ``start()``, ``url``."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.socket_dir = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The ``postgres`` database: over TCP once ``start(tcp=True)``, else the socket."""
        if self.port is not None:
            return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        return f"postgresql://postgres@/postgres?host={self.socket_dir}"

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.server.pgdata, user=self.server.system_user, timeout=60)

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self, *, tcp: bool = False) -> None:
        """Start again (same socket); ``tcp``: also on 127.0.0.1, a free port."""
        from pgserver.utils import PostmasterInfo

        if tcp and self.port is None:
            self.port = free_tcp_port()
        listen = f'-h "127.0.0.1" -p {self.port}' if self.port is not None else '-h ""'
        log = str(self.server.log)
        self._pg_ctl("-w", "-o", listen, "-o", f"-k {self.socket_dir}", "-l", log, "start")
        # pgserver stops the server it knows by its postmaster: tell it the new one.
        self.server._postmaster_info = PostmasterInfo.read_from_pgdata(self.server.pgdata)

    def running(self) -> bool:
        info = self.server._postmaster_info
        return info is not None and bool(info.is_running())


@pytest.fixture
def restartable_pg() -> Iterator[RestartablePg]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
        import pgserver

    parent = Path(tempfile.mkdtemp(prefix="polaris-pg-own-"))
    guard = guard_server(parent, parent / "data")  # stops it if this process is killed
    try:
        server = pgserver.get_server(parent / "data", cleanup_mode="delete")
        handle = RestartablePg(server)
        try:
            yield handle
        finally:
            if not handle.running():
                handle.start()  # so that cleanup stops it, rather than delete its folder under it
            server.cleanup()
    finally:
        guard.release()
        shutil.rmtree(parent, ignore_errors=True)
