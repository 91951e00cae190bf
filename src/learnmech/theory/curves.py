"""Learning-curve predictions for kernel regression and wide networks on the sphere.

All methods share one spectral description of the problem: per degree l, the eigenvalue λ_l,
its multiplicity N(d, l) and the target power v_l² (spread evenly over the degree's N(d, l)
modes). With n training points and ridge δ (regulariser added to the Gram matrix K):

* ``eigenlearning`` (Simon et al. 2023; Canatar, Bordelon & Pehlevan 2021): κ solves
  Σ_i λ_i/(λ_i+κ) + δ/κ = n; L_i = λ_i/(λ_i+κ); E0 = n/(n − Σ_i L_i²);
  MSE = E0 (Σ_i (1−L_i)² v_i² + ε²) − ε² against the clean target (ε² = label-noise variance).
* ``ek`` (Cohen, Malka & Ringel 2021, leading order): mode error (κ0/(λ_i+κ0))², κ0 = δ/n.
* ``ek+1/n``: mode error (κ0/(λ_i+κ0) + (C/n) λ_i/(λ_i+κ0)²)², C = Σ_i λ_i κ0/(λ_i+κ0).
* ``renormalized`` (the noiseless case): the kernel cut at Taylor order r; the dropped mass
  σ_r² = k(1) − Σ_{q≤r} b_q acts as ridge and the cut kernel's λ_l vanish for l > r; then
  ``ek+1/n`` on that spectrum. Passing ``r`` to another method runs it on the same cut kernel.

The kernel mass above the highest degree kept (k(1) − Σ_{l≤lmax} N λ_l) enters as extra ridge,
in every method. Sums over i run over modes (degree l counted N(d, l) times).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from learnmech.theory._validate import (
    check_array,
    check_callable,
    check_choice,
    check_degree_powers,
    check_float,
    check_int,
    fail,
)
from learnmech.theory.spectra import harmonic_multiplicity, sphere_eigenvalues, taylor_coefficients

METHODS = ("eigenlearning", "ek", "ek+1/n", "renormalized")
_SPECTRAL_METHODS = ("eigenlearning", "ek", "ek+1/n")
_BISECTIONS = 24
_NEWTON_STEPS = 6
_LOG_KAPPA_MIN = -60.0


def learning_curve(
    *,
    kernel: Callable[[np.ndarray], np.ndarray],
    d: int,
    target_power: Mapping[int, float],
    n,
    noise: float = 0.0,
    ridge: float = 0.0,
    method: str = "eigenlearning",
    lmax: int | None = None,
    r: int | None = None,
) -> np.ndarray:
    """Predicted test MSE against the clean target for each training-set size.

    Parameters
    ----------
    kernel : callable t -> k(t), a dot-product kernel on S^{d−1} (e.g. ``dot_product_kernel``)
    d : input dimension
    target_power : degree -> power v_l² of the target in that degree
    n : array of shape (n_points,), training-set sizes (> 0)
    noise : ε², variance of the label noise on the training targets; it enters the
        ``eigenlearning`` formula only — the EK methods (Cohen et al.) see a GP's noise through
        δ, so pass it as ``ridge`` there
    ridge : δ, the regulariser of kernel ridge regression (K + δ I)
    method : one of ``METHODS`` (module docstring)
    lmax : highest degree kept (default: max(target degree, 12)); the rest enters as ridge, and
        so do degrees the quadrature cannot resolve (:func:`resolved_eigenvalues`)
    r : Taylor order of the renormalised kernel: ``renormalized`` uses r = 3 by default; any
        other method given ``r`` also runs on the kernel cut at order r (its dropped mass as
        ridge), e.g. the leading-order ``ek`` of Cohen et al. in the noiseless case

    Returns
    -------
    ndarray of shape (n_points,)

    Raises
    ------
    InputError
        For an argument out of its range (named in the message), or a kernel that is not
        positive semi-definite on the sphere (a negative resolved eigenvalue).
    """
    kernel = check_callable("kernel", kernel, "k(t) of t = x·x' in [-1, 1]")
    d = check_int("d", d, 2)
    items = check_degree_powers("target_power", target_power, allow_empty=True)
    n = _check_sizes(n)
    noise = check_float("noise", noise, minimum=0.0)
    ridge = check_float("ridge", ridge, minimum=0.0)
    method = check_choice("method", method, METHODS)
    top = max((degree for degree, _ in items), default=0)
    lmax = max(top, 12) if lmax is None else check_int("lmax", lmax, 0)
    if lmax < top:
        raise fail("lmax", f"an integer >= the highest target degree {top}", lmax)
    if method == "renormalized" or r is not None:
        kernel, extra = _cut_kernel(kernel, 3 if r is None else check_int("r", r, 0))
    else:
        extra = 0.0
    mult = np.asarray(harmonic_multiplicity(d, np.arange(lmax + 1)), dtype=float)
    k1 = float(np.real(kernel(np.array(1.0))))
    lam = resolved_eigenvalues(sphere_eigenvalues(kernel, d=d, lmax=lmax), mult, k1)
    if np.any(lam < 0):
        degree = int(np.argmax(lam < 0))
        raise fail("kernel", "positive semi-definite on the sphere (eigenvalues >= 0)",
                   got=f"eigenvalue {lam[degree]:.3g} at degree {degree}")
    tail = max(k1 - float(np.sum(mult * lam)), 0.0)
    power = np.zeros(lmax + 1)
    for degree, value in items:
        power[degree] = value
    return _curve(lam, mult, power, n, ridge=ridge + tail + extra, noise=noise,
                  method="ek+1/n" if method == "renormalized" else method)


def curve_from_spectrum(
    eigenvalues, target_power, n, *, multiplicity=None, ridge: float = 0.0, noise: float = 0.0,
    method: str = "eigenlearning",
) -> np.ndarray:
    """Predicted test MSE from a spectral description: the one solver behind every method.

    Parameters
    ----------
    eigenvalues : (m,) λ_i >= 0 of the kernel's integral operator on the data distribution
    target_power : (m,) target power in each group: Σ over the group's modes of v_i²
    n : (n_points,) training-set sizes
    multiplicity : (m,) modes per group (default: 1 each, e.g. an empirical spectrum)
    ridge : δ >= 0, including any tail mass treated as ridge
    noise : ε² >= 0 (``eigenlearning`` only, see :func:`learning_curve`)
    method : ``eigenlearning``, ``ek`` or ``ek+1/n``
    """
    lam = _check_groups("eigenvalues", eigenvalues)
    power = _check_groups("target_power", target_power, len(lam))
    mult = (np.ones_like(lam) if multiplicity is None
            else _check_groups("multiplicity", multiplicity, len(lam)))
    n = _check_sizes(n)
    ridge = check_float("ridge", ridge, minimum=0.0)
    noise = check_float("noise", noise, minimum=0.0)
    method = check_choice("method", method, _SPECTRAL_METHODS)
    return _curve(lam, mult, power, n, ridge=ridge, noise=noise, method=method)


def _curve(lam, mult, power, n, *, ridge: float, noise: float, method: str) -> np.ndarray:
    """:func:`curve_from_spectrum` on checked arrays (m,), (m,), (m,), (n_points,)."""
    if method == "eigenlearning":
        return _eigenlearning(lam, mult, power, n, ridge, noise)
    return _equivalent_kernel(lam, mult, power, n, ridge, corrected=method != "ek")


def _check_groups(name: str, values, m: int | None = None, like: str = "eigenvalues"):
    """A finite (m,) array of entries >= 0 (eigenvalues, powers or multiplicities); ``m`` is
    the length of the argument ``like``."""
    arr = check_array(name, values, ndim=(1,), minimum=0.0, shape_text="(m,)")
    if m is not None and arr.shape != (m,):
        raise fail(name, f"of shape (m,) = ({m},) like {like}", got=f"shape {arr.shape}")
    return arr


def _check_sizes(n) -> np.ndarray:
    """Training-set sizes as a float array of shape (n_points,), each finite and > 0."""
    return np.atleast_1d(check_array("n", n, ndim=(0, 1), minimum=0.0, exclusive=True,
                                     shape_text="(n_points,)"))


def resolved_eigenvalues(lam: np.ndarray, mult: np.ndarray, k1: float) -> np.ndarray:
    """λ_l with the degrees the quadrature cannot resolve set to 0 (their mass joins the tail).

    The quadrature error of N(d,l)·λ_l is about ε·√N(d,l)·k(1) (ε the float64 epsilon); a
    degree whose N·|λ| is below 10³ times that is dropped — rounding noise at high degrees
    (at d = 50 from l ≈ 19 on for a ReLU NTK), or an exact zero (e.g. odd degrees of an even
    kernel). A kernel whose values are accurate to a relative δ (the tabulated activations'
    stated bound, :data:`~learnmech.theory.kernels.table.TABLE_ERROR` = 1e-7) has eigenvalue
    errors of at most N·|Δλ_l| ≤ δ·√N(d,l)·k(1) (Cauchy–Schwarz on the projection onto degree
    l); a negative λ_l within that bound is such an error of a positive semi-definite kernel
    and is set to 0 too. A larger negative λ_l is kept, for the caller to refuse the kernel.
    ``lam`` and ``mult`` have shape (m,); ``k1`` = k(1).
    """
    from learnmech.theory.kernels.table import TABLE_ERROR

    lam = check_array("lam", lam, ndim=(1,), shape_text="(m,)")
    mult = _check_groups("mult", mult, len(lam), like="lam")
    k1 = check_float("k1", k1)
    root = np.sqrt(mult) * abs(k1)
    rounding = mult * np.abs(lam) < 1e3 * np.finfo(float).eps * root
    kernel_error = (lam < 0) & (mult * np.abs(lam) <= TABLE_ERROR * root)
    return np.where(rounding | kernel_error, 0.0, lam)


def solve_kappa(lam, mult, n, delta) -> np.ndarray:
    """κ of shape (n_points,) solving f(κ) = Σ_l N_l λ_l/(λ_l+κ) + δ/κ − n = 0.

    f falls from +∞ to −n as κ grows, so there is one root when δ > 0, or when n is below the
    number of modes with λ_l > 0; otherwise κ = 0 (interpolation past the number of modes).
    A coarse bisection in log κ brackets the root; Newton steps (kept inside the bracket)
    finish it. ``lam`` and ``mult`` have shape (m,), entries >= 0; ``n`` > 0; ``delta`` >= 0.
    """
    lam = _check_groups("lam", lam)
    mult = _check_groups("mult", mult, len(lam), like="lam")
    return _solve_kappa(lam, mult, _check_sizes(n), check_float("delta", delta, minimum=0.0))


def _solve_kappa(lam, mult, n, delta) -> np.ndarray:
    """:func:`solve_kappa` on checked arguments."""
    lo = np.full(n.shape, _LOG_KAPPA_MIN)
    hi = np.full(n.shape, np.log(max(float(np.sum(mult * lam)) + delta, 1e-300)) + 60.0)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        below = _excess(np.exp(mid), lam, mult, n, delta)[0] > 0  # the root lies above mid
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    kappa = np.exp(0.5 * (lo + hi))
    for _ in range(_NEWTON_STEPS):
        value, slope = _excess(kappa, lam, mult, n, delta)
        step = kappa - value / slope
        kappa = np.where((step > np.exp(lo)) & (step < np.exp(hi)), step, kappa)
    return np.where(hi <= _LOG_KAPPA_MIN + 1.0, 0.0, kappa)


def _excess(kappa, lam, mult, n, delta):
    """(f(κ), f'(κ)) of :func:`solve_kappa`, each of shape (n_points,)."""
    ratio = mult * lam / (lam + kappa[:, None])  # (n_points, lmax+1)
    value = ratio.sum(axis=1) + delta / kappa - n
    slope = -(ratio / (lam + kappa[:, None])).sum(axis=1) - delta / kappa**2
    return value, slope


def kare(K: np.ndarray, y: np.ndarray, ridge: float) -> float:
    """Kernel alignment risk estimator (Jacot et al. 2020) from training data only.

    [yᵀ(K/n + λI)⁻² y / n] / [Tr (K/n + λI)⁻¹ / n]², K of shape (n, n), y of shape (n,) or
    (n, c) (several outputs: the squared errors are summed over them), λ > 0. Kernel ridge
    regression with regulariser δ on K + δI has λ = δ/n.
    """
    y = check_array("y", y, ndim=(1, 2), shape_text="(n,) or (n, c) with n >= 1")
    n = len(y)
    if n < 1:
        raise fail("y", "of shape (n,) or (n, c) with n >= 1", got=f"shape {y.shape}")
    K = check_array("K", K, ndim=(2,), shape_text="(n, n)")
    if K.shape != (n, n):
        raise fail("K", f"of shape (n, n) = ({n}, {n}) for n = len(y)", got=f"shape {K.shape}")
    ridge = check_float("ridge", ridge, minimum=0.0, exclusive=True)
    eigval, eigvec = np.linalg.eigh(K / n)
    inverse = 1.0 / (eigval + ridge)
    proj = np.reshape(eigvec.T @ y, (n, -1))
    return float((proj**2 * inverse[:, None] ** 2).sum() / n / (inverse.sum() / n) ** 2)


def _eigenlearning(lam, mult, power, n, delta, noise) -> np.ndarray:
    kappa = _solve_kappa(lam, mult, n, delta)
    learn = lam / (lam + kappa[:, None])  # L_l, shape (n_points, lmax+1)
    overlap = (mult * learn**2).sum(axis=1)
    e0 = n / np.maximum(n - overlap, 1e-300)
    return e0 * (((1 - learn) ** 2 * power).sum(axis=1) + noise) - noise


def _equivalent_kernel(lam, mult, power, n, delta, *, corrected: bool) -> np.ndarray:
    if delta <= 0:
        raise fail("ridge", "> 0 for the equivalent-kernel methods 'ek' and 'ek+1/n' (ridge plus "
                   "the kernel's tail mass is what they divide by; use method='renormalized' or "
                   "'eigenlearning' for noiseless targets)", delta)
    kappa0 = (delta / n)[:, None]  # (n_points, 1)
    error = kappa0 / (lam + kappa0)
    if corrected:
        c = (mult * lam * kappa0 / (lam + kappa0)).sum(axis=1, keepdims=True)
        error = error + (c / n[:, None]) * lam / (lam + kappa0) ** 2
    return (error**2 * power).sum(axis=1)


def _cut_kernel(kernel, r: int):
    """(the kernel cut at Taylor order r, its dropped mass σ_r² = k(1) − Σ_{q≤r} b_q)."""
    coefficients = np.real(taylor_coefficients(kernel, qmax=max(2 * r + 8, 16)))[: r + 1]

    def cut(t):
        return np.polynomial.polynomial.polyval(np.asarray(t), coefficients)

    dropped = float(np.real(kernel(np.array(1.0)))) - float(coefficients.sum())
    return cut, max(dropped, 0.0)
