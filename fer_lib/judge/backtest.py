"""How good the projection rule has been: every doubling of every budget curve in the run store, projected to
each larger budget that was trained later, against what that budget measured.

The rule (see `verdicts.project`) assumes no doubling adds more than the last one. Where a measurement beat
its projection, a "not reproduced by projection" from that doubling would have been wrong; the largest such
excess per remaining doubling is the margin the verdicts add to a projected ceiling.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from ..store.results import RunRecord, RunStore, current_edition, edition

PROFILES = ("cpu", "paper")


def curve_accuracy(records) -> float:
    """Test accuracy (percent) of a budget: the first test role of its run, the mean over folds."""
    roles = records[0].config.get("test_roles") or ["test"]
    return 100 * sum(r.metrics[roles[0]]["accuracy"] for r in records) / len(records)


def curves(*, store: RunStore = RunStore(), profiles=PROFILES) -> dict[tuple[str, str], dict[int, float]]:
    """(experiment, profile) -> {epochs: test accuracy} for every experiment with at least three budgets (one
    doubling to project from and a larger budget to check it against)."""
    root = store.root
    found = {}
    if not root.is_dir():  # an empty store: nothing to backtest yet
        return found
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for profile in profiles:
            points = store.budgets(folder.name, profile)
            if len(points) >= 3:
                found[(folder.name, profile)] = {b: curve_accuracy(runs) for b, runs in points.items()}
            # a superseded edition of the model (see results.current_edition) is still a curve the rule
            # projected: it stays in the backtest (single-run budgets only; the newest run per budget)
            current = {json.dumps(edition(r), sort_keys=True)
                       for r in current_edition(store.find(folder.name, profile=profile))}
            older: dict[str, dict[int, RunRecord]] = {}
            for r in sorted(store.find(folder.name, profile=profile), key=lambda r: r.finished_at):
                key = json.dumps(edition(r), sort_keys=True)
                if key not in current and r.config.get("data", {}).get("protocol") != "kfold":
                    older.setdefault(key, {})[r.epochs] = r
            for n, by_budget in enumerate(older.values()):
                if len(by_budget) >= 3:
                    found[(f"{folder.name} (superseded edition{f' {n + 1}' if len(older) > 1 else ''})", profile)] = {
                        b: curve_accuracy([r]) for b, r in sorted(by_budget.items())}
    return found


def cases(curve_by_name: dict[tuple[str, str], dict[int, float]]) -> pd.DataFrame:
    """One row per (curve, doubling b/2 -> b, later budget B > b): the projection from that doubling, the
    measurement at B, and excess = measured - projected (positive: the measurement beat the projection)."""
    rows = []
    for (experiment, profile), curve in curve_by_name.items():
        for b in sorted(curve):
            if b % 2 or b // 2 not in curve:
                continue
            gain = curve[b] - curve[b // 2]
            for later in (e for e in sorted(curve) if e > b):
                doublings = math.log2(later / b)
                projected = curve[b] + max(gain, 0.0) * doublings
                rows.append(dict(experiment=experiment, profile=profile, doubling=f"{b // 2} -> {b}", to=later,
                                 doublings=round(doublings, 2), gain=round(gain, 2), projected=round(projected, 2),
                                 measured=round(curve[later], 2), excess=round(curve[later] - projected, 2)))
    return pd.DataFrame(rows, columns=["experiment", "profile", "doubling", "to", "doublings", "gain", "projected",
                                       "measured", "excess"])


def margin_per_doubling(table: pd.DataFrame) -> float:
    """The largest excess of a measurement over its projection, per doubling projected (0 when the
    projection was never beaten): added to every projected ceiling, no case of the backtest would have been
    closed wrongly."""
    if table.empty:
        return 0.0
    return float(max(0.0, (table["excess"] / table["doublings"]).max()))


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per number of doublings projected: cases, how many the measurement beat, the worst excess."""
    if table.empty:
        return pd.DataFrame(columns=["doublings ahead", "projections", "measurement beat it", "worst excess"])
    grouped = table.groupby("doublings")
    return pd.DataFrame({"doublings ahead": list(grouped.groups),
                         "projections": grouped.size().tolist(),
                         "measurement beat it": grouped["excess"].apply(lambda e: int((e > 0).sum())).tolist(),
                         "worst excess": grouped["excess"].max().round(2).tolist()})
