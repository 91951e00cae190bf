"""The figures (learnmech.plots): right axes and labels, edge cases, shape checks, and that
they draw."""

from __future__ import annotations

import re

import numpy as np
import pytest

from learnmech import plots as F

mpl = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402


def _draws(fig, tmp_path, name="fig"):
    assert isinstance(fig, Figure)
    path = tmp_path / f"{name}.png"
    fig.savefig(path)
    assert path.stat().st_size > 1000
    return fig


def legend_texts(fig):
    """The entries of a figure's legends (figure-level and per-axes), in order."""
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def _graph_inputs(n_levels=3, per_level=4, pool=50, seed=0):
    """A small neurashed-like world: generic at level 1, classes at the top, nuisance pools."""
    rng = np.random.default_rng(seed)
    levels, kinds, owners = [], [], []
    for level in range(1, n_levels + 1):
        kind = "generic" if level == 1 else ("class" if level == n_levels else "ancestor")
        for k in range(per_level):
            levels.append(level)
            kinds.append(kind)
            owners.append("root" if kind == "generic" else f"{kind}{k % 2}")
        for _ in range(pool):
            levels.append(level)
            kinds.append("nuisance")
            owners.append("")
    levels = np.array(levels)
    edges = []
    for f in np.flatnonzero(levels > 1):
        below = np.flatnonzero(levels == levels[f] - 1)
        for c in rng.choice(below, size=min(2, below.size), replace=False):
            edges.append((f, c))
    edges = np.array(edges, dtype=int).reshape(-1, 2)
    n = levels.size
    before = np.full(n, 0.05)
    after = np.where(np.array(kinds) == "nuisance", 1e-3, 1.0) * rng.uniform(0.5, 2.0, n)
    return levels, before, after, np.array(kinds), edges, np.array(owners)


# --------------------------------------------------------------------------- style


def test_style_is_scoped_and_applied():
    before = dict(mpl.rcParams)
    with F.style():
        assert mpl.rcParams["font.size"] == F.STYLE["font.size"]
    assert dict(mpl.rcParams) == before
    fig = F.info_curves([1, 10, 100], [[1, 2, 3]], labels=["a"], ylabel="I [bits]")
    assert dict(mpl.rcParams) == before  # nothing global changed
    ax = fig.axes[0]
    assert ax.xaxis.label.get_fontsize() == F.STYLE["axes.labelsize"]
    assert not ax.spines["top"].get_visible()


def test_kind_colors_cover_every_kind():
    assert set(F.KIND_COLORS) == {"generic", "ancestor", "class", "nuisance"}
    assert len(set(F.KIND_COLORS.values())) == 4


