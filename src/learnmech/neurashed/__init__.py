"""The neurashed phenomenological model of training (W. J. Su, arXiv:2112.09741).

The rules as learnmech implements them: ``docs/neurashed.md``; the update rules are stated once,
in :mod:`learnmech.neurashed.dynamics`. The names below load lazily (PEP 562), so importing the
package — as every experiment config does for ``WorldSpec``/``TrainSpec`` — costs nothing.
"""

from __future__ import annotations

from learnmech.core.lazy import lazy_exports

_EXPORTS = {
    # the world
    "spec": ("WorldSpec", "TrainSpec"),
    "taxonomy": ("Taxonomy", "default_taxonomy", "taxonomy_from_mapping"),
    "world": ("World", "Examples", "make_world", "world_from_arrays", "load_world"),
    "wiring": ("make_wiring",),
    # training
    "readout": ("Readout", "make_readout"),
    "dynamics": ("Simulation", "start", "simulate", "draw_batches", "record_schedule",
                 "dense_steps"),
    # observables
    "observables": ("Recorder", "series", "fit_metrics", "volume_metrics", "effective_features",
                    "representations"),
    "elasticity": ("Elasticity", "measure_elasticity"),
    "information": ("InformationEstimate", "binned_information", "gaussian_channel_information",
                    "information_plane"),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
