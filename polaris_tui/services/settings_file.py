"""The config file itself: warnings about who can read it, and saving one
setting into it without losing the rest (the theme picker's choice)."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from polaris_tui.models.errors import ConfigError
from polaris_tui.services.settings_sections import SECRET_KEYS


def _holds_secrets(path: Path) -> bool:
    """Whether the file sets any secret key (unreadable TOML counts as yes: be safe)."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, OSError):
        return True

    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            return any((k in SECRET_KEYS and v) or walk(v) for k, v in node.items())
        return False

    return walk(data)


def config_warnings(path: Path) -> list[str]:
    """Warnings to show at start about the config file itself.

    Today: a file holding secrets that the group or other users can read.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return []
    except OSError as exc:
        return [f"Cannot check the permissions of {path}: {exc.strerror}"]
    if mode & (stat.S_IRGRP | stat.S_IROTH) and _holds_secrets(path):
        who = "everyone" if mode & stat.S_IROTH else "its group"
        return [
            f"{path} holds secrets and can be read by {who} "
            f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
        ]
    return []


_SECTION = re.compile(r"^\s*\[([A-Za-z0-9_.-]+)\]\s*(#.*)?$")
_BARE_VALUE = re.compile(r"^[A-Za-z0-9_.-]+$")


def save_setting(path: Path, section: str, key: str, value: str) -> None:
    """Set ``[section] key = "value"`` in the TOML file at ``path``, keeping every
    other line (and comment) as it is; create the file (mode 600) if needed.

    Only simple values (letters, digits, ``_.-``) are written, so the line is
    valid TOML without escaping. The result is parsed before it replaces the
    file, and the swap is atomic.

    Raises:
        ConfigError: the value is not simple, the file is not valid TOML, or
            it cannot be written.
    """
    if not _BARE_VALUE.match(value):
        raise ConfigError(f"{section}.{key}: cannot save {value!r} (letters, digits, _ . - only)")
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    line = f'{key} = "{value}"'
    lines = text.splitlines()
    start = next(
        (i for i, ln in enumerate(lines) if (m := _SECTION.match(ln)) and m.group(1) == section),
        None,
    )
    if start is None:
        lines += ([""] if lines and lines[-1].strip() else []) + [f"[{section}]", line]
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if _SECTION.match(lines[i])), len(lines)
        )
        own = re.compile(rf"^\s*{re.escape(key)}\s*=")
        found = next((i for i in range(start + 1, end) if own.match(lines[i])), None)
        if found is None:
            lines.insert(start + 1, line)
        else:
            lines[found] = line
    new_text = "\n".join(lines) + "\n"
    try:
        tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML, not changing it: {exc}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o600
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new_text)
        os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