def test_import_does_not_load_pyplot():
    import subprocess
    import sys

    code = ("import sys, learnmech.plots as P, importlib\n"
            "for name in ('theme', 'graph', 'information', 'series', 'sweeps', 'matrices', "
            "'tuning', 'intervals'): importlib.import_module('learnmech.plots.' + name)\n"
            "P.sweep_plot, P.mean_interval\n"
            "print('matplotlib.pyplot' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --------------------------------------------------------------------------- layered graph


def test_layered_graph_two_panels(tmp_path):
    levels, before, after, kinds, edges, owners = _graph_inputs()
    fig = F.layered_graph(levels, before, after, kinds, edges, owner_labels=owners, title="t")
    _draws(fig, tmp_path)
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["before training", "after training"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["level 1", "level 2",
                                                                      "level 3"]
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert any(t.startswith("pool: 50 features") for t in texts)
    assert fig.legends  # kinds and size keys


def test_layered_graph_shared_area_scale():
    levels, before, after, kinds, edges, _ = _graph_inputs(pool=0)
    fig = F.layered_graph(levels, before, after, kinds, edges)
    # the node scatter is the second collection after the edges and the position dots
    sizes = [ax.collections[2].get_sizes() for ax in fig.axes]
    ratio = np.sort(sizes[1]).max() / np.sort(sizes[0]).max()
    assert ratio == pytest.approx(after.max() / before.max())


def test_layered_graph_limits_nuisance_nodes():
    levels, before, after, kinds, edges, _ = _graph_inputs(pool=200)
    fig = F.layered_graph(levels, before, after, kinds, edges, max_nuisance_per_level=5)
    n_semantic = int((kinds != "nuisance").sum())
    assert len(fig.axes[0].collections[2].get_offsets()) == n_semantic + 3 * 5


@pytest.mark.parametrize("case", ["one_level", "equal", "no_nuisance", "no_edges", "int_kinds",
                                  "zero_volume", "no_nuisance_drawn"])
def test_layered_graph_edge_cases(case, tmp_path):
    levels, before, after, kinds, edges, owners = _graph_inputs()
    kwargs = {}
    if case == "one_level":
        levels, before, after, kinds, edges, owners = _graph_inputs(n_levels=1)
        assert edges.shape == (0, 2)
    elif case == "equal":
        after = before.copy()
    elif case == "no_nuisance":
        keep = kinds != "nuisance"
        levels, before, after, kinds, owners = (a[keep] for a in (levels, before, after, kinds,
                                                                   owners))
        edges = np.zeros((0, 2), dtype=int)
    elif case == "no_edges":
        edges = np.array([])
    elif case == "int_kinds":
        kinds = np.array([F.KIND_ORDER.index(k) for k in kinds])
    elif case == "zero_volume":
        after = np.where(kinds == "nuisance", 0.0, after)
    elif case == "no_nuisance_drawn":
        kwargs["max_nuisance_per_level"] = 0
    fig = F.layered_graph(levels, before, after, kinds, edges, owner_labels=owners, **kwargs)
    _draws(fig, tmp_path, case)
    assert len(fig.axes) == 2


@pytest.mark.parametrize(
    ("arg", "change"),
    [
        ("volumes_before", lambda a: {**a, "volumes_before": a["volumes_before"][:-1]}),
        ("volumes_after", lambda a: {**a, "volumes_after": a["volumes_after"][:, None]}),
        ("volumes_after", lambda a: {**a, "volumes_after": -a["volumes_after"]}),
        ("kinds", lambda a: {**a, "kinds": a["kinds"][:-2]}),
        ("kinds", lambda a: {**a, "kinds": np.where(a["kinds"] == "class", "klass", a["kinds"])}),
        ("kinds", lambda a: {**a, "kinds": np.full(a["kinds"].shape, 7)}),
        ("edges", lambda a: {**a, "edges": a["edges"][:, :1]}),
        ("edges", lambda a: {**a, "edges": a["edges"] + 10_000}),
        ("owner_labels", lambda a: {**a, "owner_labels": a["owner_labels"][:3]}),
        ("levels", lambda a: {**a, "levels": a["levels"] - 1}),
        ("max_nuisance_per_level", lambda a: {**a, "max_nuisance_per_level": -1}),
    ],
)
def test_layered_graph_refuses_bad_input(arg, change):
    levels, before, after, kinds, edges, owners = _graph_inputs()
    args = dict(levels=levels, volumes_before=before, volumes_after=after, kinds=kinds,
                edges=edges, owner_labels=owners)
    args = change(args)
    with pytest.raises(ValueError, match=arg):
        F.layered_graph(**args)


# --------------------------------------------------------------------------- information plane


def test_information_plane(tmp_path):
    steps = np.array([0, 1, 3, 10, 30, 100, 300, 1000])
    t = np.linspace(0, 1, steps.size)[:, None]
    i_xt = np.hstack([3 * t, 2 * t])
    i_ty = np.hstack([np.sqrt(t), t])
    fig = F.information_plane(i_xt, i_ty, steps, level_labels=["level 1", "level 2"], title="x")
    _draws(fig, tmp_path)
    assert len(fig.axes) == 2  # plot + colorbar
    ax, cax = fig.axes
    assert ax.get_xlabel() == "I(X;T) [bits]"
    assert ax.get_ylabel() == "I(T;Y) [bits]"
    assert cax.get_ylabel() == "training step"
    assert legend_texts(fig) == ["level 1", "level 2"]
    annotations = [t.get_text() for t in ax.texts]
    assert annotations.count("start") == 1  # both levels start at the same point
    assert annotations.count("end") == 2


@pytest.mark.parametrize("n_records", [1, 2])
def test_information_plane_tiny(n_records, tmp_path):
    steps = np.arange(1, n_records + 1)
    fig = F.information_plane(np.ones((n_records, 1)), np.ones((n_records, 1)), steps)
    _draws(fig, tmp_path)


def test_information_plane_refuses_mismatch():
    with pytest.raises(ValueError, match="i_ty"):
        F.information_plane(np.ones((4, 2)), np.ones((4, 3)), np.arange(4))
    with pytest.raises(ValueError, match="steps"):
        F.information_plane(np.ones((4, 2)), np.ones((4, 2)), np.arange(5))
    with pytest.raises(ValueError, match="level_labels"):
        F.information_plane(np.ones((4, 2)), np.ones((4, 2)), np.arange(4), level_labels=["a"])


# --------------------------------------------------------------------------- curves


def test_info_curves(tmp_path):
    steps = np.array([0, 1, 10, 100])
    fig = F.info_curves(steps, np.random.default_rng(0).random((3, 4)),
                        labels=["l1", "l2", "l3"], ylabel="I(X;T|Y) [bits]", title="t")
    _draws(fig, tmp_path)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xscale() == "symlog"  # step 0 present
    assert ax.get_xlabel() == "training step"
    assert ax.get_ylabel() == "I(X;T|Y) [bits]"
    fig = F.info_curves([1, 10, 100], [1.0, 2.0, 3.0], labels=["one"], ylabel="bits")
    assert fig.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="values"):
        F.info_curves([1, 2, 3], np.ones((2, 4)), labels=["a", "b"], ylabel="y")
    with pytest.raises(ValueError, match="labels"):
        F.info_curves([1, 2, 3], np.ones((2, 3)), labels=["a"], ylabel="y")


@pytest.mark.parametrize("band", ["std", "quantile"])
def test_curves_with_bands(band, tmp_path):
    rng = np.random.default_rng(0)
    x = np.arange(1, 21)
    ys = [rng.random((5, 20)), rng.random((3, 20)) + 1]
    fig = F.curves_with_bands(x, ys, labels=["a", "b"], xlabel="step", ylabel="loss [nats]",
                              band=band, hlines={"threshold": 0.5}, title="t")
    _draws(fig, tmp_path)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "loss [nats]"
    assert ax.get_xscale() == "log"
    assert legend_texts(fig) == ["a (n=5)", "b (n=3)", "threshold"]


def test_curves_with_bands_one_seed_zero_band(tmp_path):
    x = np.arange(1, 6)
    y = np.arange(5.0)[None, :]
    fig = F.curves_with_bands(x, [y], labels=["only"], xlabel="x", ylabel="y", logx=False)
    _draws(fig, tmp_path)
    band = fig.axes[0].collections[0]
    verts = band.get_paths()[0].vertices
    assert np.ptp(verts[:, 1]) == pytest.approx(4.0)  # the band is the line itself
    assert legend_texts(fig) == ["only (n=1)"]


def test_curves_with_bands_long_legend_goes_outside(tmp_path):
    x = np.arange(1, 6)
    ys = [np.ones((2, 5)) * i for i in range(4)]
    fig = F.curves_with_bands(x, ys, labels=[f"a fairly long series label {i}" for i in range(4)],
                              xlabel="x", ylabel="y", logy=True)
    _draws(fig, tmp_path)
    assert fig.axes[0].get_legend() is None and fig.legends


def test_curves_with_bands_refuses_mismatch():
    with pytest.raises(ValueError, match=r"ys\[1\]"):
        F.curves_with_bands([1, 2, 3], [np.ones((2, 3)), np.ones((2, 4))], labels=["a", "b"],
                            xlabel="x", ylabel="y")
    with pytest.raises(ValueError, match="labels"):
        F.curves_with_bands([1, 2, 3], [np.ones((2, 3))], labels=["a", "b"], xlabel="x",
                            ylabel="y")
    with pytest.raises(ValueError, match="band"):
        F.curves_with_bands([1, 2, 3], [np.ones((2, 3))], labels=["a"], xlabel="x", ylabel="y",
                            band="iqr")


def test_sweep_plot(tmp_path):
    x = np.array([100, 1000, 10000])
    fig = F.sweep_plot(x, [[0.1, 0.2, np.nan], [0.5, 0.6, 0.7]], labels=["a", "b"],
                       xlabel="pool P", ylabel="share", logx=True,
                       errors=[[0.01, 0.02, 0.0], [0.05, 0.05, 0.05]], title="t")
    _draws(fig, tmp_path)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "pool P"
    fig = F.sweep_plot([1, 2], [3, 4], labels=["one"], xlabel="x", ylabel="y")
    _draws(fig, tmp_path, "one")
    with pytest.raises(ValueError, match="errors"):
        F.sweep_plot(x, [[1, 2, 3]], labels=["a"], xlabel="x", ylabel="y", errors=[[1, 2]])
    with pytest.raises(ValueError, match="ys"):
        F.sweep_plot(x, [[1, 2]], labels=["a"], xlabel="x", ylabel="y")


def test_categorical_sweep_draws_dodged_markers_without_lines(tmp_path):
    fig = F.sweep_interval_plot(None, [[0.5, 0.6, 0.7], [0.55, 0.65, 0.75]],
                                [[0.01, np.nan, 0.02], [0.0, 0.01, 0.01]], labels=["a", "b"],
                                categories=["relu", "tanh", "erf"], xlabel="act", ylabel="acc")
    _draws(fig, tmp_path)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["relu", "tanh", "erf"]
    markers = [line for line in ax.lines if line.get_marker() not in (None, "", "None", "_")]
    assert len(markers) == 2 and all(line.get_linestyle() == "None" for line in markers)
    xs = [np.asarray(line.get_xdata(), dtype=float) for line in markers]
    np.testing.assert_allclose(xs[1] - xs[0], 0.25)  # dodge 0.5 / 2 series
    np.testing.assert_allclose((xs[0] + xs[1]) / 2, [0, 1, 2])


# --------------------------------------------------------------------------- elasticity


def test_elasticity_matrix_blocks_and_values(tmp_path):
    k = 6
    m = np.full((k, k), 0.05) + np.eye(k)
    sup = np.arange(k) % 2
    fig = F.elasticity_matrix(m, class_labels=[f"c{i}" for i in range(k)], superclass_of=sup,
                              title="t")
    _draws(fig, tmp_path)
    assert len(fig.axes) == 2  # heatmap + colorbar
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c0", "c2", "c4", "c1", "c3", "c5"]
    assert len(ax.texts) == k * k
    assert len(ax.patches) == 2 * 2  # two superclass blocks, each outlined twice (halo + line)
    assert fig.axes[1].get_ylabel() == "mean relative similarity"


def test_elasticity_matrix_k2_and_large(tmp_path):
    fig = F.elasticity_matrix(np.array([[1.0, 0.2], [0.3, 1.0]]))
    _draws(fig, tmp_path, "k2")
    assert len(fig.axes[0].texts) == 4
    fig = F.elasticity_matrix(np.random.default_rng(0).random((20, 20)))
    _draws(fig, tmp_path, "k20")
    assert len(fig.axes[0].texts) == 0  # too many cells to annotate
    fig = F.elasticity_matrix(np.ones((3, 3)))  # constant matrix
    _draws(fig, tmp_path, "const")


def test_elasticity_matrix_refuses_mismatch():
    with pytest.raises(ValueError, match="matrix"):
        F.elasticity_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="class_labels"):
        F.elasticity_matrix(np.ones((2, 2)), class_labels=["a"])
    with pytest.raises(ValueError, match="superclass_of"):
        F.elasticity_matrix(np.ones((2, 2)), superclass_of=[0, 1, 1])


