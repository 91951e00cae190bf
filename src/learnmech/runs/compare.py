"""``learnmech compare PHENOMENON``: run every lens of a phenomenon and judge its claims.

For a phenomenon p (``label-noise``, ...) this runs the registered experiments ``neurashed.p``,
``network.p`` and ``theory.p`` (those that exist) through the registry, each into its own run
directory under ``<out>/lenses/<lens>``, then reads their ``summary.json`` and ``metrics.csv``
(never experiment internals) and, for each qualitative claim of :data:`CLAIMS`, asks each lens
what it says: a yes/no (the sign of a trend, the ordering of two conditions, the presence of a
phase) with the number behind it. The verdict is ``agree`` when the model (neurashed) and the
network say the same, ``disagree`` when they differ, ``undecided`` when a lens is missing or its
number is. The comparison directory follows the run contract: ``config.yaml``, ``summary.json``
(per claim ``<claim>_model``, ``<claim>_network``, ``<claim>_verdict``), ``metrics.csv``,
``figures/`` (each lens's curves against the fraction of training, on shared axes) and
``report.html``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from learnmech.core.errors import InputError

__all__ = ["CLAIMS", "LENSES", "PHENOMENA", "Claim", "LensRun", "Reading", "SERIES",
           "UnknownPhenomenonError", "judge", "read_lens", "run_compare"]

PHENOMENA = ("implicit-regularization", "information-bottleneck", "local-elasticity",
             "label-noise", "forgetting", "step-size-and-batch")
LENSES = ("neurashed", "network", "theory")


class UnknownPhenomenonError(InputError):
    """The phenomenon is not one :func:`run_compare` knows."""


@dataclass(frozen=True)
class LensRun:
    """What one lens's run directory holds: ``summary`` (dict) and ``rows`` (metrics.csv)."""

    experiment: str
    run_dir: Path
    summary: dict[str, Any]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Reading:
    """What one lens says about one claim: ``says`` (True/False/None) and the number behind it."""

    says: bool | None
    value: float | None
    detail: str


@dataclass(frozen=True)
class Claim:
    """A qualitative claim and how each lens's numbers answer it."""

    name: str
    text: str
    model: Callable[[LensRun], Reading]
    network: Callable[[LensRun], Reading]


# --------------------------------------------------------------------------- reading numbers


def _num(summary: Mapping[str, Any], key: str) -> float | None:
    value = summary.get(key)
    if isinstance(value, bool) or value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _threshold(key: str, op: str, level: float, what: str):
    """A reading ``summary[key] <op> level``."""
    def read(lens: LensRun) -> Reading:
        v = _num(lens.summary, key)
        if v is None:
            return Reading(None, None, f"{key} missing")
        says = {">": v > level, ">=": v >= level, "<": v < level, "<=": v <= level}[op]
        return Reading(says, v, f"{key} = {v:.4g} ({what}: {op} {level:g})")
    return read


def _difference(a: str, b: str, op: str, level: float, what: str):
    """A reading ``summary[a] − summary[b] <op> level``."""
    def read(lens: LensRun) -> Reading:
        va, vb = _num(lens.summary, a), _num(lens.summary, b)
        if va is None or vb is None:
            return Reading(None, None, f"{a} or {b} missing")
        d = va - vb
        says = d > level if op == ">" else d >= level if op == ">=" else d < level
        return Reading(says, d, f"{a} − {b} = {va:.4g} − {vb:.4g} = {d:.4g} ({what})")
    return read


def _before(first: str, second: str, total: str | None = None):
    """``first`` happens before ``second`` (None for ``second`` = never: counts as later)."""
    def read(lens: LensRun) -> Reading:
        a = _num(lens.summary, first)
        if a is None:
            return Reading(None, None, f"{first} missing (never reached?)")
        b = _num(lens.summary, second)
        span = _num(lens.summary, total) if total else None
        frac = "" if span is None else f" = {a / span:.3g} of training"
        if b is None:
            return Reading(True, a, f"{first} = {a:g}{frac}; {second} never")
        return Reading(a < b, a / b if b else None, f"{first} = {a:g}{frac}, {second} = {b:g}")
    return read


