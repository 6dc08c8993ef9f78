"""Start the demo's stand-in as the very first thing, when it is sure to be needed.

The stand-in takes about half a second to listen. Loading the settings
(pydantic) takes about as long, and only then did ``polaris`` know it runs
the demo: the console's first frame waited for the two in a row. When
nothing could configure a SteVe (no flag, no ``POLARIS_…`` variable, no
config file) and the terminal is interactive, the demo is certain, its
files are in the default state folder, and the stand-in starts at once.
Anything else takes the ordinary path: settings first, then the decision.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from polaris_tui.demo_standin import HOOK_PATH, DemoStandIn, free_port
from polaris_tui.services.paths import CONFIG_ENV, default_store_path, resolve_config_path

ENV_PREFIX = "POLARIS_"
STARTING = "Starting the built-in stand-in (demo mode)…"


@dataclass
class DemoLaunch:
    """A launched stand-in and the in-console hook it will call."""

    stand_in: DemoStandIn
    hook_port: int
    hook_key: str


def launch_demo(log_path: Path) -> DemoLaunch:
    """Start the stand-in (not waiting for it) with a fresh hook port and key."""
    hook_port = free_port()
    hook_key = secrets.token_urlsafe(24)
    stand_in = DemoStandIn(
        hook_url=f"http://127.0.0.1:{hook_port}{HOOK_PATH}", hook_key=hook_key, log_path=log_path
    )
    stand_in.launch()  # the CLI says so on stderr (STARTING)
    return DemoLaunch(stand_in, hook_port, hook_key)


def nothing_configured(*, flags: list[str | None], config_file: Path | None) -> bool:
    """No flag among ``flags``, no ``POLARIS_…`` variable, and no config file:
    every setting is its default, so there is no SteVe and the demo runs."""
    if any(flag is not None for flag in flags):
        return False
    # Names are matched case-insensitively, as the settings read them.
    if any(name.upper().startswith(ENV_PREFIX) and name != CONFIG_ENV for name in os.environ):
        return False
    return not resolve_config_path(config_file).exists()


def launch_if_certain(*, flags: list[str | None], config_file: Path | None) -> DemoLaunch | None:
    """Launch the demo's stand-in now if nothing is configured, else None."""
    if not nothing_configured(flags=flags, config_file=config_file):
        return None
    from polaris_tui.logging_setup import LOG_NAME
    from polaris_tui.store.files import ensure_folder

    state_dir = default_store_path().parent  # where the ordinary path logs too
    ensure_folder(state_dir)
    return launch_demo(state_dir / LOG_NAME)
