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
import json
import logging
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from platformdirs import user_config_dir, user_state_dir
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from polaris_tui.models import Operator, Role
from polaris_tui.models.errors import ConfigError
from polaris_tui.services.setting_forms import env_name, expected_form

if TYPE_CHECKING:
    from polaris_tui.store.target import StoreTarget

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


def os_login() -> str:
    """The login name of whoever runs Polaris (the operator): the account
    of the process's user id, not ``$USER`` (anyone can set that); behind
    ``sudo`` (running as root), the user who invoked it."""
    invoker = os.environ.get("SUDO_USER", "").strip()
    if os.geteuid() == 0 and invoker and invoker != "root":
        return invoker
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        pass  # no passwd entry (containers) or no pwd module: ask the environment
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

    url: str | None = Field(default=None, json_schema_extra={"form": "an http(s) URL"})
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

    url: str | None = Field(default=None, json_schema_extra={"form": "an http(s) URL"})
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
    """The store: a SQLite file (the default) or a team's PostgreSQL database."""

    url: str | None = None
    """Where the store is: a path or ``sqlite:///path`` (a SQLite file), or
    ``postgresql://user@host:5432/polaris`` (the team's shared store; keep its
    password in ``~/.pgpass`` or ``PGPASSWORD``, not here). Unset: ``path``."""
    path: Path = Field(default_factory=default_store_path)
    """The SQLite file used when ``url`` is unset (shared safely by several
    Polaris processes on one host). Its folder also holds the log."""
    shared_group: bool = False
    """SQLite only: create the store 0660 with its folder's group (a setgid
    2770 folder), so every operator in that group can use one store. Off: 0600."""

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        # Imported here, not at the top: the store package loads its database
        # drivers, and settings are read by code that must stay light.
        from polaris_tui.store.target import parse_store_url

        try:
            parse_store_url(value)
        except ConfigError as exc:
            raise ValueError(exc.message.removeprefix("store.url: ")) from None
        return value

    def target(self) -> StoreTarget:
        """The parsed store location."""
        from polaris_tui.store.target import SQLITE, StoreTarget, parse_store_url

        return parse_store_url(self.url) if self.url else StoreTarget(SQLITE, path=self.path)

    def password(self) -> str | None:
        """A password written into ``url`` (so logs can redact it)."""
        if not self.url:
            return None
        return urlsplit(self.url).password


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


def _name_list(value: Any) -> Any:
    """A list of names from TOML, or from the environment as ``ana,ben`` or ``["ana","ben"]``."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError('expected a JSON list such as ["ana", "ben"]') from None
    return [part.strip() for part in text.split(",") if part.strip()]


NameList = Annotated[list[str], NoDecode, BeforeValidator(_name_list)]
"""Names: a TOML list, or in the environment a comma list (``ana,ben``) or a JSON list."""


class OperatorSettings(_Section):
    """Who is at the keyboard, and who may do what."""

    name: str = Field(default_factory=os_login)
    """The operator's name recorded in every log row: always the OS login, except in the demo."""
    admins: NameList = Field(default_factory=list)
    """Names with the ``admin`` role: may submit operations and edit cards. They seed the store's operators table once, while it is empty; then ``polaris operators grant`` decides."""
    viewers: NameList = Field(default_factory=list)
    """Names with the ``viewer`` role: may look and triage."""
    default_role: Role = Role.VIEWER
    """Role of a name in neither list (while the store has no operators)."""
    readonly: bool = False
    """Run this session as a viewer whatever the stored role (``--readonly``)."""

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
    theme: str | None = None
    """Textual theme name (e.g. ``textual-dark``, ``nord``); the theme picker
    (``ctrl+p`` → theme) saves its choice here. None: the built-in default."""
    export_dir: Path | None = None
    """Folder for ``ctrl+s`` exports. None: ``exports`` in the user state dir
    (``~/.local/state/polaris/exports`` on Linux)."""


class LogSettings(_Section):
    """The log file (``polaris.log`` in the state directory)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Lowest level written. Per-request HTTP lines are DEBUG."""
    max_bytes: int = Field(default=5_000_000, ge=10_000)
    """The file rotates when it would grow past this many bytes."""
    backup_count: int = Field(default=5, ge=1, le=100)
    """Rotated files kept (``polaris.log.1`` … ``.N``)."""

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


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
    log: LogSettings = Field(default_factory=LogSettings)
    """The log file."""
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
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        store_password = self.store.password()
        return found + [store_password] if store_password else found


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


def _field_at(loc: tuple[Any, ...]) -> FieldInfo | None:
    """The model field at a validation error's location (``("poll", "interval_seconds")``)."""
    model: Any = Settings
    field: FieldInfo | None = None
    for part in loc:
        fields = getattr(model, "model_fields", None)
        if not isinstance(part, str) or fields is None or part not in fields:
            return None
        field = fields[part]
        model = field.annotation
    return field


def _describe_one(error: Any) -> str:
    loc = tuple(error.get("loc", ()))
    where = ".".join(str(p) for p in loc) or "(top)"
    names = f"{where} ({env_name(*map(str, loc))})" if loc else where
    if error.get("type") == "extra_forbidden":
        parent = _field_at(loc[:-1]) if len(loc) > 1 else None
        model = parent.annotation if parent is not None else Settings
        known = ", ".join(getattr(model, "model_fields", {}))
        return f"{where}: unknown key (known here: {known})"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    field = _field_at(loc)
    if field is None:
        return f"{names}: {message}"
    return f"{names}: expected {expected_form(field)} ({message})"


def _describe(exc: ValidationError) -> str:
    """Validation errors on one line: key, environment name, expected form, never the value."""
    return "; ".join(
        _describe_one(error) for error in exc.errors(include_input=False, include_url=False)
    )


_SOURCE_FIELD = re.compile(r'field "([^"]+)"')


def _describe_source_error(exc: SettingsError) -> str:
    """pydantic-settings could not even decode an environment value (e.g. a section as
    a whole): name the variable and how to write it instead."""
    match = _SOURCE_FIELD.search(str(exc))
    if match is None:
        return f"cannot read the settings from the environment ({exc})"
    name = match.group(1)
    field = Settings.model_fields.get(name)
    if field is not None and hasattr(field.annotation, "model_fields"):
        first = next(iter(field.annotation.model_fields))  # type: ignore[union-attr]
        return (
            f"{env_name(name)}: a section cannot be set as a whole; "
            f"set each key, e.g. {env_name(name, first)}=..."
        )
    form = expected_form(field) if field is not None else "a valid value"
    return f"{env_name(name)}: expected {form}"


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
    except SettingsError as exc:
        raise ConfigError(f"invalid settings: {_describe_source_error(exc)}") from None


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
