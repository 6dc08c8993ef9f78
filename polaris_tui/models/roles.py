"""An operator's role. Apart from the records (pydantic) so that building the
``polaris`` argument parser, which lists the roles, stays cheap."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    VIEWER = "viewer"
