"""The LE-SDE side of ``learnmech compare local-elasticity``: one page of three numbers.

``compare`` (``learnmech.runs.compare``) sets a phenomenon's ``neurashed`` and ``network`` lenses
side by side; its per-phenomenon layout (claims and series next to the experiments) is not on
main yet, so this module holds the LE-SDE side as a function of run summaries, to be joined when
it is:

* **neurashed's class impact** (``neurashed.local-elasticity``): the intra-class impact α_model =
  the final same-class relative similarity, the inter-class β_model = the mean of the final
  same-superclass and other-superclass similarities (unweighted: the summary does not carry
  the pair counts);
* **the network's (α̂, β̂)** (``lesde.imitation``): the mean fitted impacts per step, Â − B̂ at
  the end and the tail index r̂ of Â − B̂;
* **the SDE's prediction** for each: with constant impacts the features separate iff α > β
  (A − B = (α − β)t); from the network's fitted impacts, iff Â − B̂ > 0 and grows without bound
  (r̂ <= 1) — set against what the network did (its classes separated: s̄ grew by >= 10 % after
  t0, ``separation_growth`` >= log 1.1).

Verdicts: **agree** / **disagree** / **undecided** (a number missing), as ``compare`` writes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["local_elasticity_figure", "local_elasticity_side"]

#: log growth of s̄ after t0 that counts as "the classes separated" (10 %, as the imitation)
SEPARATED = math.log(1.1)


def _num(summary: Mapping[str, Any] | None, key: str) -> float | None:
    if summary is None:
        return None
    value = summary.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _verdict(a: bool | None, b: bool | None) -> str:
    if a is None or b is None:
        return "undecided"
    return "agree" if a == b else "disagree"


def local_elasticity_side(neurashed: Mapping[str, Any] | None,
                          imitation: Mapping[str, Any] | None) -> dict[str, Any]:
    """The LE-SDE readings of one ``compare local-elasticity`` page (module docstring).

    Parameters
    ----------
    neurashed : mapping or None
        ``summary.json`` of ``neurashed.local-elasticity`` (None: lens missing).
    imitation : mapping or None
        ``summary.json`` of ``lesde.imitation``.

    Returns
    -------
    dict
        Flat, JSON-ready: ``model_alpha``, ``model_beta``, ``model_locally_elastic``,
        ``sde_predicts_separation_model``; ``network_alpha_hat``, ``network_beta_hat``,
        ``network_difference_end``, ``network_tail_difference``, ``network_locally_elastic``,
        ``sde_predicts_separation_network``, ``network_separated``; and the verdicts
        ``lenses_locally_elastic_verdict`` (neurashed and the network both α > β?) and
        ``sde_network_separation_verdict`` (the SDE's prediction from the network's impacts
        against the network).
    """
    alpha_m = _num(neurashed, "same_class_similarity_final")
    others = [_num(neurashed, k) for k in ("same_superclass_similarity_final",
                                            "other_superclass_similarity_final")]
    others = [v for v in others if v is not None]
    beta_m = sum(others) / len(others) if others else None
    model_le = None if alpha_m is None or beta_m is None else alpha_m > beta_m

    a_hat, b_hat = _num(imitation, "alpha_hat_mean"), _num(imitation, "beta_hat_mean")
    diff = None
    if _num(imitation, "A_end") is not None and _num(imitation, "B_end") is not None:
        diff = _num(imitation, "A_end") - _num(imitation, "B_end")
    tail = _num(imitation, "tail_difference")
    net_le = None if a_hat is None or b_hat is None else a_hat > b_hat
    if diff is None:
        predicted = None
    elif diff <= 0:
        predicted = False
    else:
        predicted = None if tail is None else tail <= 1.0
    growth = _num(imitation, "separation_growth")
    separated = None if growth is None else growth >= SEPARATED
    return {
        "model_alpha": alpha_m, "model_beta": beta_m, "model_locally_elastic": model_le,
        "sde_predicts_separation_model": model_le,
        "network_alpha_hat": a_hat, "network_beta_hat": b_hat,
        "network_difference_end": diff, "network_tail_difference": tail,
        "network_locally_elastic": net_le,
        "sde_predicts_separation_network": predicted, "network_separated": separated,
        "lenses_locally_elastic_verdict": _verdict(model_le, net_le),
        "sde_network_separation_verdict": _verdict(predicted, separated),
    }


def local_elasticity_figure(side: Mapping[str, Any]):
    """Two panels: neurashed's (α, β) and the network's (α̂, β̂), with the SDE's reading.

    Returns a matplotlib Figure (bars; a missing number is left out with a note).
    """
    from learnmech.plots import PALETTE, new_figure, style

    with style():
        fig = new_figure((8.4, 3.4))
        axes = fig.subplots(1, 2)
        for ax, (a_key, b_key, unit, title, pred) in zip(axes, (
                ("model_alpha", "model_beta", "relative similarity",
                 "neurashed: class impact", "sde_predicts_separation_model"),
                ("network_alpha_hat", "network_beta_hat", "impact per SGD step",
                 "network: fitted LE-SDE impacts", "sde_predicts_separation_network")),
                strict=True):
            a, b = side.get(a_key), side.get(b_key)
            if a is None or b is None:
                ax.text(0.5, 0.5, "lens missing", transform=ax.transAxes, ha="center")
            else:
                ax.bar(["intra-class α", "inter-class β"], [a, b],
                       color=[PALETTE[0], PALETTE[1]])
                ax.axhline(0, color="0.6", lw=0.8)
            verdict = {True: "separates", False: "does not separate", None: "undecided"}[
                side.get(pred)]
            ax.set_title(f"{title}\nLE-SDE prediction: {verdict}")
            ax.set_ylabel(unit)
        return fig


def _main(argv: list[str]) -> None:
    """``python -m learnmech.experiments.lesde._compare NEURASHED_RUN IMITATION_RUN``."""
    import json
    from pathlib import Path

    if len(argv) != 2:
        raise SystemExit("usage: python -m learnmech.experiments.lesde._compare "
                         "NEURASHED_LOCAL_ELASTICITY_RUN_DIR LESDE_IMITATION_RUN_DIR")
    summaries = [json.loads((Path(d) / "summary.json").read_text()) for d in argv]
    for key, value in local_elasticity_side(*summaries).items():
        print(f"{key:34s} {value}")


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])
