"""The two bases of every Polaris model: SteVe wire (camelCase) and plain."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

_EVERY_FIELD: dict[type[BaseModel], set[str]] = {}


class CompactModel(BaseModel):
    """A model without its own "which fields were set" set.

    Pydantic gives each instance a set of the field names passed in: 728
    bytes for 5-8 names, more than the instance and its values together.
    At 10,000 chargers that is 30,000+ sets (over 20 MiB). Polaris never
    reads it (no ``exclude_unset``), so every instance of a class shares one
    set holding all its fields (adding a field name to it changes nothing)."""

    def model_post_init(self, context: Any, /) -> None:
        cls = type(self)
        shared = _EVERY_FIELD.get(cls)
        if shared is None:
            shared = _EVERY_FIELD.setdefault(cls, set(cls.model_fields))
        object.__setattr__(self, "__pydantic_fields_set__", shared)

    def __copy__(self) -> Self:
        # ``model_copy`` copies the set: keep sharing it (snapshot load copies 30,000).
        copied = super().__copy__()
        object.__setattr__(copied, "__pydantic_fields_set__", self.__pydantic_fields_set__)
        return copied


class SteveModel(CompactModel):
    """Base for SteVe wire models: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=False,
        defer_build=True,
    )


class PlainModel(CompactModel):
    """Base for Lago wire models and Polaris' own records."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", defer_build=True)