def _model_pool_change(lens: LensRun) -> Reading:
    """neurashed: test accuracy at the largest pool minus at the smallest (with compression)."""
    found = {}
    for key in lens.summary:
        if key.startswith("test_acc_final_P") and not key.endswith("no_compression"):
            try:
                found[int(key.removeprefix("test_acc_final_P"))] = _num(lens.summary, key)
            except ValueError:
                continue
    found = {p: v for p, v in found.items() if v is not None}
    if len(found) < 2:
        return Reading(None, None, "fewer than two pools in the summary")
    lo, hi = min(found), max(found)
    d = found[hi] - found[lo]
    return Reading(d >= -0.02, d, f"test acc P={hi} − P={lo} = {found[hi]:.3f} − "
                   f"{found[lo]:.3f} = {d:+.3f} (harmless: ≥ −0.02)")


def _model_effective_slope(lens: LensRun) -> Reading:
    """neurashed: log-slope of the final effective feature count against the pool size."""
    import numpy as np

    gammas = {r.get("gamma") for r in lens.rows if r.get("metric") == "effective_features"}
    gamma = max((g for g in gammas if isinstance(g, float | int)), default=None)
    finals: dict[float, list[float]] = {}
    last = {}
    for r in lens.rows:
        if r.get("metric") == "effective_features" and r.get("gamma") == gamma and \
                r.get("level") in (0, 0.0):
            key = (r["pool"], r.get("seed"))
            if r["step"] >= last.get(key, (-1, 0))[0]:
                last[key] = (r["step"], r["value"])
    for (pool, _), (_, value) in last.items():
        finals.setdefault(pool, []).append(value)
    if len(finals) < 2:
        return Reading(None, None, "effective_features per pool not in metrics.csv")
    pools = sorted(finals)
    means = [float(np.mean(finals[p])) for p in pools]
    slope = float(np.polyfit(np.log(pools), np.log(means), 1)[0])
    return Reading(slope < 0.5, slope, f"log-slope of effective features vs pool P = "
                   f"{slope:.3f} over P = {pools} (sublinear: < 0.5)")


def _sign(key: str, negative: bool, what: str):
    """A log-slope's sign: ``says`` = slope < 0 (``negative``) or > 0."""
    def read(lens: LensRun) -> Reading:
        v = _num(lens.summary, key)
        if v is None:
            return Reading(None, None, f"{key} missing (too few points with a value)")
        return Reading(v < 0 if negative else v > 0, v, f"{key} = {v:.3g} ({what})")
    return read


def _ib_network(key: str):
    return _threshold(key, ">", 0.1, "compression of the last layer's I(X;T) > 0.1 bit")


def _ib_model(lens: LensRun) -> Reading:
    """neurashed: I(X;T|Y) of the top level rises above its start, then falls to ≤ half its peak."""
    start = _num(lens.summary, "clean_top_ixt_given_y_initial")
    peak = _num(lens.summary, "clean_top_ixt_given_y_peak")
    final = _num(lens.summary, "clean_top_ixt_given_y_final")
    if start is None or peak is None or final is None:
        return Reading(None, None, "clean_top_ixt_given_y_initial/peak/final missing")
    says = peak > start and final <= 0.5 * peak
    return Reading(says, peak - final, f"I(X;T|Y) {start:.3g} → peak {peak:.3g} → {final:.3g} "
                   "bits (compression: rises, then falls to ≤ half the peak)")


def _network_ratio_trend(lens: LensRun) -> Reading:
    """network: the ReLU digits same/other ratio at the last record minus at the first."""
    import numpy as np

    rows = [r for r in lens.rows if r.get("metric") == "ratio_same_vs_other" and
            r.get("activation") == "relu" and r.get("dataset") in (None, "digits") and
            isinstance(r.get("step"), int | float)]
    steps = sorted({r["step"] for r in rows})
    if len(steps) < 2:
        return Reading(None, None, "ratio_same_vs_other over training not in metrics.csv")
    first = float(np.mean([r["value"] for r in rows if r["step"] == steps[0]]))
    last = float(np.mean([r["value"] for r in rows if r["step"] == steps[-1]]))
    return Reading(last > first, last - first, f"ReLU ratio at step {steps[0]} = {first:.3g}, "
                   f"at step {steps[-1]} = {last:.3g} (change {last - first:+.3g})")


