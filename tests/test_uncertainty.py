"""Intervals and paired tests, checked against values worked out by hand or from textbooks."""
from __future__ import annotations

import math

import numpy as np
import pytest

from fer_lib.judge.uncertainty import mean_interval, mcnemar_exact, paired_difference, paired_test, wilson


def test_wilson_interval_matches_the_closed_form():
    n, k, z = 3589, 2154, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    ci = wilson(k, n)
    assert ci.estimate == pytest.approx(p)
    assert (ci.low, ci.high) == (pytest.approx(centre - half, abs=1e-9), pytest.approx(centre + half, abs=1e-9))
    # the arithmetic: ~60 % on PrivateTest is about +-1.6 points; JAFFE's 213 images about +-6.5
    assert 100 * (ci.high - ci.low) / 2 == pytest.approx(1.60, abs=0.02)
    assert 100 * (wilson(128, 213).high - wilson(128, 213).low) / 2 == pytest.approx(6.5, abs=0.2)
    assert wilson(0, 10).low == 0 and wilson(10, 10).high == pytest.approx(1)
    with pytest.raises(ValueError, match="0..5"):
        wilson(6, 5)


def test_mean_interval_is_students_t_and_one_value_is_unbounded():
    values = [61.1, 61.5, 60.3, 61.4, 61.4]
    ci = mean_interval(values)
    sd = np.std(values, ddof=1)
    half = 2.7764451051977987 * sd / math.sqrt(5)  # t(0.975, 4)
    assert ci.estimate == pytest.approx(np.mean(values))
    assert ci.high - ci.estimate == pytest.approx(half, rel=1e-9) and ci.method == "t over 5 folds"
    one = mean_interval([57.0], what="seeds")
    assert one.low == -math.inf and one.high == math.inf and one.method == "t over 1 seed"
    assert mean_interval([2.0, 2.0]).low == 2.0


def test_mcnemar_exact_counts_discordant_pairs():
    a = np.array([1] * 10 + [0] * 2 + [1] * 50 + [0] * 38, bool)
    b = np.array([0] * 10 + [1] * 2 + [1] * 50 + [0] * 38, bool)
    only_a, only_b, p = mcnemar_exact(a, b)
    # two-sided binomial, 2 of 12 at 1/2: 2 * P(X <= 2) = 2 * 79 / 4096
    assert (only_a, only_b) == (10, 2) and p == pytest.approx(2 * 79 / 4096)
    assert mcnemar_exact(a, a)[2] == 1.0
    with pytest.raises(ValueError, match="equally long"):
        mcnemar_exact(a, b[:-1])


def test_paired_bootstrap_brackets_the_difference_and_is_narrower_than_unpaired():
    rng = np.random.default_rng(1)
    base = rng.random(3000) < 0.6
    flip = rng.random(3000) < 0.05  # B differs from A on 5 % of the images
    b = base ^ flip
    ci = paired_difference(base, b)
    assert ci.estimate == pytest.approx(base.mean() - b.mean())
    assert ci.low < ci.estimate < ci.high
    assert ci.high - ci.low < 0.02  # an unpaired interval on two 3,000-image accuracies would be ~0.05 wide
    test = paired_test(base, b)
    assert test.only_a + test.only_b == int(flip.sum())
