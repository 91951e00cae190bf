"""grokking (strands a/e): on modular addition the delay before generalisation scales like
1/(η λ_wd); the generalising embedding concentrates on few Fourier modes.

Conventions: the network lens's AdamW (:class:`learnmech.nets.training.AdamW`: θ ← (1 − ηλ)θ,
then Adam with β = (0.9, 0.98)), full batch, mean cross-entropy, time in optimiser steps. Task
(a + b) mod p on all p² ordered pairs, a random share ``train_frac`` for training; tokens are
one-hot → a shared embedding E (p, dim); [E_a, E_b] → ReLU MLP (one hidden layer) → p logits.
The loop is written here (not :func:`learnmech.nets.train`) because it stops at the
test-accuracy crossing and evaluates every ``every`` steps. Laws in
:mod:`learnmech.theory.laws.grokking`.
"""

from __future__ import annotations

from pydantic import Field

from learnmech.core.result import Result
from learnmech.mechanics.catalogue import (
    Entry,
    MechanicsConfig,
    Tolerance,
    entry_result,
    summary,
)
from learnmech.theory.laws.grokking import grokking_delay

#: weight decays λ of the full and quick sizes (the full one spans a decade)
GROK_DECAYS_FULL = (0.1, 0.2, 0.3, 0.5, 1.0)
GROK_DECAYS_QUICK = (0.1, 1.0)  # a full decade (it was 0.3 and 1)
#: strongest frequencies counted by the Fourier condition, and the share they must hold
FOURIER_K, FOURIER_SHARE = 4, 0.5


class GrokkingConfig(MechanicsConfig):
    """AdamW on (a + b) mod p with an embedding + ReLU MLP; the delay against weight decay."""

    p: int = Field(31, ge=7, le=97, description="modulus p (a prime)")
    train_frac: float = Field(0.6, gt=0.1, lt=0.95, description="share of the p² pairs trained on")
    dim: int = Field(32, ge=4, le=256, description="embedding dimension")
    width: int = Field(128, ge=8, le=1024, description="hidden width of the MLP")
    lr: float = Field(1e-2, gt=0.0, le=0.1, description="AdamW step size η")
    train_acc: float = Field(0.99, gt=0.5, le=1.0, description="train accuracy = memorised")
    test_acc: float = Field(0.9, gt=0.1, le=1.0, description="test accuracy = generalised")
    every: int = Field(20, ge=1, le=1000, description="steps between evaluations")
    max_steps: int = Field(20_000, ge=10, le=200_000,
                           description="step cap per run (full size; quick caps at 14000)")
    settle: float = Field(1.0, ge=0.0, le=10.0,
                          description="after the test crossing t, train settle·t more steps "
                                      "before the embedding's Fourier share is measured")
    seeds: int = Field(2, ge=1, le=10, description="seeds averaged per λ (quick: 1)")


def _task(config, seed):
    """(a (p²,), b (p²,), y (p²,), train index, test index) for (a + b) mod p."""
    import torch

    p = config.p
    a, b = (t.reshape(-1) for t in torch.meshgrid(torch.arange(p), torch.arange(p),
                                                  indexing="ij"))
    perm = torch.randperm(p * p, generator=torch.Generator().manual_seed(seed))
    n = int(round(config.train_frac * p * p))
    return a, b, (a + b) % p, perm[:n], perm[n:]


def _grok_run(config, weight_decay, seed, max_steps):
    """One AdamW run until settle·t past the test-accuracy crossing t (or the cap).

    Returns (step train acc ≥ train_acc, step test acc ≥ test_acc (inf if never), curves
    {"step", "train_acc", "test_acc"} lists, final embedding (p, dim) as numpy)."""
    import math

    import torch

    from learnmech.nets.training import AdamW, default_threads

    default_threads()
    a, b, y, tr, te = _task(config, seed)
    torch.manual_seed(seed)
    emb = torch.nn.Parameter(torch.randn(config.p, config.dim) / config.dim ** 0.5)
    net = torch.nn.Sequential(torch.nn.Linear(2 * config.dim, config.width), torch.nn.ReLU(),
                              torch.nn.Linear(config.width, config.p))
    opt = AdamW([emb, *net.parameters()], lr=config.lr, weight_decay=weight_decay,
                betas=(0.9, 0.98))

    def logits(idx):
        return net(torch.cat([emb[a[idx]], emb[b[idx]]], dim=1))

    t_train, t_test, stop = math.inf, math.inf, max_steps
    curves = {"step": [], "train_acc": [], "test_acc": []}
    for step in range(max_steps + 1):
        if step % config.every == 0 or step >= stop:
            with torch.no_grad():
                acc_tr = float((logits(tr).argmax(1) == y[tr]).float().mean())
                acc_te = float((logits(te).argmax(1) == y[te]).float().mean())
            for key, v in (("step", step), ("train_acc", acc_tr), ("test_acc", acc_te)):
                curves[key].append(v)
            if math.isinf(t_train) and acc_tr >= config.train_acc:
                t_train = step
            if math.isinf(t_test) and acc_te >= config.test_acc:
                t_test = step
                stop = min(max_steps, step + int(round(config.settle * step)))
        if step >= stop:
            break
        opt.zero_grad()
        torch.nn.functional.cross_entropy(logits(tr), y[tr]).backward()
        opt.step()
    return t_train, t_test, curves, emb.detach().numpy().copy()


