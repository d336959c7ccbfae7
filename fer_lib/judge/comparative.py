"""The papers' comparative claims ("A beats B") and their verdicts from paired evidence: the two models on the
same test images (McNemar's exact test, a paired bootstrap interval of the difference) or on the same folds
(Student's t over the per-fold differences).

A comparison is judged at the largest budget both models trained. A: ahead beyond the interval (the interval
of A - B above 0): reproduced. Behind beyond the interval at the paper's budget: not reproduced. Anything else
is open. Evidence from a substitute dataset is shown beside a claim about another dataset, never its verdict.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..experiments import paper_epochs
from ..store.results import RunRecord, RunStore
from .uncertainty import Interval, mean_interval, paired_test
from .verdicts import NOT_REPRODUCED, NOT_RUN, OPEN, REPRODUCED


@dataclass(frozen=True)
class Comparison:
    """One comparative claim, or one piece of substitute evidence for it (`evidence_for` names the claim)."""

    paper: str
    key: str
    source: str
    dataset: str
    description: str
    better: str | None            # the experiment claimed better (A), e.g. "001-igc-ckplus-random"
    worse: str | None             # the baseline (B)
    better_role: str = "test"     # the evaluation role read for A (ten-crop vs centre crop: two roles, one run)
    worse_role: str = "test"
    assumed_budget: bool = False  # the paper names no epochs; the budget compared at is ours
    not_run_reason: str = ""
    evidence_for: str | None = None  # the key of the claim this substitute measurement informs


COMPARISONS = (
    Comparison("001", "igc-beats-plain-ckplus", "Table 2, Sec. 4", "CK+", "IGC network beats the plain CNN, CK+ "
               "(random folds, the paper's protocol)", "001-igc-ckplus-random", "001-plain-ckplus-random",
               assumed_budget=True),
    Comparison("001", "igc-beats-plain-ckplus-subject", "Table 2, Sec. 4", "CK+", "IGC network beats the plain "
               "CNN, CK+ with subject-independent folds (ours)", "001-igc-ckplus-subject",
               "001-plain-ckplus-subject", assumed_budget=True, evidence_for="igc-beats-plain-ckplus"),
    Comparison("001", "igc-beats-plain-fer2013", "Table 3, Sec. 4", "FER2013", "IGC network beats the plain CNN, "
               "FER2013 (5 random folds, the paper's protocol)", "001-igc-fer2013-random", "001-plain-fer2013-random",
               assumed_budget=True),
    Comparison("003", "lip-beats-maxpool-rafdb", "Table 1 (rows 1-2)", "RAF-DB", "LIP beats max pooling in VGG16, "
               "RAF-DB", None, None, not_run_reason="RAF-DB's images are not available here"),
    Comparison("003", "lip-beats-maxpool-fer2013", "Table 1 (substitute)", "FER2013", "LIP beats max pooling in "
               "VGG16, FER2013 PrivateTest (substitute for RAF-DB)", "003-fer2013-lip", "003-fer2013-vgg16",
               assumed_budget=True, evidence_for="lip-beats-maxpool-rafdb"),
    Comparison("003", "lip-beats-maxpool-sfew", "Table 3 (substitute)", "SFEW", "LIP beats max pooling in VGG16, "
               "SFEW Val, both from scratch (substitute)", "003-sfew-lip", "003-sfew-vgg16", assumed_budget=True,
               evidence_for="lip-beats-maxpool-rafdb"),
    Comparison("003", "tencrop-beats-centre-rafdb", "Table 1 (rows 2-3)", "RAF-DB", "ten-crop testing beats the "
               "centre crop, RAF-DB", None, None, not_run_reason="RAF-DB's images are not available here"),
    Comparison("003", "tencrop-beats-centre-fer2013", "Table 1 (substitute)", "FER2013", "ten-crop testing beats "
               "the centre crop, VGG16 + LIP on FER2013 PrivateTest (substitute for RAF-DB)", "003-fer2013-lip",
               "003-fer2013-lip", better_role="test_tencrop", assumed_budget=True,
               evidence_for="tencrop-beats-centre-rafdb"),
)


@dataclass(frozen=True)
class ComparativeVerdict:
    verdict: str
    difference: Interval | None   # A - B in points, with its interval
    epochs: int | None
    paper_epochs: int | None
    p_value: float | None
    basis: str


def _accuracy(records: list[RunRecord], role: str) -> np.ndarray:
    return np.array([100 * r.metrics[role]["accuracy"] for r in records])


def shared_budget(c: Comparison, profile: str, *, store: RunStore = RunStore()) -> tuple[int | None, list, list]:
    """The largest budget both sides trained (every fold of a k-fold side), with their records there."""
    a, b = store.budgets(c.better, profile), store.budgets(c.worse, profile)
    shared = sorted(set(a) & set(b))
    return (shared[-1], a[shared[-1]], b[shared[-1]]) if shared else (None, [], [])


def shared_budgets(a: str, b: str, *, store: RunStore = RunStore()) -> tuple[str | None, dict[int, tuple[list, list]]]:
    """(profile, {epochs: (a's runs, b's runs)}) at every budget where experiments `a` and `b` both have all
    their folds, under the most faithful profile that has one: two models compared at different budgets would
    measure the budget, not the models."""
    for profile in ("paper", "cpu", "smoke"):
        curve_a, curve_b = store.budgets(a, profile), store.budgets(b, profile)
        common = sorted(set(curve_a) & set(curve_b))
        if common:
            return profile, {epochs: (curve_a[epochs], curve_b[epochs]) for epochs in common}
    return None, {}


def ordering_trend(differences: dict[int, float]) -> str:
    """Whether a paired difference A - B (epochs -> points) keeps its sign as the budget grows: "A leads at every
    budget", "B leads at every budget", "the ordering changes as training grows", or "the only budget"."""
    signs = {float(np.sign(d)) for d in differences.values()}
    if len(differences) == 1:
        return "the only budget"
    if len(signs) == 1:
        return "A leads at every budget" if signs == {1.0} else "B leads at every budget"
    return "the ordering changes as training grows"


