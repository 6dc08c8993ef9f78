"""Whether this console hears other consoles' writes (issue 10, "live")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LiveUpdatesDown:
    """Live updates from the shared store are down: another operator's stop,
    card edit or pairing may not be on screen. The watch reconnects by itself;
    once back, every screen re-reads what it shows."""

    since: datetime
    """When this console stopped hearing (its services' clock)."""
    reason: str
    """Why, in the store's or driver's words (untrusted: shown as plain text)."""
