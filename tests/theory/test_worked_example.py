"""The worked example of Cohen, Malka & Ringel (Phys. Rev. Research 3, 023034, 2021).

Depth-4 ReLU NTK, σ_w² = σ_b² = 1, d = 50, Taylor cut r = 3. The paper reports
λ0…λ3 ≈ 3.19, 7.27e-4 (printed 7.27e-3, a typo), 5.98e-6, 1.62e-7 and σ_r² ≈ 0.018.
Measured here: those λ are the eigenvalues of the kernel *cut at r = 3* (the renormalised
kernel Σ_{q≤3} b_q t^q) — they agree to every printed digit; the full kernel's λ2 and λ3 are
3.7 % and 8.7 % larger (its higher Taylor terms feed the low degrees of equal parity).
"""

import numpy as np
import pytest

from learnmech.theory import (
    dot_product_kernel,
    harmonic_multiplicity,
    sphere_eigenvalues,
    taylor_coefficients,
)

D, R = 50, 3
PAPER_LAMBDAS = (3.19, 7.27e-4, 5.98e-6, 1.62e-7)


def ntk(t):
    return dot_product_kernel(t, d=D, depth=4, activation="relu", sigma_w2=1.0, sigma_b2=1.0,
                              kind="ntk")


def cut_kernel():
    coefficients = taylor_coefficients(ntk, qmax=30)[: R + 1]
    return coefficients, lambda t: np.polynomial.polynomial.polyval(np.asarray(t), coefficients)


def test_taylor_coefficients_do_not_depend_on_the_cauchy_radius():
    # rounding error in b_q grows like eps / R^q, so compare moderate radii and orders
    np.testing.assert_allclose(taylor_coefficients(ntk, qmax=10, radius=0.5),
                               taylor_coefficients(ntk, qmax=10, radius=0.8), rtol=1e-9)


def test_eigenvalues_of_the_cut_kernel_match_every_printed_digit():
    _, cut = cut_kernel()
    found = sphere_eigenvalues(cut, d=D, lmax=R)
    for lam, printed in zip(found, PAPER_LAMBDAS, strict=True):
        half_unit = 0.5 * 10 ** (np.floor(np.log10(printed)) - 2)  # 3 significant digits
        assert abs(lam - printed) <= half_unit, (lam, printed)


def test_dropped_mass_and_trace_identity():
    coefficients, cut = cut_kernel()
    sigma_r2 = float(ntk(np.array(1.0)) - coefficients.sum())
    assert sigma_r2 == pytest.approx(0.0187, abs=5e-5)  # the paper prints 0.018
    lam = sphere_eigenvalues(cut, d=D, lmax=8)
    assert np.all(np.abs(lam[R + 1 :]) < 1e-12)  # a degree-3 polynomial has no higher modes
    trace = float(np.sum(harmonic_multiplicity(D, np.arange(9)) * lam))
    assert trace == pytest.approx(float(cut(1.0)), rel=1e-8)


def test_full_kernel_agrees_on_the_two_leading_modes():
    full = sphere_eigenvalues(ntk, d=D, lmax=R)
    np.testing.assert_allclose(full[:2], PAPER_LAMBDAS[:2], rtol=5e-3)
    assert full[2] > PAPER_LAMBDAS[2] * 1.03 and full[3] > PAPER_LAMBDAS[3] * 1.05
