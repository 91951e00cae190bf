"""network.local-elasticity's verdicts: paired margins over runs, established at two SE."""

import numpy as np
import pytest

from learnmech.experiments.network.local_elasticity import _summary

FIELDS = ("relu_ratio", "linear_ratio", "relu_cluster_acc", "linear_cluster_acc",
          "relu_kernel_cluster_acc", "linear_kernel_cluster_acc", "pca_kmeans_acc",
          "pixel_kmeans_acc", "relu_same", "relu_other", "linear_same", "linear_other",
          "relu_train_acc", "linear_train_acc")


def runs(relu_minus_pca: np.ndarray, spread: float = 0.05) -> list[dict]:
    """Digits runs whose ReLU clustering is the PCA baseline plus the given paired margins;
    the baseline itself varies by ``spread`` across runs, the linear net stays below."""
    rng = np.random.default_rng(0)
    out = []
    for margin in relu_minus_pca:
        row = dict.fromkeys(FIELDS, 0.5)
        pca = 0.9 + spread * rng.uniform(-1, 1)
        row.update(dataset="digits", relu_ratio=1.7, linear_ratio=1.2, pca_kmeans_acc=pca,
                   relu_cluster_acc=pca + margin, relu_kernel_cluster_acc=pca + margin,
                   linear_cluster_acc=pca - 0.2, linear_kernel_cluster_acc=pca - 0.2)
        out.append(row)
    return out


def test_a_consistent_paired_margin_holds_even_inside_the_baseline_spread():
    summary = _summary(None, runs(np.full(6, 0.02) + 0.005 * np.arange(6)), np)
    assert summary["cluster_margin_vs_pca"] < summary["pca_kmeans_acc_std"] * 2
    assert summary["clustering_verdict"] == summary["kernel_clustering_verdict"] == "holds"
    assert summary["ratio_verdict"] == "holds"


def test_a_mean_above_the_baseline_by_less_than_two_se_fails():
    summary = _summary(None, runs(np.array([0.03, -0.03, 0.02, -0.02, 0.01, -0.005])), np)
    assert 0 < summary["cluster_margin_vs_pca"] < 2 * summary["cluster_margin_vs_pca_se"]
    assert summary["relu_cluster_acc"] > summary["pca_kmeans_acc"]  # the old mean rule held
    assert summary["clustering_verdict"] == "fails"


def test_one_run_establishes_nothing():
    summary = _summary(None, runs(np.array([0.1])), np)
    assert summary["cluster_margin_vs_pca_se"] is None
    assert summary["clustering_verdict"] == summary["ratio_verdict"] == "fails"


def test_a_diverging_network_is_named_with_its_step_size_key():
    from learnmech.experiments.network.local_elasticity import EXPERIMENT, _one_pair

    config = EXPERIMENT.config_cls(**{**EXPERIMENT.smoke, "lr": 10.0, "steps": 200})
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 30)
    X = rng.uniform(size=(300, 64)).astype(np.float32)
    with pytest.raises(ValueError, match=r"^lr: the relu network diverged .* at η = 10"):
        _one_pair(config, (X, y), (5, 8, 9, 3), 0, lr_scale=1.0)


def test_mnist_runs_report_under_their_own_suffix(tmp_path, monkeypatch):
    """mnist-5k (here a stand-in file of 20 images per class) fills the ``*_mnist`` keys and
    leaves the digits keys empty."""
    import gzip

    from learnmech.experiments.network.local_elasticity import EXPERIMENT

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 20)
    pixels = rng.integers(0, 256, size=(200, 784)) // (1 + (labels[:, None] % 3))
    path = tmp_path / "mnist_5k.csv.gz"
    with gzip.open(path, "wt") as handle:
        np.savetxt(handle, np.column_stack([pixels, labels]), fmt="%d", delimiter=",")
    monkeypatch.setenv("LEARNMECH_MNIST_5K", str(path))
    config = EXPERIMENT.config_cls(**{**EXPERIMENT.smoke, "datasets": ["mnist-5k"],
                                      "mnist_pairs": [[5, 9, 8, 4]], "seeds": 2,
                                      "n_per_class": 10, "n_auxiliary": 20})
    result = EXPERIMENT.run(config)
    summary = result.summary
    assert summary["runs_mnist"] == 2 and summary["runs"] == 0
    assert summary["relu_ratio_same_vs_other"] is None
    assert 0.5 <= summary["relu_cluster_acc_mnist"] <= 1.0
    assert summary["ratio_verdict_mnist"] in ("holds", "fails")
    assert "mnist-5k, at the trained weights" in result.notes
