"""Claims measured against the run store: each claim's budget curve and verdict, and the ledger's rows."""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
import pandas as pd

from .backtest import cases, curves, margin_per_doubling

from .claims import Claim
from ..experiments import ASSUMED_BUDGET_PAPERS, paper_epochs
from ..store.results import RunRecord, RunStore
from .uncertainty import Interval, mean_interval, over_seeds, wilson
from .verdicts import NOT_REPRODUCED, NOT_RUN, OPEN, REPRODUCED, Verdict, budget_verdict


def measured_value(claim: Claim, records: RunRecord | list[RunRecord], without: frozenset[str] = frozenset()
                   ) -> float:
    """The run's number for this claim, in percent; for a k-fold experiment, the mean over its folds.
    `without`: ids of test images to leave out (e.g. twins of training images), counted from the predictions."""
    records = records if isinstance(records, list) else [records]
    values = []
    for record in records:
        if without:
            hits, n = counts(claim, record, without) or (None, None)
            if hits is None:
                raise ValueError(f"{claim.key}: {claim.metric} cannot be recounted without some test images "
                                 f"(run {record.path} kept no predictions, or the metric is no proportion)")
            values.append(100 * hits / n)
            continue
        report = record.metrics[claim.role]
        if claim.metric == "loss":
            values.append(report["loss"])  # a cross-entropy, not a percentage
        elif claim.metric == "accuracy":
            values.append(100 * report["accuracy"])
        else:
            kind, _, cls = claim.metric.partition(":")
            values.append(100 * report["per_class"][cls][kind])
    return float(sum(values) / len(values))


def seconds_per_epoch(records: list[RunRecord]) -> float | None:
    """CPU seconds of training steps per epoch for all of `records` together (folds add up), from the img/s
    and training-set size each recorded; None when a record lacks them."""
    try:
        return sum(r.config["split_sizes"]["train"] / r.metrics["train_img_per_s"] for r in records)
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def counts(claim: Claim, record: RunRecord, without: frozenset[str] = frozenset()) -> tuple[int, int] | None:
    """(successes, trials) behind the claim's number on one run's test images: correct / all for an accuracy,
    true positives / images predicted as the class for a precision, / images of the class for a recall.
    `without`: ids of test images left out. None where the number is no proportion (a loss, an F1) or the run
    kept no predictions for its role."""
    if claim.metric == "loss" or claim.metric.startswith("f1"):
        return None
    try:
        p = record.predictions
    except FileNotFoundError:  # a record that kept no predictions has no counts
        return None
    p = p[(p["role"] == claim.role) & ~p["id"].astype(str).isin(without)]
    if p.empty:
        return None
    if claim.metric == "accuracy":
        return int((p["true"] == p["pred"]).sum()), len(p)
    kind, _, cls = claim.metric.partition(":")
    k = list(record.metrics[claim.role]["classes"]).index(cls)
    tp = int(((p["true"] == k) & (p["pred"] == k)).sum())
    trials = int((p["pred"] == k).sum()) if kind == "precision" else int((p["true"] == k).sum())
    return (tp, trials) if trials else None


def measured_interval(claim: Claim, records: list[RunRecord], without: frozenset[str] = frozenset()
                      ) -> Interval | None:
    """The claim's measurement (percent) with its 95 % interval: Student's t over the folds of a k-fold
    experiment, or over the seeds of a repeated one (widened to at least one run's Wilson interval, since the
    seeds share one test set and their spread leaves its sampling out); Wilson on the counts of a single run.
    None for a loss, or where no counts are recorded. `without`: ids of test images left out."""
    if claim.metric == "loss" or not records:
        return None
    values = [measured_value(claim, r, without) for r in records]
    singles = [c for r in records if (c := counts(claim, r, without)) is not None]
    if len(records) == 1:
        return wilson(*singles[0]).scaled(100) if singles else None
    kfold = records[0].config.get("data", {}).get("protocol") == "kfold"
    spread = mean_interval(values, what="folds" if kfold else "seeds")
    if kfold or not singles:
        # a percentage of images cannot leave 0..100, however few folds the t interval rests on
        return Interval(spread.estimate, max(spread.low, 0.0), min(spread.high, 100.0), spread.method)
    return over_seeds(values, singles[0][1])


