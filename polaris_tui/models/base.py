"""The two bases of every Polaris model: SteVe wire (camelCase) and plain."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class SteveModel(BaseModel):
    """Base for SteVe wire models: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=False
    )


class PlainModel(BaseModel):
    """Base for Lago wire models and Polaris' own records."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")
