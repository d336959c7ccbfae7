"""The comparison chapter's table: each model's runs under the one protocol, summarised over seeds, beside its cost."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .scoring import deduplicated_accuracy
from ..train.cost import COST_RUN
from .. import experiments
from ..experiments import COMPARISON_MODELS, PUSH_INGREDIENTS, comparison
from ..models import REGISTRY, build_model, count_parameters
from ..store import results
from ..store.results import RunRecord, RunStore
from .uncertainty import over_seeds


# The comparison's second budget per profile: every model whose run at it costs at most LONG_MINUTES here
# (estimated from its runs at the profile's budget) is trained that long too, so the chapter can say whether
# its ranking holds. The paper profile's 30 epochs need no second budget; smoke's only exercises the code.
LONG_BUDGETS = {"cpu": 12, "smoke": 2}
LONG_MINUTES = 60


def long_budget(profile: str) -> int | None:
    """The second budget (epochs) of the comparison under `profile`, or None."""
    return LONG_BUDGETS.get(profile)


def model_seed_runs(variant: str, profile: str, *, store: RunStore = RunStore(), epochs: int | None = None) -> dict[int, RunRecord]:
    """Finished runs of `cmp-<variant>` under `profile`, one per training seed (the newest when a seed ran twice),
    at budget `epochs` (default: the variant's own budget under `profile`)."""
    epochs = epochs or comparison(variant, profile).train.epochs
    return store.seeds(experiments.name("cmp", variant), profile, epochs=epochs)


def estimated_minutes(variant: str, profile: str, epochs: int, *, store: RunStore = RunStore()) -> float | None:
    """Wall minutes of one `epochs`-epoch run, from the fastest recorded seed at the profile's budget (work
    sharing the cores only slows a run, so the fastest is the best estimate); None without a run."""
    runs = model_seed_runs(variant, profile, store=store).values()
    per_epoch = [r.provenance["wall_seconds"] / r.metrics["epochs_run"] for r in runs]
    return min(per_epoch) * epochs / 60 if per_epoch else None


def long_budget_variants(profile: str, *, store: RunStore = RunStore(), variants=None) -> list[str]:
    """The models that get the second budget's run (see `long_budget`): a run at the profile's budget exists and
    the estimated second-budget run costs at most LONG_MINUTES."""
    epochs = long_budget(profile)
    if epochs is None:
        return []
    return [v for v in variants or COMPARISON_MODELS
            if (minutes := estimated_minutes(v, profile, epochs, store=store)) is not None and minutes <= LONG_MINUTES]


def budget_table(profile: str, *, store: RunStore = RunStore(), variants=None) -> pd.DataFrame:
    """Seed 0 of every model at the profile's budget and at its second budget (see `long_budget`): PublicTest (of
    the selected epoch) and PrivateTest accuracy, the rank by PublicTest at each budget (PrivateTest ranks
    nothing) and the change, and for a model without its second-budget run, why: not yet trained (with the
    command) or too slow here. Empty without a second budget or without runs."""
    epochs = long_budget(profile)
    rows = []
    for variant in variants or COMPARISON_MODELS:
        short = model_seed_runs(variant, profile, store=store).get(0)
        if short is None or epochs is None:
            continue
        long = model_seed_runs(variant, profile, store=store, epochs=epochs).get(0)
        row = {"model": COMPARISON_MODELS[variant][0], "variant": variant, "epochs": short.epochs,
               "PublicTest (%)": selected_publictest(short), "PrivateTest (%)": 100 * short.metrics["test"]["accuracy"],
               "test images": short.metrics["test"]["n"],
               "train min": short.provenance["wall_seconds"] / 60}
        if long is not None:
            row.update({f"{epochs} ep: PublicTest (%)": selected_publictest(long),
                        f"{epochs} ep: PrivateTest (%)": 100 * long.metrics["test"]["accuracy"],
                        f"{epochs} ep: train min": long.provenance["wall_seconds"] / 60})
        minutes = estimated_minutes(variant, profile, epochs, store=store)
        row[f"{epochs}-epoch run"] = (
            "trained" if long is not None else
            f"too slow here: about {minutes:.0f} min > {LONG_MINUTES}" if minutes > LONG_MINUTES else
            f"not yet (about {minutes:.0f} min): fer train cmp {variant} --profile {profile} --epochs {epochs}")
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table.insert(3, "rank", table["PublicTest (%)"].rank(ascending=False, method="min").astype(int))
    long_col = f"{epochs} ep: PublicTest (%)"
    if long_col in table:
        # Both ranks among the models that have both budgets, so a model missing its long run moves nobody.
        both = table[long_col].notna()
        short_rank = table.loc[both, "PublicTest (%)"].rank(ascending=False, method="min")
        long_rank = table.loc[both, long_col].rank(ascending=False, method="min")
        table.loc[both, "rank with both budgets"] = [f"{s:.0f} → {l:.0f}" for s, l in zip(short_rank, long_rank)]
        table.loc[both, "rank change"] = (short_rank - long_rank).map(lambda d: f"{d:+.0f}" if d else "0")
    return table


def ingredient_table(best: str, profile: str, *, store: RunStore = RunStore()) -> pd.DataFrame:
    """The push's ablation, seed 0: the pushed recipe of `best`, then each of PUSH_INGREDIENTS on top of it, with
    PublicTest of the selected epoch, PrivateTest as the recipe reports it (ten-crop, fixed before training) and
    the change of both from the push in points; a row without its run gives the command that makes it."""
    base = model_seed_runs(f"{best}-push", profile, store=store).get(0)
    rows = []
    for ingredient in ["", *PUSH_INGREDIENTS]:
        variant = f"{best}-push" + (f"-{ingredient}" if ingredient else "")
        record = model_seed_runs(variant, profile, store=store).get(0)
        row = {"recipe": "push" if not ingredient else f"push + {ingredient}",
               "changes": "" if not ingredient else _changes(comparison(variant, profile), comparison(f"{best}-push", profile))}
        if record is None:
            rows.append(dict(row, run=f"fer train cmp {variant} --profile {profile}"))
            continue
        public, private = selected_publictest(record), reported_private(record)
        row.update({"PublicTest (%)": public, "PrivateTest (%)": private,
                    "train min": record.provenance["wall_seconds"] / 60, "run": f"{record.config['name']}/"
                                                                              f"{record.config_hash}"})
        if base is not None and ingredient:
            row.update({"PublicTest change (points)": public - selected_publictest(base),
                        "PrivateTest change (points)": private - reported_private(base)})
        rows.append(row)
    return pd.DataFrame(rows)


def _changes(exp, base) -> str:
    """The training-config fields in which `exp` differs from `base`, as name=value."""
    a, b = exp.train.to_dict(), base.train.to_dict()
    flat_a = {**{k: v for k, v in a.items() if k != "augment"}, **{f"augment.{k}": v for k, v in a["augment"].items()}}
    flat_b = {**{k: v for k, v in b.items() if k != "augment"}, **{f"augment.{k}": v for k, v in b["augment"].items()}}
    return ", ".join(f"{k}={v}" for k, v in flat_a.items() if flat_b.get(k) != v)


def selected_publictest(record: RunRecord) -> float:
    """PublicTest accuracy (%) of the epoch the run selected (its best by PublicTest)."""
    return 100 * float(record.history.set_index("epoch").loc[record.metrics["best_epoch"], "val_acc"])


def ranked_by_publictest(profile: str, *, store: RunStore = RunStore(), variants=None) -> list[str]:
    """Comparison variants with a finished run, best first by the PublicTest accuracy of their selected epochs
    (mean over seeds). PublicTest is the protocol's validation set; PrivateTest never ranks anything."""
    scores = {}
    for variant in variants or COMPARISON_MODELS:
        runs = list(model_seed_runs(variant, profile, store=store).values())
        if runs:
            scores[variant] = float(np.mean([selected_publictest(r) for r in runs]))
    return sorted(scores, key=scores.get, reverse=True)


def seed_variants(profile: str, *, store: RunStore = RunStore(), extra_seeds: int = 2, variants=None) -> list[str]:
    """Seeds 1..extra_seeds of the best two models by PublicTest (among `variants`, default all)."""
    return [f"{v}-s{s}" for v in ranked_by_publictest(profile, store=store, variants=variants)[:2]
            for s in range(1, extra_seeds + 1)]


def push_variant(profile: str, *, store: RunStore = RunStore(), variants=None) -> list[str]:
    """The pushed recipe of the best model by PublicTest among `variants` (any model when none of them has a
    run); [] while no comparison run is finished."""
    ranked = ranked_by_publictest(profile, store=store)
    best = next((v for v in ranked if v in (variants or COMPARISON_MODELS)), ranked[0] if ranked else None)
    return [f"{best}-push"] if best else []


def ingredient_variants(profile: str, *, store: RunStore = RunStore(), variants=None) -> list[str]:
    """The push's ablation runs (see `ingredient_table`) for the model `push_variant` pushes; [] before it."""
    return [f"{push}-{ingredient}" for push in push_variant(profile, store=store, variants=variants) for ingredient in PUSH_INGREDIENTS]


def follow_up_variants(profile: str, *, store: RunStore = RunStore(), extra_seeds: int = 2, variants=None) -> list[str]:
    """What the chapter trains once the first runs have ranked the models: `seed_variants`, and the pushed
    recipe of the best. [] while no comparison run is finished. The chapter ranks again after the seeds, so
    when a seed changes which model is best, the pushed one is chosen then."""
    ranked = ranked_by_publictest(profile, store=store, variants=variants)
    return seed_variants(profile, store=store, extra_seeds=extra_seeds, variants=variants) + [f"{ranked[0]}-push"] if ranked else []


# The push's goal (the comparison issue): the best PrivateTest from one run trained from scratch in at most
# PUSH_HOURS on this machine, the run chosen by PublicTest.
PUSH_HOURS = 3.0
# The long push is planned shorter than the goal allows: on the CPU machine a run must finish inside one 3-hour
# working session (a run cut off with its session is lost), which also has to set up, commit and test.
LONG_PUSH_HOURS = 2.5


def push_recipes(best: str) -> list[str]:
    """The pushed recipes of model `best`: the push, and the push with each of PUSH_INGREDIENTS."""
    return [f"{best}-push", *(f"{best}-push-{ingredient}" for ingredient in PUSH_INGREDIENTS)]


def push_runs(best: str, profile: str, *, store: RunStore = RunStore()) -> list[RunRecord]:
    """Every finished pushed run of `best` under `profile`: any recipe, seed and budget (the ingredient table
    reads the push's own budget; longer runs of a recipe are trained with `fer train ... --epochs`)."""
    return [r for recipe in push_recipes(best) for r in store.find(experiments.name("cmp", recipe), profile=profile)]


def reported_private(record: RunRecord) -> float:
    """PrivateTest accuracy (%) as the run's recipe reports it: ten-crop when it was evaluated that way (fixed
    before training, so never a choice made on the test set)."""
    role = "test_tencrop" if "test_tencrop" in record.metrics else "test"
    return 100 * record.metrics[role]["accuracy"]


def push_record(best: str, profile: str, *, store: RunStore = RunStore(), hours: float = PUSH_HOURS) -> RunRecord | None:
    """The run the book reports as its push: among the pushed runs of `best` that trained in at most `hours`, the
    one with the best PublicTest accuracy at its selected epoch (PublicTest chooses; PrivateTest only reports)."""
    within = [r for r in push_runs(best, profile, store=store) if r.provenance["wall_seconds"] <= hours * 3600]
    return max(within, key=selected_publictest, default=None)


def long_push_command(best: str, profile: str, *, store: RunStore = RunStore(), hours: float = LONG_PUSH_HOURS) -> str | None:
    """The next long push: the recipe with the best PublicTest at the push's own budget, trained for as many
    epochs as fit in nine tenths of `hours` at that run's measured seconds per epoch; None before any pushed run
    and once that recipe has a finished run that long."""
    short = [r for recipe in push_recipes(best) if (r := model_seed_runs(recipe, profile, store=store).get(0))]
    if not short:
        return None
    top = max(short, key=selected_publictest)
    per_epoch = top.provenance["wall_seconds"] / top.metrics["epochs_run"]
    epochs = int(0.9 * hours * 3600 // per_epoch)  # a tenth to spare: epochs slow down when the cores are shared
    recipe = top.config["name"].removeprefix("cmp-")
    if any(r.epochs >= epochs for r in store.find(top.config["name"], profile=profile)):
        return None
    return (f"fer train cmp {recipe} --profile {profile} --epochs {epochs}  "
            f"# about {epochs * per_epoch / 3600:.1f} h at {per_epoch / 60:.1f} min per epoch")


def latest_cost(*, store: RunStore = RunStore()) -> RunRecord | None:
    """The newest cost table written by `fer cost` (see cost.measure_comparison), or None."""
    return results.newest(store.find(COST_RUN))


def comparison_table(profile: str, twins: set[str] | None, *, store: RunStore = RunStore(), variants=None) -> pd.DataFrame:
    """One row per comparison model: cost (parameters, forward MFLOPs per image, training minutes of its fastest
    seed, inference img/s at batch 256 and 1 from the newest cost record) and results over its seeds (PrivateTest
    accuracy mean with its 95 % interval, see uncertainty.over_seeds, the de-duplicated PrivateTest with `twins`, PublicTest accuracy of the selected
    epoch, macro-F1). A model without a finished run gets its row with `seeds` = 0 and the command to run."""
    cost = latest_cost(store=store)
    cost_rows = {row["variant"]: row for row in cost.metrics["rows"]} if cost is not None else {}
    rows = []
    for variant in variants or COMPARISON_MODELS:
        label, model, _ = COMPARISON_MODELS[variant]
        exp = comparison(variant, profile)
        runs = list(model_seed_runs(variant, profile, store=store).values())
        c = cost_rows.get(variant, {})
        row = {"model": label, "variant": variant, "paper": REGISTRY[model].paper or "baseline",
               "parameters": count_parameters(build_model(exp.model, **exp.model_args)),
               "MFLOPs / image": round(c["flops_per_image"] / 1e6, 1) if c else np.nan,
               "seeds": len(runs)}
        if runs:
            acc = [100 * r.metrics["test"]["accuracy"] for r in runs]
            f1 = [100 * r.metrics["test"]["macro_f1"] for r in runs]
            val = [selected_publictest(r) for r in runs]
            ci = over_seeds(acc, runs[0].metrics["test"]["n"])
            row.update({"PrivateTest acc (%)": ci.estimate, "95 % low": ci.low, "95 % high": ci.high})
            if twins is not None:
                row["de-dup PrivateTest acc (%)"] = float(np.mean([deduplicated_accuracy(r, "test", twins) for r in runs]))
            row.update({"PublicTest acc, selected epoch (%)": float(np.mean(val)),
                        "macro-F1 (%)": float(np.mean(f1)),
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
