"""The vocabulary of ``learnmech compare``: lens runs, readings, claims, series, phenomena.

A phenomenon module (``experiments/compare/<phenomenon>.py``) states, as data, what the lenses of
its phenomenon are asked and what is drawn side by side:

* a :class:`Claim` pairs each lens (``"neurashed"``, ``"network"``, ...) with a *reader*: a pure
  function of that lens's finished run (:class:`LensRun`) that answers yes/no with the number
  behind it (:class:`Reading`). The stock readers (:class:`Threshold`, :class:`Difference`,
  :class:`Before`, :class:`Sign`, :class:`AbsBelow`) read ``summary.json`` keys; a
  :class:`Computed` reader wraps any other function and states what it reads;
* a :class:`Series` names a ``metrics.csv`` metric and the rows to keep (``where``: column ->
  value or :class:`Condition`), drawn against the fraction of training;
* :class:`Phenomenon` gathers them and says which lenses ``compare`` runs.

Every reader, series and condition knows what it reads (:class:`Needs`), so the contract test
can check each key against the lens's smoke run: a renamed summary key or metric fails a test
instead of turning a claim ``undecided``. Nothing here reads or writes files.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

__all__ = [
    "AbsBelow", "Before", "Claim", "Computed", "Condition", "Difference", "First", "Is",
    "Judgement", "Largest", "LensRun", "NONZERO", "Needs", "Phenomenon", "Reading", "Series",
    "Sign", "Smallest", "SummaryValue", "Threshold", "ZERO", "curves", "judge", "lens_label",
    "number",
]

#: The lenses ``compare`` tries for a phenomenon unless its module says otherwise.
DEFAULT_LENSES = ("neurashed", "network", "theory")
#: How a lens is named in the comparison's summary keys (``<claim>_model``); others by their id.
_LABELS = {"neurashed": "model"}
#: Columns every metrics.csv row has (the run contract), so no reader needs to declare them.
_CONTRACT_COLUMNS = frozenset({"metric", "value"})


def lens_label(lens: str) -> str:
    """The name of ``lens`` in the comparison's keys: ``neurashed`` is the ``model``."""
    return _LABELS.get(lens, lens)


# --------------------------------------------------------------------------- what a lens ran


@dataclass(frozen=True)
class LensRun:
    """One lens's finished run: its ``summary`` (summary.json) and ``rows`` (metrics.csv).

    ``rows`` are dicts of column -> value, numbers parsed and empty cells ``None``.
    """

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
class Needs:
    """What a reader, series or condition reads from one lens's run.

    Attributes
    ----------
    summary : frozenset of str
        summary.json keys; a key with ``*`` is a pattern that at least one key must match.
    rows : frozenset of (str or None, str)
        (metric, column) pairs of metrics.csv: some row of that metric (``None``: of any
        metric) has a value in that column. ``(metric, "value")`` asks for the metric alone.
    """

    summary: frozenset[str] = frozenset()
    rows: frozenset[tuple[str | None, str]] = frozenset()

    @classmethod
    def of(cls, summary: Iterable[str] = (),
           rows: Mapping[str | None, Iterable[str]] | None = None) -> Needs:
        """``Needs.of(summary=("a", "b"), rows={"test_acc": ("step", "width")})``."""
        pairs = {(metric, column) for metric, columns in (rows or {}).items()
                 for column in (*columns, "value")}
        return cls(frozenset(summary), frozenset(pairs))

    def __or__(self, other: Needs) -> Needs:
        return Needs(self.summary | other.summary, self.rows | other.rows)

    def unmet(self, run: LensRun) -> list[str]:
        """What ``run`` lacks of these needs, one line each (empty: all there)."""
        problems = []
        for key in sorted(self.summary):
            found = any(fnmatchcase(k, key) for k in run.summary) if "*" in key \
                else key in run.summary
            if not found:
                problems.append(f"{run.experiment}: summary key {key!r} is not in summary.json")
        metrics = {r.get("metric") for r in run.rows}
        for metric, column in sorted(self.rows, key=lambda p: (p[0] or "", p[1])):
            if metric is not None and metric not in metrics:
                problems.append(f"{run.experiment}: metric {metric!r} is not in metrics.csv")
            elif column not in _CONTRACT_COLUMNS and not any(
                    r.get(column) is not None for r in run.rows
                    if metric is None or r.get("metric") == metric):
                where = "any row" if metric is None else f"the rows of metric {metric!r}"
                problems.append(f"{run.experiment}: column {column!r} has no value in {where} "
                                "of metrics.csv")
        return list(dict.fromkeys(problems))

    def covers(self, summary_key: str | None = None,
               row: tuple[str | None, str] | None = None) -> bool:
        """Whether a summary key, or a (metric, column) read, is declared here."""
        if summary_key is not None:
            return any(fnmatchcase(summary_key, key) for key in self.summary)
        metric, column = row
        return column in _CONTRACT_COLUMNS or (None, column) in self.rows or \
            (metric, column) in self.rows


