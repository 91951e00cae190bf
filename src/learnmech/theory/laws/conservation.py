"""Conservation laws of gradient flow from rescaling symmetries, and their decay under L2.

Sources: S. Du, W. Hu, J. Lee, "Algorithmic regularization in learning deep homogeneous models"
(NeurIPS 2018); D. Kunin et al., "Neural mechanics" (ICLR 2021). numpy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["conserved_decay"]


def conserved_decay(t, weight_decay):
    """Factor by which a symmetry's conserved quantity shrinks under L2 weight decay.

    Gradient flow on L + (λ/2)‖θ‖² (torch's coupled ``weight_decay=λ``) turns the conservation
    law d/dt (‖θ_in‖² − ‖θ_out‖²) = 0 of a rescaling symmetry into d/dt Q = −2λ Q, so
    Q(t) = Q(0) e^{−2λt}.
    """
    return np.exp(-2.0 * np.asarray(weight_decay, float) * np.asarray(t, float))