def budget_measurements(claim: Claim, profile: str, *, store: RunStore = RunStore(), experiment: str | None = None,
                        without: frozenset[str] = frozenset()
                        ) -> dict[int, tuple[list[RunRecord], Interval | None]]:
    """Epochs trained -> (the records the claim's number rests on, its interval), one entry per budget of its
    experiment (or of `experiment`, e.g. its proxy) under `profile`. A budget trained with several seeds
    rests on all of them (their mean), a k-fold budget on all of its folds. `without`: test image ids left
    out of every measurement."""
    experiment = experiment or claim.experiment
    if experiment is None:
        return {}
    points = {}
    for b, runs in store.budgets(experiment, profile).items():
        if len(runs) == 1 and len(seeds := store.seeds(experiment, profile, epochs=b)) > 1:
            runs = list(seeds.values())
        points[b] = (runs, measured_interval(claim, runs, without))
    return points


def budget_curve(claim: Claim, profile: str, *, store: RunStore = RunStore(), experiment: str | None = None) -> dict[int, float]:
    """Epochs trained -> the claim's measured value, one point per budget of its experiment (or of
    `experiment`, e.g. its proxy) under `profile`; the mean over seeds or folds where a budget has several."""
    return {b: measured_value(claim, runs)
            for b, (runs, _) in budget_measurements(claim, profile, store=store, experiment=experiment).items()}


NO_VERDICT_BASELINE = "no verdict (baseline)"
# The profiles whose runs decide verdicts: smoke runs prove code paths, never claims.
VERDICT_PROFILES = ("paper", "cpu")


def explained_verdict(claim: Claim, profile: str, *, store: RunStore = RunStore()) -> Verdict:
    """The verdict on a claim judged by a testable explanation (`Claim.explained_by`): "binary-accuracy:<exp>"
    holds the paper's (accuracy, loss) pair against the element-wise accuracy and loss of <exp>'s newest run on
    the claim's role. A match reproduces the number, as that metric; no match leaves the model not run here."""
    from .claims import CLAIMS
    from .scoring import metric_table
    from .verdicts import pair_matches
    kind, _, experiment = claim.explained_by.partition(":")
    if kind != "binary-accuracy":
        raise ValueError(f"unknown explanation {claim.explained_by!r} for claim {claim.key}")
    paper = paper_epochs(claim.experiment) if claim.experiment else None
    record = store.latest(experiment, profile)
    if record is None:
        return Verdict(NOT_RUN, claim.value, {}, paper, reason=f"no finished run of {experiment} to test the "
                       "binary-accuracy reading on")
    loss_claim = next(c.value for c in CLAIMS if c.experiment == claim.experiment and c.role == claim.role
                      and c.metric == "loss")
    row = metric_table(record.predictions, [claim.role]).iloc[0]
    binary, loss = float(row["binary accuracy (%)"]), float(row["loss"])
    pair = (f"{binary:.2f} % with loss {loss:.2f} from {experiment} after {record.epochs} epochs, against the "
            f"paper's {claim.value:.2f} % with {loss_claim:.2f}")
    if pair_matches((claim.value, loss_claim), (binary, loss)):
        return Verdict(REPRODUCED, claim.value, {record.epochs: binary}, paper,
                       reason=f"as element-wise (binary) accuracy: {pair}; as 7-class accuracy the ImageNet model is "
                              "not run here")
    return Verdict(NOT_RUN, claim.value, {record.epochs: binary}, paper,
                   reason=f"the binary-accuracy reading does not match ({pair}); the ImageNet model is not run here")


def explained_measurement(claim: Claim, profile: str, *, store: RunStore = RunStore()) -> tuple[RunRecord, Interval] | None:
    """The run a "binary-accuracy:<exp>" explanation is tested on (<exp>'s newest under `profile`), with its
    element-wise accuracy (%) on the claim's role and that number's 95 % interval: a bootstrap over the test
    images of each image's share of its one-hot outputs thresholded right (the outputs of one image are not
    independent, so no Wilson interval over outputs). None without such a run."""
    from .scoring import probabilities
    from .uncertainty import mean_bootstrap
    record = store.latest(claim.explained_by.partition(":")[2], profile)
    if record is None:
        return None
    p = record.predictions[record.predictions["role"] == claim.role]
    probs = probabilities(p)
    onehot = np.eye(probs.shape[1], dtype=bool)[p["true"].to_numpy()]
    per_image = ((probs > 0.5) == onehot).mean(axis=1)
    return record, mean_bootstrap(per_image).scaled(100)


