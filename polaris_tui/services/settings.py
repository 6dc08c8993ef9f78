"""Polaris' configuration: one TOML file, ``POLARIS_…`` variables, CLI flags.

Precedence (highest first): command-line flags > environment > config file >
defaults. The file lives in the user's config directory
(``~/.config/polaris/config.toml`` on Linux) unless ``POLARIS_CONFIG`` names
another one, which is how tests point at sample configs. Nested fields use
``__`` in the environment: ``POLARIS_STEVE__URL``, ``POLARIS_POLL__INTERVAL_SECONDS``.

Secrets are ``SecretStr`` (they print as ``**********``) and
``Settings.secrets()`` hands their values to ``redact()`` so no error message
can carry one. A config file holding secrets that other users can read is
reported by ``config_warnings()`` at start.
"""

from __future__ import annotations

import getpass
import logging
import os
import stat
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from platformdirs import user_config_dir, user_state_dir
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from polaris_tui.models import Operator, Role
from polaris_tui.models.errors import ConfigError

log = logging.getLogger(__name__)

CONFIG_ENV = "POLARIS_CONFIG"
"""Environment variable naming the config file (overrides the default path)."""

STEVE_STATION_WAIT_SECONDS = 30.0
"""SteVe blocks an operation call up to this long waiting for the station."""

SECRET_KEYS = ("api_password", "web_password", "api_key", "hmac_key")
"""Config keys whose values are secrets (used by the file-permission check)."""


def default_config_path() -> Path:
    """The config file used when neither a flag nor ``POLARIS_CONFIG`` names one."""
    return Path(user_config_dir("polaris")) / "config.toml"


def default_store_path() -> Path:
    """The SQLite store in the user's state directory."""
    return Path(user_state_dir("polaris")) / "polaris.sqlite"


def _check_url(value: str | None) -> str | None:
    """A base URL without trailing slash, and without credentials in it: they
    would be written to logs with every request (use the password fields)."""
    if not value:
        return value
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("must be an http(s) URL such as http://host:8080/steve")
    if parsed.username or parsed.password:
        raise ValueError(
            "must not contain a user or password; use the api_user/api_password (or api_key) settings"
        )
    return value.rstrip("/")


def _os_user() -> str:
    """The login name of whoever runs Polaris (the default operator)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError) as exc:  # no passwd entry (containers) and no USER variable
        log.warning("cannot tell the OS user (%s); operator defaults to 'unknown'", exc)
        return "unknown"


class _Section(BaseModel):
    """Base of every config section: unknown keys are typos, so they are errors."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class SteveSettings(_Section):
    """How to reach SteVe (REST API and, for live status, the manager pages)."""

    url: str | None = None
    """SteVe's base URL including its context path, e.g. ``http://host:8080/steve``.
    The REST API is under ``url + "/api/v1"``, the manager pages under ``url + "/manager"``."""
    api_user: str = "admin"
    """The SteVe web user whose API password is used (HTTP Basic on ``/api/**``)."""
    api_password: SecretStr | None = None
    """That user's API password (``webapi.value``), not the web-login password."""
    status_source: Literal["chargeboxes-api", "manager-page", "auto"] = "auto"
    """Where live status comes from: the ``GET /api/v1/chargeBoxes`` extension of
    SteVe forks, vanilla SteVe's manager page, or ``auto`` (try the extension,
    fall back to the page when it is missing)."""
    web_user: str = "admin"
    """Manager-page login user (only for the manager-page status source)."""
    web_password: SecretStr | None = None
    """Manager-page login password (the web password, not the API password)."""
    read_timeout: float = Field(default=10.0, gt=0)
    """Seconds to wait for an answer to a read (lists, details, pages)."""
    operation_timeout: float = Field(default=45.0, gt=STEVE_STATION_WAIT_SECONDS)
    """Seconds to wait for an operation call; must exceed SteVe's own 30 s wait
    for the station, or Polaris would give up on answers SteVe still delivers."""

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        return _check_url(value)


class LagoSettings(_Section):
    """How to reach Lago (billing)."""

    url: str | None = None
    """Lago's base URL, e.g. ``http://host:3000``; the REST API is under ``url + "/api/v1"``."""
    api_key: SecretStr | None = None
    """Lago API key (sent as ``Authorization: Bearer``)."""
    timeout: float = Field(default=10.0, gt=0)
    """Seconds to wait for a Lago answer."""

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        return _check_url(value)


class StoreSettings(_Section):
    """The local SQLite store."""

    path: Path = Field(default_factory=default_store_path)
    """The database file (shared safely by several Polaris processes on one host)."""


class PollSettings(_Section):
    """Live polling and the thresholds computed from it."""

    interval_seconds: float = Field(default=5.0, gt=0)
    """Seconds between two SteVe poll cycles (counted from the end of the previous one)."""
    lago_interval_seconds: float = Field(default=60.0, gt=0)
    """Seconds between two Lago customer refreshes."""
    stuck_after_minutes: float = Field(default=15.0, gt=0)
    """An open session whose meter has not advanced for this long is stuck (rules in services/fleet.py)."""
    meter_samples_per_cycle: int = Field(default=8, ge=0, le=100)
    """Open sessions whose meter values each SteVe cycle reads (``GET /transactions/{pk}``),
    never-sampled first, then the least recently sampled: a fixed cost per cycle whatever
    the fleet size, the whole fleet covered in rotation. 0 turns the sampler off."""
    heartbeat_stale_seconds: float = Field(default=900.0, gt=0)
    """A charger whose last heartbeat is older than this is shown as stale."""
    stop_followup_seconds: float = Field(default=120.0, gt=0)
    """How long to watch a transaction after a RemoteStop before calling it still open."""
    max_backoff_seconds: float = Field(default=60.0, gt=0)
    """Longest wait between cycles while a source keeps failing."""


