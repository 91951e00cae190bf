"""Update rules against hand-computed cases; the fast core against the dense reference."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnmech.neurashed.dynamics import (
    dense_steps,
    draw_batches,
    record_schedule,
    simulate,
    start,
)
from learnmech.neurashed.readout import make_readout
from learnmech.neurashed.spec import TrainSpec, WorldSpec
from learnmech.neurashed.world import make_world, world_from_arrays

E = math.e


def two_feature_world():
    """Example 0 = {f0} labelled 0, example 1 = {f1} labelled 1, both features at level 1."""
    return world_from_arrays(np.eye(2, dtype=int), [1, 1], [0, 1])


def one_step(world, spec, example):
    sim = start([world], spec)
    sim.advance(np.array([[example]]))
    return sim.amplitudes[0]


@pytest.mark.parametrize(
    "rule, expected_f0",
    [
        ("multiplicative", math.exp(0.5 / (1 + E)) * 0.95),  # λ e^{ηg}(1 − ηγ), g = 1/(1+e)
        ("additive", 0.95 + 0.5 / (1 + E)),  # (1 − ηγ)λ + ηg
        ("fixed", math.exp(0.5 * 0.05)),  # g⁺ = e^{ηκ}: f0 is used and points to the label
    ],
)
def test_one_step_of_each_rule_by_hand(rule, expected_f0):
    spec = TrainSpec(rule=rule, eta=0.5, gamma=0.1, lambda0=1.0)
    lam = one_step(two_feature_world(), spec, example=0)
    # s = (λ0 W[0,f0], 0) = (1, 0): p_0 = e/(1+e), g_f0 = W[0,f0] − p·W[:,f0] = 1/(1+e)
    assert lam[0] == pytest.approx(expected_f0, rel=1e-12)
    assert lam[1] == pytest.approx(0.95, rel=1e-12)  # unused: shrinks by 1 − ηγ


def test_flow_readout_gradient_by_hand():
    # f0 (level 1) → f1 (level 2) for class 0; f2 → f3 for class 1.
    x = np.array([[1, 0, 1, 0], [0, 1, 0, 1]])  # columns: f0, f2, f1, f3 ordered by level
    world = world_from_arrays(x, [1, 1, 2, 2], [0, 1], edges=[[2, 0], [3, 1]])
    spec = TrainSpec(readout="flow", lambda0=1.0, gamma=0.0, eta=1.0)
    readout = make_readout(world, spec)
    lam = np.array([2.0, 1.0, 3.0, 1.0])
    # v_f1 = λ_f1 λ_f0 = 6, s = (6, 0): ∂ log p_0/∂λ_f1 = λ_f0 (1 − p_0), ∂/∂λ_f0 = λ_f1 (1 − p_0)
    one_minus_p0 = 1 / (1 + math.exp(6))
    grad = readout.gradients(x[:1], np.array([0]), lam)[0]
    assert grad == pytest.approx([3 * one_minus_p0, 0, 2 * one_minus_p0, 0], rel=1e-12)
    lam_fast = one_step(world, spec.model_copy(update={"lambda0": 1.0}), example=0)
    assert lam_fast[0] == pytest.approx(math.exp(1 / (1 + E)), rel=1e-12)


def test_eta_zero_leaves_volumes_unchanged_for_every_rule():
    world = make_world(WorldSpec(pool=50), seed=0)
    for rule in ("multiplicative", "additive", "fixed"):
        spec = TrainSpec(rule=rule, eta=0.0, steps=200)
        sim = simulate([world], spec, [np.random.default_rng(0)])
        assert np.array_equal(sim.amplitudes[0], np.full(world.n_features, spec.lambda0))


world_specs = st.builds(
    WorldSpec,
    classes=st.integers(2, 5),
    superclasses=st.integers(1, 3),
    levels=st.just(3),
    features_per_owner=st.integers(1, 4),
    pool=st.integers(0, 40),
    nu=st.integers(0, 4),
    rho=st.floats(0.3, 1.0),
    delta=st.floats(0.0, 0.3),
    examples_per_class=st.integers(1, 6),
    test_per_class=st.just(2),
    label_noise=st.floats(0.0, 0.5),
    closure=st.booleans(),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=world_specs,
    rule=st.sampled_from(["multiplicative", "additive", "fixed"]),
    readout=st.sampled_from(["sum", "flow"]),
    batch=st.integers(1, 4),
    eta=st.floats(0.01, 1.0),
    seed=st.integers(0, 2**16),
)
def test_fast_core_equals_dense_reference(spec, rule, readout, batch, eta, seed):
    world = make_world(spec, seed=seed)
    train = TrainSpec(rule=rule, readout=readout, batch=batch, eta=eta, gamma=0.01)
    batches = draw_batches(np.random.default_rng(seed), world.train.n, 60, batch)
    sim = start([world], train)
    sim.advance(batches[None])
    reference = dense_steps(
        np.full(world.n_features, train.lambda0), world, sim.readouts[0], train, batches
    )
    np.testing.assert_allclose(sim.amplitudes[0], reference, rtol=1e-9, atol=1e-300)


@settings(max_examples=30, deadline=None)
@given(
    spec=world_specs,
    rule=st.sampled_from(["multiplicative", "additive", "fixed"]),
    batch=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_amplitudes_stay_positive_and_finite(spec, rule, batch, seed):
    train = TrainSpec(rule=rule, batch=batch, steps=3000, records=3)
    sim = simulate([make_world(spec, seed=seed)], train, [np.random.default_rng(seed)])
    lam = sim.amplitudes
    assert np.isfinite(lam).all()
    assert (lam > 0).all() if rule != "additive" else (lam >= 0).all()


def test_renormalisation_keeps_the_fast_core_exact():
    """Long enough that scale crosses RENORM_BELOW several times (shrink 0.5 per step)."""
    world = make_world(WorldSpec(pool=20, examples_per_class=2), seed=0)
    spec = TrainSpec(eta=1.0, gamma=0.5)
    batches = draw_batches(np.random.default_rng(1), world.train.n, 1000, 1)
    sim = start([world], spec)
    sim.advance(batches[None])
    ref = dense_steps(np.full(world.n_features, spec.lambda0), world, sim.readouts[0], spec,
                      batches)
    assert sim.scale[0] > 1e-100
    np.testing.assert_allclose(sim.amplitudes[0], ref, rtol=1e-9, atol=0)


def test_same_seed_reproduces_bit_for_bit_and_seeds_run_batched():
    worlds = [make_world(WorldSpec(pool=100), seed=s) for s in range(3)]
    spec = TrainSpec(steps=3000)

    def run(ws, seeds):
        return simulate(ws, spec, [np.random.default_rng(s) for s in seeds]).amplitudes

    together = run(worlds, [10, 11, 12])
    assert np.array_equal(together, run(worlds, [10, 11, 12]))
    alone = np.stack([run([w], [s])[0] for w, s in zip(worlds, [10, 11, 12], strict=True)])
    assert np.array_equal(together, alone)


def test_overflow_is_reported_with_the_keys_to_change():
    world = make_world(WorldSpec(pool=10), seed=0)
    spec = TrainSpec(rule="fixed", fixed_gain=50.0, eta=2.0, gamma=0.0, steps=5000, records=2)
    with pytest.raises(FloatingPointError, match="train.fixed_gain"):
        simulate([world], spec, [np.random.default_rng(0)])


def test_record_schedule_is_log_spaced_and_includes_the_ends():
    sched = record_schedule(10000, 20)
    assert sched[0] == 0 and sched[-1] == 10000
    assert np.all(np.diff(sched) > 0) and len(sched) <= 20
