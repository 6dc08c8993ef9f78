"""Look up response schemas in the two OpenAPI files and validate bodies.

The specs are vendored in ``tests/contract/specs/`` (see its README for their
source and date), so no test reads outside the repository.

SteVe serializes an absent value as ``null`` (STEVE.md §2: "nulls are
serialized as null"), while its springdoc-generated spec marks no property
nullable. ``validate_steve`` therefore checks a ``null`` property as an absent
one — which still fails when the property is required — and checks every
other value strictly, formats included (date-time, int32, ...).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS31Validator

SPECS = Path(__file__).resolve().parent / "specs"
STEVE_SPEC = SPECS / "steve-api-docs.json"
LAGO_SPEC = SPECS / "lago-openapi.yml"

STEVE_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
"""SteVe's wire format: ISO-8601 UTC with milliseconds and ``Z``."""


@lru_cache(maxsize=1)
def steve_spec() -> dict[str, Any]:
    return json.loads(STEVE_SPEC.read_text())


@lru_cache(maxsize=1)
def lago_spec() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is 5x faster on 700 KB
    return yaml.load(LAGO_SPEC.read_text(), Loader=loader)  # noqa: S506 - a safe loader


def response_schema(spec: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    """The schema of ``method path`` answering ``status``; KeyError if the spec has none."""
    response = spec["paths"][path][method.lower()]["responses"][str(status)]
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[1]
        response = spec["components"]["responses"][name]
    content = response["content"]
    media = content.get("application/json") or next(iter(content.values()))
    return media["schema"]


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> OAS31Validator:
    root = {**schema, "components": spec["components"]}
    return OAS31Validator(root, format_checker=OAS31Validator.FORMAT_CHECKER)


def drop_nulls(value: Any) -> Any:
    """Remove ``null`` properties from objects, recursively (see module docstring)."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def steve_timestamps(value: Any, path: str = "$") -> list[str]:
    """Every string that looks like a date-time but is not in SteVe's exact format."""
    bad: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            bad += steve_timestamps(v, f"{path}.{k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            bad += steve_timestamps(v, f"{path}[{n}]")
    elif (
        isinstance(value, str)
        and re.match(r"^\d{4}-\d\d-\d\dT", value)
        and not STEVE_TIMESTAMP.match(value)
    ):
        bad.append(f"{path}={value}")
    return bad


def validate_steve(method: str, path: str, status: int, body: Any) -> None:
    """Validate a stand-in SteVe body against ``steve-api-docs.json``.

    ``path`` is the spec's path (``/api/v1/...``). Raises AssertionError.
    """
    schema = response_schema(steve_spec(), method, path, status)
    try:
        _validator(steve_spec(), schema).validate(drop_nulls(body))
    except ValidationError as exc:
        raise AssertionError(
            f"{method} {path} {status}: {exc.message} at {list(exc.absolute_path)}"
        ) from None
    bad = steve_timestamps(body)
    assert not bad, f"{method} {path} {status}: timestamps not in SteVe's format: {bad}"


def validate_lago(method: str, path: str, status: int, body: Any) -> None:
    """Validate a stand-in Lago body against ``lago-openapi.yml`` (strict: nulls must be allowed)."""
    schema = response_schema(lago_spec(), method, path, status)
    try:
        _validator(lago_spec(), schema).validate(body)
    except ValidationError as exc:
        raise AssertionError(
            f"{method} {path} {status}: {exc.message} at {list(exc.absolute_path)}"
        ) from None


def validate_schema(spec: dict[str, Any], schema_name: str, body: Any) -> None:
    """Validate against a named component schema (e.g. an envelope of the tasks extension)."""
    try:
        _validator(spec, {"$ref": f"#/components/schemas/{schema_name}"}).validate(drop_nulls(body))
    except ValidationError as exc:
        raise AssertionError(f"{schema_name}: {exc.message} at {list(exc.absolute_path)}") from None
