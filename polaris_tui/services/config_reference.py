"""The README's configuration reference, generated from the settings model.

``python -m polaris_tui.services.config_reference`` prints it;
``... --write README.md`` replaces the block between the two markers below.
A test fails when the README's block differs from what this generates, so a
new setting cannot go undocumented.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from polaris_tui.services.setting_forms import env_name, expected_form
from polaris_tui.services.settings import Settings
from polaris_tui.services.settings_docs import attribute_docs

START = "<!-- config-reference:start (generated: python -m polaris_tui.services.config_reference --write README.md) -->"
END = "<!-- config-reference:end -->"

SPECIAL_DEFAULTS = {
    ("store", "path"): "`polaris.sqlite` in the user state dir",
    ("operator", "name"): "the OS user",
}

STEVE_NEEDS: tuple[tuple[str, str, str], ...] = (
    (
        "fleet, cards, triage (REST API, HTTP Basic)",
        "SteVe 3.8.0+",
        "`steve.api_user`, `steve.api_password`",
    ),
    ("remote operations (`/api/v1/operations/*`)", "SteVe 3.11.0+", "—"),
    (
        "meter values, database-only close (`GET /transactions/{pk}`, `PATCH …/stop`)",
        "SteVe 3.12.0+",
        "—",
    ),
    (
        "live status from `GET /api/v1/chargeBoxes`",
        "a SteVe fork with the chargeBoxes extension (e.g. ExpresSync's, based on 3.12.0)",
        '`steve.status_source = "chargeboxes-api"` or `auto`',
    ),
    (
        "live status on vanilla SteVe",
        "vanilla SteVe: its manager page `/manager/home/connectorStatus`",
        '`steve.status_source = "manager-page"` or `auto`, `steve.web_user`, `steve.web_password`',
    ),
    (
        "scan-to-login (`polaris hook`)",
        "a SteVe fork that calls a pre-authorize hook (`PREAUTH_URL`, `PREAUTH_HMAC_KEY`; ExpresSync's)",
        "`hook.hmac_key` = the fork's `PREAUTH_HMAC_KEY`",
    ),
)
"""What each feature needs from SteVe (contracts/STEVE.md)."""


def _one_line(text: str | None) -> str:
    flat = re.sub(r"\s+", " ", (text or "").strip())
    return flat.replace("``", "`").replace("|", "\\|")


def _default(section: str, key: str, field: FieldInfo) -> str:
    if (section, key) in SPECIAL_DEFAULTS:
        return SPECIAL_DEFAULTS[(section, key)]
    if field.default is PydanticUndefined:
        factory = field.default_factory
        value: Any = factory() if callable(factory) else None  # type: ignore[call-arg]
    else:
        value = field.default
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list):
        return "`[]`" if not value else f"`{value!r}`"
    return f"`{value}`"


def _rows(section: str, model: type[BaseModel]) -> list[str]:
    rows = []
    docs = attribute_docs(model)
    for key, field in model.model_fields.items():
        rows.append(
            f"| `{key}` | {_default(section, key, field)} | {_one_line(expected_form(field))} "
            f"| `{env_name(section, key)}` | {_one_line(docs.get(key))} |"
        )
    return rows


def reference_markdown() -> str:
    """The whole generated block (without the markers)."""
    out = [
        "Every key, generated from the settings model. In the file: `[section]` then",
        "`key = value`; in the environment: the variable shown. Secrets (`api_password`,",
        "`web_password`, `api_key`, `hmac_key`) come only from the file or the environment.",
        "",
    ]
    top_docs = attribute_docs(Settings)
    for section, field in Settings.model_fields.items():
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            out += [
                f"**`[{section}]`** — {_one_line(model.__doc__)}",
                "",
                "| key | default | form | environment | what |",
                "|---|---|---|---|---|",
                *_rows(section, model),
                "",
            ]
        else:
            out += [
                f"**`{section}`** (top level) — {_one_line(top_docs.get(section))} "
                f"Default {_default('', section, field)}; {_one_line(expected_form(field))}; "
                f"`{env_name(section)}`.",
                "",
            ]
    out += [
        "**Which SteVe each feature needs** (facts in `shared/contracts/STEVE.md`):",
        "",
        "| feature | SteVe version or fork | settings |",
        "|---|---|---|",
        *(f"| {feature} | {needs} | {keys} |" for feature, needs, keys in STEVE_NEEDS),
    ]
    return "\n".join(out)


def replace_block(text: str, block: str) -> str:
    """``text`` with the block between the markers replaced (ValueError if absent)."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError("the config-reference markers are missing")
    return text[: start + len(START)] + "\n\n" + block + "\n\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m polaris_tui.services.config_reference",
        description="Print the configuration reference, or write it into a README.",
    )
    parser.add_argument("--write", metavar="README", type=Path, help="update this file in place")
    args = parser.parse_args(argv)
    block = reference_markdown()
    if args.write is None:
        sys.stdout.write(block + "\n")
        return 0
    text = args.write.read_text(encoding="utf-8")
    args.write.write_text(replace_block(text, block), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