def judge(claim: Claim, profile: str, *, store: RunStore = RunStore(), without: frozenset[str] = frozenset()) -> Verdict:
    """The budget-aware verdict on `claim` from the runs of its experiment under `profile`, with its proxy's
    runs where it has one (see verdicts.py); a claim with a testable explanation is judged by it, and a
    baseline the paper does not describe is measured without a verdict.

    Args:
        claim: a row of the claims ledger (`judge.claims.CLAIMS`).
        profile: whose runs to judge ("cpu" or "paper").
        store: the run store to read.
        without: test image ids left out of every measurement (the same rule judges, e.g., the test set without
            its twins of training images).
    """
    if claim.explained_by and claim.metric != "loss":
        return explained_verdict(claim, profile, store=store)
    verdict = _budget_judge(claim, profile, store=store, without=without)
    if claim.unspecified_baseline and verdict.verdict != NOT_RUN:
        return replace(verdict, verdict=NO_VERDICT_BASELINE,
                       reason="the paper does not describe this baseline; ours is shown beside the paper's number, "
                              f"not judged against it ({verdict.measured:.2f} after {verdict.epochs} epochs)")
    return verdict


def _budget_judge(claim: Claim, profile: str, *, store: RunStore = RunStore(), without: frozenset[str] = frozenset()) -> Verdict:
    points = budget_measurements(claim, profile, store=store, without=without)
    curve = {b: measured_value(claim, runs, without) for b, (runs, _) in points.items()}
    upper = {b: ci.high for b, (_, ci) in points.items() if ci is not None}
    paper = paper_epochs(claim.experiment) if claim.experiment else None
    records = store.runs_for(claim.experiment, profile) if curve else []
    proxy = {}
    if claim.proxy:
        proxy = dict(proxy_curve=budget_curve(claim, profile, store=store, experiment=claim.proxy), proxy_name=claim.proxy,
                     proxy_seconds_per_epoch=seconds_per_epoch(store.runs_for(claim.proxy, profile)))
    last = points[max(points)][0] if points else []
    kfold = bool(last) and last[0].config.get("data", {}).get("protocol") == "kfold"
    cost = seconds_per_epoch(last[:1])
    more = "a second repetition of the folds, with another split seed" if kfold else "two more seeds"
    if cost is not None and curve:
        more += f" (about {_duration(cost * max(curve) * (1 if kfold else 2))} of CPU time)"
    return budget_verdict(claim.value, curve, paper, seconds_per_epoch=seconds_per_epoch(records),
                          not_run_reason=claim.not_run_reason or f"no finished run of {claim.experiment} yet",
                          upper=upper, noise_step=f"{more} at this budget",
                          margin_per_doubling=backtest_margin(store=store), kept_epochs=kept_epochs(points),
                          assumed_budget=claim.paper in ASSUMED_BUDGET_PAPERS, **proxy)


def kept_epochs(points: dict[int, tuple[list[RunRecord], Interval | None]]) -> dict[int, int]:
    """Budget -> the epoch its run kept (one run per budget; folds and seeds choose their own, so none is given)."""
    return {b: runs[0].metrics["best_epoch"] for b, (runs, _) in points.items()
            if len(runs) == 1 and runs[0].metrics.get("best_epoch") is not None}


@lru_cache(maxsize=8)
def _margin(root: str) -> float:
    return margin_per_doubling(cases(curves(store=RunStore(root))))


def backtest_margin(*, store: RunStore = RunStore()) -> float:
    """The projection margin per doubling from the store's backtest (see `backtest`), computed once per store."""

    return _margin(str(store.root.resolve()))


