"""Closed-form predictions the mechanics catalogue holds measurements against, one topic a module.

Conventions (each function restates the ones it needs):

* **Time** t is gradient-flow time: after k steps of gradient descent with step size η,
  t = η k. Formulas for gradient *descent* (not flow) say so, and count steps.
* **Losses** are means over examples with the ½: L = (1/n) Σ_i ½‖f(x_i) − y_i‖² (squared loss),
  L = (1/n) Σ_i log(1 + e^{−y_i wᵀx_i}) (logistic loss) — the network lens's convention
  (:mod:`learnmech.nets.training`). Sharpness is the top Hessian eigenvalue of that same loss.
* **Networks** follow the conventions of :mod:`learnmech.theory` (NTK parameterisation, depth
  = dense layers).

Topics: :mod:`~.deep_linear` (modes and plateaus), :mod:`~.conservation` (symmetries),
:mod:`~.margins` (max-margin bias), :mod:`~.double_descent`, :mod:`~.signal_propagation`
(random nets at init, finite-width spread), :mod:`~.kernel_regime` (NTK mode rates, lazy
movement), :mod:`~.curvature` (2/η, catapult, reparametrised sharpness, Hessian outliers),
:mod:`~.sgd_noise` (stationary state, noise scale, critical batch), :mod:`~.hyperparameters`
(μP, batch-scaling rules), :mod:`~.neural_collapse`, :mod:`~.scaling_laws`,
:mod:`~.generalization_bounds`, :mod:`~.robustness`, :mod:`~.privacy`, :mod:`~.grokking`.
Every function is also exported by :mod:`learnmech.theory`. numpy/scipy only; no torch.
"""
