"""Claims measured against the run store: each claim's budget curve and verdict, and the ledger's rows."""
from __future__ import annotations

import pandas as pd

from .claims import Claim
from .experiments import paper_epochs
from .results import RunRecord, budget_runs, runs_for
from .verdicts import NOT_REPRODUCED, NOT_RUN, OPEN, REPRODUCED, Verdict, budget_verdict


def measured_value(claim: Claim, records: RunRecord | list[RunRecord]) -> float:
    """The run's number for this claim, in percent; for a k-fold experiment, the mean over its folds."""
    records = records if isinstance(records, list) else [records]
    values = []
    for record in records:
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


def budget_curve(claim: Claim, profile: str, runs_root=None, experiment: str | None = None) -> dict[int, float]:
    """Epochs trained -> the claim's measured value, one point per budget of its experiment (or of
    `experiment`, e.g. its proxy) under `profile`."""
    experiment = experiment or claim.experiment
    if experiment is None:
        return {}
    return {b: measured_value(claim, runs) for b, runs in budget_runs(experiment, profile, runs_root).items()}


def judge(claim: Claim, profile: str, runs_root=None) -> Verdict:
    """The budget-aware verdict on `claim` from the runs of its experiment under `profile`, with its proxy's
    runs where it has one (see verdicts.py)."""
    curve = budget_curve(claim, profile, runs_root)
    paper = paper_epochs(claim.experiment) if claim.experiment else None
    records = runs_for(claim.experiment, profile, runs_root) if curve else []
    proxy = {}
    if claim.proxy:
        proxy = dict(proxy_curve=budget_curve(claim, profile, runs_root, claim.proxy), proxy_name=claim.proxy,
                     proxy_seconds_per_epoch=seconds_per_epoch(runs_for(claim.proxy, profile, runs_root)))
    return budget_verdict(claim.value, curve, paper, seconds_per_epoch=seconds_per_epoch(records),
                          not_run_reason=claim.not_run_reason or f"no finished run of {claim.experiment} yet",
                          **proxy)


def assess(claims: list[Claim], profiles=("paper", "cpu", "smoke"), runs_root=None) -> pd.DataFrame:
    """One row per claim and profile that has a run (or one 'not run' row): claimed, measured at the largest
    budget trained, epochs trained / the paper's, the last doubling's gain, the projected ceiling and the
    budget-aware verdict with what it rests on (`basis`). A k-fold experiment counts only with all of its folds
    finished; its measurement is the fold mean. Smoke runs and losses get no verdict."""
    rows = []
    for c in claims:
        base = dict(paper=c.paper, claim=c.description, source=c.source, dataset=c.dataset, claimed=c.value)
        found = False
        for profile in profiles if c.experiment else ():
            v = judge(c, profile, runs_root)
            if v.verdict == NOT_RUN:
                continue
            found = True
            records = runs_for(c.experiment, profile, runs_root)
            verdict, basis = v.verdict, v.reason
            # A smoke run trains one epoch on a few hundred images: it proves the code path, never a claim.
            if profile == "smoke":
                verdict, basis = "no verdict (smoke)", "a code-path check on a few hundred images"
            elif c.metric == "loss":
                verdict, basis = "no verdict (loss)", "shown beside ours; a loss is not a claim of quality alone"
            run = (f"{c.experiment}/{records[0].config_hash}" if len(records) == 1
                   else f"{c.experiment}, mean of {len(records)} folds")
            rows.append(dict(base, profile=profile, measured=round(v.measured, 2),
                             difference=round(v.measured - c.value, 2), epochs=v.epochs,
                             paper_epochs=v.paper_epochs,
                             gain=None if v.gain is None or c.metric == "loss" else round(v.gain, 2),
                             ceiling=None if v.ceiling is None or c.metric == "loss" else round(v.ceiling, 1),
                             verdict=verdict, basis=basis, run=run))
        if not found:
            reason = c.not_run_reason or ("quoted from other work: context, no verdict" if c.cited
                                          else f"no finished run of {c.experiment} yet")
            rows.append(dict(base, profile="", measured=None, difference=None, epochs=None,
                             paper_epochs=paper_epochs(c.experiment) if c.experiment else None, gain=None,
                             ceiling=None, verdict=NOT_RUN, basis=reason, run=reason))
    return pd.DataFrame(rows)


def decisive_rows(table: pd.DataFrame) -> pd.DataFrame:
    """One row per claim of an `assess` table: its best-informed one (paper profile before cpu; smoke last),
    in the claims' order."""
    order = {"paper": 0, "cpu": 1, "": 2, "smoke": 3}
    ranked = table.assign(_rank=table["profile"].map(order), _order=range(len(table)))
    best = ranked.sort_values("_rank", kind="stable").drop_duplicates(["paper", "claim"])
    return best.sort_values("_order").drop(columns=["_rank", "_order"])


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per paper: how many claims are reproduced / not reproduced / open / not run, from an `assess` table.
    A claim counts once, by its best-informed row (paper profile before cpu; smoke never decides)."""
    decided = decisive_rows(table)
    decided = decided.assign(verdict=decided["verdict"].where(
        decided["verdict"].isin([REPRODUCED, NOT_REPRODUCED, OPEN, NOT_RUN]), NOT_RUN))
    counts = pd.crosstab(decided["paper"], decided["verdict"])
    counts = counts.reindex(columns=[REPRODUCED, NOT_REPRODUCED, OPEN, NOT_RUN], fill_value=0)
    counts.columns.name = None
    return counts.assign(total=counts.sum(axis=1)).reset_index()
