"""scaling-laws: the Chinchilla extrapolation check can hold (on data of Chinchilla form) and
fails on this model; the exponent is read from the model's own form, and its negative control
(losses simulated with a steeper spectrum, β = 2.2) must fail it."""

from __future__ import annotations

import numpy as np
from single_thread import one_blas_thread  # noqa: F401 (autouse fixture)

from learnmech.mechanics.entries import scaling_laws as entry
from learnmech.theory.laws.scaling_laws import (
    chinchilla_loss,
    fit_chinchilla,
    fit_tail_form,
    ols_tail_loss,
    tail_sum_exponent,
)

NS, DS = 8 * 2 ** np.arange(4), 256 * 2 ** np.arange(4)
N, D = (a.ravel() for a in np.meshgrid(NS, DS, indexing="ij"))


def test_the_extrapolation_check_holds_on_chinchilla_shaped_data():
    """Positive control: exact Chinchilla losses extrapolate to 4× beyond within 5 %, so the
    entry's failure is the form's, not the fit's."""
    truth = {"E": 0.05, "A": 0.4, "B": 3.0, "a": 0.6, "b": 0.9}
    params = fit_chinchilla(N, D, chinchilla_loss(N, D, **truth))
    far = chinchilla_loss(256, 8192, **params) / chinchilla_loss(256, 8192, **truth) - 1
    assert entry.ENTRY.tolerance.contains(abs(far))


def test_model_form_exponent_and_a_wrong_spectrum():
    """The model's own form fitted to its exact expectation recovers a near β − 1 = 0.6.
    Negative control: losses of a β = 2.2 spectrum judged against β = 1.6 miss by far more
    than 15 %."""
    good = fit_tail_form(N, D, ols_tail_loss(N, D, 1.6, 0.1))["a"]
    assert abs(good / tail_sum_exponent(1.6) - 1) <= 0.15
    rng = np.random.default_rng(0)
    wrong = [entry._ols_loss(rng, int(n), int(d), 2.2, 0.1, 4) for n, d in zip(N, D, strict=True)]
    a = fit_tail_form(N, D, wrong)["a"]
    assert abs(a / tail_sum_exponent(1.6) - 1) > 0.15
