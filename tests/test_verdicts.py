"""The budget-aware verdict rule on made-up run histories: every branch, and the projection arithmetic."""
from __future__ import annotations

import math

import pytest

from fer_lib.verdicts import NOT_REPRODUCED, NOT_RUN, OPEN, REPRODUCED, TOLERANCE_PP, budget_verdict, project


def test_projection_adds_the_last_doubling_gain_once_per_remaining_doubling():
    gain, ceiling = project({4: 50.0, 8: 56.0}, paper_epochs=200)
    assert gain == 6.0 and ceiling == pytest.approx(56.0 + 6.0 * math.log2(200 / 8))
    assert project({4: 56.0, 8: 50.0}, 200) == (-6.0, 50.0)   # a loss projects no gain
    assert project({6: 50.0, 8: 56.0}, 200) == (None, None)    # 4 missing: no doubling to project from
    assert project({8: 50.0, 16: 52.0}, 16)[1] == 52.0          # at the paper's budget nothing is added


def test_a_run_within_the_paper_budget_that_reaches_the_claim_reproduces_it():
    v = budget_verdict(65.2, {12: 64.78}, paper_epochs=50)  # within the tolerance
    assert v.verdict == REPRODUCED and "64.78 after 12 epochs of 50" in v.reason
    assert budget_verdict(65.2, {12: 65.2 - TOLERANCE_PP - 0.01}, 50).verdict == OPEN


def test_a_run_beyond_the_paper_budget_cannot_reproduce_it():
    v = budget_verdict(70.0, {50: 60.0, 100: 71.0}, paper_epochs=50)
    assert v.verdict == NOT_REPRODUCED and "60.00 at the paper's own budget (50 epochs)" in v.reason


def test_the_paper_budget_trained_and_short_is_not_reproduced_even_without_a_curve():
    v = budget_verdict(98.79, {30: 80.0}, paper_epochs=30)
    assert v.verdict == NOT_REPRODUCED and v.ceiling is None


def test_a_projected_ceiling_below_the_claim_is_not_reproduced():
    v = budget_verdict(73.67, {4: 55.94, 8: 58.0}, paper_epochs=200)
    assert v.verdict == NOT_REPRODUCED
    assert v.ceiling == pytest.approx(58.0 + 2.06 * math.log2(25))
    assert v.reason == f"projected ceiling {v.ceiling:.1f} at 200 epochs"


def test_a_ceiling_that_reaches_the_claim_leaves_it_open_with_the_next_budget_priced():
    v = budget_verdict(73.67, {4: 50.0, 8: 58.0}, paper_epochs=200, seconds_per_epoch=900)
    assert v.verdict == OPEN and v.ceiling > 73.67 and v.next_epochs == 16
    assert v.next_hours == pytest.approx(4.0) and "next: train 16 epochs (about 4.0 CPU hours" in v.reason


def test_a_single_short_run_is_open_never_refuted():
    v = budget_verdict(73.67, {4: 20.0}, paper_epochs=200)
    assert v.verdict == OPEN and v.gain is None and v.next_epochs == 8 and v.next_hours is None
    assert "no doubling to project from" in v.reason


def test_the_next_budget_never_passes_the_paper_budget():
    assert budget_verdict(72.0, {24: 60.0, 48: 70.0}, paper_epochs=50).next_epochs == 50


def test_no_paper_budget_gives_reproduced_or_open_only():
    assert budget_verdict(60.0, {4: 40.0, 8: 41.0}, paper_epochs=None).verdict == OPEN
    assert budget_verdict(60.0, {4: 40.0, 8: 61.0}, paper_epochs=None).verdict == REPRODUCED


def test_no_runs_is_not_run_with_its_reason():
    v = budget_verdict(83.15, {}, paper_epochs=50, not_run_reason="RAF-DB images are not available")
    assert v.verdict == NOT_RUN and v.text() == "not run: RAF-DB images are not available"
    assert v.measured is None and v.epochs is None


def test_an_explanation_must_match_accuracy_and_loss_together():
    from fer_lib.verdicts import pair_matches
    paper = (85.71, 1.78)
    assert pair_matches(paper, (85.714, 1.780))        # an unsure model's binary accuracy and loss
    assert not pair_matches(paper, (85.9, 1.20))       # a trained CNN: binary accuracy near, loss far
    assert not pair_matches(paper, (88.9, 1.75))       # loss near, accuracy off by more than the tolerance
    assert pair_matches(paper, (84.3, 1.70)) and not pair_matches(paper, (84.1, 1.70))


def test_a_verdict_sentence_names_the_next_run_as_a_command(monkeypatch):
    from fer_lib import assessment, claims
    from fer_lib.report import ledger
    claim = next(c for c in claims.claims_for("000") if c.experiment == "000-presnet-fer-paper")
    monkeypatch.setattr(assessment, "judge", lambda c, profile, runs_root=None: budget_verdict(
        c.value, {6: 51.0, 12: 57.0}, 200, seconds_per_epoch=100))
    text = ledger.verdict_sentences([claim], "cpu")
    assert "ours 51.00 after 6, 57.00 after 12 epochs (cpu profile)" in text and "**open**" in text
    assert text.endswith("The next run: `fer train 000 presnet-fer-paper --profile cpu --epochs 24`.")
    monkeypatch.setattr(assessment, "judge", lambda c, profile, runs_root=None: budget_verdict(
        c.value, {200: 60.0}, 200))
    assert "The next run" not in ledger.verdict_sentences([claim], "cpu")  # decided: nothing to run
