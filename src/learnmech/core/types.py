"""Constrained value types shared by experiment configs (pydantic ``Annotated`` types)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

__all__ = ["BatchSize", "Rate", "StepSize"]

#: A probability-like rate in [0, 1) (a decay per step, a corruption fraction).
Rate = Annotated[float, Field(ge=0.0, lt=1.0)]
#: A learning rate η in (0, 100].
StepSize = Annotated[float, Field(gt=0.0, le=100.0)]
#: A mini-batch size in [1, 100000].
BatchSize = Annotated[int, Field(ge=1, le=100000)]
