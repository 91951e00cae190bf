"""The base of every validated configuration section (pydantic), shared by all layers.

Constraints are declared as data on the fields (``Field(ge=..., le=...)``, ``Literal``); one
renderer in :mod:`learnmech.core.config` turns a violation into the house message.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A validated, immutable block of configuration: unknown keys, NaN and inf are refused."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, validate_default=True, frozen=True
    )
