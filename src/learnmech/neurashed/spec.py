"""Parameters of the neurashed world and of its training, with defaults and accepted ranges.

This is the single place where the model's defaults live (see ``docs/neurashed.md`` for why each
default is what it is). Symbols follow the specification (``shared/design/neurashed.md``):
K classes, S superclasses, L levels, m_l semantic features per owner, P nuisance features per
level, ρ, δ, ν, ε, n examples per class; η step size, γ compression rate, b batch size.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from learnmech.core.spec import Section

PerLevelInt = int | tuple[int, ...]
PerLevelFloat = float | tuple[float, ...]


def per_level(value: Any, levels: int) -> tuple:
    """Expand a scalar to ``levels`` copies; a tuple is returned as it is (length checked later)."""
    if isinstance(value, tuple | list):
        return tuple(value)
    return (value,) * levels


def check_shrink_positive(key: str, values, partner_key: str, partner: float) -> None:
    """Raise unless value · partner < 1 for every value: the shrink 1 − ηγ must stay positive.

    ``key``/``values`` name what is checked (η or γ, one value or a sweep), ``partner_key`` /
    ``partner`` the other factor. The message has the house shape ``key: must be ...; got ...``.
    """
    values = tuple(values) if isinstance(values, tuple | list) else (values,)
    if partner > 0 and max(values) * partner >= 1.0:
        shown = list(values) if len(values) > 1 else values[0]
        raise ValueError(
            f"{key}: must be < 1/{partner_key} = {1 / partner:g} (the shrink 1 − ηγ must stay "
            f"positive); got {shown}"
        )


class WorldSpec(Section):
    """The task generator: taxonomy, feature levels, nuisance pools and example statistics."""

    classes: int = Field(6, ge=2, le=1000, description="K, number of classes (leaves)")
    superclasses: int = Field(
        2, ge=1, le=1000, description="S, superclasses; class k sits in superclass k mod S"
    )
    taxonomy: dict[str, Any] | None = Field(
        None,
        description="optional nested mapping {node: {child: {...}, leaf: null}}; its leaves are "
        "the classes (overrides classes/superclasses)",
    )
    levels: int = Field(3, ge=2, le=12, description="L, number of feature levels")
    features_per_owner: PerLevelInt = Field(
        (8, 6, 4), description="m_l, semantic features per owner at each level (int or L ints)"
    )
    pool: PerLevelInt = Field(
        2000, description="P_l, nuisance features per level (int or L ints, each in [0, 10^7])"
    )
    children: int = Field(3, ge=0, le=100, description="c, composition children per feature")
    rho: PerLevelFloat = Field(
        0.8, description="ρ, chance an owned (own/ancestor) feature is present (or one per level)"
    )
    delta: float = Field(0.05, ge=0.0, le=1.0, description="δ, chance of another class's feature")
    nu: int = Field(8, ge=0, le=100000, description="ν, nuisance features per level per example")
    examples_per_class: int = Field(20, ge=1, le=100000, description="n, training examples/class")
    test_per_class: int = Field(50, ge=1, le=100000, description="test examples per class")
    label_noise: float = Field(
        0.0, ge=0.0, lt=1.0, description="ε, chance a training label is replaced by another class"
    )
    closure: bool = Field(False, description="downward closure: a present feature adds children")
    data: str | None = Field(
        None,
        description="path to an .npz of the user's own data — features (n, F) 0/1, levels (F,), "
        "labels (n,), optional test_features, test_labels, edges (E, 2), kinds (F,); replaces "
        "the generator (keys above are then unused)",
    )

    @model_validator(mode="after")
    def _check_data_file(self) -> WorldSpec:
        if self.data is not None:
            from pathlib import Path

            if not self.data.endswith(".npz") or not Path(self.data).is_file():
                raise ValueError(f"data: must be an existing .npz file; got {self.data!r}")
        return self

    @model_validator(mode="after")
    def _check_taxonomy(self) -> WorldSpec:
        if self.taxonomy is not None:
            from learnmech.neurashed.taxonomy import taxonomy_from_mapping

            classes = taxonomy_from_mapping(self.taxonomy).n_classes  # refuses a malformed tree
            if classes > 1000:
                raise ValueError(f"taxonomy: must have at most 1000 leaves (classes); got "
                                 f"{classes}")
        return self

    @model_validator(mode="after")
    def _check_per_level(self) -> WorldSpec:
        checks = (
            ("features_per_owner", self.features_per_owner, 1, 10000),
            ("pool", self.pool, 0, 10_000_000),
            ("rho", self.rho, 0.0, 1.0),
        )
        for key, value, low, high in checks:
            values = per_level(value, self.levels)
            if len(values) != self.levels:
                raise ValueError(
                    f"{key}: must be one value or {self.levels} values (one per level); "
                    f"got {len(values)}"
                )
            for v in values:
                if not low <= v <= high:
                    raise ValueError(f"{key}: must be in [{low}, {high}] (every value); got {v}")
        return self


class TrainSpec(Section):
    """The update rule and its schedule (the rules themselves are stated in ``dynamics``)."""

    rule: Literal["multiplicative", "additive", "fixed"] = Field(
        "multiplicative", description="update rule"
    )
    readout: Literal["sum", "flow"] = Field("sum", description="how volumes reach class scores")
    steps: int = Field(20000, ge=0, le=10**10, description="number of mini-batch steps")
    eta: float = Field(0.5, ge=0.0, le=100.0, description="η, step size")
    gamma: float = Field(5e-3, ge=0.0, le=1.0, description="γ, compression rate (shrink 1 − ηγ)")
    batch: int = Field(1, ge=1, le=100000, description="b, examples per mini-batch")
    lambda0: float = Field(0.05, gt=0.0, le=1e6, description="λ0, initial amplitude")
    beta: float = Field(1.0, gt=0.0, le=1e6, description="β, readout inverse temperature")
    omega: PerLevelFloat = Field(
        1.0, description="ω_l, readout weight of each level (flow readout: only the top's enters)"
    )
    fixed_gain: float = Field(
        0.05, gt=0.0, le=100.0, description="κ: the fixed rule grows used features by exp(ηκ)"
    )
    records: int = Field(40, ge=2, le=10000, description="log-spaced recording points")

    @model_validator(mode="after")
    def _check_rule(self) -> TrainSpec:
        check_shrink_positive("gamma", self.gamma, "eta", self.eta)
        omega = self.omega if isinstance(self.omega, tuple) else (self.omega,)
        for v in omega:
            if not 0.0 <= v <= 1e6:
                raise ValueError(f"omega: must be in [0, 1e6] (every value); got {v}")
        if not omega:
            raise ValueError("omega: must be one value or one value per level; got []")
        if self.readout == "flow" and omega[-1] == 0:
            raise ValueError(
                "omega: must be positive at the top level, the only weight the flow readout "
                f"reads (with it 0 every class score is 0 and nothing is learned); got "
                f"{omega[-1]} at the top"
            )
        if max(omega) == 0:
            shown = list(omega) if len(omega) > 1 else omega[0]
            raise ValueError(
                "omega: must be positive at one level at least (with every ω_l = 0 every class "
                f"score is 0 and nothing is learned); got {shown}"
            )
        return self