def number(summary: Mapping[str, Any], key: str) -> float | None:
    """``summary[key]`` as a finite float, or None (missing, None, a bool, text, NaN)."""
    value = summary.get(key)
    if isinstance(value, bool) or value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------- readers

_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@dataclass(frozen=True)
class _OneKey:
    """A reader of one summary key: None when it is missing, else :meth:`say` of its value."""

    key: str

    #: the notes' words after the key when it is missing
    _missing = "missing"

    @property
    def needs(self) -> Needs:
        return Needs.of(summary=(self.key,))

    def __call__(self, run: LensRun) -> Reading:
        v = number(run.summary, self.key)
        if v is None:
            return Reading(None, None, f"{self.key} {self._missing}")
        return self.say(v)

    def say(self, v: float) -> Reading:
        raise NotImplementedError


@dataclass(frozen=True)
class Threshold(_OneKey):
    """Says ``summary[key] <op> level``; ``what`` names the quantity in the notes."""

    op: str
    level: float
    what: str

    def say(self, v: float) -> Reading:
        return Reading(_OPS[self.op](v, self.level), v,
                       f"{self.key} = {v:.4g} ({self.what}: {self.op} {self.level:g})")


@dataclass(frozen=True)
class Difference:
    """Says ``summary[a] − summary[b] <op> level``; the value is the difference."""

    a: str
    b: str
    op: str
    level: float
    what: str

    @property
    def needs(self) -> Needs:
        return Needs.of(summary=(self.a, self.b))

    def __call__(self, run: LensRun) -> Reading:
        va, vb = number(run.summary, self.a), number(run.summary, self.b)
        if va is None or vb is None:
            return Reading(None, None, f"{self.a} or {self.b} missing")
        d = va - vb
        return Reading(_OPS[self.op](d, self.level), d,
                       f"{self.a} − {self.b} = {va:.4g} − {vb:.4g} = {d:.4g} ({self.what})")


@dataclass(frozen=True)
class Before:
    """Says the step ``first`` comes before the step ``second`` (``second`` None: never, later).

    The value is ``first / second`` (``first`` when ``second`` never came); ``total`` (a
    summary key, optional) puts ``first`` as a fraction of training in the notes.
    """

    first: str
    second: str
    total: str | None = None

    @property
    def needs(self) -> Needs:
        return Needs.of(summary=(self.first, self.second) + ((self.total,) if self.total else ()))

    def __call__(self, run: LensRun) -> Reading:
        a = number(run.summary, self.first)
        if a is None:
            return Reading(None, None, f"{self.first} missing (never reached?)")
        b = number(run.summary, self.second)
        span = number(run.summary, self.total) if self.total else None
        frac = "" if span is None else f" = {a / span:.3g} of training"
        if b is None:
            return Reading(True, a, f"{self.first} = {a:g}{frac}; {self.second} never")
        return Reading(a < b, a / b if b else None,
                       f"{self.first} = {a:g}{frac}, {self.second} = {b:g}")


@dataclass(frozen=True)
class Sign(_OneKey):
    """Says a log-slope ``summary[key]`` is negative (``negative``) or positive."""

    negative: bool
    what: str
    _missing = "missing (too few points with a value)"

    def say(self, v: float) -> Reading:
        return Reading(v < 0 if self.negative else v > 0, v, f"{self.key} = {v:.3g} ({self.what})")


@dataclass(frozen=True)
class AbsBelow(_OneKey):
    """Says ``|summary[key]| < level`` (a flat trend)."""

    level: float

    def say(self, v: float) -> Reading:
        return Reading(abs(v) < self.level, v,
                       f"|{self.key}| = {abs(v):.3g} (flat: < {self.level:g})")