def _duration(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{seconds / 3600:.1f} hours" if seconds >= 5400 else f"{minutes} minute{'s' if minutes > 1 else ''}"


def assess(claims: list[Claim], profiles=("paper", "cpu", "smoke"), *, store: RunStore = RunStore(),
           twins: dict[tuple[str, str], set[str]] | None = None) -> pd.DataFrame:
    """One row per claim and profile that has a run (or one 'not run' row): claimed, measured at the largest
    budget trained, epochs trained / the paper's, the last doubling's gain, the projected ceiling and the
    budget-aware verdict with what it rests on (`basis`). A k-fold experiment counts only with all of its folds
    finished; its measurement is the fold mean. Smoke runs and losses get no verdict.

    `twins`: (experiment, profile) -> ids of its test images with a pixel-identical twin in its training images (see
    `scoring.split_twins`). An accuracy claim on such an experiment also gets the same measurement and verdict
    without them (`dedup`, `dedup_low`, `dedup_high`, `dedup_removed`, `dedup_verdict`)."""
    rows = []
    twins = twins or {}
    for c in claims:
        base = dict(paper=c.paper, claim=c.description, source=c.source, dataset=c.dataset, claimed=c.value)
        found = False
        for profile in profiles if c.experiment else ():
            v = judge(c, profile, store=store)
            if v.verdict == NOT_RUN:
                continue
            found = True
            points = budget_measurements(c, profile, store=store)
            records, interval = points[max(points)]
            explained = (explained_measurement(c, profile, store=store)
                         if c.explained_by and c.metric != "loss" else None)
            if explained is not None:  # the number judged is the explanation's run's, with its own interval
                records, interval = [explained[0]], explained[1]
            verdict, basis = v.verdict, v.reason
            # A smoke run trains one epoch on a few hundred images: it proves the code path, never a claim.
            if profile == "smoke":
                verdict, basis = "no verdict (smoke)", "a code-path check on a few hundred images"
            elif c.metric == "loss":
                verdict, basis = "no verdict (loss)", "shown beside ours; a loss is not a claim of quality alone"
            kfold = records[0].config.get("data", {}).get("protocol") == "kfold"
            run = (f"{records[0].config['name']}/{records[0].config_hash}" if len(records) == 1
                   else f"{c.experiment}, mean of {len(records)} {'folds' if kfold else 'seeds'}")
            rows.append(dict(base, profile=profile, measured=round(v.measured, 2),
                             low=None if interval is None else round(interval.low, 2),
                             high=None if interval is None else round(interval.high, 2),
                             interval=None if interval is None else interval.method,
                             difference=round(v.measured - c.value, 2), epochs=v.epochs,
                             paper_epochs=v.paper_epochs,
                             gain=None if v.gain is None or c.metric == "loss" else round(v.gain, 2),
                             ceiling=None if v.ceiling is None or c.metric == "loss" else round(v.ceiling, 1),
                             verdict=verdict, basis=basis, run=run,
                             reading="as element-wise accuracy" if explained is not None else "",
                             caveat="; ".join(dict.fromkeys(f"{r.config['name']}/{r.config_hash}: {r.tree_caveat}"
                                                            for r in records if r.tree_caveat)),
                             **_deduplicated(c, profile, store=store, records=records, without=frozenset(twins.get((c.experiment, profile), ())))))
        if not found:
            reason = c.not_run_reason or ("quoted from other work: context, no verdict" if c.cited
                                          else f"no finished run of {c.experiment} yet")
            rows.append(dict(base, profile="", measured=None, low=None, high=None, interval=None, difference=None,
                             epochs=None,
                             paper_epochs=paper_epochs(c.experiment) if c.experiment else None, gain=None,
                             ceiling=None, verdict=NOT_RUN, basis=reason, run=reason, caveat="", reading="",
                             dedup=None, dedup_low=None, dedup_high=None, dedup_removed=None, dedup_verdict=None))
    return pd.DataFrame(rows)


def _deduplicated(claim: Claim, profile: str, *, store, records: list[RunRecord], without: frozenset[str]) -> dict:
    """The de-duplicated columns of an `assess` row: empty unless the claim is a verdict-bearing accuracy on a
    test set with twins in training."""
    empty = dict(dedup=None, dedup_low=None, dedup_high=None, dedup_removed=None, dedup_verdict=None)
    if not without or claim.metric != "accuracy" or profile not in VERDICT_PROFILES:
        return empty
    test = records[0].predictions
    removed = int(test[test["role"] == claim.role]["id"].astype(str).isin(without).sum())
    verdict = judge(claim, profile, store=store, without=without)
    points = budget_measurements(claim, profile, store=store, without=without)
    interval = points[max(points)][1]
    return dict(dedup=round(verdict.measured, 2), dedup_low=round(interval.low, 2), dedup_high=round(interval.high, 2),
                dedup_removed=removed, dedup_verdict=verdict.verdict)


def decisive_rows(table: pd.DataFrame) -> pd.DataFrame:
    """One row per claim of an `assess` table: its best-informed one (paper profile before cpu; smoke last),
    in the claims' order."""
    order = {"paper": 0, "cpu": 1, "": 2, "smoke": 3}
    ranked = table.assign(_rank=table["profile"].map(order), _order=range(len(table)))
    best = ranked.sort_values("_rank", kind="stable").drop_duplicates(["paper", "claim"])
    return best.sort_values("_order").drop(columns=["_rank", "_order"])


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per paper: how many claims are reproduced / not reproduced / open / not run / measured without a verdict
    (a baseline the paper does not describe), from an `assess` table. A claim counts once, by its best-informed
    row (paper profile before cpu; smoke never decides, so a smoke-only claim counts as not run)."""
    kinds = [REPRODUCED, NOT_REPRODUCED, OPEN, NOT_RUN, NO_VERDICT_BASELINE]
    decided = decisive_rows(table)
    decided = decided.assign(verdict=decided["verdict"].where(decided["verdict"].isin(kinds), NOT_RUN))
    counts = pd.crosstab(decided["paper"], decided["verdict"])
    counts = counts.reindex(columns=kinds, fill_value=0)
    counts.columns.name = None
    return counts.assign(total=counts.sum(axis=1)).reset_index()
