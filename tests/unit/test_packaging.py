"""Packaging and files: version, licence, dependencies, Python check, logs, settings
errors, the generated config reference, the theme saved to the config file."""

from __future__ import annotations

import ast
import logging
import subprocess
import tomllib
from importlib.metadata import metadata
from pathlib import Path

import pytest

from polaris_tui import cli, require_python
from polaris_tui.logging_setup import HANDLER_NAME, setup_logging
from polaris_tui.models.errors import ConfigError
from polaris_tui.services.config_reference import END, START, reference_markdown
from polaris_tui.services.settings import Settings, load_settings
from polaris_tui.services.settings_file import save_setting

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_polaris_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("POLARIS_"):
            monkeypatch.delenv(name)


def test_version_and_sim_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"polaris {metadata('polaris-tui')['Version']}"
    with pytest.raises(SystemExit):
        cli.main(["sim", "--help"])
    assert capsys.readouterr().out.startswith("usage: polaris sim")


def test_licence_changelog_and_websockets_only_for_tests() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT")
    assert (ROOT / "CHANGELOG.md").exists()
    assert not any(d.startswith("websockets") for d in project["dependencies"])
    assert any(d.startswith("websockets") for d in project["optional-dependencies"]["test"])
    users = subprocess.run(
        ["grep", "-rlE", r"^\s*(import|from) websockets", "polaris_tui", "chargesim"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert users.stdout == "", "runtime code must not need websockets"


def test_an_old_python_gets_one_clear_line() -> None:
    with pytest.raises(SystemExit) as exit_info:
        require_python((3, 10, 12, "final", 0))
    assert str(exit_info.value).startswith("polaris needs Python 3.11+ (this is Python 3.10.12)")
    require_python((3, 11, 0, "final", 0))  # no exit


def test_settings_errors_are_one_line_naming_key_and_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    none = tmp_path / "none.toml"
    monkeypatch.setenv("POLARIS_OPERATOR__ADMINS", "admin1")
    assert load_settings(config_file=none).operator.admins == ["admin1"]
    monkeypatch.setenv("POLARIS_OPERATOR__ADMINS", "ana, ben")
    assert load_settings(config_file=none).operator.admins == ["ana", "ben"]
    monkeypatch.setenv("POLARIS_OPERATOR__ADMINS", '["ana"]')
    assert load_settings(config_file=none).operator.admins == ["ana"]

    monkeypatch.setenv("POLARIS_POLL__INTERVAL_SECONDS", "often")
    monkeypatch.setenv("POLARIS_STEVE__URL", "http://h:8080/steve")
    assert cli.main(["--config", str(none)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "poll.interval_seconds (POLARIS_POLL__INTERVAL_SECONDS): expected a number > 0" in err
    monkeypatch.delenv("POLARIS_POLL__INTERVAL_SECONDS")

    monkeypatch.setenv("POLARIS_POLL", "fast")
    with pytest.raises(ConfigError, match=r"POLARIS_POLL: .*POLARIS_POLL__INTERVAL_SECONDS=") as e:
        load_settings(config_file=none)
    assert "\n" not in str(e.value)
    monkeypatch.delenv("POLARIS_POLL")

    bad = tmp_path / "bad.toml"
    bad.write_text('[steve]\nurll = "x"\napi_password = "s3cret"\n[ui]\nmouse = "maybe"\n')
    with pytest.raises(ConfigError) as e:
        load_settings(config_file=bad)
    message = str(e.value)
    assert "\n" not in message and "s3cret" not in message
    assert "steve.urll: unknown key (known here: url," in message
    assert "ui.mouse (POLARIS_UI__MOUSE): expected true or false" in message


def test_log_rotates_by_size_and_request_lines_are_debug(tmp_path: Path) -> None:
    root = logging.getLogger()
    saved_level = root.level
    try:
        path = setup_logging(tmp_path, level="INFO", max_bytes=10_000, backup_count=2)
        logging.getLogger("httpx").info('HTTP Request: GET http://x/api "HTTP/1.1 200 OK"')
        for n in range(400):
            logging.getLogger("polaris_tui.test").info("line %d %s", n, "x" * 60)
        files = sorted(p.name for p in tmp_path.iterdir())
        assert files == ["polaris.log", "polaris.log.1", "polaris.log.2"]
        assert all(p.stat().st_size <= 10_000 for p in tmp_path.iterdir())
        assert not any("HTTP Request" in p.read_text() for p in tmp_path.iterdir())

        setup_logging(tmp_path, level="debug", max_bytes=10_000, backup_count=2)
        logging.getLogger("httpx").info('HTTP Request: GET http://x/api "HTTP/1.1 200 OK"')
        assert "DEBUG httpx: HTTP Request" in path.read_text()
        assert [h.get_name() for h in root.handlers].count(HANDLER_NAME) == 1
    finally:
        for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(saved_level)


def test_log_settings_are_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLARIS_LOG__LEVEL", "warning")
    assert load_settings(config_file=tmp_path / "none.toml").log.level == "WARNING"
    monkeypatch.setenv("POLARIS_LOG__LEVEL", "chatty")
    with pytest.raises(ConfigError, match="log.level .*one of"):
        load_settings(config_file=tmp_path / "none.toml")


def test_readme_config_reference_is_generated_and_complete() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index(START) + len(START) : readme.index(END)].strip()
    assert block == reference_markdown(), (
        "README is behind: python -m polaris_tui.services.config_reference --write README.md"
    )
    for section, field in Settings.model_fields.items():
        keys = getattr(field.annotation, "model_fields", {None: None})
        for key in keys:
            name = f"POLARIS_{section.upper()}" + (f"__{key.upper()}" if key else "")
            assert f"`{name}`" in block, name
    for needed in ("3.11.0", "chargeBoxes", "PREAUTH_HMAC_KEY", "manager page"):
        assert needed in block


def test_save_setting_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '# mine\n[steve]\nurl = "http://h:8080/steve"  # prod\n\n[ui]\nmouse = false\n'
    )
    config.chmod(0o600)
    save_setting(config, "ui", "theme", "nord")
    save_setting(config, "ui", "theme", "gruvbox")
    text = config.read_text()
    assert text.startswith('# mine\n[steve]\nurl = "http://h:8080/steve"  # prod\n')
    assert text.count("theme =") == 1
    data = tomllib.loads(text)
    assert data["ui"] == {"mouse": False, "theme": "gruvbox"}
    assert config.stat().st_mode & 0o777 == 0o600

    fresh = tmp_path / "sub" / "new.toml"
    save_setting(fresh, "ui", "theme", "nord")
    assert tomllib.loads(fresh.read_text()) == {"ui": {"theme": "nord"}}
    assert fresh.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ConfigError):
        save_setting(fresh, "ui", "theme", 'x"\n[evil]')


def test_python_check_runs_before_anything_newer_is_imported() -> None:
    """The package's __init__ (run before cli.py) parses on old Pythons and needs only sys."""
    tree = ast.parse((ROOT / "polaris_tui" / "__init__.py").read_text(), feature_version=(3, 8))
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [alias.name for n in imports for alias in n.names] == ["sys"]
    calls = [n for n in tree.body if isinstance(n, ast.Expr)]
    assert any(getattr(c.value.func, "id", "") == "require_python" for c in calls[-1:])
