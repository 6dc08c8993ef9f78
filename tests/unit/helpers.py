"""Helpers shared by the unit tests that run against the stand-in (``chargesim``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polaris_tui.services.settings import Settings


def sim_settings_for(sim: Any, tmp_path: Path, **sections: Any) -> Settings:
    """Settings pointing at the running stand-in, with a store in ``tmp_path``; ``sections`` add the rest."""
    return Settings(
        steve={
            "url": sim.steve_url,
            "api_user": sim.steve_user,
            "api_password": sim.steve_password,
            "web_user": sim.web_user,
            "web_password": sim.web_password,
        },
        lago={"url": sim.lago_url, "api_key": sim.lago_key},
        store={"path": tmp_path / "polaris.sqlite"},
        **sections,
    )


def confirmed(operations: Any, charge_box_id: str, operation: str, params: Any) -> str:
    """The confirmation token the UI gets from ``prepare`` and passes to ``submit``,
    made without reading SteVe (for tests about what happens after the dialog)."""
    from polaris_tui.models.operations import validate_params

    body = validate_params(operation, params, now=operations._clock.now())
    return operations._signer.token(charge_box_id, operation, body)
