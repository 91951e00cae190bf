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
    "from_data": ("EstimatedSpectrum", "estimate_spectrum", "learning_curve_from_data"),
    # kernel parity: layers composed like a network, predictions at time t, SP NTK
    "layers": ("serial", "infinite_kernel", "input_kernel", "Kernel", "Dense", "Conv",
               "Activation", "Relu", "Erf", "AvgPool", "GlobalAvgPool", "Flatten", "Residual"),
    "predict": ("gradient_descent_mse", "gp_inference", "Prediction"),
    "standard": ("standard_ntk", "standard_mlp"),
    # closed-form predictions of the mechanics catalogue (theory/laws/<topic>.py)
    "laws.deep_linear": ("deep_linear_mode", "deep_linear_half_time", "balanced_mode_strength",
                         "plateau_slope"),
    "laws.conservation": ("conserved_decay",),
    "laws.margins": ("hard_margin_direction",),
    "laws.double_descent": ("min_norm_risk", "optimal_ridge"),
    "laws.signal_propagation": ("signal_propagation", "chi1", "relu_log_norm_variance",
                                "relu_log_norm_variance_exact"),
    "laws.kernel_regime": ("ntk_mode_rate", "ntk_mode_residual", "mode_half_time",
                           "lazy_relative_change"),
    "laws.curvature": ("edge_of_stability_threshold", "catapult_boundary", "rescaled_sharpness",
                       "largest_eigengap"),
    "laws.sgd_noise": ("sgd_stationary_excess", "sgd_stationary_excess_leading",
                       "gradient_noise_moments", "simple_noise_scale",
                       "optimal_step_improvement", "critical_batch_steps", "fit_critical_batch"),
    "laws.hyperparameters": ("best_lr_scaling", "sgd_linear_scaling", "adam_sqrt_scaling"),
    "laws.neural_collapse": ("simplex_etf_gram",),
    "laws.scaling_laws": ("chinchilla_loss", "fit_chinchilla", "power_tail", "ols_tail_loss",
                          "tail_sum_exponent"),
    "laws.generalization_bounds": ("arora_gram", "ntk_label_bound", "spectral_complexity"),
    "laws.robustness": ("linear_robust_accuracy", "gaussian_robust_accuracy",
                        "robust_sample_size"),
    "laws.privacy": ("gdp_delta", "gdp_mu", "gdp_membership_bound", "dp_generalization_bound"),
    "laws.grokking": ("fourier_concentration", "fourier_power", "grokking_delay",
                      "weight_decay_time"),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
