"""A phenomenon's lens runs, judged: the comparison's summary, table, notes and figure.

:func:`comparison` is pure apart from building a matplotlib figure: lens runs in, a
:class:`~learnmech.core.result.Result` out, written by the run contract like any experiment's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from learnmech.core.result import Result
from learnmech.experiments.compare._claims import (
    Judgement,
    LensRun,
    Phenomenon,
    curves,
    judge,
    lens_label,
)

__all__ = ["comparison"]


def comparison(name: str, phenomenon: Phenomenon, runs: Mapping[str, LensRun],
               missing: Iterable[str] = ()) -> Result:
    """Judge every claim of ``phenomenon`` on the lens runs and lay out the comparison.

    Parameters
    ----------
    name : str
        The phenomenon's id (``label-noise``).
    phenomenon : Phenomenon
        Its claims and series.
    runs : Mapping[str, LensRun]
        lens id -> its finished run (the lenses that ran).
    missing : iterable of str
        Experiment ids tried and not registered (``theory.label-noise``).

    Returns
    -------
    Result
        summary: ``<claim>_<lens label>`` (True/False/None), ``<claim>_<lens label>_value``,
        ``<claim>_verdict``, the verdict counts, ``lenses_run``, ``lenses_missing``;
        metrics: one row per (claim, lens, says/value); notes: a paragraph per claim;
        figures: ``lenses_over_training``.
    """
    missing = list(missing)
    judged = {claim.name: judge(claim, runs) for claim in phenomenon.claims}
    verdicts = [j.verdict for j in judged.values()]
    summary: dict[str, Any] = {
        "phenomenon": name,
        "lenses_run": ", ".join(sorted(runs)) or "none",
        "lenses_missing": ", ".join(missing) or "none",
        "claims_agree": verdicts.count("agree"),
        "claims_disagree": verdicts.count("disagree"),
        "claims_undecided": verdicts.count("undecided"),
    }
    rows = []
    for claim_name, judgement in judged.items():
        for lens, reading in judgement.readings.items():
            label = lens_label(lens)
            says = None if reading is None else reading.says
            value = None if reading is None else reading.value
            summary[f"{claim_name}_{label}"] = says
            summary[f"{claim_name}_{label}_value"] = value
            rows.append({"claim": claim_name, "lens": label, "metric": "says", "value": says})
            rows.append({"claim": claim_name, "lens": label, "metric": "value", "value": value})
        summary[f"{claim_name}_verdict"] = judgement.verdict
    read = set(phenomenon.reads())
    unregistered = [m for m in missing if m.partition(".")[0] in read]
    return Result(summary=summary, metrics=rows,
                  figures={"lenses_over_training": _figure(name, phenomenon, runs)},
                  notes=_notes(phenomenon, judged, unregistered))


def _notes(phenomenon: Phenomenon, judged: Mapping[str, Judgement],
           unregistered: list[str]) -> str:
    """One paragraph per claim (its verdict and each lens's answer with its number)."""
    paragraphs = []
    if unregistered:
        paragraphs.append("Lenses not registered (their claims are undecided): "
                          + ", ".join(unregistered) + ".")
    for claim in phenomenon.claims:
        judgement = judged[claim.name]
        parts = [f"Claim '{claim.name}': {claim.text}. Verdict: {judgement.verdict.upper()}."]
        for lens, reading in judgement.readings.items():
            if reading is None:
                parts.append(f"{lens_label(lens)}: lens missing.")
            else:
                word = {True: "yes", False: "no", None: "no answer"}[reading.says]
                parts.append(f"{lens_label(lens)}: {word} — {reading.detail}.")
        paragraphs.append(" ".join(parts))
    return "\n\n".join(paragraphs) + "\n"


def _figure(name: str, phenomenon: Phenomenon, runs: Mapping[str, LensRun]):
    """One panel per lens with series: its curves against the fraction of training (log x)."""
    import numpy as np

    from learnmech.plots import new_figure, place_legend, series_style, style

    panels = list(phenomenon.series)
    with style():
        figure = new_figure((4.2 * len(panels), 3.9))
        axes = np.atleast_1d(figure.subplots(1, len(panels), sharex=True))
        for ax, lens in zip(axes, panels, strict=True):
            drawn = curves(runs[lens], phenomenon.series[lens]) if lens in runs else []
            if not drawn:
                ax.text(0.5, 0.5, "lens not run" if lens not in runs else
                        "no time series recorded", ha="center", va="center",
                        transform=ax.transAxes)
            for i, (label, frac, values) in enumerate(drawn):
                mean = np.nanmean(values, axis=0)
                sty = series_style(i)
                if len(frac) == 1:
                    ax.plot(frac, mean, sty["marker"], color=sty["color"], label=label)
                else:
                    ax.plot(frac, mean, color=sty["color"], ls=sty["linestyle"], label=label)
            ax.set_title(f"{lens}.{name}")
            ax.set_xscale("log")
            ax.set_xlabel("fraction of training (step / last step)")
            ax.set_ylabel("value (see legend)")
            place_legend(figure, ax, where="under")
    return figure