#: phenomenon -> claims
CLAIMS: dict[str, tuple[Claim, ...]] = {
    "implicit-regularization": (
        Claim("overparameterisation_harmless",
              "growing the model far past what fits the data does not lower test accuracy",
              _model_pool_change,
              _threshold("test_acc_change_past_interpolation", ">=", -0.02,
                         "widest minus first interpolating width; harmless")),
        Claim("capacity_used_sublinear",
              "the dimension the trained model uses grows sublinearly with its size",
              _model_effective_slope,
              _threshold("rep_participation_ratio_slope", "<", 0.5,
                         "log-slope of the representation's participation ratio vs width")),
    ),
    "label-noise": (
        Claim("clean_first", "clean labels are fit before flipped ones",
              _before("steps_to_fit_clean", "steps_to_fit_noisy"),
              _before("steps_to_fit_clean", "steps_to_fit_noisy", "total_steps")),
        Claim("flipped_memorised", "flipped labels end up memorised (≥ 90% fit) without "
              "compression / weight decay",
              _threshold("flipped_fit_final_no_compression", ">=", 0.9, "memorised"),
              _threshold("flipped_fit_final", ">=", 0.9, "memorised")),
        Claim("compression_limits_memorisation",
              "compression (γ) / weight decay lowers the final fit of flipped labels",
              _difference("flipped_fit_final_no_compression", "flipped_fit_final", ">", 0.0,
                          "without minus with compression"),
              _difference("flipped_fit_final", "flipped_fit_final_weight_decay", ">", 0.0,
                          "without minus with weight decay")),
    ),
    "forgetting": (
        Claim("old_classes_forgotten", "accuracy on the first classes falls by ≥ 0.2 while "
              "training only on the others",
              _difference("acc_A_end_of_phase1", "acc_A_final", ">=", 0.2, "drop"),
              _difference("acc_A_end_of_phase1", "acc_A_final", ">=", 0.2, "drop")),
        Claim("shrinkage_speeds_forgetting",
              "stronger shrinkage (γ / weight decay) shortens the accuracy half-life",
              _sign("half_life_slope_vs_gamma", True, "log-slope of half-life vs γ"),
              _sign("half_life_slope_vs_weight_decay", True,
                    "log-slope of half-life vs weight decay")),
    ),
    "step-size-and-batch": (
        Claim("larger_step_faster", "a larger step size η gets there in fewer steps",
              _sign("compression_steps_slope_eta", True, "log-slope of compression time vs η"),
              _sign("fit_steps_slope_eta", True, "log-slope of time to fit vs η")),
        Claim("batch_slower_per_example",
              "at fixed η a larger batch needs more examples (epochs) to get there",
              _sign("compression_epochs_slope_batch", False,
                    "log-slope of compression epochs vs b"),
              _sign("fit_epochs_slope_batch", False, "log-slope of epochs to fit vs b")),
        Claim("batch_free_in_steps",
              "in steps, the batch size barely matters (|log-slope| < 0.3)",
              lambda lens: _abs_below(lens, "compression_steps_slope_batch", 0.3),
              lambda lens: _abs_below(lens, "fit_steps_slope_batch", 0.3)),
    ),
    "local-elasticity": (
        Claim("same_class_moves_more",
              "an update on one example moves its own class more than other classes",
              _threshold("elasticity_ratio_final", ">", 1.0, "same/other ratio"),
              _threshold("relu_ratio_same_vs_other", ">", 1.0, "same/other ratio, ReLU")),
        Claim("elasticity_beyond_baseline",
              "local elasticity exceeds its baseline (model: the ratio at initialisation; "
              "network: the linear network's ratio)",
              _difference("elasticity_ratio_max", "elasticity_ratio_at_initialisation", ">",
                          0.0, "trained minus initial"),
              _difference("relu_ratio_same_vs_other", "linear_ratio_same_vs_other", ">", 0.0,
                          "ReLU minus linear")),
        Claim("elasticity_grows_to_the_end",
              "the same/other ratio is higher at the end of training than at its start",
              _difference("elasticity_ratio_final", "elasticity_ratio_at_initialisation", ">",
                          0.0, "final minus initial"),
              _network_ratio_trend),
    ),
    "information-bottleneck": (
        Claim("compression_phase_tanh",
              "a compression phase appears (network: tanh, Shwartz-Ziv & Tishby's setting)",
              _ib_model, _ib_network("tanh_compression_bits")),
        Claim("compression_phase_relu",
              "a compression phase appears (network: ReLU, where Saxe et al. saw none)",
              _ib_model, _ib_network("relu_compression_bits")),
    ),
}


