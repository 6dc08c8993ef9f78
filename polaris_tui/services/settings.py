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

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import (
    Field,
    ValidationError,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from polaris_tui.models.errors import ConfigError
from polaris_tui.services.paths import (
    CONFIG_ENV,
    default_config_path,
    default_store_path,
    resolve_config_path,
)
from polaris_tui.services.setting_forms import env_name, expected_form
from polaris_tui.services.settings_sections import (
    SECRET_KEYS,
    STEVE_STATION_WAIT_SECONDS,
    HookSettings,
    LagoSettings,
    LogSettings,
    NameList,
    OperatorSettings,
    PollSettings,
    SteveSettings,
    StoreSettings,
    UISettings,
    os_login,
)


class Settings(BaseSettings):
    """Everything Polaris can be configured with. Build it with ``load_settings()``."""

    model_config = SettingsConfigDict(
        env_prefix="POLARIS_",
        env_nested_delimiter="__",
        extra="forbid",
        # Attribute docstrings are read only when asked (settings_docs.py).
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


__all__ = [
    "CONFIG_ENV",
    "HookSettings",
    "LagoSettings",
    "LogSettings",
    "NameList",
    "OperatorSettings",
    "PollSettings",
    "SECRET_KEYS",
    "STEVE_STATION_WAIT_SECONDS",
    "Settings",
    "SteveSettings",
    "StoreSettings",
    "UISettings",
    "default_config_path",
    "default_store_path",
    "load_settings",
    "os_login",
    "resolve_config_path",
]
