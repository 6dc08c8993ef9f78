"""Settings: flags > environment > file > defaults; secrets stay secret."""

import os
import stat
from pathlib import Path

import pytest

from polaris_tui.models import Role
from polaris_tui.models.errors import ConfigError
from polaris_tui.services.settings import (
    CONFIG_ENV,
    Settings,
    default_config_path,
    load_settings,
    resolve_config_path,
)
from polaris_tui.services.settings_docs import attribute_docs
from polaris_tui.services.settings_file import config_warnings

SAMPLE = """
[steve]
url = "http://file-host:8080/steve/"
api_user = "file-user"
api_password = "file-api-secret"
status_source = "manager-page"

[lago]
url = "http://lago:3000"
api_key = "file-lago-key"

[poll]
interval_seconds = 7
stuck_after_minutes = 20

[operator]
name = "ana"
admins = ["ana", "bo"]
viewers = ["cy"]
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No POLARIS_* variable from the developer's shell leaks into these tests."""
    for key in list(os.environ):
        if key.startswith("POLARIS_"):
            monkeypatch.delenv(key)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(SAMPLE)
    path.chmod(0o600)
    return path


def test_defaults_without_file(tmp_path):
    s = load_settings(config_file=tmp_path / "missing.toml")
    assert s.steve.url is None and s.steve.status_source == "auto"
    assert s.steve.read_timeout == 10.0 and s.steve.operation_timeout == 45.0
    assert s.poll.interval_seconds == 5.0 and s.poll.max_backoff_seconds == 60.0
    assert s.store.path.name == "polaris.sqlite"
    assert s.hook.port == 8787 and s.ui.mouse is True and s.demo is False
    assert s.operator.name  # the OS user
    assert s.operator.resolve().role == Role.VIEWER


def test_file_is_read_and_url_trailing_slash_dropped(config):
    s = load_settings(config_file=config)
    assert s.steve.url == "http://file-host:8080/steve"
    assert s.steve.api_password.get_secret_value() == "file-api-secret"
    assert s.steve.status_source == "manager-page"
    assert s.poll.interval_seconds == 7 and s.poll.stuck_after_minutes == 20


def test_env_overrides_file_and_flags_override_env(config, monkeypatch):
    monkeypatch.setenv("POLARIS_STEVE__API_USER", "env-user")
    monkeypatch.setenv("POLARIS_STEVE__URL", "http://env-host/steve")
    monkeypatch.setenv("POLARIS_POLL__INTERVAL_SECONDS", "9")
    s = load_settings(
        {"steve": {"url": "http://flag-host/steve", "api_user": None}}, config_file=config
    )
    assert s.steve.url == "http://flag-host/steve"  # flag beats env
    assert s.steve.api_user == "env-user"  # env beats file; an unset flag (None) does not override
    assert s.poll.interval_seconds == 9
    assert s.poll.stuck_after_minutes == 20  # file value kept where nothing overrides
    assert s.steve.api_password.get_secret_value() == "file-api-secret"  # sections merge deeply


def test_config_path_from_env(config, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, str(config))
    assert resolve_config_path() == config
    assert load_settings().steve.api_user == "file-user"
    assert resolve_config_path(Path("/x/y.toml")) == Path("/x/y.toml")  # the flag wins


def test_default_config_path_is_in_user_config_dir(monkeypatch):
    assert resolve_config_path() == default_config_path()
    assert default_config_path().name == "config.toml"


def test_roles(config):
    s = load_settings(config_file=config)
    assert s.operator.resolve().role == Role.ADMIN
    s = load_settings({"operator": {"name": "cy"}}, config_file=config)
    assert s.operator.resolve().role == Role.VIEWER
    s = load_settings({"operator": {"name": "zed", "default_role": "admin"}}, config_file=config)
    assert s.operator.resolve().role == Role.ADMIN


def test_secrets_are_hidden_and_listed(config):
    s = load_settings({"hook": {"hmac_key": "hook-secret"}}, config_file=config)
    assert sorted(s.secrets()) == ["file-api-secret", "file-lago-key", "hook-secret"]
    text = repr(s) + str(s) + s.model_dump_json()
    for secret in s.secrets():
        assert secret not in text


def test_operation_timeout_must_exceed_steves_30s(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings({"steve": {"operation_timeout": 30}}, config_file=tmp_path / "none.toml")
    assert "operation_timeout" in err.value.message


def test_invalid_value_error_never_echoes_the_value(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[steve]\napi_password = ["not-a-string-secret-xyz"]\n')
    with pytest.raises(ConfigError) as err:
        load_settings(config_file=path)
    assert "api_password" in err.value.message
    assert "secret-xyz" not in str(err.value)


def test_unknown_key_and_bad_toml_are_config_errors(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[steve]\nurll = 'typo'\n")
    with pytest.raises(ConfigError, match="urll"):
        load_settings(config_file=path)
    path.write_text("[steve\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config_file=path)


def test_bad_status_source_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("POLARIS_STEVE__STATUS_SOURCE", "telepathy")
    with pytest.raises(ConfigError, match="status_source"):
        load_settings(config_file=tmp_path / "none.toml")


def test_every_field_has_a_docstring():
    def walk(model):
        docs = attribute_docs(model)
        for name, info in model.model_fields.items():
            assert docs.get(name), f"{model.__name__}.{name} has no attribute docstring"
            annotation = info.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                walk(annotation)

    walk(Settings)


def test_world_readable_config_with_secrets_is_warned(config):
    assert config_warnings(config) == []
    config.chmod(0o644)
    warnings = config_warnings(config)
    assert len(warnings) == 1 and "chmod 600" in warnings[0] and "everyone" in warnings[0]
    config.chmod(0o640)
    assert "its group" in config_warnings(config)[0]


def test_readable_config_without_secrets_is_fine(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[steve]\nurl = "http://h/steve"\n')
    path.chmod(0o644)
    assert config_warnings(path) == []
    assert config_warnings(tmp_path / "missing.toml") == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_urls_with_credentials_are_refused_without_echoing_them(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(
            {"steve": {"url": "http://admin:pw-in-url-77@steve:8080/steve"}},
            config_file=tmp_path / "n.toml",
        )
    assert "steve.url" in err.value.message and "pw-in-url-77" not in str(err.value)
    with pytest.raises(ConfigError, match="lago.url"):
        load_settings({"lago": {"url": "ftp://lago"}}, config_file=tmp_path / "n.toml")
