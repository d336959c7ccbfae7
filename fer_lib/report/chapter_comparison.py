"""The comparison chapter's sections: the protocol, the table, marks, curves, the pushed model and provenance."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..judge import claims, comparison
from .. import experiments
from ..store import results
from ..train.cost import COST_RUN
from ..experiments import COMPARISON_MODELS as MODELS
from ..judge.scoring import deduplicated_accuracy
from ..judge.uncertainty import over_seeds, wilson
from . import Folded, Note, Section, count, made_by, plots
from .tables import provenance_caveats
from ..store.results import RunStore

PUSH_GOAL = 70.0  # PrivateTest (%) the comparison issue asks of one run within comparison.PUSH_HOURS


def chosen_variants(models: str) -> list[str]:
    """The comma-separated `models` parameter as a list; empty means every model."""
    return [v.strip() for v in models.split(",") if v.strip()] or list(MODELS)


@made_by
def experiments_for(variants: list[str], profile: str) -> Section:
    return [experiments.comparison(v, profile) for v in variants]


@made_by
def long_budget_experiments(variants: list[str], profile: str) -> Section:
    """The second-budget runs of `variants` (see `comparison.long_budget`)."""
    epochs = comparison.long_budget(profile)
    return [experiments.with_budget(experiments.comparison(v, profile), epochs) for v in variants] if epochs else []


@made_by
def protocol_table(profile: str) -> pd.DataFrame:
    t = experiments.comparison("vgg-style", profile).train
    return pd.DataFrame([
        ("train / select / test", "FER2013 Training / PublicTest (best accuracy epoch) / PrivateTest"),
        ("input", f"48x48 grey, scaled to [0, 1], standardised with mean {t.preprocess.mean} and std {t.preprocess.std}"),
        ("augmentation", f"mirror {t.augment.hflip}, rotation up to {t.augment.rotate} degrees, shift up to "
                         f"{t.augment.shift:.0%} of the side"),
        ("optimiser", f"{t.optimizer}, lr {t.lr}, batch {t.batch_size}, {t.scheduler} decay over the epochs"),
        ("epochs", f"{t.epochs} ({profile} profile; paper profile "
                   f"{experiments.comparison('vgg-style', 'paper').train.epochs})"),
        ("models", f"{len(MODELS)}: " + "; ".join(label for label, _, _ in MODELS.values())),
    ], columns=["", "setting"])


@made_by
def table_section(table: pd.DataFrame, profile: str) -> Section:
    items = [table.drop(columns=["variant"]).round(2).astype(object).fillna("")]
    missing = table[table.seeds == 0]
    if len(missing):
        items.append(Note(f"{count(len(missing), 'model')} {'has' if len(missing) == 1 else 'have'} no finished {profile} run yet: "
                          + "; ".join(f"{r.model}: `{r['to run']}`" for _, r in missing.iterrows()), "warning"))
    return items


def literature() -> list[claims.Claim]:
    return claims.claims_for("lit", include_cited=True)


@made_by
def marks_section() -> Section:
    return ["**Published FER2013 marks** (claimed; from the claims ledger, with the protocol read from each "
            "work's published code):",
            pd.DataFrame([{"model": c.description, "accuracy (%)": c.value, "source": c.source,
                           "protocol": c.protocol.label()} for c in literature()])]


@made_by
def cost_figures(table: pd.DataFrame) -> Section:
    """PrivateTest accuracy against forward cost and against training minutes, the published mark dotted."""
    marks = {f"{c.description.split(',')[0]}{'' if c.protocol.same_as_ours else ', different protocol'}": c.value
             for c in literature() if c.key == "vggnet"}
    return [plots.accuracy_vs_cost(table, cost, marks=marks) for cost in ("MFLOPs / image", "train min / run")
            if table.dropna(subset=[cost, "PrivateTest acc (%)"]).shape[0]]


@made_by
def publictest_curves(profile: str, *, store: RunStore = RunStore()):
    """PublicTest accuracy per epoch of every model's seed-0 run."""
    histories = {MODELS[v][0].split(" (")[0]: runs[0].history for v in MODELS
                 if (runs := list(comparison.model_seed_runs(v, profile, store=store).values()))}
    if not histories:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 4.5))
    for name, h in histories.items():
        ax.plot(h["epoch"], 100 * h["val_acc"], marker="o", label=name)
    ax.set(xlabel="epoch", ylabel="PublicTest accuracy (%)")
    ax.legend(fontsize=7, ncol=2)
    return fig


