"""Config resolution and the one error message shape (learnmech.core.config)."""

from __future__ import annotations

import math

import pytest
from conftest import DUMMY_ID, DummyConfig, Noise
from hypothesis import given
from hypothesis import strategies as st

from learnmech.core.config import (
    ConfigError,
    ExperimentConfig,
    config_keys,
    resolve_config,
    to_plain_dict,
)


def refuse(*sets, **kwargs) -> ConfigError:
    """The ConfigError raised for these --set strings."""
    with pytest.raises(ConfigError) as info:
        resolve_config(DUMMY_ID, DummyConfig, sets=sets, **kwargs)
    return info.value


def test_defaults_resolve():
    config = resolve_config(DUMMY_ID, DummyConfig)
    assert config == DummyConfig()
    assert config.seed == 0 and config.shape.width == 8 and config.noise.band == (-2.0, 2.0)


@pytest.mark.parametrize(
    ("sets", "key", "message"),
    [
        (["noise.level=1.5"], "noise.level", "must be a float in [0, 1]; got 1.5"),
        (["noise.level=-0.1"], "noise.level", "must be a float in [0, 1]; got -0.1"),
        (["shape.width=-3"], "shape.width", "must be an integer in [1, 64]; got -3"),
        (["shape.width=2.5"], "shape.width", "must be an integer in [1, 64]; got 2.5"),
        (["shape.width=abc"], "shape.width", "must be an integer in [1, 64]; got 'abc'"),
        (["shape.kind=foo"], "shape.kind",
         "must be one of 'sine', 'square', 'flat'; got 'foo'"),
        (["scale=0"], "scale", "must be a float in (0, 100]; got 0"),
        (["scale=nan"], "scale", "must be a float in (0, 100]; got nan"),
        (["scale=.inf"], "scale", "must be a float in (0, 100]; got inf"),
        (["noise.level=NaN"], "noise.level", "must be a float in [0, 1]; got nan"),
        (["seed=-1"], "seed", "must be an integer in [0, 4294967295]; got -1"),
        (["steps=[1, 2]"], "steps", "must be an integer in [0, 10000]; got [1, 2]"),
        (["noise.band=[1, 2, 3]"], "noise.band", "must be a list of 2 values; got [1, 2, 3]"),
        (["noise.band=[2, 1]"], "noise.band",
         "must be increasing (low < high); got [2.0, 1.0]"),
        (["shape=3"], "shape", "must be a mapping of shape.* keys; got 3"),
    ],
)
def test_bad_values_are_refused_with_the_template(sets, key, message):
    error = refuse(*sets)
    assert error.key == key
    assert error.message == message
    assert str(error) == f"{DUMMY_ID}: {key} {message}"


def test_unknown_keys_list_the_accepted_ones():
    error = refuse("shape.colour=red")
    assert error.key == "shape.colour"
    assert str(error) == (
        f"{DUMMY_ID}: shape.colour is not a key of this experiment; "
        "accepted keys: shape.width, shape.kind"
    )
    top = refuse("colour=red")
    assert top.message.startswith("is not a key of this experiment; accepted keys: seed, ")
    assert "noise.band" in top.message
    assert refuse("steps.x=1").key == "steps.x"  # a leaf has no sub-keys


def test_malformed_set_is_refused():
    error = refuse("steps")
    assert error.key == "--set"
    assert str(error) == f"{DUMMY_ID}: --set must be written key=value (e.g. seed=3); got 'steps'"
    assert refuse("=3").key == "--set"


def test_yaml_file_nested_and_dotted_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("shape:\n  width: 16\nnoise.level: 0.5\nsteps: 7\n")
    config = resolve_config(DUMMY_ID, DummyConfig, file=path)
    assert (config.shape.width, config.noise.level, config.steps) == (16, 0.5, 7)
    assert config.shape.kind == "sine"  # untouched keys keep their defaults