# --------------------------------------------------------------------------- grid


@pytest.mark.parametrize(("n", "size"), [(1, (3.4, 2.8)), (5, (3 * 3.4, 2 * 2.8))])
def test_panel_grid(n, size, tmp_path):
    fig, axes = F.panel_grid(n, ncols=3)
    assert axes.shape == (n,)
    assert len(fig.axes) == n
    assert tuple(fig.get_size_inches()) == pytest.approx(size)
    for ax in axes:
        ax.plot([0, 1], [0, 1])
    _draws(fig, tmp_path)
    with pytest.raises(ValueError, match="n_panels"):
        F.panel_grid(0)


# --------------------------------------------------------------------------- output a paper takes

MATHTEXT = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")
#: A key or a formula written as code: a snake_case or subscript underscore, a caret.
CODE = re.compile(r"\w_\w|\^")


def figure_texts(fig) -> list[str]:
    """Axis labels, titles, colorbar labels and legend entries of a figure (not tick labels)."""
    texts = [fig._suptitle.get_text()] if fig._suptitle else []
    for ax in fig.axes:
        texts += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
    return [t for t in texts + legend_texts(fig) if t]


def assert_words(fig) -> None:
    """No label is a bare key or a formula in plain text (mathtext spans are formulas)."""
    for text in figure_texts(fig):
        assert not CODE.search(MATHTEXT.sub("", text)), f"label written as code: {text!r}"