class OperatorSettings(_Section):
    """Who is at the keyboard, and who may do what."""

    name: str = Field(default_factory=_os_user)
    """The operator's name recorded in every log row (default: the OS user)."""
    admins: list[str] = Field(default_factory=list)
    """Names with the ``admin`` role: may submit operations and edit cards."""
    viewers: list[str] = Field(default_factory=list)
    """Names with the ``viewer`` role: may look and triage."""
    default_role: Role = Role.VIEWER
    """Role of a name in neither list."""

    def resolve(self) -> Operator:
        """The operator with its role: admins list, then viewers list, then the default."""
        if self.name in self.admins:
            role = Role.ADMIN
        elif self.name in self.viewers:
            role = Role.VIEWER
        else:
            role = self.default_role
        return Operator(name=self.name, role=role)


class HookSettings(_Section):
    """The pre-authorize hook server (``polaris hook``)."""

    host: str = "127.0.0.1"
    """Address the hook listens on."""
    port: int = Field(default=8787, ge=0, le=65535)
    """TCP port the hook listens on."""
    hmac_key: SecretStr | None = None
    """Shared secret for the ``X-Signature`` HMAC (SteVe fork's ``PREAUTH_HMAC_KEY``)."""


class UISettings(_Section):
    """Terminal behaviour."""

    mouse: bool = True
    """Mouse support; off avoids any-motion tracking traffic over SSH and keeps native selection."""


class Settings(BaseSettings):
    """Everything Polaris can be configured with. Build it with ``load_settings()``."""

    model_config = SettingsConfigDict(
        env_prefix="POLARIS_",
        env_nested_delimiter="__",
        extra="forbid",
        use_attribute_docstrings=True,
        # Ignore POLARIS_CONFIG and other non-field variables instead of failing.
        env_ignore_empty=True,
    )

    steve: SteveSettings = Field(default_factory=SteveSettings)
    """SteVe connection."""
    lago: LagoSettings = Field(default_factory=LagoSettings)
    """Lago connection."""
    store: StoreSettings = Field(default_factory=StoreSettings)
    """Local store."""
    poll: PollSettings = Field(default_factory=PollSettings)
    """Polling and thresholds."""
    operator: OperatorSettings = Field(default_factory=OperatorSettings)
    """Operator identity and roles."""
    hook: HookSettings = Field(default_factory=HookSettings)
    """Pre-authorize hook server."""
    ui: UISettings = Field(default_factory=UISettings)
    """Terminal behaviour."""
    demo: bool = False
    """Run against the embedded stand-in (SteVe + Lago) with the demo fleet."""

    def secrets(self) -> list[str]:
        """Every configured secret value, for ``redact()``."""
        values = [
            self.steve.api_password,
            self.steve.web_password,
            self.lago.api_key,
            self.hook.hmac_key,
        ]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]


def resolve_config_path(config_file: Path | None = None) -> Path:
    """The config file to read: the flag, else ``POLARIS_CONFIG``, else the default."""
    if config_file is not None:
        return Path(config_file).expanduser()
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return default_config_path()


def _settings_class_for(path: Path) -> type[Settings]:
    """A ``Settings`` subclass whose file source is ``path`` (sources are class-level)."""

    class _FromFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            # Order is precedence: flags (init) > environment > file.
            return (
                init_settings,
                env_settings,
                TomlConfigSettingsSource(settings_cls, toml_file=path),
            )

    _FromFile.__name__ = _FromFile.__qualname__ = "Settings"
    return _FromFile


def _describe(exc: ValidationError) -> str:
    """Validation errors as "where: what", without the input values (they may be secrets)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in error.get("loc", ())) or "(top)"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def load_settings(
    cli_overrides: dict[str, Any] | None = None, *, config_file: Path | None = None
) -> Settings:
    """Build the settings from flags, environment, file and defaults.

    Args:
        cli_overrides: nested dicts from command-line flags, e.g.
            ``{"steve": {"url": "http://h:8080/steve"}, "operator": {"name": "ana"}}``.
            ``None`` values are dropped (an unset flag does not override).
        config_file: the config file; default ``POLARIS_CONFIG`` or the user config dir.
            A missing file is fine (defaults and environment apply).

    Returns:
        The validated ``Settings``.

    Raises:
        ConfigError: unreadable TOML or invalid values (the message names the
            field, never the value).
    """
    path = resolve_config_path(config_file)
    overrides = _drop_none(cli_overrides or {})
    if path.exists():
        try:
            with path.open("rb") as handle:
                tomllib.load(handle)  # parse once here for a clear error message
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return _settings_class_for(path)(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings ({path}): {_describe(exc)}") from None


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    """Remove None leaves and empty sections (flags the user did not give)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            inner = _drop_none(value)
            if inner:
                out[key] = inner
        elif value is not None:
            out[key] = value
    return out


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
