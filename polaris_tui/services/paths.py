"""Where Polaris' files are by default: the config file and the state folder.

Kept apart from the settings models (pydantic) so the CLI can answer "is
anything configured at all?" before paying for them (``demo_early``).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir, user_state_dir

CONFIG_ENV = "POLARIS_CONFIG"
"""Environment variable naming the config file."""


def default_config_path() -> Path:
    """The config file used when neither a flag nor ``POLARIS_CONFIG`` names one."""
    return Path(user_config_dir("polaris")) / "config.toml"


def default_store_path() -> Path:
    """The SQLite store in the user's state directory."""
    return Path(user_state_dir("polaris")) / "polaris.sqlite"


def resolve_config_path(config_file: Path | None = None) -> Path:
    """The config file to read: the flag, else ``POLARIS_CONFIG``, else the default."""
    if config_file is not None:
        return Path(config_file).expanduser()
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return default_config_path()