def assert_legends_off_the_data(fig) -> None:
    """After layout, no legend box overlaps the box of any axes (its data area)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()  # lays the figure out and parses every mathtext label
    renderer = fig.canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), (
                f"legend {[t.get_text() for t in legend.get_texts()]} covers an axes")


def _every_figure() -> dict:
    """name -> (builder, expected x scale of the first axes or None): every figure function,
    called with small inputs and the labels its callers give (or its defaults)."""
    from learnmech.mechanics.plots import Panel, Series, agreement_figure

    rng = np.random.default_rng(0)
    steps = np.array([1, 3, 10, 30, 100])
    panel = Panel([Series([1, 2, 4], [1.0, 0.5, 0.25], "measured"),
                   Series([1, 2, 4], [1.0, 0.5, 0.25], "predicted 1/x", kind="predicted")],
                  "width", "kernel movement", logx=True, hlines={"tolerance": 0.3})
    return {
        "layered_graph": (lambda: F.layered_graph(*_graph_inputs()[:5],
                                                  owner_labels=_graph_inputs()[5]), None),
        "information_plane": (lambda: F.information_plane(rng.random((5, 2)),
                                                          rng.random((5, 2)), steps), None),
        "info_curves": (lambda: F.info_curves(steps, rng.random((3, 5)), labels=["a", "b", "c"],
                                              ylabel="I(X;T|Y) [bits]"), "log"),
        "curves_with_bands": (lambda: F.curves_with_bands(
            steps, [rng.random((3, 5))] * 4, labels=[f"series number {i}" for i in range(4)],
            xlabel="training step", ylabel="accuracy", hlines={"chance": 0.1}), "log"),
        "sweep_plot": (lambda: F.sweep_plot(
            [0.0, 0.1, 0.2, 0.3], rng.random((2, 4)), labels=["clean", "flipped"],
            xlabel="label noise ε", ylabel="final share"), "linear"),
        "sweep_interval_plot": (lambda: F.sweep_interval_plot(
            [1e-3, 1e-2, 1e-1], rng.random((2, 3)), rng.random((2, 3)) / 5, labels=["a", "b"],
            xlabel="learning rate η", ylabel=F.words("test_acc_final"), bounds=(0.0, 1.0)),
            "log"),
        "elasticity_matrix": (lambda: F.elasticity_matrix(rng.random((4, 4))), None),
        "optimization_history": (lambda: F.optimization_history(
            [0, 1, 2, 3], [3.0, 2.0, 2.5, 1.0], direction="minimize",
            metric="test_mse_final"), None),
        "trial_scatter": (lambda: F.trial_scatter(
            {"train.lr": [0.1, 0.01, 0.001], "model.activation": ["relu", "tanh", "relu"]},
            [1.0, 0.5, 0.7], metric="test_acc_final", log={"train.lr": True}), "log"),
        "agreement_figure": (lambda: agreement_figure([panel, panel, panel], ncols=3), "log"),
    }


@pytest.mark.parametrize("name", list(_every_figure()))
def test_every_figure_is_in_words_with_its_legend_off_the_data(name):
    build, xscale = _every_figure()[name]
    fig = build()
    assert_words(fig)
    assert_legends_off_the_data(fig)
    if xscale:
        assert fig.axes[0].get_xscale() == xscale
    assert fig.axes[0].xaxis.label.get_fontsize() == F.STYLE["axes.labelsize"]


def test_keys_become_words_in_the_tuning_figures():
    fig = F.trial_scatter({"train.lr": [0.1, 0.01]}, [1.0, 0.5], metric="test_acc_final")
    assert fig.axes[0].get_xlabel() == "train: learning rate"
    assert fig.axes[0].get_ylabel() == "test accuracy final"
    assert F.words("already in words") == "already in words"


@pytest.mark.parametrize(("values", "expected"), [
    ([1, 2, 4, 8], True), ([10, 100, 1000], True), ([1, 100], True), ([0.001, 0.01, 0.1], True),
    ([16, 32, 64, 128, 256], True), ([1, 2, 3, 4], False), ([0, 0.1, 0.2], False),
    ([1, 5], False), ([-1, 10, 100], False), ([0.5, 0.6, 0.7], False), ([3], False)])
def test_log_spaced_grids_are_detected(values, expected):
    assert F.is_log_spaced(values) is expected


def test_sweep_figures_take_a_log_x_only_for_log_spaced_grids():
    def scale(x, **kwargs):
        fig = F.sweep_interval_plot(x, [[1.0] * len(x)], [[0.1] * len(x)], labels=["a"],
                                    xlabel="x", ylabel="y", **kwargs)
        return fig.axes[0].get_xscale()

    assert scale([16, 64, 256]) == "log"
    assert scale([1, 2, 3]) == "linear"
    assert scale([16, 64, 256], logx=False) == "linear"


def test_intervals_are_cut_at_the_quantitys_range():
    assert F.clipped_interval(5.0, 8.0, (0.0, None)) == (0.0, 13.0)
    assert F.clipped_interval(0.97, 0.05, (0.0, 1.0)) == pytest.approx((0.92, 1.0))
    assert F.clipped_interval(-0.5, 0.2, (0.0, None)) == pytest.approx((-0.7, -0.3))  # not a count
    assert F.clipped_interval(2.0, float("nan"), (0.0, None)) == (2.0, 2.0)
    assert F.quantity_range("steps_to_fit_clean") == (0.0, None)
    assert F.quantity_range("test_acc_final") == (0.0, 1.0)
    assert F.quantity_range("compression_steps_slope_eta") == (None, None)
    assert F.quantity_range("elasticity_ratio_max") == (None, None)
    fig = F.sweep_interval_plot([1, 10, 100], [[5.0, 0.98, 3.0]], [[8.0, 0.1, 1.0]],
                                labels=["a"], xlabel="x", ylabel="steps", bounds=(0.0, 1.0e9))
    bars = fig.axes[0].collections[0].get_segments()
    assert min(seg[:, 1].min() for seg in bars) == 0.0  # 5 ± 8 is drawn from 0, not −3
    # below: 5 − 0 and 0.1; above: 8 (5 breaks the upper bound 1, so it is not applied), 0.02
    np.testing.assert_allclose(F.clipped_error_bars([5.0, 0.98], [8.0, 0.1], (0.0, 1.0)),
                               [[5.0, 0.1], [8.0, 0.02]])


def test_the_theory_figures_use_the_style_mathtext_and_log_axes():
    from learnmech.core.config import resolve_config
    from learnmech.core.registry import get

    experiment = get("theory.kernel-spectrum")
    config = resolve_config(experiment.id, experiment.config_cls, overrides=experiment.smoke)
    figures = experiment.run(config).figures
    eigen = figures["eigenvalues"]
    assert eigen.axes[0].get_ylabel() == r"eigenvalue $\lambda_l$ on $S^{4}$"  # d = 5
    assert eigen.axes[0].get_yscale() == "log"
    assert figures["half_learned"].axes[0].get_xscale() == "log"
    for fig in figures.values():
        assert_words(fig)
        assert_legends_off_the_data(fig)
        ax = fig.axes[0]
        assert ax.xaxis.label.get_fontsize() == F.STYLE["axes.labelsize"]
        assert not ax.spines["top"].get_visible()


@pytest.mark.slow
def test_every_experiments_figures_are_in_words_with_legends_off_the_data():
    from learnmech.core.config import resolve_config
    from learnmech.core.registry import all_experiments

    for experiment in all_experiments():
        if experiment.id.startswith("mechanics."):
            continue  # the catalogue's labels come from its entries; agreement_figure above
        config = resolve_config(experiment.id, experiment.config_cls, overrides=experiment.smoke)
        for name, fig in experiment.run(config).figures.items():
            try:
                assert_words(fig)
                assert_legends_off_the_data(fig)
            except AssertionError as exc:
                raise AssertionError(f"{experiment.id} {name}: {exc}") from None
