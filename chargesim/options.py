"""Everything the stand-in can be started with (CLI flags, test fixtures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# The demo credentials (docs/demo-fleet.md). Demo only: the stand-in listens on
# loopback and holds no real data.
STEVE_USER = "admin"
STEVE_API_PASSWORD = "demo-api-password"
WEB_USER = "admin"
WEB_PASSWORD = "demo-web-password"
LAGO_KEY = "demo-lago-key"


@dataclass
class SimOptions:
    """Start-up options of one stand-in process.

    Every field has a default that gives the demo fleet on a free loopback port
    in real time, so ``SimOptions()`` is a working demo.
    """

    host: str = "127.0.0.1"
    port: int = 0
    """SteVe's port (0 = a free one). Lago and control are served here too."""
    aux_port: int = 0
    """A second listener for Lago and control only, so that they stay up
    while SteVe is "down" (the advertised ``lago_url``/``control_url``)."""
    chargers: int = 12
    """Fleet size; above 12, extra chargers ``CP-SIM-00013``... are added."""
    seed: int = 1
    now: datetime | None = None
    """Start instant; None = the wall clock."""
    frozen: bool = False
    """Freeze the clock at ``now``; it then moves only via the control endpoint."""
    station_timeout_seconds: float = 30.0
    """How long an operation waits for the stations (SteVe: 30 s)."""
    station_delay: tuple[float, float] = (0.05, 0.2)
    """A healthy simulated station answers after a random delay in this range (s)."""
    stop_delay: float = 0.2
    """Seconds between RemoteStop Accepted and the station's StopTransaction."""
    finishing_seconds: float = 1.0
    """Seconds a connector stays Finishing after a stop before it is Available."""
    heartbeat_interval: int = 60
    """Heartbeat interval of simulated stations, in simulated seconds."""
    hook_url: str | None = None
    hook_key: str | None = None
    hook_timeout: float = 0.2
    """Budget of one pre-authorize hook call (the fork's PREAUTH_TIMEOUT_MS)."""
    inherit_parent_status: bool = True
    """Refuse a card whose parent (or grand-parent...) is blocked or expired,
    as the card runbook says. Vanilla SteVe does not; set False to mimic it."""
    auto_register: bool = True
    """Accept OCPP-J connections from chargeBoxIds the fleet does not know."""
    faults: list[str] = field(default_factory=list)
    """Faults to apply at start, ``NAME[:ARG]`` as on the command line."""
    exit_with_parent: bool = False
    steve_user: str = STEVE_USER
    steve_password: str = STEVE_API_PASSWORD
    web_user: str = WEB_USER
    web_password: str = WEB_PASSWORD
    lago_key: str = LAGO_KEY