@made_by
def budget_section(profile: str, *, store: RunStore = RunStore(), chosen: list[str] | None = None) -> Section:
    """Both budgets side by side (seed 0), who moved up or down by PublicTest, and accuracy against training
    minutes with a line per model joining its budgets."""
    table = comparison.budget_table(profile, store=store, variants=chosen)
    epochs = comparison.long_budget(profile)
    if table.empty:
        return [Note(f"The {profile} profile has no second budget, or no model has a run yet.")]
    items = [table.drop(columns=["variant"]).round(2).astype(object).fillna("")]
    if "rank change" not in table or table["rank change"].isna().all():
        return items + [Note(f"No model has its {epochs}-epoch run yet; the last column says how to make it.",
                             "warning")]
    both = table.dropna(subset=["rank change"])
    moved = [f"{r.model.split(' (')[0]} {r['rank change']}" for _, r in both.iterrows() if r["rank change"] != "0"]
    kept = len(both) - len(moved)
    items.append(f"Among the {len(both)} models with both budgets, ranked by PublicTest: "
                 + (f"{', '.join(moved)} places from {table.epochs.iloc[0]} to {epochs} epochs; "
                    f"{kept} kept their place." if moved else f"all {len(both)} kept their place."))
    points = pd.concat([
        table[["model", "epochs", "train min", "PrivateTest (%)", "test images"]],
        both[["model", f"{epochs} ep: train min", f"{epochs} ep: PrivateTest (%)", "test images"]].set_axis(
            ["model", "train min", "PrivateTest (%)", "test images"], axis=1).assign(epochs=epochs)])
    return items + [plots.accuracy_vs_minutes_by_budget(points)]


def best_to_push(profile: str, chosen: list[str], *, store: RunStore = RunStore()) -> str | None:
    """The model whose pushed recipe the chapter shows (see `comparison.push_variant`), or None."""
    push = comparison.push_variant(profile, store=store, variants=chosen)
    return push[0].removesuffix("-push") if push else None


@made_by
def push_section(best: str | None, profile: str, twins: set[str] | None, *, store: RunStore = RunStore()) -> Section:
    """The best model's seeds under the one protocol beside its pushed runs, and the gap to the published mark."""
    if best is None:
        return [Note("No comparison run is finished yet, so there is no best model to push.", "warning")]
    push = comparison.model_seed_runs(f"{best}-push", profile, store=store)
    base = comparison.model_seed_runs(best, profile, store=store)
    rows = []
    for name, runs in (("one protocol", base), ("pushed", push)):
        for seed, r in runs.items():
            row = {"recipe": name, "seed": seed, "epochs": r.metrics["epochs_run"], "best epoch": r.metrics["best_epoch"],
                   "PrivateTest acc (%)": 100 * r.metrics["test"]["accuracy"],
                   "macro-F1 (%)": 100 * r.metrics["test"]["macro_f1"],
                   "train min": r.provenance["wall_seconds"] / 60}
            if "test_tencrop" in r.metrics:
                row["PrivateTest, ten-crop (%)"] = 100 * r.metrics["test_tencrop"]["accuracy"]
            if twins is not None:
                row["de-dup PrivateTest (%)"] = deduplicated_accuracy(r, "test", twins)
            rows.append(row)
    pushed = pd.DataFrame(rows)
    items = [f"Best by PublicTest: **{MODELS[best][0]}**.", pushed.round(2)]
    if not push:
        return items + [Note(f"The pushed run has not been trained under the {profile} profile yet: "
                             f"`fer train cmp {best}-push --profile {profile}`.", "warning")]
    # Ten-crop is part of the pushed recipe, fixed before training, so it is the reported score; taking the
    # larger of centre-crop and ten-crop would be choosing on the test set.
    ingredients = ["**What each ingredient gives** (seed 0, each alone on top of the push, then all together; the "
                   "changes are measured against the push's own seed-0 run):",
                   comparison.ingredient_table(best, profile, store=store).round(2).astype(object).fillna("")]
    record = push_record_section(best, profile, twins, store=store)  # its table of every pushed run, then the record
    return items + [Folded("What each ingredient gives, and every pushed run", tuple(ingredients + record[:2])),
                    *record[2:]]