@dataclass(frozen=True)
class Computed:
    """Any pure function ``LensRun -> Reading``, with what it reads stated beside it."""

    read: Callable[[LensRun], Reading]
    needs: Needs

    def __call__(self, run: LensRun) -> Reading:
        return self.read(run)


#: What a claim asks one lens: a callable ``LensRun -> Reading`` with a ``needs`` attribute.
Reader = Threshold | Difference | Before | Sign | AbsBelow | Computed


@dataclass(frozen=True)
class Claim:
    """A qualitative claim and, per lens, the reader that answers it.

    Attributes
    ----------
    name : str
        An identifier; the comparison's keys are ``<name>_<lens label>`` and ``<name>_verdict``.
    text : str
        The claim in words (the notes quote it).
    readings : Mapping[str, Reader]
        lens id (``"neurashed"``, ``"network"``, ...) -> how that lens's numbers answer, in the
        order the comparison reports them.
    """

    name: str
    text: str
    readings: Mapping[str, Reader]


@dataclass(frozen=True)
class Judgement:
    """One claim judged: each lens's reading (None: the lens did not run) and the verdict."""

    readings: dict[str, Reading | None]
    verdict: str


def judge(claim: Claim, runs: Mapping[str, LensRun]) -> Judgement:
    """``agree`` when every lens the claim reads says the same, ``disagree`` when they differ,
    ``undecided`` when a lens did not run or has no answer."""
    readings = {lens: (read(runs[lens]) if lens in runs else None)
                for lens, read in claim.readings.items()}
    said = [r.says if r is not None else None for r in readings.values()]
    if not said or None in said:
        verdict = "undecided"
    else:
        verdict = "agree" if len(set(said)) == 1 else "disagree"
    return Judgement(readings, verdict)


# --------------------------------------------------------------------------- row conditions


class Condition:
    """A test on one column of a lens's rows, fixed against that lens's run (:meth:`bind`)."""

    def bind(self, run: LensRun, column: str) -> Callable[[Any], bool]:
        """The test on a cell of ``column`` in ``run``'s rows."""
        raise NotImplementedError

    def needs(self, metric: str, column: str) -> Needs:
        """What the condition reads beyond the column it tests (default: nothing)."""
        return Needs()


@dataclass(frozen=True)
class Is(Condition):
    """The cell is one of ``values`` (a plain value in ``where`` means ``Is(value)``)."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any):
        object.__setattr__(self, "values", values)

    def bind(self, run: LensRun, column: str) -> Callable[[Any], bool]:
        return lambda value: value in self.values


@dataclass(frozen=True)
class _Truth(Condition):
    truthy: bool

    def bind(self, run: LensRun, column: str) -> Callable[[Any], bool]:
        return lambda value: bool(value) is self.truthy


#: The cell is set and not zero (γ > 0); :data:`ZERO`: empty or zero (no weight decay).
NONZERO, ZERO = _Truth(True), _Truth(False)


@dataclass(frozen=True)
class _Extreme(Condition):
    pick: Callable[..., Any]
    among: Mapping[str, Any] = field(default_factory=dict)

    def bind(self, run: LensRun, column: str) -> Callable[[Any], bool]:
        found = {r[column] for r in run.rows
                 if all(r.get(k) == v for k, v in self.among.items())
                 and isinstance(r.get(column), int | float)}
        target = self.pick(found, default=None)
        return lambda value: value == target

    def needs(self, metric: str, column: str) -> Needs:
        over = self.among.get("metric")
        return Needs.of(rows={over: (column, *(k for k in self.among if k != "metric"))})


def Largest(**among: Any) -> Condition:  # noqa: N802 (reads as a value in a `where`)
    """The cell is the column's largest number in the run (over rows matching ``among``)."""
    return _Extreme(max, among)


def Smallest(**among: Any) -> Condition:  # noqa: N802
    """The cell is the column's smallest number in the run (over rows matching ``among``)."""
    return _Extreme(min, among)


@dataclass(frozen=True)
class First(Condition):
    """The cell equals the column's first value in the run's metrics.csv (file order)."""

    def bind(self, run: LensRun, column: str) -> Callable[[Any], bool]:
        target = next((r[column] for r in run.rows if r.get(column) is not None), None)
        return lambda value: value == target

    def needs(self, metric: str, column: str) -> Needs:
        return Needs.of(rows={None: (column,)})


