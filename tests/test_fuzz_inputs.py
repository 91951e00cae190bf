"""A fuzz of bad inputs over every experiment's keys: refused with the key named, nothing left.

Every key of every registered experiment (``learnmech.core.config.config_keys``) is given bad
values -- the wrong type, negative, NaN, ±inf, huge, empty, nested -- both as Python values and
as ``--set`` strings; each must end in a ``ConfigError`` (exit 2 on the command line) that names
the key. The refusals run in-process through config resolution (a few seconds for the ~6000
cases); a handful of values that look valid but once crashed run at smoke size; a handful of
command-line cases run as subprocesses, one with its address space capped.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
from conftest import DUMMY_ID

from learnmech.core.config import ConfigError, KeyInfo, config_keys, resolve_config
from learnmech.core.registry import all_experiments, get
from learnmech.runs import run_experiment

#: The package's experiments (not the toys other test modules register).
EXPERIMENTS = [e for e in all_experiments() if e.run.__module__.startswith("learnmech.")]


def _bad_values(info: KeyInfo) -> list[tuple[str, object, bool]]:
    """(label, value, must it be refused?) for one key, from its declared kinds and bounds."""
    kinds = info.kinds
    numeric = bool(kinds & {"int", "float"})
    lower = info.ge if info.ge is not None else info.gt
    upper = info.le if info.le is not None else info.lt
    values = [
        ("nested mapping", {"x": {"y": 1}}, True),
        ("nested list", [[1, [2]]], True),
        ("text", "abc", True),
        ("empty text", "", True),
        ("empty list", [], "tuple" not in kinds),
        ("NaN", math.nan, True),
        ("inf", math.inf, True),
        ("-inf", -math.inf, True),
        ("negative", -1, not numeric or (lower is not None and lower >= 0)),
        ("huge int", 10**30, not numeric or upper is not None),
        ("huge float", 1e300, not numeric or upper is not None),
        ("deep", [[[[[[[[[[1]]]]]]]]]], True),
    ]
    if "int" in kinds and "float" not in kinds:
        values.append(("fraction", 1.5, True))
    return values


#: Bad-looking values that are valid, each with why.
VALID = {
    ("mechanics.mup-transfer", "lr_min_log2", "negative"): "η = 2^-1",
    ("mechanics.mup-transfer", "lr_max_log2", "negative"): "η = 2^-1",
    ("theory.learning-curve", "network.widths", "empty list"): "no trained networks",
}


def _named(exc: ConfigError, key: str) -> bool:
    return exc.key == key or key in str(exc)


def test_every_key_of_every_experiment_refuses_bad_values():
    assert len(EXPERIMENTS) >= 30
    wrong, accepted, cases = [], set(), 0
    for experiment in EXPERIMENTS:
        for key, info in config_keys(experiment.config_cls).items():
            for label, value, must in _bad_values(info):
                cases += 1
                try:
                    resolve_config(experiment.id, experiment.config_cls, overrides={key: value})
                except ConfigError as exc:
                    if not _named(exc, key):
                        wrong.append((experiment.id, key, label, f"names another key: {exc}"))
                    if len(str(exc)) > 4200:
                        wrong.append((experiment.id, key, label, "unbounded message"))
                except Exception as exc:  # anything else is a bug: exit 1 or a traceback
                    wrong.append((experiment.id, key, label, f"{type(exc).__name__}: {exc}"))
                else:
                    accepted.add((experiment.id, key, label))
                    if must:
                        wrong.append((experiment.id, key, label, "accepted"))
    assert cases > 5000
    assert wrong == []
    assert accepted == set(VALID)


SET_STRINGS = ["nan", "-inf", "abc", "{a: {b: 1}}", "[" * 80 + "]" * 80,
               "&a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, [*a]]"]


def test_every_key_refuses_bad_set_strings():
    wrong = []
    for experiment in EXPERIMENTS:
        for key in config_keys(experiment.config_cls):
            for text in SET_STRINGS:
                try:
                    resolve_config(experiment.id, experiment.config_cls, sets=[f"{key}={text}"])
                except ConfigError as exc:
                    if not _named(exc, key):
                        wrong.append((experiment.id, key, text, str(exc)))
                except Exception as exc:
                    wrong.append((experiment.id, key, text, f"{type(exc).__name__}: {exc}"))
                else:
                    wrong.append((experiment.id, key, text, "accepted"))
    assert wrong == []


def test_a_refusal_creates_nothing_for_every_experiment(tmp_path):
    for experiment in EXPERIMENTS:
        key = next(iter(config_keys(experiment.config_cls)))
        with pytest.raises(ConfigError, match=key):
            run_experiment(experiment.id, sets=[f"{key}=.nan"], out=tmp_path / "run" / "x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("experiment_id", "sets", "key", "phrase"),
    [
        ("theory.kernel-spectrum", ["d=1000"], "gram_n", "167667500 spherical-harmonic modes"),
        ("theory.kernel-spectrum", ["gram_degrees=9"], "gram_degrees", "at most lmax = 8"),
        ("neurashed.local-elasticity", ["train.omega=0"], "train.omega", "positive"),
        ("neurashed.label-noise", ["train.omega=[1, 1, 0]", "train.readout=flow"],
         "train.omega", "top level"),
        ("neurashed.forgetting", ["world.taxonomy={a: {b: 1}}"], "world.taxonomy",
         "must map to a mapping or null"),
        ("network.label-noise", ["train.device=gpu"], "train.device", "torch device"),
        ("network.local-elasticity", ["device=cuda:-1"], "device", "torch device"),
        ("network.forgetting", ["train.device=meta"], "train.device", "cpu, cuda"),
        ("network.forgetting", ["seed=9223372036854775807"], "seed", "[0, 4294967295]"),
    ],
)
def test_cross_key_and_device_checks_refuse_at_validation(experiment_id, sets, key, phrase):
    experiment = get(experiment_id)
    with pytest.raises(ConfigError) as info:
        resolve_config(experiment_id, experiment.config_cls, sets=sets)
    assert info.value.key == key and phrase in str(info.value)


def test_cuda_is_refused_where_torch_has_none():
    import torch

    experiment = get("network.label-noise")
    if torch.cuda.is_available():
        config = resolve_config(experiment.id, experiment.config_cls, sets=["train.device=cuda"])
        assert config.train.device == "cuda"
        count = torch.cuda.device_count()
        with pytest.raises(ConfigError, match=f"cuda:0..cuda:{count - 1}"):
            resolve_config(experiment.id, experiment.config_cls,
                           sets=[f"train.device=cuda:{count}"])
    else:
        with pytest.raises(ConfigError, match="CUDA is not available here"):
            resolve_config(experiment.id, experiment.config_cls, sets=["train.device=cuda"])


@pytest.mark.parametrize(
    ("experiment_id", "sets"),
    [
        ("neurashed.implicit-regularization", ["world.examples_per_class=1000"]),
        ("neurashed.step-size-and-batch", ["world.pool=5"]),
        ("neurashed.local-elasticity", ["train.beta=1e-300"]),
    ],
    ids=["every nuisance feature shared", "no compression time", "no measurable elasticity"],
)
def test_valid_looking_values_that_crashed_now_run(tmp_path, experiment_id, sets):
    experiment = get(experiment_id)
    out = run_experiment(experiment_id, overrides=experiment.smoke, sets=sets,
                         out=tmp_path / "run")
    assert (out / "summary.json").is_file() and (out / "report.html").is_file()


def _cli(*args, cap_bytes=None, cwd=None):
    def limit():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))

    env = {**os.environ, "LEARNMECH_PROGRESS": "0"}
    return subprocess.run([sys.executable, "-m", "learnmech", *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=cwd,
                          preexec_fn=limit if cap_bytes else None)


def _billion_laughs(path):
    """A 9-level YAML alias bomb under a valid key: 10^9 leaves once expanded."""
    lines = ["seed:", "  - &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"  - &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_refusals_exit_2_with_one_line_and_create_nothing(tmp_path):
    (tmp_path / "file").write_text("x")
    bomb = _billion_laughs(tmp_path / "bomb.yaml")
    cases = [  # (arguments, phrase of the one error line, address-space cap)
        (["--seed", "abc"], "'--seed'", None),
        (["--config", str(bomb)], "at most 100000 values", 512 * 2**20),
        (["--config", "/dev/zero"], "must be a regular YAML file", 512 * 2**20),
        (["--set", "world.pool=[1, 2]"], "world.pool must be one value or 3 values", None),
        (["--set", "world.data=x.npz"], "world.data must be an existing .npz file", None),
    ]
    for args, phrase, cap in cases:
        done = _cli("run", "neurashed.label-noise", *args, "--out", str(tmp_path / "run"),
                    cap_bytes=cap)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], \
            (args, done.stderr)
        assert done.stdout == ""
    done = _cli("run", "neurashed.label-noise", "--out", str(tmp_path / "file" / "run"))
    assert done.returncode == 2 and "which is a file" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.yaml", "file"]


def test_cli_refusals_in_process(dummy, tmp_path):
    from typer.testing import CliRunner

    from learnmech.cli import app

    (tmp_path / "latin1.yaml").write_bytes("steps: 3 # é\n".encode("latin-1"))
    (tmp_path / "deep.yaml").write_text("steps: " + "[" * 1000 + "]" * 1000 + "\n")
    (tmp_path / "long-key.yaml").write_text("? " + "k" * 100_000 + "\n: 1\n")
    cases = [
        (["--seed", str(2**64)], "seed must be an integer in [0, 4294967295]"),
        (["--config", str(tmp_path / "latin1.yaml")], "must be UTF-8 text"),
        (["--config", str(tmp_path / "deep.yaml")], "must nest at most 64 levels"),
        (["--config", str(tmp_path / "long-key.yaml")], "is not a key of this experiment"),
        (["--config", str(tmp_path)], "must be a regular YAML file"),
        (["--set", "steps=" + "9" * 5000], "steps must be an integer in [0, 10000]"),
    ]
    runner = CliRunner()
    for args, phrase in cases:
        result = runner.invoke(app, ["run", DUMMY_ID, *args, "--out", str(tmp_path / "run")])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith(f"error: {DUMMY_ID}: ") and phrase in result.stderr, \
            (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and len(result.stderr) < 4200
        assert not (tmp_path / "run").exists()
