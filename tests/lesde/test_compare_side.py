"""The LE-SDE side of compare local-elasticity, on given summaries."""

from learnmech.experiments.lesde._compare import local_elasticity_figure, local_elasticity_side

NEURASHED = {"same_class_similarity_final": 0.9, "same_superclass_similarity_final": 0.2,
             "other_superclass_similarity_final": 0.1}
IMITATION = {"alpha_hat_mean": 0.004, "beta_hat_mean": -0.001, "A_end": 6.0, "B_end": -1.0,
             "tail_difference": 0.8, "separation_growth": 2.0}


def test_locally_elastic_lenses_agree_and_the_sde_predicts_separation():
    side = local_elasticity_side(NEURASHED, IMITATION)
    assert abs(side["model_beta"] - 0.15) < 1e-12
    assert side["model_locally_elastic"] and side["network_locally_elastic"]
    assert side["lenses_locally_elastic_verdict"] == "agree"
    assert side["sde_predicts_separation_network"] is True
    assert side["sde_network_separation_verdict"] == "agree"


def test_a_converging_difference_against_a_separating_network_disagrees():
    side = local_elasticity_side(NEURASHED, {**IMITATION, "tail_difference": 1.6})
    assert side["sde_predicts_separation_network"] is False
    assert side["sde_network_separation_verdict"] == "disagree"


def test_missing_lenses_are_undecided_and_the_figure_still_draws():
    side = local_elasticity_side(None, {"alpha_hat_mean": None})
    assert side["lenses_locally_elastic_verdict"] == "undecided"
    assert side["sde_network_separation_verdict"] == "undecided"
    fig = local_elasticity_figure(side)
    assert len(fig.axes) == 2
    import matplotlib.pyplot as plt
    plt.close(fig)