def _abs_below(lens: LensRun, key: str, level: float) -> Reading:
    v = _num(lens.summary, key)
    if v is None:
        return Reading(None, None, f"{key} missing")
    return Reading(abs(v) < level, v, f"|{key}| = {abs(v):.3g} (flat: < {level:g})")


def judge(claim: Claim, model: LensRun | None, network: LensRun | None) -> dict[str, Any]:
    """The verdict of one claim: {"model": Reading|None, "network": ..., "verdict": str}."""
    readings = {}
    for name, lens, reader in (("model", model, claim.model), ("network", network,
                                                                claim.network)):
        readings[name] = None if lens is None else reader(lens)
    m, n = readings["model"], readings["network"]
    if m is None or n is None or m.says is None or n.says is None:
        verdict = "undecided"
    else:
        verdict = "agree" if m.says == n.says else "disagree"
    return {**readings, "verdict": verdict}


# --------------------------------------------------------------------------- time series


#: phenomenon -> lens -> [(label, metric, row filter)] drawn against the fraction of training
SERIES: dict[str, dict[str, list[tuple[str, str, Callable[[dict, dict], bool]]]]] = {
    "implicit-regularization": {
        "neurashed": [("test acc (largest pool, γ > 0)", "test_acc",
                       lambda r, ctx: r.get("pool") == ctx["max_pool"] and r.get("gamma")),
                      ("train acc (largest pool, γ > 0)", "train_acc",
                       lambda r, ctx: r.get("pool") == ctx["max_pool"] and r.get("gamma"))],
        "network": [("test acc (widest)", "test_acc",
                     lambda r, ctx: r.get("width") == ctx["max_width"]),
                    ("train acc (widest)", "train_acc",
                     lambda r, ctx: r.get("width") == ctx["max_width"])],
    },
    "label-noise": {
        "neurashed": [(name, metric, lambda r, ctx: r.get("label_noise") == ctx["noise"] and
                       r.get("gamma")) for name, metric in
                      (("clean fit", "clean_fit"), ("flipped fit", "flipped_fit"),
                       ("test acc", "test_acc"))],
        "network": [(name, metric, lambda r, ctx: r.get("label_noise") == ctx["noise"] and
                     not r.get("weight_decay")) for name, metric in
                    (("clean fit", "train_acc_clean"), ("flipped fit", "train_acc_flipped"),
                     ("test acc", "test_acc"))],
    },
    "forgetting": {
        "neurashed": [("acc on A (phase 2)", "acc_A",
                       lambda r, ctx: r.get("gamma") == ctx["first_gamma"]),
                      ("acc on B (phase 2)", "acc_B",
                       lambda r, ctx: r.get("gamma") == ctx["first_gamma"])],
        "network": [("acc on A (phase 2)", "task_acc",
                     lambda r, ctx: r.get("phase") == 1 and r.get("task") == 0 and
                     r.get("weight_decay") == ctx["first_wd"]),
                    ("acc on B (phase 2)", "task_acc",
                     lambda r, ctx: r.get("phase") == 1 and r.get("task") == 1 and
                     r.get("weight_decay") == ctx["first_wd"])],
    },
    "step-size-and-batch": {
        "neurashed": [("nuisance share, smallest η", "nuisance_share",
                       lambda r, ctx: r.get("sweep") == "eta" and
                       r.get("sweep_value") == ctx["eta_lo"]),
                      ("nuisance share, largest η", "nuisance_share",
                       lambda r, ctx: r.get("sweep") == "eta" and
                       r.get("sweep_value") == ctx["eta_hi"])],
        "network": [("train acc, smallest η", "train_acc",
                     lambda r, ctx: r.get("sweep") == "eta" and
                     r.get("sweep_value") == ctx["eta_lo"]),
                    ("train acc, largest η", "train_acc",
                     lambda r, ctx: r.get("sweep") == "eta" and
                     r.get("sweep_value") == ctx["eta_hi"])],
    },
    "local-elasticity": {
        "neurashed": [("same/other ratio", "elasticity_ratio", lambda r, ctx: True)],
        "network": [(f"{act} same/other ratio (digits)", "ratio_same_vs_other",
                     lambda r, ctx, act=act: r.get("activation") == act and
                     r.get("dataset") in (None, "digits")) for act in ("relu", "linear")],
    },
    "information-bottleneck": {
        "neurashed": [("I(X;T|Y), top level, clean world", "i_xt_given_y",
                       lambda r, ctx: r.get("world") == "clean" and
                       r.get("estimator") == "gaussian_channel" and
                       r.get("level") == ctx["top_level"])],
        "network": [(f"I(X;T) last layer, {act}", "i_xt",
                     lambda r, ctx, act=act: r.get("activation") == act and
                     r.get("layer") == ctx["last_layer"] and _same_estimator(r, ctx))
                    for act in ("tanh", "relu")],
    },
}


