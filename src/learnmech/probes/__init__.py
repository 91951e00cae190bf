"""Probes: measurements on any PyTorch ``nn.Module`` (torch.func), loaded lazily.

Conventions (per-sample scalar, losses, flat parameter order) are stated once in
:mod:`learnmech.probes.gradients`; the Hessian convention in :mod:`learnmech.probes.curvature`.

* gradients  — per-sample gradients and their Gram (structured factorisation or vmap)
* elasticity — local elasticity S_rel / S_ker (He & Su), relation means, clustering checks
* information — information-plane estimators: binning, KDE (pairwise bounds), k-NN
* curvature  — HVPs (one batch or a DataLoader of chunks; one parameter group), Lanczos top
  eigenvalues, Hutchinson trace, SLQ spectral density
* layer_curvature — per-layer Hessian blocks (top eigenvalues, trace)
* logit_jacobian — per-sample logit Jacobians; the multi-class elasticity target
* parameters — parameter groups (module or parameter names) and the flat parameter vector
* checks     — ProbeError, ProbeWarning and the entry checks (BatchNorm in train mode, dtypes)
* collapse   — neural collapse NC1–NC4
* norms      — norms, stable / effective rank, participation ratio, margins
"""

from __future__ import annotations

from learnmech.core.lazy import lazy_exports

_EXPORTS = {
    "gradients": ("per_sample_gradients", "gradient_gram", "per_sample_scalar", "scalar_output",
                  "output_gradients"),
    "elasticity": ("elasticity_matrices", "elasticity_by_loop", "relation_means",
                   "class_impact_matrix", "cluster_accuracy", "kmeans_accuracy", "fitted_rows",
                   "FITTED_RTOL", "FITTED_GTOL"),
    "logit_jacobian": ("per_sample_jacobians", "jacobian_elasticity"),
    "checks": ("ProbeError", "ProbeWarning", "check_model_input"),
    "parameters": ("parameter_group", "layer_groups"),
    "layer_curvature": ("layer_hessians",),
    "information": ("mi_binned", "mi_kde", "mi_knn", "information_plane"),
    "curvature": ("hvp_fn", "lanczos", "LanczosResult", "top_hessian_eigenvalues",
                  "hessian_trace", "hutchinson", "spectral_density", "slq_density",
                  "dense_hessian"),
    "collapse": ("neural_collapse",),
    "norms": ("stable_rank", "effective_rank", "participation_ratio", "weight_norms",
              "margins"),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
