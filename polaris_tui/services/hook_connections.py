"""The hook's defence against a flood of connections (issue 16): a cap on
open connections from the open-file limit, closing the least trusted first,
and the timeouts and backlog of its listening socket."""

from __future__ import annotations

import logging
import resource
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)


MAX_CONNECTIONS = 4096
"""Open connections at most, whatever the open-file limit allows."""
FILE_RESERVE = 128
"""Open files kept for everything else (store, log, the console in demo mode)."""
OPEN_FILES_WANTED = MAX_CONNECTIONS + FILE_RESERVE
"""``polaris hook`` raises its soft open-file limit up to this (within the hard limit)."""


def connection_cap() -> int:
    """Connections the guard allows: what the open-file limit leaves after the reserve."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - FILE_RESERVE))


def raise_open_file_limit() -> int:
    """Raise the soft open-file limit towards ``OPEN_FILES_WANTED`` (never past the
    hard limit); returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES_WANTED if hard == resource.RLIM_INFINITY else min(hard, OPEN_FILES_WANTED)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as exc:
            log.info("cannot raise the open-file limit to %d: %s", wanted, exc)
    return int(soft)


IDLE_TIMEOUT_S = 5.0
"""A connection with no complete request for this long is closed: idle
keep-alive, and a first request whose headers do not arrive (slowloris)."""
BODY_TIMEOUT_S = 2.0
"""Time to read a body of at most ``MAX_BODY_BYTES`` once the headers came."""
LISTEN_BACKLOG = 1024
"""Pending connections the kernel queues: a burst must not drop SteVe's SYN
(a dropped SYN is retried after 1 s, five times SteVe's budget)."""
ACCEPT_BATCH = 16
"""Connections asyncio accepts per wake-up. asyncio takes its listen backlog
as that batch size, and accepts the whole batch before the guard sees one:
1,024 at once would run out of open files before any room is made."""


class ConnectionGuard:
    """The protocol factory of the hook's listening socket: caps open
    connections, closing the least trusted first.

    Trusted connections have carried a correctly signed request. Past the cap,
    a new connection closes the oldest untrusted one (idle or mid-request);
    only when every open connection is trusted does the oldest of those go.
    """

    def __init__(self, limit: int | None = None) -> None:
        self._server: web.Server | None = None
        self.limit = limit if limit is not None else connection_cap()
        # Plain sets (a RequestHandler has no weak references), pruned to the
        # server's live connections whenever they are looked at.
        self._trusted: set[RequestHandler] = set()
        self._closing: set[RequestHandler] = set()
        self.evicted = 0
        """Connections closed to make room (for logs and the benchmark)."""

    def attach(self, server: web.Server) -> None:
        """The runner's server, once set up (it makes the request handlers)."""
        self._server = server

    @property
    def server(self) -> web.Server:
        if self._server is None:
            raise RuntimeError("ConnectionGuard used before attach()")
        return self._server

    def __call__(self) -> RequestHandler:
        self._make_room()
        return self.server()

    def open_connections(self) -> int:
        return sum(1 for h in self.server.connections if h not in self._closing)

    def trust(self, handler: Any) -> None:
        """Mark the connection of a correctly signed request."""
        if isinstance(handler, RequestHandler):
            self._trusted.add(handler)
            if len(self._trusted) > self.limit:
                self._trusted &= set(self.server.connections)

    def _make_room(self) -> None:
        connections = self.server.connections
        if len(connections) < self.limit:
            return
        current = set(connections)
        self._closing &= current
        self._trusted &= current
        live = [h for h in connections if h not in self._closing]
        # Make room for a batch at once: the scan above is O(connections), and a
        # flood that reconnects would otherwise pay it on every accept.
        excess = len(live) - self.limit + max(1, self.limit // 16)
        if excess <= 0:
            return
        # Oldest first (the server keeps them in arrival order), untrusted first.
        victims = [h for h in live if h not in self._trusted] + [
            h for h in live if h in self._trusted
        ]
        for handler in victims[:excess]:
            self._closing.add(handler)
            handler.force_close()  # closes the socket: its file is free at once
        before, self.evicted = self.evicted, self.evicted + min(excess, len(victims))
        if (
            before == 0 or before // 1000 != self.evicted // 1000
        ):  # not one line per flood connection
            log.warning(
                "pre-authorize hook: %d connections open (cap %d); closed %d so far, "
                "unsigned ones first",
                len(live),
                self.limit,
                self.evicted,
            )