def _context(lenses: Mapping[str, LensRun]) -> dict[str, Any]:
    """Values the series filters need (largest pool, headline noise, ...), read from the runs."""
    ctx: dict[str, Any] = {}

    def values(lens, column, metric=None):
        if lens not in lenses:
            return []
        return sorted({r[column] for r in lenses[lens].rows if isinstance(
            r.get(column), int | float) and (metric is None or r["metric"] == metric)})

    def first(lens, column):
        if lens not in lenses:
            return None
        return next((r[column] for r in lenses[lens].rows if r.get(column) is not None), None)

    ctx["max_pool"] = max(values("neurashed", "pool"), default=None)
    ctx["max_width"] = max(values("network", "width"), default=None)
    noise = [lenses[k].summary.get("headline_label_noise") for k in lenses]
    ctx["noise"] = next((n for n in noise if n is not None), None)
    ctx["first_gamma"] = first("neurashed", "gamma")
    ctx["first_wd"] = first("network", "weight_decay")
    eta_rows = {r["sweep_value"] for lens in lenses.values() for r in lens.rows
                if r.get("sweep") == "eta"}
    ctx["eta_lo"], ctx["eta_hi"] = (min(eta_rows), max(eta_rows)) if eta_rows else (None, None)
    # each lens has its own η grid: lens_series takes the extremes per lens
    ctx["top_level"] = max(values("neurashed", "level", "i_xt_given_y"), default=None)
    ctx["last_layer"] = max(values("network", "layer", "i_xt"), default=None)
    # the network IB run names its default estimator "name(param=value)"
    text = str(lenses["network"].summary.get("estimator", "")) if "network" in lenses else ""
    name, _, rest = text.partition("(")
    ctx["ib_estimator"] = name or None
    try:
        ctx["ib_resolution"] = float(rest.rstrip(")").partition("=")[2])
    except ValueError:
        ctx["ib_resolution"] = None
    return ctx


def _same_estimator(row: dict, ctx: dict) -> bool:
    """The row is of the network IB run's default estimator and resolution."""
    if ctx.get("ib_estimator") is None:
        return True
    res = row.get("resolution")
    return row.get("estimator") == ctx["ib_estimator"] and (
        ctx["ib_resolution"] is None or (isinstance(res, int | float) and math.isclose(
            res, ctx["ib_resolution"], rel_tol=1e-3)))


