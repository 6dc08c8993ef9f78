"""How each setting is written: "a number > 0", "true or false", "one of a, b".

Read from the settings model itself (annotation and constraints), so the
one-line error for a bad value and the README's config reference say the
same thing and cannot drift from the code.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import SecretStr
from pydantic.fields import FieldInfo


def _bounds(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        if isinstance(item, Gt):
            parts.append(f"> {item.gt}")
        elif isinstance(item, Ge):
            parts.append(f">= {item.ge}")
        elif isinstance(item, Lt):
            parts.append(f"< {item.lt}")
        elif isinstance(item, Le):
            parts.append(f"<= {item.le}")
    return f" {' and '.join(parts)}" if parts else ""


def _type_form(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _type_form(get_args(annotation)[0])
    if origin is Literal:
        return "one of " + ", ".join(f'"{a}"' for a in get_args(annotation))
    if origin in (Union, types.UnionType):
        kinds = [a for a in get_args(annotation) if a is not type(None)]
        return " or ".join(_type_form(a) for a in kinds)
    if origin is list:
        return 'a list of names: ["ana", "ben"] (environment: ana,ben)'
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "true or false"
        if issubclass(annotation, int):
            return "a whole number"
        if issubclass(annotation, float):
            return "a number"
        if issubclass(annotation, SecretStr):
            return "a secret string"
        if issubclass(annotation, Path):
            return "a file path"
        if issubclass(annotation, str) and hasattr(annotation, "__members__"):
            return "one of " + ", ".join(f'"{m.value}"' for m in annotation)  # type: ignore[attr-defined]
        if issubclass(annotation, str):
            return "a string"
    return "a value"


def expected_form(field: FieldInfo) -> str:
    """What a valid value looks like, e.g. ``a number > 0`` or ``true or false``."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("form"), str):
        return str(extra["form"])
    return _type_form(field.annotation) + _bounds(field)


def env_name(*path: str) -> str:
    """The environment variable of a setting: ``POLARIS_POLL__INTERVAL_SECONDS``."""
    return "POLARIS_" + "__".join(p.upper() for p in path)
