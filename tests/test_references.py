"""Citations: every experiment and catalogue entry names its papers, and `show`, the run's
report and the scorecard of `learnmech verify` print them."""

from __future__ import annotations

import re

import pytest

from learnmech.core.registry import all_experiments, get

#: A reference names a venue or an arXiv id with its year.
YEAR = re.compile(r"\b(19|20)\d\d\b")


#: The experiments learnmech ships (tests register toys of their own, which cite nothing).
SHIPPED = [e for e in all_experiments() if e.run.__module__.startswith("learnmech.")]


def test_every_shipped_experiment_is_checked():
    assert len(SHIPPED) >= 44  # 20 lens experiments and the 24 catalogue entries


@pytest.mark.parametrize("experiment", SHIPPED, ids=lambda e: e.id)
def test_every_experiment_cites_at_least_one_paper(experiment):
    assert isinstance(experiment.references, tuple) and experiment.references, experiment.id
    for reference in experiment.references:
        assert isinstance(reference, str) and YEAR.search(reference), reference


def test_a_catalogue_experiment_cites_its_entry():
    from learnmech.mechanics.catalogue import all_entries

    for entry in all_entries():
        assert get(f"mechanics.{entry.id}").references == tuple(entry.references)


def test_the_scorecard_prints_each_entrys_references_and_its_size(tmp_path):
    from learnmech.runs.verify import Score, render_scorecard

    score = Score("grokking", "a claim", 0.1, "within 10 %", "holds", 1.0, tmp_path,
                  references=("Power et al., 2022", "Liu et al., ICLR 2023"))
    quick = render_scorecard([score], size="quick")
    assert quick.count("Power et al., 2022; Liu et al., ICLR 2023") == 2  # row and section
    assert "<strong>Quick size.</strong>" in quick
    assert "Quick size." not in render_scorecard([score], size="full")
