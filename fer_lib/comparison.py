"""The comparison chapter's table: each model's runs under the one protocol, summarised over seeds, beside its cost."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .scoring import deduplicated_accuracy
from .cost import COST_RUN
from .experiments import COMPARISON_MODELS, comparison
from .models import REGISTRY, build_model, count_parameters
from . import results
from .results import RunRecord


def seed_runs(variant: str, profile: str, runs_root=None) -> dict[int, RunRecord]:
    """Finished runs of `cmp-<variant>` under `profile`, one per training seed (the newest when a seed ran twice)."""
    return results.seed_runs(f"cmp-{variant}", profile, runs_root)


def ranked_by_publictest(profile: str, runs_root=None, variants=None) -> list[str]:
    """Comparison variants with a finished run, best first by the PublicTest accuracy of their selected epochs
    (mean over seeds). PublicTest is the protocol's validation set; PrivateTest never ranks anything."""
    scores = {}
    for variant in variants or COMPARISON_MODELS:
        runs = list(seed_runs(variant, profile, runs_root).values())
        if runs:
            scores[variant] = float(np.mean([r.history.set_index("epoch").loc[r.metrics["best_epoch"], "val_acc"]
                                             for r in runs]))
    return sorted(scores, key=scores.get, reverse=True)


def seed_variants(profile: str, runs_root=None, extra_seeds: int = 2, variants=None) -> list[str]:
    """Seeds 1..extra_seeds of the best two models by PublicTest (among `variants`, default all)."""
    return [f"{v}-s{s}" for v in ranked_by_publictest(profile, runs_root, variants)[:2]
            for s in range(1, extra_seeds + 1)]


def push_variant(profile: str, runs_root=None, variants=None) -> list[str]:
    """The pushed recipe of the best model by PublicTest among `variants` (any model when none of them has a
    run); [] while no comparison run is finished."""
    ranked = ranked_by_publictest(profile, runs_root)
    best = next((v for v in ranked if v in (variants or COMPARISON_MODELS)), ranked[0] if ranked else None)
    return [f"{best}-push"] if best else []


def follow_up_variants(profile: str, runs_root=None, extra_seeds: int = 2, variants=None) -> list[str]:
    """What the chapter trains once the first runs have ranked the models: `seed_variants`, and the pushed
    recipe of the best. [] while no comparison run is finished. The chapter ranks again after the seeds, so
    when a seed changes which model is best, the pushed one is chosen then."""
    ranked = ranked_by_publictest(profile, runs_root, variants)
    return seed_variants(profile, runs_root, extra_seeds, variants) + [f"{ranked[0]}-push"] if ranked else []


def latest_cost(runs_root=None) -> RunRecord | None:
    """The newest cost table written by `fer cost` (see cost.measure_comparison), or None."""
    return results.newest(results.find_runs(COST_RUN, runs_root))


def _mean_std(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), (float(np.std(values, ddof=1)) if len(values) > 1 else float("nan"))


def comparison_table(profile: str, twins: set[str] | None, runs_root=None, variants=None) -> pd.DataFrame:
    """One row per comparison model: cost (parameters, forward MFLOPs per image, training minutes of its fastest
    seed, inference img/s at batch 256 and 1 from the newest cost record) and results over its seeds (PrivateTest
    accuracy mean and sample std, the de-duplicated PrivateTest with `twins`, PublicTest accuracy of the selected
    epoch, macro-F1). A model without a finished run gets its row with `seeds` = 0 and the command to run."""
    cost = latest_cost(runs_root)
    cost_rows = {row["variant"]: row for row in cost.metrics["rows"]} if cost is not None else {}
    rows = []
    for variant in variants or COMPARISON_MODELS:
        label, model, _ = COMPARISON_MODELS[variant]
        exp = comparison(variant, profile)
        runs = list(seed_runs(variant, profile, runs_root).values())
        c = cost_rows.get(variant, {})
        row = {"model": label, "variant": variant, "paper": REGISTRY[model].paper or "baseline",
               "parameters": count_parameters(build_model(exp.model, **exp.model_args)),
               "MFLOPs / image": round(c["flops_per_image"] / 1e6, 1) if c else np.nan,
               "seeds": len(runs)}
        if runs:
            acc = [100 * r.metrics["test"]["accuracy"] for r in runs]
            f1 = [100 * r.metrics["test"]["macro_f1"] for r in runs]
            val = [100 * r.history.set_index("epoch").loc[r.metrics["best_epoch"], "val_acc"] for r in runs]
            row.update(zip(("PrivateTest acc (%)", "± std"), _mean_std(acc)))
            if twins is not None:
                row["de-dup PrivateTest acc (%)"] = float(np.mean([deduplicated_accuracy(r, "test", twins) for r in runs]))
            row.update({"PublicTest acc, selected epoch (%)": float(np.mean(val)),
                        "macro-F1 (%)": _mean_std(f1)[0], "macro-F1 ± std": _mean_std(f1)[1],
                        "epochs": runs[0].metrics["epochs_run"],
                        "best epochs": " / ".join(str(r.metrics["best_epoch"]) for r in runs),
                        # Work sharing the 2 cores only slows a run down, so the fastest seed is the best
                        # estimate of what one run costs on a quiet machine.
                        "train min / run": min(r.provenance["wall_seconds"] for r in runs) / 60})
        else:
            row["to run"] = f"fer train cmp {variant} --profile {profile}"
        row.update({"infer img/s, batch 256": c.get("infer_img_per_s_batch256", np.nan),
                    "infer img/s, batch 1": c.get("infer_img_per_s_batch1", np.nan)})
        rows.append(row)
    return pd.DataFrame(rows)
