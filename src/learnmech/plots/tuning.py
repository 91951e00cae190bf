"""A hyperparameter search: the objective per trial with the best so far, and against each
searched parameter (the figures of a tune directory)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from learnmech.plots._checks import FigureInputError, as_array, one_of, same_shape
from learnmech.plots.quantities import words
from learnmech.plots.theme import PALETTE, SINGLE, new_figure, panel_grid, place_legend, style

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["optimization_history", "trial_scatter"]


def optimization_history(
    numbers: Any, values: Any, *, direction: str, metric: str, title: str = ""
) -> Figure:
    """A tune's trials: each trial's value and the best so far, against the trial number.

    Parameters
    ----------
    numbers : array, shape (n_trials,)
        Trial numbers (completed trials only).
    values : array, shape (n_trials,)
        The objective of each trial.
    direction : {"minimize", "maximize"}
        Which way "best so far" runs.
    metric : str
        The objective's name: a summary key (written in words, :func:`~.quantities.words`, as
        the y label) or a label.
    title : str
        Axes title.

    Returns
    -------
    Figure
        One axes.
    """
    one_of("direction", direction, ("minimize", "maximize"))
    nn = as_array("numbers", numbers, ndim=1)
    vv = as_array("values", values, ndim=1)
    same_shape("values", vv, nn.shape, "numbers")
    order = np.argsort(nn)
    nn, vv = nn[order], vv[order]
    best = (np.minimum if direction == "minimize" else np.maximum).accumulate(vv) if vv.size \
        else vv
    with style():
        fig = new_figure(SINGLE)
        ax = fig.subplots()
        ax.plot(nn, vv, "o", color=PALETTE[0], ms=4, alpha=0.7, label="trial")
        ax.step(nn, best, where="post", color=PALETTE[1], label="best so far")
        ax.set_xlabel("trial number")
        ax.set_ylabel(words(metric))
        if title:
            ax.set_title(title)
        place_legend(fig, ax)
    return fig


def trial_scatter(
    params: Mapping[str, Sequence[Any]], values: Any, *, metric: str,
    log: Mapping[str, bool] | None = None, direction: str = "minimize",
) -> Figure:
    """A tune's objective against each searched parameter, one panel per parameter.

    Parameters
    ----------
    params : mapping name -> sequence of length n_trials
        Each trial's parameter values; non-numeric values are drawn as categories. The name (a
        config key) is written in words as the x label (:func:`~.quantities.words`).
    values : array, shape (n_trials,)
        The objective of each trial (the best one is ringed).
    metric : str
        The objective's name (y label, in words).
    log : mapping name -> bool, optional
        Log x-axis for these parameters.
    direction : {"minimize", "maximize"}
        Which trial is ringed as the best.

    Returns
    -------
    Figure
        One axes per parameter.
    """
    one_of("direction", direction, ("minimize", "maximize"))
    vv = as_array("values", values, ndim=1)
    if not params:
        raise FigureInputError("params: give at least one parameter")
    fig, axes = panel_grid(len(params), ncols=min(3, len(params)))
    pick = np.nanargmin if direction == "minimize" else np.nanargmax
    best = int(pick(vv)) if vv.size else None
    with style():
        for ax, (name, xs) in zip(axes, params.items(), strict=True):
            xs = list(xs)
            if len(xs) != vv.size:
                raise FigureInputError(
                    f"params[{name!r}]: expected {vv.size} values, got {len(xs)}")
            numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs)
            if numeric:
                xx = np.asarray(xs, dtype=float)
            else:
                cats = sorted({str(x) for x in xs})
                xx = np.asarray([cats.index(str(x)) for x in xs], dtype=float)
                ax.set_xticks(np.arange(len(cats)), cats)
            ax.scatter(xx, vv, s=14, color=PALETTE[0], alpha=0.75)
            if best is not None:
                ax.scatter(xx[best], vv[best], s=60, facecolors="none", edgecolors=PALETTE[1],
                           linewidths=1.4)
            if numeric and (log or {}).get(name):
                ax.set_xscale("log")
            ax.set_xlabel(words(name))
            ax.set_ylabel(words(metric))
    return fig