def paired_accuracy_difference(a: list[RunRecord], b: list[RunRecord], role_a: str = "test", role_b: str = "test"
                               ) -> tuple[Interval, float | None, str] | None:
    """accuracy(A) - accuracy(B) in points, with its 95 % interval, p-value and how it was paired: over the
    folds (Student's t, paired t-test) when each side is a k-fold set of runs, else over the test images both
    runs predicted (paired bootstrap, McNemar's exact test). None when two single runs share no predictions."""
    if len(a) > 1:
        diff = _accuracy(a, role_a) - _accuracy(b, role_b)
        p = float(stats.ttest_rel(_accuracy(a, role_a), _accuracy(b, role_b)).pvalue) if np.ptp(diff) > 0 else None
        return mean_interval(diff, what="folds"), p, f"paired over {len(diff)} folds"
    x, y = a[0].correct(role_a).align(b[0].correct(role_b), join="inner")
    if x.empty:
        return None
    test = paired_test(x.to_numpy(), y.to_numpy())
    return test.difference.scaled(100), test.p_value, f"paired over {len(x):,} test images, McNemar p = {test.p_value:.2g}"


def judge(c: Comparison, profile: str = "cpu", *, store: RunStore = RunStore()) -> ComparativeVerdict:
    """The paired verdict on one comparison under `profile` (see the module's docstring)."""
    if c.better is None:
        return ComparativeVerdict(NOT_RUN, None, None, None, None, c.not_run_reason)
    epochs, a, b = shared_budget(c, profile, store=store)
    paper = paper_epochs(c.better)
    if epochs is None:
        return ComparativeVerdict(NOT_RUN, None, None, paper, None, "no budget that both sides trained")
    paired = paired_accuracy_difference(a, b, c.better_role, c.worse_role)
    if paired is None:
        return ComparativeVerdict(NOT_RUN, None, epochs, paper, None,
                                  f"the runs keep no predictions of {c.better_role} and {c.worse_role} on the "
                                  "same images")
    interval, p, how = paired
    budget = f"{epochs} of {paper} epochs" + (" (assumed: the paper names none)" if c.assumed_budget else "")
    text = f"difference {interval.format()} points ({how}), {budget}"
    if interval.low > 0:
        return ComparativeVerdict(REPRODUCED, interval, epochs, paper, p,
                                  f"{text}: the claimed better one leads beyond the interval")
    if interval.high < 0 and epochs >= paper:
        return ComparativeVerdict(NOT_REPRODUCED, interval, epochs, paper, p,
                                  f"{text}: the baseline leads beyond the interval at the paper's budget")
    why = ("the interval contains 0: not evidence either way" if interval.low <= 0 <= interval.high
           else f"the baseline leads, but below the paper's budget; next: both at {min(2 * epochs, paper)} epochs")
    return ComparativeVerdict(OPEN, interval, epochs, paper, p, f"{text}; {why}")


def comparative_table(profile: str = "cpu", *, store: RunStore = RunStore(), papers=None) -> pd.DataFrame:
    """One row per comparative claim and substitute: the difference A - B with its interval, the verdict (a
    substitute's row reads "evidence" and never decides its claim), and what it rests on."""
    rows = []
    for c in COMPARISONS:
        if papers and c.paper not in papers:
            continue
        v = judge(c, profile, store=store)
        verdict = v.verdict if c.evidence_for is None or v.verdict == NOT_RUN else f"evidence ({v.verdict})"
        rows.append({"paper": c.paper, "claim": c.description, "verdict": verdict, "source": c.source,
                     "claimed better − baseline (points) [95 %]": v.difference.format() if v.difference else "—",
                     "why": v.basis})
    return pd.DataFrame(rows)