@made_by
def push_record_table(best: str, profile: str, twins: set[str] | None, *, store: RunStore = RunStore()) -> pd.DataFrame:
    """Every pushed run of `best` (any recipe and budget), oldest first: PublicTest of its selected epoch, the
    PrivateTest it reports (ten-crop) and its centre crop, the de-duplicated PrivateTest of the reported
    predictions, and its training hours against the push's limit."""
    rows = []
    for r in sorted(comparison.push_runs(best, profile, store=store), key=lambda r: r.finished_at):
        role = "test_tencrop" if "test_tencrop" in r.metrics else "test"
        hours = r.provenance["wall_seconds"] / 3600
        row = {"recipe": _recipe(best, r), "seed": r.config["train"]["seed"], "epochs": r.epochs,
               "best epoch": r.metrics["best_epoch"], "PublicTest (%)": comparison.selected_publictest(r),
               "PrivateTest (%)": comparison.reported_private(r),
               "PrivateTest, centre crop (%)": 100 * r.metrics["test"]["accuracy"]}
        if twins is not None:
            row["de-dup PrivateTest (%)"] = deduplicated_accuracy(r, role, twins)
        row.update({"train hours": hours, f"within {comparison.PUSH_HOURS:g} h": hours <= comparison.PUSH_HOURS,
                    "run": f"{r.config['name']}/{r.config_hash}"})
        rows.append(row)
    return pd.DataFrame(rows)


def _recipe(best: str, record) -> str:
    """"push", or "push + ema" etc., from a pushed run's experiment name."""
    return record.config["name"].removeprefix(f"cmp-{best}-").replace("-", " + ")


@made_by
def push_record_section(best: str, profile: str, twins: set[str] | None, *, store: RunStore = RunStore()) -> Section:
    """The pushed runs, the one the book reports (best PublicTest within the hour limit) against the goal and the
    published single model, and the command for the next long push."""
    mark = next(c for c in literature() if c.key == "vggnet")
    items = ["**Every pushed run** (the de-duplicated column scores the reported predictions; it stays empty for "
             "a ten-crop run recorded before its ten-crop predictions were kept):",
             push_record_table(best, profile, twins, store=store).round(2)]
    record = comparison.push_record(best, profile, store=store)
    if record is not None:
        hours = record.provenance["wall_seconds"] / 3600
        top = comparison.reported_private(record)
        crop = "ten-crop" if "test_tencrop" in record.metrics else "centre crop"
        items.append(f"The push record, chosen by PublicTest among the runs within {comparison.PUSH_HOURS:g} h: "
                     f"`{record.config['name']}/{record.config_hash}` ({_recipe(best, record)}), {record.epochs} "
                     f"epochs in {hours:.2f} h, PrivateTest **{top:.2f} %** ({crop}). It "
                     f"{'reaches' if top >= PUSH_GOAL else 'falls short of'} the {PUSH_GOAL:g} % goal, "
                     f"{mark.value - top:.2f} points below the published single model's {mark.value:.2f} % "
                     f"({mark.source}; {mark.protocol.label()}).")
    command = comparison.long_push_command(best, profile, store=store)
    if command:
        items.append(f"The next long push (the best recipe by PublicTest at the push's budget, as many epochs as "
                     f"{comparison.LONG_PUSH_HOURS:g} h allow: on this CPU a run must finish inside one 3-hour "
                     f"working session): `{command}`")
    return items


@made_by
def push_cost_figure(best: str | None, profile: str, *, store: RunStore = RunStore()):
    """PrivateTest accuracy against training CPU-hours for the best model's runs, one protocol and pushed (the
    pushed ones with their fixed ten-crop), beside the published marks (claimed, with their protocols)."""
    if best is None:
        return None
    base = list(comparison.model_seed_runs(best, profile, store=store).values())
    if not base:
        return None
    acc = [100 * r.metrics["test"]["accuracy"] for r in base]
    n = base[0].metrics["test"]["n"]
    # The one-protocol seeds as one point (their mean and its interval); each pushed run as its own point.
    ci = over_seeds(acc, n)
    rows = [{"model": f"one protocol, {len(base)} seed{'s' if len(base) > 1 else ''}, {base[0].epochs} epochs",
             "train CPU-hours": min(r.provenance["wall_seconds"] for r in base) / 3600,
             "PrivateTest acc (%)": ci.estimate, "95 % low": ci.low, "95 % high": ci.high}]
    for r in comparison.push_runs(best, profile, store=store):
        value = comparison.reported_private(r)
        one = wilson(round(value / 100 * n), n).scaled(100)
        rows.append({"model": f"{_recipe(best, r)}, seed {r.config['train']['seed']}, {r.epochs} epochs",
                     "train CPU-hours": r.provenance["wall_seconds"] / 3600,
                     "PrivateTest acc (%)": value, "95 % low": one.low, "95 % high": one.high})
    marks = {f"{c.description.split(',')[0]} ({'same protocol' if c.protocol.same_as_ours else 'other protocol'})":
             c.value for c in literature()}
    fig = plots.accuracy_vs_cost(pd.DataFrame(rows), "train CPU-hours", marks=marks)
    fig.axes[0].set_title(f"{MODELS[best][0]}: accuracy per CPU-hour on this machine ({profile} profile)")
    fig.tight_layout()
    return fig


