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

    def format(self, decimals: int = 2, unit: str = "", signed: bool = False) -> str:
        """"61.23 [59.62, 62.81]" (or with a unit after the estimate: "61.23 % [59.62, 62.81]"); `signed` for a
        difference: "+1.20 [-0.40, +2.81]"."""
        unit = f" {unit}" if unit else ""
        f = f"{'+' if signed else ''}.{decimals}f"
        return f"{self.estimate:{f}}{unit} [{self.low:{f}}, {self.high:{f}}]"


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


def mean_bootstrap(values, level: float = LEVEL, resamples: int = 1999, seed: int = 0, what: str = "images",
                   method: str = "percentile", label: str | None = None) -> Interval:
    """The mean of per-item scores that are no single proportion (e.g. each image's share of its seven one-hot
    outputs predicted right), with a bootstrap interval over the items (`method`: scipy's "percentile" or
    "BCa"); `label` names the interval (default "bootstrap over N <what>")."""
    values = np.asarray(values, dtype=float)
    estimate = float(values.mean())
    label = label or f"bootstrap over {len(values):,} {what}"
    if np.all(values == values[0]):
        return Interval(estimate, estimate, estimate, label)
    res = stats.bootstrap((values,), np.mean, confidence_level=level, n_resamples=resamples, method=method,
                          random_state=np.random.default_rng(seed))
    ci = res.confidence_interval
    return Interval(estimate, float(ci.low), float(ci.high), label)


def over_seeds(percentages, n: int, level: float = LEVEL) -> Interval:
    """The mean accuracy (%) of runs that differ only in their training seed and share one test set of `n`
    images: Student's t over the seeds, widened to at least one run's Wilson interval, since the seeds' spread
    leaves out the sampling of the test set they share. One seed: its Wilson interval."""
    values = [float(v) for v in percentages]
    one_run = wilson(round(float(np.mean(values)) / 100 * n), n, level).scaled(100)
    if len(values) == 1:
        return Interval(values[0], one_run.low, one_run.high, one_run.method)
    spread = mean_interval(values, level, what="seeds")
    return Interval(spread.estimate, min(spread.low, one_run.low), max(spread.high, one_run.high),
                    f"{spread.method}, at least one run's Wilson")


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
    return mean_bootstrap(a.astype(float) - b.astype(float), level, resamples, seed, method="BCa",
                          label=f"paired bootstrap, n={len(a):,}")


def paired_test(correct_a, correct_b, level: float = LEVEL) -> PairedTest:
    only_a, only_b, p = mcnemar_exact(correct_a, correct_b)
    return PairedTest(only_a, only_b, p, paired_difference(correct_a, correct_b, level))


def _paired(correct_a, correct_b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"paired outcomes need two equally long, non-empty 1-d arrays, not {a.shape} and {b.shape}")
    return a, b


def per_class_intervals(report: dict, metric: str, level: float = LEVEL, resamples: int = 999, seed: int = 0
                        ) -> dict[str, Interval | None]:
    """class -> the 95 % interval of its `metric` ("precision", "recall" or "f1", as fractions) on the test set
    behind `report` (see metrics.classification_report): Wilson on the counts that define a precision (the
    images predicted as the class) or a recall (the images of the class); a percentile bootstrap over the test
    images for an F1, which is no proportion. A mean over folds (a report with `fold_values`, see
    scoring.fold_mean_report) gets Student's t over its folds, clipped to 0..1. None for a class whose metric has
    no images behind it, and for every class of a report with neither (a number quoted from a paper)."""
    if metric not in ("precision", "recall", "f1"):
        raise ValueError(f"metric must be precision, recall or f1, not {metric!r}")
    if "fold_values" in report:
        out = {}
        for cls in report["classes"]:
            t = mean_interval(report["fold_values"][cls][metric], level, what="folds")
            out[cls] = Interval(t.estimate, max(t.low, 0.0), min(t.high, 1.0), t.method)
        return out
    if "confusion" not in report:
        return {c: None for c in report["classes"]}
    confusion = np.asarray(report["confusion"])
    true = np.repeat(np.arange(len(confusion)), confusion.sum(axis=1))
    pred = np.concatenate([np.repeat(np.arange(len(confusion)), row) for row in confusion])
    out = {}
    for k, cls in enumerate(report["classes"]):
        tp, predicted, actual = int(confusion[k, k]), int(confusion[:, k].sum()), int(confusion[k].sum())
        if metric != "f1":
            n = predicted if metric == "precision" else actual
            out[cls] = wilson(tp, n, level) if n else None
        elif predicted + actual == 0:
            out[cls] = None
        else:
            out[cls] = _f1_bootstrap(true, pred, k, level, resamples, seed)
    return out


def _f1_bootstrap(true: np.ndarray, pred: np.ndarray, k: int, level: float, resamples: int, seed: int) -> Interval:
    def f1(t, p, axis=-1):
        tp = ((t == k) & (p == k)).sum(axis)
        wrong = ((t == k) != (p == k)).sum(axis)  # false positives + false negatives
        return np.where(tp > 0, 2 * tp / np.maximum(2 * tp + wrong, 1), 0.0)

    estimate = float(f1(true, pred))
    res = stats.bootstrap((true, pred), f1, paired=True, vectorized=True, confidence_level=level,
                          n_resamples=resamples, method="percentile", random_state=np.random.default_rng(seed))
    ci = res.confidence_interval
    return Interval(estimate, float(ci.low), float(ci.high), f"bootstrap over {len(true):,} images")