def lens_series(lens: LensRun, specs, ctx) -> list[tuple[str, Any, Any]]:
    """[(label, fraction of training (T,), mean values (1, T))] for one lens; missing skipped."""
    import numpy as np

    out = []
    local = dict(ctx)
    sweep = [r["sweep_value"] for r in lens.rows if r.get("sweep") == "eta"]
    if sweep:
        local["eta_lo"], local["eta_hi"] = min(sweep), max(sweep)
    for label, metric, keep in specs:
        chosen = [r for r in lens.rows if r.get("metric") == metric and
                  isinstance(r.get("step"), int | float) and keep(r, local)]
        if not chosen:
            continue
        steps = np.array(sorted({float(r["step"]) for r in chosen}))
        at = {s: i for i, s in enumerate(steps)}
        sums, counts = np.zeros(len(steps)), np.zeros(len(steps))
        for r in chosen:  # mean over every replicate, pair, ... recorded at that step
            if isinstance(r["value"], int | float):
                sums[at[float(r["step"])]] += r["value"]
                counts[at[float(r["step"])]] += 1
        values = (sums / np.maximum(counts, 1))[None, :]
        values[:, counts == 0] = np.nan
        span = steps.max() if steps.max() > 0 else 1.0
        keep = steps > 0 if (steps > 0).any() else steps >= 0  # log axis: step 0 left out
        out.append((label, steps[keep] / span, values[:, keep]))
    return out


# --------------------------------------------------------------------------- running


def read_lens(experiment: str, run_dir: str | Path) -> LensRun:
    """A finished run directory's summary and metrics (numbers parsed, empty cells None)."""
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    rows = []
    with open(run_dir / "metrics.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.append({k: _cell(v) for k, v in row.items()})
    return LensRun(experiment, run_dir, summary, rows)


def _cell(text: str | None) -> Any:
    if text is None or text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        return {"True": True, "False": False}.get(text, text)
    return int(number) if number.is_integer() and "." not in text and "e" not in text \
        else number


def run_compare(phenomenon: str, *, quick: bool = False, out: str | Path | None = None,
                seed: int | None = None, runs_root: str | Path = "runs",
                lenses: tuple[str, ...] = LENSES) -> Path:
    """Run the lenses of ``phenomenon``, judge its claims, write the comparison directory.

    Parameters
    ----------
    phenomenon : str
        One of :data:`PHENOMENA`.
    quick : bool
        Apply each experiment's ``smoke`` overrides (seconds per lens; numbers are rough).
    out : str or Path, optional
        Output directory (must not exist or be empty); default
        ``<runs_root>/compare-<phenomenon>-<YYYYmmdd-HHMMSS>``.
    seed : int, optional
        Passed to every lens.
    lenses : tuple of str
        Which lenses to try (default all); an unregistered lens is reported as missing.

    Returns
    -------
    Path
        The comparison directory.

    Raises
    ------
    UnknownPhenomenonError, RunDirError
        Bad input, before anything runs.
    """
    from learnmech.core.registry import UnknownExperimentError, get
    from learnmech.runs.rundir import RunDirError, default_run_dir, run_experiment

    if phenomenon not in PHENOMENA:
        raise UnknownPhenomenonError(
            f"phenomenon must be one of {', '.join(PHENOMENA)}; got {phenomenon!r}")
    started = datetime.now()
    out = Path(out) if out is not None else default_run_dir(
        f"compare-{phenomenon}", root=runs_root, when=started)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RunDirError(f"--out {str(out)!r} exists and is not an empty directory; "
                          "choose another or remove it")
    found: dict[str, LensRun] = {}
    missing: list[str] = []
    for lens in lenses:
        experiment_id = f"{lens}.{phenomenon}"
        try:
            experiment = get(experiment_id)
        except UnknownExperimentError:
            missing.append(experiment_id)
            continue
        run_dir = run_experiment(experiment_id, overrides=experiment.smoke if quick else None,
                                 seed=seed, out=out / "lenses" / lens)
        found[lens] = read_lens(experiment_id, run_dir)
    _write(out, phenomenon, found, missing, quick=quick, seed=seed, started=started)
    return out


def _write(out: Path, phenomenon, found, missing, *, quick, seed, started) -> None:
    from learnmech.core.atomic import atomic_write_text
    from learnmech.report.html import render_report
    from learnmech.runs.rundir import _metrics_csv, _write_figures, package_versions

    results = {c.name: judge(c, found.get("neurashed"), found.get("network"))
               for c in CLAIMS[phenomenon]}
    summary: dict[str, Any] = {
        "phenomenon": phenomenon,
        "lenses_run": ", ".join(sorted(found)) or "none",
        "lenses_missing": ", ".join(missing) or "none",
        "claims_agree": sum(r["verdict"] == "agree" for r in results.values()),
        "claims_disagree": sum(r["verdict"] == "disagree" for r in results.values()),
        "claims_undecided": sum(r["verdict"] == "undecided" for r in results.values()),
    }
    rows = []
    for name, result in results.items():
        for lens in ("model", "network"):
            reading = result[lens]
            summary[f"{name}_{lens}"] = None if reading is None else reading.says
            summary[f"{name}_{lens}_value"] = None if reading is None else reading.value
            rows.append({"claim": name, "lens": lens, "metric": "says",
                         "value": None if reading is None else reading.says})
            rows.append({"claim": name, "lens": lens, "metric": "value",
                         "value": None if reading is None else reading.value})
        summary[f"{name}_verdict"] = result["verdict"]
    import yaml

    config = {"phenomenon": phenomenon, "quick": quick, "seed": seed,
              "lens_runs": {k: str(v.run_dir) for k, v in found.items()},
              "experiment": f"compare.{phenomenon}",
              "timestamp": started.isoformat(timespec="seconds"),
              "command": f"learnmech compare {phenomenon}" + (" --quick" if quick else ""),
              "versions": package_versions()}
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "config.yaml", yaml.safe_dump(config, sort_keys=False,
                                                          allow_unicode=True))
    atomic_write_text(out / "notes.md", _notes(phenomenon, results, missing))
    columns = ["claim", "lens", "metric", "value"]
    atomic_write_text(out / "metrics.csv", _metrics_csv(rows, columns))
    figures = {"lenses_over_training": _shared_axes_figure(phenomenon, found)}
    _write_figures(out / "figures", figures)
    atomic_write_text(out / "summary.json", json.dumps(
        {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
         for k, v in summary.items()}, indent=2, allow_nan=False) + "\n")
    render_report(out)


