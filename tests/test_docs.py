"""Docs run as tests: every `learnmech` command in README.md and docs/*.md runs, and every
summary.json key the foundation issue documents is produced."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from learnmech.core.config import resolve_config
from learnmech.core.registry import get

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

DOCUMENTED_KEYS = {
    "neurashed.implicit-regularization": [
        "nuisance_share_final", "effective_features_final", "semantic_features",
        "train_acc_final", "test_acc_final", "nuisance_share_final_no_compression",
        "test_acc_final_no_compression"],
    "neurashed.information-bottleneck": [
        "clean_top_ixt_given_y_peak", "clean_top_ixt_given_y_final", "clean_top_ity_max",
        "clean_top_ity_final"],
    "neurashed.local-elasticity": ["elasticity_ratio_max", "elasticity_ratio_at_initialisation",
                                   "elasticity_ratio_final", "elasticity_verdict"],
    "neurashed.label-noise": ["steps_to_fit_clean", "steps_to_fit_noisy",
                              "steps_to_fit_noisy_no_compression", "flipped_fit_max",
                              "flipped_score_nuisance_share_at_peak_fit",
                              "clean_score_nuisance_share_at_peak_fit", "clean_first_verdict",
                              "compression_limits_memorisation_verdict",
                              "memorised_through_nuisance_verdict"],
    "neurashed.forgetting": ["acc_A_final", "superclass_acc_A_final", "superclass_acc_A_chance",
                             "decay_rate_over_predicted_min", "decay_rate_over_predicted_max",
                             "half_life_slope_vs_gamma", "rate_set_by_gamma_verdict",
                             "ancestors_protect_verdict"],
    "neurashed.step-size-and-batch": ["compression_steps_slope_eta",
                                      "compression_steps_slope_batch",
                                      "compression_epochs_slope_batch"],
}
DOCUMENTED_KEYS["neurashed.implicit-regularization"] += [
    "effective_over_semantic", "no_compression_gap_min_over_pools",
    "compression_threshold_sign_agreement", "compression_threshold_p_star"]
DOCUMENTED_KEYS["neurashed.information-bottleneck"] += [
    "clean_top_ixt_given_y_initial", "bottleneck_verdict", "clean_top_ixt_given_y_peak_binned",
    "bottleneck_binned_verdict"]

DOCUMENTED_KEYS["theory.learning-curve"] = [  # issue 3; the smoke run trains widths 16 and 64
    "max_rel_err_eigenlearning", "max_rel_err_ek_correction", "max_rel_err_ek", "gp_seeds",
    "max_rel_err_network_w16", "max_rel_err_network_w64"]
DOCUMENTED_KEYS["network.local-elasticity"] = [  # issue 4
    "relu_ratio_same_vs_other", "linear_ratio_same_vs_other", "relu_cluster_acc",
    "linear_cluster_acc", "pca_kmeans_acc", "cluster_margin_vs_pca"]
DOCUMENTED_KEYS["network.information-bottleneck"] = [
    "tanh_compression_bits", "relu_compression_bits", "estimator"]
DOCUMENTED_KEYS["network.label-noise"] = ["steps_to_fit_clean", "steps_to_fit_noisy"]
DOCUMENTED_KEYS["lesde.phase-transition"] = [  # issue 15, docs/lesde.md
    "transition_measured", "transition_measured_ci95", "transition_of_mean_curve",
    "transition_predicted", "transition_sde", "transition_verdict", "test_acc_p0",
    "separation_train_p0", "separation_true_p0"]
DOCUMENTED_KEYS["lesde.imitation"] = [
    "imitation_measured", "imitation_tolerance", "imitation_noise_floor", "imitation_verdict",
    "reference_step", "test_acc"]


def documented_commands() -> list[str]:
    """`learnmech ...` lines inside ```bash blocks, comments stripped."""
    commands = []
    for path in DOC_FILES:
        for block in re.findall(r"```bash\n(.*?)```", path.read_text(), flags=re.S):
            for line in block.splitlines():
                line = line.split("#")[0].strip()
                if line.startswith("learnmech "):
                    commands.append(line)
    return commands


def smoke_sets(experiment_id: str) -> list[str]:
    sets = []
    for key, value in get(experiment_id).smoke.items():
        text = yaml.safe_dump(list(value) if isinstance(value, tuple) else value,
                              default_flow_style=True).strip().removesuffix("...").strip()
        sets += ["--set", f"{key}={text}"]
    return sets


def test_docs_hold_commands():
    assert len(documented_commands()) >= 4


@pytest.mark.parametrize("command", documented_commands())
def test_documented_command_runs(command, tmp_path_factory):
    # one shared directory: later commands reuse what earlier ones wrote
    workdir = tmp_path_factory.getbasetemp() / "docs-commands"
    workdir.mkdir(exist_ok=True)
    args = shlex.split(command)[1:]
    if args[0] == "run":
        args += smoke_sets(args[1])
    done = subprocess.run([sys.executable, "-m", "learnmech", *args], cwd=workdir,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("experiment_id", sorted(DOCUMENTED_KEYS))
def test_documented_summary_keys_are_produced(experiment_id):
    experiment = get(experiment_id)
    config = resolve_config(experiment_id, experiment.config_cls, overrides=experiment.smoke)
    summary = experiment.run(config).summary
    missing = [key for key in DOCUMENTED_KEYS[experiment_id] if key not in summary]
    assert not missing, missing
