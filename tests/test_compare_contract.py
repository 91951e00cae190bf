"""Every key a compare claim or series reads exists in its lens's smoke run.

For each phenomenon module (``experiments/compare/<phenomenon>.py``) and each lens it reads, the
lens experiment runs once at its registry smoke size (cached for the session) and the
phenomenon's declared needs (summary keys, metrics, columns) are checked against the written run
directory. A second check runs every reader and series on that run with recording dicts, so a
reader that touches a key it did not declare fails too. A renamed key therefore fails here
instead of turning a claim ``undecided``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from learnmech.core.registry import get
from learnmech.experiments.compare import (
    NONZERO,
    Before,
    Claim,
    Computed,
    LensRun,
    Needs,
    Phenomenon,
    Reading,
    Series,
    curves,
    judge,
)
from learnmech.runs.compare import known_phenomena, load_phenomenon, read_lens
from learnmech.runs.rundir import run_experiment

PAIRS = [(name, lens) for name in known_phenomena() for lens in load_phenomenon(name).reads()]


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """experiment id -> its smoke run (run once per session)."""
    cache: dict[str, LensRun] = {}

    def run(experiment_id: str) -> LensRun:
        if experiment_id not in cache:
            out = tmp_path_factory.mktemp("smoke") / experiment_id
            run_experiment(experiment_id, overrides=get(experiment_id).smoke, seed=0, out=out)
            cache[experiment_id] = read_lens(experiment_id, out)
        return cache[experiment_id]

    return run


class _Recording(dict):
    """A dict that records the keys asked of it (``get``, ``[]``, ``in``)."""

    def __init__(self, data, seen: set):
        super().__init__(data)
        self.seen = seen

    def get(self, key, default=None):
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.seen.add(key)
        return super().__contains__(key)


def touched(phenomenon: Phenomenon, lens: str, run: LensRun) -> tuple[set, set]:
    """(summary keys, (metric, column) pairs) the claims and series of ``lens`` read."""
    summary_keys: set = set()
    row_keys: dict[int, set] = {}
    rows = []
    for row in run.rows:
        rows.append(_Recording(row, row_keys.setdefault(len(rows), set())))
    recorded = LensRun(run.experiment, run.run_dir, _Recording(run.summary, summary_keys), rows)
    for claim in phenomenon.claims:
        if lens in claim.readings:
            judge(Claim(claim.name, claim.text, {lens: claim.readings[lens]}), {lens: recorded})
    curves(recorded, phenomenon.series.get(lens, ()))
    pairs = {(run.rows[i].get("metric"), column) for i, seen in row_keys.items() for column in seen}
    return summary_keys, pairs


def check(phenomenon: Phenomenon, lens: str, run: LensRun) -> list[str]:
    """What ``run`` lacks of what ``phenomenon`` reads from ``lens``, plus undeclared reads."""
    needs = phenomenon.needs(lens)
    problems = needs.unmet(run)
    summary_keys, pairs = touched(phenomenon, lens, run)
    problems += [f"summary key {k!r} is read but not declared" for k in sorted(summary_keys)
                 if not needs.covers(summary_key=k)]
    problems += [f"column {c!r} of metric {m!r} is read but not declared"
                 for m, c in sorted(pairs, key=str) if not needs.covers(row=(m, c))]
    return problems


@pytest.mark.parametrize(("name", "lens"), PAIRS, ids=[f"{n}-{lens}" for n, lens in PAIRS])
def test_every_key_read_is_in_the_lens_smoke_run(name, lens, smoke_run):
    run = smoke_run(f"{lens}.{name}")
    assert check(load_phenomenon(name), lens, run) == []


def test_every_phenomenon_reads_two_lenses_at_least():
    assert len(known_phenomena()) >= 6
    assert all(len(load_phenomenon(name).reads()) >= 2 for name in known_phenomena())


# --------------------------------------------------------------------------- the checker itself


def _fake_run(summary, rows) -> LensRun:
    return LensRun("fake.thing", Path("."), dict(summary), [dict(r) for r in rows])


FAKE = Phenomenon(
    claims=(Claim("fit_first", "text", {
        "neurashed": Before("steps_to_fit_clean", "steps_to_fit_noisy"),
        "network": Computed(lambda run: Reading(None, None, "x"), Needs.of(summary=("acc_P*",))),
    }),),
    series={"neurashed": (Series("fit", "clean_fit", {"gamma": NONZERO}),)},
)
SUMMARY = {"steps_to_fit_clean": 10, "steps_to_fit_noisy": 90, "acc_P50": 0.5}
ROWS = [{"step": 1, "gamma": 0.1, "metric": "clean_fit", "value": 0.5}]


def test_the_checker_passes_a_run_that_has_every_key():
    run = _fake_run(SUMMARY, ROWS)
    assert check(FAKE, "neurashed", run) == []
    assert check(FAKE, "network", run) == []


def test_a_renamed_summary_key_fails_the_check():
    summary = {k.replace("steps_to_fit_clean", "steps_to_clean_fit"): v
               for k, v in SUMMARY.items()}
    problems = check(FAKE, "neurashed", _fake_run(summary, ROWS))
    assert problems == ["fake.thing: summary key 'steps_to_fit_clean' is not in summary.json"]
    problems = check(FAKE, "network", _fake_run({"acc_p50": 0.5}, ROWS))
    assert problems == ["fake.thing: summary key 'acc_P*' is not in summary.json"]


def test_a_renamed_metric_or_column_fails_the_check():
    renamed = [{**ROWS[0], "metric": "fit_clean"}]
    assert check(FAKE, "neurashed", _fake_run(SUMMARY, renamed)) == [
        "fake.thing: metric 'clean_fit' is not in metrics.csv"]
    renamed = [{"step": 1, "compression": 0.1, "metric": "clean_fit", "value": 0.5}]
    assert check(FAKE, "neurashed", _fake_run(SUMMARY, renamed)) == [
        "fake.thing: column 'gamma' has no value in the rows of metric 'clean_fit' of "
        "metrics.csv"]


def test_a_reader_that_reads_an_undeclared_key_fails_the_check():
    sneaky = Phenomenon(claims=(Claim("c", "text", {"network": Computed(
        lambda run: Reading(run.summary.get("acc_P50") is not None, None, "x"),
        Needs.of(summary=("acc_Q*",)))}),), series={})
    problems = check(sneaky, "network", _fake_run({**SUMMARY, "acc_Q1": 1}, ROWS))
    assert problems == ["summary key 'acc_P50' is read but not declared"]


def test_a_renamed_key_in_a_real_smoke_run_fails_the_check(smoke_run):
    run = smoke_run("network.label-noise")
    phenomenon = load_phenomenon("label-noise")
    summary = {("flipped_fit_at_end" if k == "flipped_fit_final" else k): v
               for k, v in run.summary.items()}
    problems = check(phenomenon, "network", LensRun(run.experiment, run.run_dir, summary,
                                                    run.rows))
    assert "network.label-noise: summary key 'flipped_fit_final' is not in summary.json" in (
        problems)
