"""Summary keys read as quantities: their name in words, and the range their values live in.

A run's summary keys are snake_case identifiers (``test_acc_final``, ``steps_to_fit_clean``);
figures and tables that show them by name use :func:`words` ("test accuracy final"), a swept
config key is labelled by its description (:func:`key_label`: ``train.lr`` -> "learning rate
η"), and
intervals drawn around their means are clipped to :func:`quantity_range` (an accuracy stays in
[0, 1], a step count at or above 0). Both read the key's tokens (split at ``_`` and ``.``)
against the small vocabularies below; a key they do not recognise keeps its tokens as words and
is unbounded, so the rules can only narrow quantities that are bounded by their nature.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["COUNT_TOKENS", "SIGNED_TOKENS", "SHARE_TOKENS", "WORDS", "key_label",
           "quantity_range", "words"]

#: A description longer than this is cut at its first clause to make an axis label.
_LABEL_CHARS = 48

#: Abbreviations of summary and config keys, written out (everything else is kept as it is).
WORDS: dict[str, str] = {
    "acc": "accuracy",
    "mse": "MSE",
    "lr": "learning rate",
    "wd": "weight decay",
    "rel": "relative",
    "err": "error",
    "std": "standard deviation",
    "stderr": "standard error",
    "ci95": "95 % interval half-width",
    "eta": "η",
    "gamma": "γ",
    "alpha": "α",
    "beta": "β",
    "eps": "ε",
    "lam": "λ",
    "ixt": "I(X;T)",
    "ity": "I(T;Y)",
    "kare": "KARE",
    "gp": "GP",
    "ntk": "NTK",
    "nngp": "NNGP",
    "sgd": "SGD",
    "pca": "PCA",
    "ek": "EK",
    "le": "LE",
    "sde": "SDE",
    "ode": "ODE",
    "hat": "(fitted)",
    "n": "n",
    "p": "p",
    "k": "k",
}

#: Tokens of a share or a probability: values in [0, 1].
SHARE_TOKENS = frozenset({"acc", "accuracy", "share", "fraction", "frac", "probability", "prob"})
#: Tokens of a count or a duration: values >= 0.
COUNT_TOKENS = frozenset({"steps", "step", "epochs", "epoch", "trials", "count", "seconds",
                          "runs", "seeds", "mse", "loss"})
#: Tokens that make a quantity a difference, a ratio, a slope or a log: no bound is implied.
SIGNED_TOKENS = frozenset({"over", "ratio", "slope", "gap", "diff", "difference", "advantage",
                           "log", "change", "delta", "minus", "vs", "margin", "agreement",
                           "compression", "drop", "error", "err", "bias"})

_SPLIT = re.compile(r"[_.]+")


def _tokens(key: str) -> list[str]:
    """The lower-case tokens of a dotted snake_case key."""
    return [t for t in _SPLIT.split(key.lower()) if t]


def words(key: str) -> str:
    """A summary or config key in words: ``test_acc_final`` -> ``test accuracy final``.

    Tokens are split at ``_`` and ``.``, abbreviations written out (:data:`WORDS`); a dotted
    key's parts are joined by a colon (``train.lr`` -> ``train: learning rate``). Text that
    is not a bare key (it holds a space) is returned unchanged.
    """
    if not key or " " in key:
        return key
    parts = [" ".join(WORDS.get(t, t) for t in _tokens(part)) for part in key.split(".")]
    return ": ".join(p for p in parts if p)


def quantity_range(key: str) -> tuple[float | None, float | None]:
    """The range ``(low, high)`` a summary key's values live in; None: unbounded that side.

    A key with a signed token (:data:`SIGNED_TOKENS`: a difference, ratio, slope, log, ...) is
    unbounded; otherwise a share token (:data:`SHARE_TOKENS`) bounds it to [0, 1] and a count
    token (:data:`COUNT_TOKENS`) to [0, ∞). Examples: ``test_acc_final`` -> (0, 1),
    ``steps_to_fit_clean`` -> (0, None), ``compression_steps_slope_eta`` -> (None, None).
    """
    tokens = set(_tokens(key))
    if tokens & SIGNED_TOKENS:
        return None, None
    if tokens & SHARE_TOKENS:
        return 0.0, 1.0
    if tokens & COUNT_TOKENS:
        return 0.0, None
    return None, None


def key_label(config_cls: Any, key: str) -> str:
    """An axis label for a config key: its description, cut to its first clause when long.

    ``kernel.depth`` -> "dense layers (depth − 1 nonlinearities)", ``train.lr`` -> "learning
    rate η"; a description is cut at its first ";" and, when still longer than 48 characters,
    before its first parenthesis. A key without a description (or not a key of
    ``config_cls``) is written in :func:`words`.
    """
    from learnmech.core.describe import key_fields

    info = key_fields(config_cls).get(key) if config_cls is not None else None
    text = (info.description or "") if info is not None else ""
    text = text.split(";")[0].strip()
    if len(text) > _LABEL_CHARS and " (" in text:
        text = text.split(" (")[0].strip()
    return text or words(key)
