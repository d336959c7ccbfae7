"""How sure a measured number is: 95 % intervals for an accuracy on one test set (Wilson), for a mean over folds
or seeds (Student's t), and paired tests of two models on the same test images (McNemar's exact test, a
paired bootstrap of the accuracy difference). Statistics come from scipy; this module only names them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """An estimate with its two-sided interval, in the estimate's own unit (a fraction, or points)."""

    estimate: float
    low: float
    high: float
    method: str  # "Wilson, n=3589", "t over 5 folds", ...

    def scaled(self, factor: float) -> "Interval":
        """The same interval in another unit, e.g. `scaled(100)` for percent."""
        return Interval(self.estimate * factor, self.low * factor, self.high * factor, self.method)

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def format(self, decimals: int = 2, unit: str = "") -> str:
        """"61.23 [59.62, 62.81]" (or with a unit after the estimate: "61.23 % [59.62, 62.81]")."""
        unit = f" {unit}" if unit else ""
        return f"{self.estimate:.{decimals}f}{unit} [{self.low:.{decimals}f}, {self.high:.{decimals}f}]"


def wilson(successes: int, n: int, level: float = LEVEL) -> Interval:
    """A proportion measured on `n` independent items (an accuracy on one test set; a precision over the
    images predicted as the class; a recall over the images of the class): Wilson's score interval."""
    if n <= 0:
        raise ValueError(f"a proportion needs at least one item, not n={n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in 0..{n}, not {successes}")
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return Interval(successes / n, float(ci.low), float(ci.high), f"Wilson, n={n:,}")


def mean_interval(values, level: float = LEVEL, what: str = "folds") -> Interval:
    """The mean of a few repeated measurements (k folds, seeds) with Student's t interval over them. One value
    has no spread to estimate: its interval is unbounded, so a single run never looks certain."""
    values = np.asarray(list(values), dtype=float)
    if len(values) == 0:
        raise ValueError("a mean needs at least one value")
    mean = float(values.mean())
    if len(values) == 1:
        return Interval(mean, -np.inf, np.inf, f"t over 1 {what[:-1] if what.endswith('s') else what}")
    if np.all(values == values[0]):  # no spread measured
        return Interval(mean, mean, mean, f"t over {len(values)} {what}")
    low, high = stats.t.interval(level, len(values) - 1, loc=mean, scale=stats.sem(values))
    return Interval(mean, float(low), float(high), f"t over {len(values)} {what}")


@dataclass(frozen=True)
class PairedTest:
    """Two models scored on the same test images: how many only A got right, how many only B, the exact
    McNemar p-value, and the paired bootstrap interval of accuracy(A) - accuracy(B)."""

    only_a: int
    only_b: int
    p_value: float
    difference: Interval


def mcnemar_exact(correct_a, correct_b) -> tuple[int, int, float]:
    """McNemar's exact test on paired right/wrong outcomes: a two-sided binomial test on the discordant pairs."""
    a, b = _paired(correct_a, correct_b)
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    p = 1.0 if only_a + only_b == 0 else float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)
    return only_a, only_b, p


def paired_difference(correct_a, correct_b, level: float = LEVEL, resamples: int = 4000, seed: int = 0
                      ) -> Interval:
    """accuracy(A) - accuracy(B) on the same images, with a paired bootstrap (BCa) interval over the images."""
    a, b = _paired(correct_a, correct_b)
    diff = a.astype(float) - b.astype(float)
    estimate = float(diff.mean())
    if np.all(diff == diff[0]):
        return Interval(estimate, estimate, estimate, f"paired bootstrap, n={len(diff):,}")
    res = stats.bootstrap((diff,), np.mean, confidence_level=level, n_resamples=resamples, method="BCa",
                          random_state=np.random.default_rng(seed))
    ci = res.confidence_interval
    return Interval(estimate, float(ci.low), float(ci.high), f"paired bootstrap, n={len(diff):,}")


def paired_test(correct_a, correct_b, level: float = LEVEL) -> PairedTest:
    only_a, only_b, p = mcnemar_exact(correct_a, correct_b)
    return PairedTest(only_a, only_b, p, paired_difference(correct_a, correct_b, level))


def _paired(correct_a, correct_b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"paired outcomes need two equally long, non-empty 1-d arrays, not {a.shape} and {b.shape}")
    return a, b
