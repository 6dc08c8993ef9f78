"""The theme picker's choice is written to the config file and used at the next start."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path
from typing import Any

from polaris_tui.app import PolarisApp, make_app
from tests.functional.conftest import SETTLE_TIMEOUT, settle, sim_settings


async def test_theme_choice_is_saved_and_restored(sim: Any, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[poll]\ninterval_seconds = 5\n# keep me\n")
    app: PolarisApp = make_app(sim_settings(sim, tmp_path))
    app.config_path = config
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert tomllib.loads(config.read_text()) == {"poll": {"interval_seconds": 5}}, (
            "starting with the default theme writes nothing"
        )
        app.theme = "nord"  # what the picker (ctrl+p → theme) does
        await asyncio.wait_for(app.workers.wait_for_complete(), SETTLE_TIMEOUT)
    text = config.read_text()
    assert "# keep me" in text
    assert tomllib.loads(text)["ui"] == {"theme": "nord"}

    settings = sim_settings(sim, tmp_path)
    settings.ui.theme = tomllib.loads(text)["ui"]["theme"]
    again: PolarisApp = make_app(settings)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert again.theme == "nord"