def _notes(phenomenon, results, missing) -> str:
    paragraphs = []
    core = [m for m in missing if not m.startswith("theory.")]
    if core:
        paragraphs.append("Lenses not registered (their claims are undecided): "
                          + ", ".join(core) + ".")
    for claim in CLAIMS[phenomenon]:
        r = results[claim.name]
        parts = [f"Claim '{claim.name}': {claim.text}. Verdict: {r['verdict'].upper()}."]
        for lens in ("model", "network"):
            reading = r[lens]
            if reading is None:
                parts.append(f"{lens}: lens missing.")
            else:
                word = {True: "yes", False: "no", None: "no answer"}[reading.says]
                parts.append(f"{lens}: {word} — {reading.detail}.")
        paragraphs.append(" ".join(parts))
    return "\n\n".join(paragraphs) + "\n"


def _shared_axes_figure(phenomenon, found):
    """Each lens's curves against the fraction of training, side by side with a shared x."""
    from matplotlib.figure import Figure

    from learnmech.report.figures import style

    ctx = _context(found)
    with style():
        figure = Figure(figsize=(9.0, 3.4), layout="constrained")
        axes = figure.subplots(1, 2, sharex=True)
        for ax, lens in zip(axes, ("neurashed", "network"), strict=True):
            title = f"{lens}.{phenomenon}"
            series = lens_series(found[lens], SERIES[phenomenon][lens], ctx) \
                if lens in found else []
            if not series:
                ax.text(0.5, 0.5, "lens not run" if lens not in found else
                        "no time series recorded", ha="center", va="center",
                        transform=ax.transAxes)
            for label, frac, values in series:
                import numpy as np

                mean = np.nanmean(values, axis=0)
                if len(frac) == 1:
                    ax.plot(frac, mean, "o", label=label)
                else:
                    ax.plot(frac, mean, label=label)
            ax.set_title(title, fontsize=9)
            ax.set_xscale("log")
            ax.set_xlabel("fraction of training (step / last step)")
            if series:
                ax.legend(fontsize=7)
        axes[0].set_ylabel("value (see legend)")
    return figure