@made_by
def provenance_section(profile: str, *, store: RunStore = RunStore()) -> Section:
    rows = []
    # every finished run of the chapter: each model at both budgets and all seeds, and every pushed recipe; a run
    # that a newer one replaces is named in the caveats instead
    for v in list(MODELS) + [recipe for m in MODELS for recipe in comparison.push_recipes(m)]:
        for r in store.find(experiments.name("cmp", v), profile=profile):
            if store.superseded_by(r) is not None:
                continue
            s = r.summary()
            rows.append({"run": f"cmp-{v}/{r.config_hash}", "seed": r.config["train"]["seed"], "commit": s["commit"],
                         "clean tree": r.tree_caveat or "yes", "device": s["device"], "epochs": s["epochs_run"],
                         "kept epoch": s["best_epoch"], "wall (min)": s["wall_minutes"],
                         "training images / s": round(r.metrics.get("train_img_per_s", 0))})
    caveats = provenance_caveats("cmp", store=store)
    cost = comparison.latest_cost(store=store)
    if cost is None:
        return [caveats, pd.DataFrame(rows), Note("No cost record yet: run `fer cost` on a quiet machine to fill the "
                                                  "FLOPs and img/s columns.", "warning")]
    p = cost.provenance
    return [caveats, pd.DataFrame(rows),
            f"Cost record `{COST_RUN}/{cost.config_hash}`: commit {p['git_commit'][:10]}"
            f"{' (' + cost.tree_caveat + ')' if cost.tree_caveat else ''}, {p['cpu']}, "
            f"{p['cpu_threads']} threads, torch {p['torch']}; load average before "
            f"{p['load_average_before'][0]:.2f}, after {p['load_average_after'][0]:.2f}."]


# Three of JAFFE's full-frame photographs (256x256, face with hair and background), three people, three
# expressions: what `fer predict` does with a picture that is not a 48x48 crop.
PREDICT_PHOTOS = ("KA.HA1.29.tiff", "KL.SU1.164.tiff", "YM.AN1.61.tiff")


@made_by
def predict_section(data_root=None) -> Section:
    """The published model read through `fer predict`'s own path (face detection, crop, batched bf16 inference)
    on a few full-frame photographs, with the boxes drawn; or a reader's note when JAFFE is not here."""
    from ..data.base import data_root as root_of
    from ..data.jaffe import CODE_TO_CLASS
    from ..predict import Predictor, predict
    folder = root_of(data_root) / "jaffe" / "jaffe"
    files = [folder / name for name in PREDICT_PHOTOS]
    if not all(f.is_file() for f in files):
        return [Note("JAFFE's photographs are not in this data root; this section draws three of them.")]
    predictor = Predictor()
    result = predict(files, predictor, keep_frames=True)
    fig, axes = plt.subplots(1, len(files), figsize=(3.2 * len(files), 3.6))
    for ax, (frame, boxes, labels) in zip(axes, result.frames):
        ax.imshow(frame.rgb)
        for box, label in zip(boxes, labels):
            ax.add_patch(plt.Rectangle((box.x, box.y), box.w, box.h, fill=False, color="gold", linewidth=2))
            ax.text(box.x, box.y - 4, label, color="black", backgroundcolor="gold", fontsize=10)
        ax.set_title(f"posed: {CODE_TO_CLASS[frame.source.split('/')[-1].split('.')[1][:2]]}", fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    rows = result.rows.assign(
        file=lambda t: t["file"].map(lambda f: f.split("/")[-1]),
        posed=lambda t: t["file"].map(lambda f: CODE_TO_CLASS[f.split(".")[1][:2]]),
        confidence=lambda t: t[predictor.entry.classes].max(axis=1).map(lambda p: f"{p:.0%}"))
    table = rows[["file", "posed", "predicted", "confidence", "x", "y", "w"]].rename(
        columns={"file": "photograph", "x": "box left (px)", "y": "box top (px)", "w": "box side (px)"})
    e = predictor.entry
    return [fig, table,
            f"Model `{e.name}`: {e.model}, run `{e.run}` (PrivateTest "
            + ", ".join(f"{r.replace('_tencrop', ' ten-crop')} {a:.2%}" for r, a in e.accuracy.items())
            + f"), read in {'bf16' if predictor.trainer.bf16 else 'fp32'}"
            + (" with ten crops per face" if predictor.ten_crop else "") + "."]
