"""Where a console runs: recorded on every operation and audit row.

The host is this machine's name; the client is the operator's own machine
when the console runs over SSH (``SSH_CONNECTION`` / ``SSH_CLIENT``, whose
first field is the client's address). sshd sets them; they are informative,
not proof of identity.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    console_host: str
    client_address: str | None

    def describe(self) -> str:
        """``203.0.113.7 via noc-1`` over SSH, ``noc-1`` on the console itself."""
        if self.client_address:
            return f"{self.client_address} via {self.console_host}"
        return self.console_host


def ssh_client_address(environ: Mapping[str, str]) -> str | None:
    for name in ("SSH_CONNECTION", "SSH_CLIENT"):
        fields = environ.get(name, "").split()
        if fields:
            return fields[0][:64]
    return None


def current_origin(environ: Mapping[str, str] | None = None) -> Origin:
    env = os.environ if environ is None else environ
    return Origin(socket.gethostname()[:255], ssh_client_address(env))
