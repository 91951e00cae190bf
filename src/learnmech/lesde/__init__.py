"""The locally elastic SDE (Zhang, Wang & Su, NeurIPS 2021): model, class-mean ODE, estimators.

Conventions are stated once, in :mod:`learnmech.lesde.sde`. numpy only at import; the network
side (:mod:`learnmech.lesde.network`) imports torch inside its functions.
"""

from learnmech.lesde.estimate import (
    ESTIMATORS,
    Imitation,
    agreement,
    class_means_from_log,
    imitation,
    impact_rates,
    integrated_impacts,
    judge_imitation,
    noise_floor,
    reference_index,
    tail_index,
)
from learnmech.lesde.fit import LESDEFit, default_window, fit_logs, jackknife, jackknife_fit
from learnmech.lesde.geomnist import CLASS_NAMES, geoshapes, geoshapes_dataset
from learnmech.lesde.network import (
    LESDE_DATASETS,
    LoggedRun,
    RunSpec,
    lenet,
    load_lesde_data,
    run_many,
    run_one,
    train_logged,
)
from learnmech.lesde.ode import (
    ODE_MODELS,
    discriminative_coordinates,
    le_ode,
    le_ode_step,
    symmetric_loss,
    symmetric_solution,
)
from learnmech.lesde.sde import (
    DRIFTS,
    NOISES,
    SDEPath,
    cross_entropy,
    drift_direction,
    initial_features,
    power_law,
    record_steps,
    schedule,
    simulate,
    softmax,
    u_vectors,
)

__all__ = [
    # the model (sde)
    "DRIFTS", "NOISES", "SDEPath", "cross_entropy", "drift_direction", "initial_features",
    "power_law", "record_steps", "schedule", "simulate", "softmax", "u_vectors",
    # class means (ode)
    "ODE_MODELS", "discriminative_coordinates", "le_ode", "le_ode_step", "symmetric_loss",
    "symmetric_solution",
    # estimation (estimate)
    "ESTIMATORS", "Imitation", "agreement", "class_means_from_log", "imitation",
    "impact_rates", "integrated_impacts", "judge_imitation", "noise_floor",
    "reference_index", "tail_index",
    # the whole fit (fit)
    "LESDEFit", "default_window", "fit_logs", "jackknife", "jackknife_fit",
    # networks and data (network, geomnist; torch inside the functions)
    "CLASS_NAMES", "LESDE_DATASETS", "LoggedRun", "RunSpec", "geoshapes", "geoshapes_dataset",
    "lenet", "load_lesde_data", "run_many", "run_one", "train_logged",
]
