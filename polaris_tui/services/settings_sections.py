"""The sections of Polaris' configuration (``[steve]``, ``[lago]``,
``[store]``, ``[poll]``, ``[operator]``, ``[hook]``, ``[ui]``, ``[log]``), their
defaults and checks. ``settings.Settings`` gathers them and loads them."""

from __future__ import annotations

import getpass
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
)
from pydantic_settings import (
    NoDecode,
)

from polaris_tui.models import Operator, Role
from polaris_tui.models.errors import ConfigError
from polaris_tui.services.paths import default_store_path

if TYPE_CHECKING:
    from polaris_tui.store.target import StoreTarget

log = logging.getLogger(__name__)

STEVE_STATION_WAIT_SECONDS = 30.0
"""SteVe blocks an operation call up to this long waiting for the station."""

SECRET_KEYS = ("api_password", "web_password", "api_key", "hmac_key")
"""Config keys whose values are secrets (used by the file-permission check)."""


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

    model_config = ConfigDict(extra="forbid")  # docstrings: settings_docs.py


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
    meter_reads_per_second: float = Field(default=5.0, ge=0, le=50)
    """SteVe request budget of the stuck sampler (``GET /transactions/{pk}``), spent as
    ceil(rate x interval) meter reads a cycle: every open session is read at least once
    per stuck threshold while rate x threshold covers the open sessions (5/s: 4,500 per
    15 min). Sessions never read come first, then those whose meter could be stuck soonest."""
    meter_samples_per_cycle: int = Field(default=50, ge=0, le=100)
    """Most meter reads one SteVe cycle sends (a cap on the burst toward SteVe). 0 turns
    the sampler off."""
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