def test_precedence_file_then_overrides_then_sets_then_seed(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("seed: 1\nsteps: 7\nscale: 2.0\nshape: {width: 16, kind: square}\n")
    config = resolve_config(
        DUMMY_ID, DummyConfig, file=path, overrides={"scale": 3.0, "shape.width": 32},
        sets=["steps=9", "shape.width=4", "seed=5"], seed=11,
    )
    assert config.steps == 9  # set beats file
    assert config.scale == 3.0  # override beats file
    assert config.shape.width == 4  # set beats override
    assert config.shape.kind == "square"  # file beats default
    assert config.seed == 11  # seed beats everything


def test_set_values_are_read_as_yaml():
    config = resolve_config(DUMMY_ID, DummyConfig,
                            sets=["noise.band=[-1, 1.5]", "shape.kind=flat", "scale=1e-3"])
    assert config.noise.band == (-1.0, 1.5)
    assert config.shape.kind == "flat"
    assert math.isclose(config.scale, 1e-3)


def test_file_errors(tmp_path):
    missing = refuse(file=tmp_path / "nope.yaml")
    assert missing.key == "--config" and "nope.yaml" in missing.message
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [1, 2\n")
    assert refuse(file=bad).message.startswith("must be a valid YAML file")
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n")
    assert refuse(file=listed).message.startswith("must hold a mapping")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("noise:\n  level: 2\n")
    assert str(refuse(file=wrong)) == f"{DUMMY_ID}: noise.level must be a float in [0, 1]; got 2"
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert resolve_config(DUMMY_ID, DummyConfig, file=empty) == DummyConfig()


def test_seed_override_is_validated():
    assert resolve_config(DUMMY_ID, DummyConfig, seed=42).seed == 42
    assert str(refuse(seed=-2)) == (
        f"{DUMMY_ID}: seed must be an integer in [0, 4294967295]; got -2")


def test_config_yaml_round_trip_ignores_run_metadata(tmp_path):
    import yaml

    config = resolve_config(DUMMY_ID, DummyConfig, sets=["steps=3", "noise.band=[0, 1]"])
    data = to_plain_dict(config)
    assert data["noise"]["band"] == [0.0, 1.0]  # tuples as lists for YAML
    data.update(experiment=DUMMY_ID, versions={"python": "3"}, timestamp="t", command="c")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    assert resolve_config(DUMMY_ID, DummyConfig, file=path) == config


def test_config_keys_document_every_leaf():
    keys = config_keys(DummyConfig)
    assert list(keys) == ["seed", "shape.width", "shape.kind", "noise.level", "noise.band",
                          "steps", "scale"]
    assert keys["noise.level"].accepted == "a float in [0, 1]"
    assert keys["noise.level"].ge == 0.0 and keys["noise.level"].le == 1.0
    assert keys["shape.kind"].accepted == "one of 'sine', 'square', 'flat'"
    assert keys["noise.band"].default == [-2.0, 2.0]
    assert keys["scale"].accepted == "a float in (0, 100]"
    assert keys["seed"].description == "drives every random choice"
    assert all(info.description for info in keys.values())


def test_configs_are_frozen_and_strict():
    config = DummyConfig()
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises its ValidationError
        config.steps = 3
    with pytest.raises(Exception):  # noqa: B017
        Noise(level=0.1, extra=1)
    assert issubclass(DummyConfig, ExperimentConfig)


@given(level=st.floats(allow_nan=True, allow_infinity=True))
def test_every_float_is_either_accepted_or_refused_with_the_template(level):
    try:
        config = resolve_config(DUMMY_ID, DummyConfig, overrides={"noise.level": level})
    except ConfigError as error:
        assert not 0.0 <= level <= 1.0
        assert str(error) == f"{DUMMY_ID}: noise.level must be a float in [0, 1]; got {level!r}"
    else:
        assert 0.0 <= level <= 1.0 and config.noise.level == level


def test_seed_is_a_32_bit_unsigned_integer():
    from learnmech.core.config import MAX_SEED

    assert MAX_SEED == 2**32 - 1
    assert resolve_config(DUMMY_ID, DummyConfig, seed=MAX_SEED).seed == MAX_SEED
    assert "seed must be an integer in [0, 4294967295]; got 4294967296" in str(
        refuse(seed=MAX_SEED + 1))


def _billion_laughs(levels: int = 9) -> str:
    lines = ["steps:", "  - &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"  - &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_yaml_alias_bombs_are_refused_while_reading_with_bounded_memory(tmp_path):
    import time
    import tracemalloc

    path = tmp_path / "bomb.yaml"
    path.write_text(_billion_laughs())
    tracemalloc.start()
    started = time.perf_counter()
    error = refuse(file=path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert error.key == "--config" and "at most 100000 values with its aliases expanded" in \
        error.message
    assert time.perf_counter() - started < 5 and peak < 20 * 2**20  # before: 2.9 GB, then OOM
    assert "at most 100000 values" in str(refuse("steps=" + _billion_laughs().split(
        "\n", 1)[1].replace("\n  - ", ", ").replace("  - ", "[", 1) + "]"))


def test_yaml_aliases_of_modest_size_and_merges_still_work(tmp_path):
    import yaml

    from learnmech.core.config import load_yaml

    text = "base: &b {width: 4}\nshape:\n  <<: *b\n  kind: square\nlist: &l [1, 2]\nagain: *l\n"
    assert load_yaml(text) == yaml.safe_load(text)
    path = tmp_path / "ok.yaml"
    path.write_text("shape: &s {width: 4}\nnoise: {band: &band [-1, 1]}\n")
    assert resolve_config(DUMMY_ID, DummyConfig, file=path).shape.width == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1, *x]\n", "must not hold a recursive YAML alias"),
        ("steps: " + "[" * 65 + "]" * 65 + "\n", "must nest at most 64 levels"),
        ("steps: " + "{a: " * 70 + "1" + "}" * 70 + "\n", "must nest at most 64 levels"),
        ("steps: " + "9" * 5000 + "\n", "Exceeds the limit"),
    ],
)
def test_yaml_files_that_would_exhaust_the_reader_are_refused(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    error = refuse(file=path)
    assert error.key == "--config" and message in error.message


def test_config_files_are_bounded_regular_utf8_files(tmp_path):
    from learnmech.core.config import MAX_CONFIG_BYTES

    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * MAX_CONFIG_BYTES + "\n")
    assert f"must be at most {MAX_CONFIG_BYTES} bytes" in refuse(file=big).message
    assert "a device or special file" in refuse(file="/dev/zero").message
    assert "(a directory)" in refuse(file=tmp_path).message
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("steps: 3 # caf\xe9\n".encode("latin-1"))
    assert "must be UTF-8 text" in refuse(file=latin).message
    assert "byte 0xe9 at offset 14" in refuse(file=latin).message


def test_messages_never_show_an_unbounded_value():
    huge = [list(range(1000))] * 1000
    error = refuse(overrides={"steps": huge})
    assert len(str(error)) < 300 and "..." in str(error)
    error = refuse("k" * 100_000 + "=1")
    assert len(str(error)) < 5000
    error = refuse("steps=" + "'" + "s" * 100_000 + "'")
    assert len(str(error)) < 300