@dataclass(frozen=True)
class SummaryValue(Condition):
    """The cell equals the run's ``summary[key]`` (the headline setting of a sweep)."""

    key: str

    def bind(self, run: LensRun, column: str) -> Callable[[Any], bool]:
        target = run.summary.get(self.key)
        return lambda value: value == target

    def needs(self, metric: str, column: str) -> Needs:
        return Needs.of(summary=(self.key,))


# --------------------------------------------------------------------------- series


@dataclass(frozen=True)
class Series:
    """A curve drawn against the fraction of training: one metric over the kept rows.

    ``where`` maps a column to a :class:`Condition` or a plain value (equality); the curve is
    the mean over every kept row (replicate, pair, ...) recorded at each step.
    """

    label: str
    metric: str
    where: Mapping[str, Any] = field(default_factory=dict)

    def _conditions(self) -> dict[str, Condition]:
        return {c: v if isinstance(v, Condition) else Is(v) for c, v in self.where.items()}

    @property
    def needs(self) -> Needs:
        found = Needs.of(rows={self.metric: ("step", *self.where)})
        for column, condition in self._conditions().items():
            found = found | condition.needs(self.metric, column)
        return found

    def keep(self, run: LensRun) -> Callable[[dict[str, Any]], bool]:
        """The row filter of this series, fixed against ``run``."""
        tests = [(c, cond.bind(run, c)) for c, cond in self._conditions().items()]
        return lambda row: all(test(row.get(column)) for column, test in tests)


def curves(run: LensRun, series: Iterable[Series]) -> list[tuple[str, Any, Any]]:
    """[(label, fraction of training (T,), mean values (1, T))] of ``run``; empty ones skipped.

    The fraction is step / last step; step 0 is left out (the figure's x axis is logarithmic).
    """
    import numpy as np

    out = []
    for s in series:
        keep = s.keep(run)
        chosen = [r for r in run.rows if r.get("metric") == s.metric and
                  isinstance(r.get("step"), int | float) and keep(r)]
        if not chosen:
            continue
        steps = np.array(sorted({float(r["step"]) for r in chosen}))
        at = {step: i for i, step in enumerate(steps)}
        sums, counts = np.zeros(len(steps)), np.zeros(len(steps))
        for r in chosen:  # mean over every replicate, pair, ... recorded at that step
            if isinstance(r["value"], int | float):
                sums[at[float(r["step"])]] += r["value"]
                counts[at[float(r["step"])]] += 1
        values = (sums / np.maximum(counts, 1))[None, :]
        values[:, counts == 0] = np.nan
        span = steps.max() if steps.max() > 0 else 1.0
        shown = steps > 0 if (steps > 0).any() else steps >= 0
        out.append((s.label, steps[shown] / span, values[:, shown]))
    return out


# --------------------------------------------------------------------------- a phenomenon


@dataclass(frozen=True)
class Phenomenon:
    """What ``learnmech compare <phenomenon>`` asks and draws; one per module of this package.

    Attributes
    ----------
    claims : tuple of Claim
        Judged in this order.
    series : Mapping[str, tuple of Series]
        lens -> its curves; one panel per lens, in this order.
    lenses : tuple of str
        The lenses ``compare`` runs (``<lens>.<phenomenon>``, those registered), in order;
        every lens a claim or series reads is among them.
    """

    claims: tuple[Claim, ...]
    series: Mapping[str, tuple[Series, ...]]
    lenses: tuple[str, ...] = DEFAULT_LENSES

    def __post_init__(self) -> None:
        unknown = [lens for lens in self.reads() if lens not in self.lenses]
        if unknown:
            raise ValueError(f"lenses {unknown} are read by a claim or series but not in "
                             f"lenses={self.lenses}")

    def reads(self) -> tuple[str, ...]:
        """The lenses a claim or a series reads, in first-seen order."""
        found = [lens for claim in self.claims for lens in claim.readings] + list(self.series)
        return tuple(dict.fromkeys(found))

    def needs(self, lens: str) -> Needs:
        """Everything the claims and series read from ``lens``'s run."""
        found = Needs()
        for claim in self.claims:
            if lens in claim.readings:
                found = found | claim.readings[lens].needs
        for s in self.series.get(lens, ()):
            found = found | s.needs
        return found