def run_grokking(config: GrokkingConfig) -> Result:
    import numpy as np

    from learnmech.mechanics.plots import Panel, Series, agreement_figure
    from learnmech.theory.laws.grokking import fourier_concentration

    quick = config.size == "quick"
    decays = GROK_DECAYS_QUICK if quick else GROK_DECAYS_FULL
    seeds = 1 if quick else config.seeds
    max_steps = min(config.max_steps, 14_000) if quick else config.max_steps
    rows, delays, conc, conc0, curves = [], [], [], [], {}
    for lam in decays:
        d_s = []
        for s in range(seeds):
            seed = config.seed + 1000 * s
            t_tr, t_te, curve, emb = _grok_run(config, lam, seed, max_steps)
            d_s.append(t_te - t_tr)
            conc.append(fourier_concentration(emb, FOURIER_K))
            if s == 0:
                curves[lam] = curve
            rows += [{"weight_decay": lam, "seed": seed, "metric": m, "value": float(v)}
                     for m, v in (("t_memorise", t_tr), ("t_generalise", t_te),
                                  ("delay", t_te - t_tr), ("fourier_concentration", conc[-1]))]
        delays.append(float(np.mean(d_s)))
        if lam == decays[0]:  # concentration of the initial embedding (white noise)
            import torch

            torch.manual_seed(config.seed)
            conc0.append(fourier_concentration(
                (torch.randn(config.p, config.dim) / config.dim ** 0.5).numpy(), FOURIER_K))
    lam = np.array(decays)
    delays = np.array(delays)
    product = delays * lam
    grokked = np.isfinite(product)
    agreement, regime = judge_delays(lam, delays)
    c_fit = float(np.exp(np.mean(np.log(product[grokked])))) * config.lr if not regime else np.nan
    fourier_ok = bool(min(conc) >= FOURIER_SHARE)
    grid = np.geomspace(lam.min() / 1.3, lam.max() * 1.3, 50)
    panels = [
        Panel([Series(lam[grokked], delays[grokked],
                      "measured delay (test crossing − train crossing)", color=0)]
              + ([Series(grid, grokking_delay(config.lr, grid, c_fit), f"c/(ηλ), c = {c_fit:.3g}",
                         kind="predicted", color=1)] if not regime else []),
              "weight decay λ", "delay before generalisation (steps)", logx=True,
              logy=bool(grokked.any()),
              title=f"max/min of delay·λ = {agreement if agreement else np.nan:.2f}"),
        Panel([Series(np.array(c["step"]) * config.lr * lm, c["test_acc"], f"test, λ = {lm:g}",
                      color=i)
               for i, (lm, c) in enumerate(curves.items())],
              "ηλ · step", "test accuracy", logx=True,
              title=f"top-{FOURIER_K} Fourier share of E: min {min(conc):.2f} "
                    f"(init {conc0[0]:.2f})"),
    ]
    out = summary(ENTRY, agreement, conditions={"fourier_concentrated": fourier_ok},
                  regime=regime, c_fit=c_fit, fourier_share_min=float(min(conc)),
                  fourier_share_init=float(conc0[0]), seeds=seeds, max_steps=max_steps,
                  **{f"delay_lambda_{lm:g}": float(d) for lm, d in zip(lam, delays, strict=True)})
    notes = ("Agreement: max/min over λ of delay·λ (the law delay ∝ 1/(ηλ) makes it constant); "
             "one run per λ at quick size, the mean of the seeds at full size (no standard "
             "error is used: 1–2 runs per λ). The quick size spans a full decade of λ "
             "(0.1 and 1).")
    return entry_result(ENTRY, out, metrics=rows, notes=notes,
                        figures={"grokking": agreement_figure(panels, ncols=2)})


def judge_delays(lams, delays):
    """(max/min of delay·λ, regime): ``regime`` says why when fewer than two λ generalised; a λ
    that never generalised (inf) makes the ratio inf (it counts against the law)."""
    import numpy as np

    product = np.asarray(delays, float) * np.asarray(lams, float)
    if np.isfinite(product).sum() < 2:
        return None, "fewer than 2 weight decays generalised in time"
    return float(product.max() / product.min()), None


ENTRY = Entry(
    id="grokking", strand="a/e",
    claim=("On modular addition the delay before generalisation scales like 1/(η λ_wd); the "
           "generalising embedding concentrates on few Fourier modes."),
    formula=grokking_delay,
    measurement="full-batch AdamW (decoupled decay λ, η = 1e-2) on (a + b) mod 31 from 60 % "
                "of the pairs, embedding 32 + ReLU MLP 128; delay = first step with test "
                "accuracy ≥ 0.9 minus first with train accuracy ≥ 0.99, for λ over a decade; "
                "Fourier share of E after as many steps again",
    metric="max/min over λ of delay · λ",
    tolerance=Tolerance(1.0, 1.5, "delay·λ constant within ×1.5 over a decade of λ; top-4 "
                                  "Fourier frequencies hold ≥ half the embedding power"),
    references=("Power, Burda, Edwards, Babuschkin & Misra, arXiv 2201.02177 (2022)",
                "Liu, Michaud & Tegmark, ICLR 2023 (Omnigrok)",
                "Nanda, Chan, Lieberum, Smith & Steinhardt, ICLR 2023",
                "Loshchilov & Hutter, ICLR 2019 (AdamW)"),
    figure="grokking", config_cls=GrokkingConfig, run=run_grokking,
    smoke={"size": "quick", "p": 11, "max_steps": 200, "every": 10})
