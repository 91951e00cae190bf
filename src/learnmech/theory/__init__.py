"""The theory lens: infinite-width kernels of deep networks and their spectra on the sphere.

Conventions (stated once here; every function in this package follows them):

* **Parameterisation**: NTK, z^{l+1} = (σ_w/√N_l) W φ(z^l) + σ_b b with standard-normal W, b;
  the first layer divides x·x' by the input dimension d, so Σ¹ = σ_w² x·x'/d + σ_b².
* **Depth** L = L dense layers = L − 1 nonlinearities; the NNGP is Σ^L, the NTK Θ^L.
* **Sphere spectra** are eigenvalues of the integral operator against the *uniform probability*
  measure on S^{d−1}: k(1) = Σ_l N(d, l) λ_l (the trace identity).
* Arrays are float64 unless a function says otherwise.

Sources: O. Cohen, O. Malka, Z. Ringel, Phys. Rev. Research 3, 023034 (2021); Jacot et al.
(2018); Lee et al. (2018); Canatar, Bordelon & Pehlevan (2021); Simon et al. (2023).
The names below load lazily (PEP 562).
"""

from __future__ import annotations

from learnmech.core.lazy import lazy_exports

_EXPORTS = {
    "kernels": ("fc_kernel", "dot_product_kernel", "ACTIVATIONS"),
    "curves": ("learning_curve", "curve_from_spectrum", "solve_kappa", "kare",
               "resolved_eigenvalues", "METHODS"),
    "spectra": ("harmonic_multiplicity", "normalised_gegenbauer", "sphere_eigenvalues",
                "taylor_coefficients", "uniform_sphere", "zonal_harmonic", "harmonic_target",
                "make_harmonic_target"),
    "regression": ("ridge_coefficients", "kernel_regression_error"),
    # closed-form predictions of the mechanics catalogue
    "dynamics": ("deep_linear_mode", "deep_linear_half_time", "balanced_mode_strength",
                 "plateau_slope", "conserved_decay", "edge_of_stability_threshold",
                 "sgd_stationary_excess", "sgd_stationary_excess_leading", "rescaled_sharpness",
                 "lazy_relative_change", "mode_half_time", "catapult_boundary"),
    "laws": ("min_norm_risk", "optimal_ridge", "signal_propagation", "chi1",
             "relu_log_norm_variance", "relu_log_norm_variance_exact", "hard_margin_direction",
             "simplex_etf_gram"),
    "laws_f": ("ntk_mode_rate", "ntk_mode_residual", "best_lr_scaling", "chinchilla_loss",
               "fit_chinchilla", "power_tail", "ols_tail_loss", "tail_sum_exponent",
               "sgd_linear_scaling", "adam_sqrt_scaling", "arora_gram", "ntk_label_bound",
               "spectral_complexity"),
    "laws_g": ("critical_batch_steps", "fit_critical_batch", "gradient_noise_moments",
               "simple_noise_scale", "optimal_step_improvement", "linear_robust_accuracy",
               "gaussian_robust_accuracy", "robust_sample_size", "gdp_delta", "gdp_mu",
               "gdp_membership_bound", "dp_generalization_bound", "largest_eigengap"),
    "laws_grok": ("fourier_concentration", "fourier_power", "grokking_delay",
                  "weight_decay_time"),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
