"""Chapter 000's sections (P-ResNet / P-ResNet-VGG, Miao, Li and Lin): claims, models, data, runs, per-class tables."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ..judge import claims
from .. import experiments
from ..data.base import FaceData
from ..experiments.config import TrainConfig
from ..train.engine import Trainer
from ..experiments import Experiment
from ..models import build_model, count_parameters
from ..models.presnet import RReLU
from ..models.summary import layer_table

from ..train.runner import make_split
from ..judge.uncertainty import per_class_intervals
from ..judge.scoring import fold_mean_report, pooled_report
from ..judge.verdicts import project
from . import Note, Section, made_by, plots, sections
from .tables import ProfileRuns, best_folds, best_record
from ..store.results import RunRecord, RunStore, current_edition, edition

MODELS = {"presnet": "P-ResNet", "presnetvgg": "P-ResNet-VGG"}
FER_NAMES = {experiments.name("000", f"{m}-fer-{p}"): f"{MODELS[m]}, " + ("paper split 28,000/3,500" if p == "paper"
                                                     else "Training / PublicTest / PrivateTest")
             for m in MODELS for p in ("paper", "standard")}
JAFFE_PROTOCOLS = {"random-testsel": "random folds, selection on TEST fold (paper)",
                   "random-valsel": "random folds, selection on validation",
                   "subject-testsel": "subject folds, selection on TEST fold",
                   "subject-valsel": "subject folds, selection on validation (honest)"}
JAFFE_NAMES = {experiments.name("000", f"{m}-jaffe-{p}"): f"{MODELS[m]}: {label}"
               for m in MODELS for p, label in JAFFE_PROTOCOLS.items()}
# per model: the paper-split FER2013 run, and JAFFE's random folds as the paper selected (on test) and subject folds
FER_PAPER = {m: experiments.name("000", f"{m}-fer-paper") for m in MODELS}
JAFFE_TESTSEL = {m: experiments.name("000", f"{m}-jaffe-random-testsel") for m in MODELS}
JAFFE_VALSEL = {m: experiments.name("000", f"{m}-jaffe-subject-valsel") for m in MODELS}


def experiments_for(names: dict[str, str], profile: str) -> list[Experiment]:
    return [experiments.by_name(name, profile) for name in names]


# ---------------------------------------------------------------- what the paper claims, and the models

@made_by
def claimed_tables() -> Section:
    """Tables 1-2 (per-class accuracy) as printed, with their class means, and Tables 3-4 (accuracy)."""
    detail = [c for c in claims.claims_for("000", include_detail=True) if c.detail]
    wide = pd.DataFrame([{"model": c.description.split(",")[0], "dataset": c.dataset, "class": c.metric.split(":")[1],
                          "claimed": c.value} for c in detail])
    table12 = wide.pivot_table(index="class", columns=["model", "dataset"], values="claimed", sort=False)
    table12.loc["average (mean of classes)"] = table12.mean().round(2)
    table12.columns = [f"{model}, {dataset}" for model, dataset in table12.columns]
    table34 = pd.DataFrame([{"dataset": c.dataset, "model": c.description, "accuracy (%)": c.value, "source": c.source,
                             "kind": "cited" if c.cited else "claim of this paper"}
                            for c in claims.claims_for("000", include_cited=True)])
    return ["**Tables 1-2 as printed** (per-class accuracy, %):", table12.reset_index(),
            "**Tables 3-4** (accuracy, %):", table34.sort_values(["dataset", "accuracy (%)"])]


@made_by
def architecture_tables() -> Section:
    nets = {key: build_model("presnet" if key == "presnet" else "presnet_vgg") for key in MODELS}
    return [pd.DataFrame([{"model": MODELS[k], "parameters": f"{count_parameters(m):,}"} for k, m in nets.items()]),
            "**P-ResNet, block by block** (output shape for one 48×48 grey face):", layer_table(nets["presnet"], depth=3),
            "**P-ResNet-VGG, branch by branch:**", layer_table(nets["presnetvgg"], depth=2)]


@made_by
def rrelu_table() -> pd.DataFrame:
    """RReLU on a negative input: random slopes in training (per element or one per call), fixed in evaluation."""
    torch.manual_seed(0)  # the slopes drawn are random; seeded, the page is the same at every execution
    x = -torch.ones(1, 4)
    rows = []
    for noise in ("element", "batch"):
        layer = RReLU(noise)
        layer.train()
        a, b = layer(x), layer(x)
        layer.eval()
        c, d = layer(x), layer(x)
        seen = np.unique(np.round(-torch.cat([a, b]).numpy(), 3))
        rows.append({"noise": noise, "training: two calls differ": "yes" if bool((a != b).any()) else "no",
                     "training: slopes seen": f"{len(seen)} between {seen.min():.3f} and {seen.max():.3f}",
                     "evaluation: two calls equal": "yes" if torch.equal(c, d) else "no",
                     "evaluation slope": f"{float(-c[0, 0]):.3f}"})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- data and schedule

@made_by
def data_section(fer: FaceData | None, jaffe: FaceData | None, profile: str) -> Section:
    """FER2013's paper split and its class balance; JAFFE's images per woman and its subject folds."""
    items = []
    if fer is not None:
        split = make_split(experiments.experiment("000", "presnet-fer-paper", profile), fer)
        items += [f"FER2013, paper split ({profile} profile): {split.description}",
                  pd.DataFrame([{"": "images", **split.sizes()}]),
                  plots.class_distribution({part: fer.labels[idx] for part, idx in split.parts.items()}, fer.classes)]
    if jaffe is not None:
        counts = pd.crosstab(pd.Series(jaffe.subjects, name="subject"),
                             pd.Series(np.array(jaffe.classes)[jaffe.labels], name="class"))
        folds = experiments.experiment("000", "presnet-jaffe-subject-valsel", profile).folds()
        splits = [make_split(f, jaffe) for f in folds]
        items += ["JAFFE images per woman and class:", counts.reset_index(),
                  "Subject-independent folds: the women in each test fold, and the part sizes:",
                  pd.DataFrame([{"fold": i + 1, "test women": ", ".join(sorted(set(jaffe.subjects[s["test"]]))),
                                 **s.sizes()} for i, s in enumerate(splits)])]
    return items


def _lr_per_epoch(config: TrainConfig) -> list[float]:
    trainer = Trainer(torch.nn.Linear(1, 1), config, device="cpu", log=lambda _: None)
    lrs = []
    for _ in range(config.epochs):
        lrs.append(trainer.optimizer.param_groups[0]["lr"])
        trainer.optimizer.step()
        trainer.scheduler.step()
    return lrs


@made_by
def schedule_figure():
    """The learning rate per epoch under the paper profile and the compressed cpu profile."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 2.6))
    for ax, p in zip(axes, ("paper", "cpu")):
        config = experiments.experiment("000", "presnet-fer-paper", p).train
        ax.plot(range(1, config.epochs + 1), _lr_per_epoch(config), marker="." if config.epochs < 20 else None)
        ax.set(title=f"{p} profile: {config.epochs} epochs, {config.scheduler_args}", xlabel="epoch", ylabel="lr",
               yscale="log")
        ax.title.set_fontsize(8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- FER2013

@made_by
def fer_notes(fer_runs: list[ProfileRuns]) -> Section:
    items = []
    if not any(pr.records for pr in fer_runs):
        items.append(Note("No finished FER2013 run of this chapter exists yet, so there is nothing to show in this "
                          "section.", "warning"))
    missing = [pr.experiment for pr in fer_runs if "paper" not in pr.records]
    if missing:
        items.append(Note("No `paper`-profile run (200 epochs, per-element RReLU) exists yet for: "
                          + ", ".join(f"`{m}`" for m in missing) + ". It needs a GPU: `fer train 000 "
                          + " ".join(m.removeprefix("000-") for m in missing) + " --profile paper`. "
                          "Until then the FER2013 numbers below come from the shorter `cpu` profile."))
    return items


def _per_class_vs_claims(dataset: str, experiment_of: dict[str, str], reports: dict[str, dict],
                         used: list[str]) -> Section:
    """Tables 1-2's per-class accuracy beside ours (the recall of each class), with the class means."""
    rows = {}
    for model, name in experiment_of.items():
        claimed = {c.metric.split(":")[1]: c.value for c in claims.claims_for("000", include_detail=True)
                   if c.detail and c.dataset == dataset and c.experiment == name}
        rows[f"{MODELS[model]}, claimed"] = claimed
        if model in reports:
            rows[f"{MODELS[model]}, ours"] = {c: round(100 * reports[model]["per_class"][c]["recall"], 2)
                                              for c in claimed}
            # Wilson on the class's test images (one run), or t over the folds (a fold mean)
            intervals = per_class_intervals(reports[model], "recall")
            rows[f"{MODELS[model]}, ours: 95 % interval"] = {
                c: "—" if intervals[c] is None else f"[{100 * intervals[c].low:.1f}, {100 * intervals[c].high:.1f}]"
                for c in claimed}
    frame = pd.DataFrame(rows)
    numbers = [c for c in frame.columns if not c.endswith("interval")]
    frame.loc["average (mean of classes)"] = frame[numbers].mean().round(2)
    frame = frame.fillna({c: "" for c in frame.columns if c.endswith("interval")})
    return [frame.rename_axis("class").reset_index()] + (["Measured: " + "; ".join(used)] if used else [])


@made_by
def fer_per_class(fer_runs: list[ProfileRuns]) -> Section:
    by_model = {m: next(pr for pr in fer_runs if pr.experiment == FER_PAPER[m]) for m in MODELS}
    reports, used = {}, []
    for m, pr in by_model.items():
        record, p = best_record(pr)
        if record is not None:
            reports[m] = record.metrics["test"]
            used.append(f"{MODELS[m]} `{p}` run `{record.config_hash}`")
    return _per_class_vs_claims("fer2013", FER_PAPER, reports, used)


# The two kept-epoch rules of the paper-split FER2013 runs, the paper's and our first edition's: (column, prose)
RULES = {"val_acc": ("paper's rule", "the paper's rule (highest validation accuracy)"),
         "val_loss": ("lowest loss", "the first edition's lowest validation loss")}


def _newest_by_rule(runs: list[RunRecord]) -> dict[str, dict[int, RunRecord]]:
    """rule ("val_acc" / "val_loss") -> budget -> the newest run trained under that rule at that budget."""
    by_rule: dict[str, dict[int, RunRecord]] = {}
    for record in sorted(runs, key=lambda r: r.finished_at):
        by_rule.setdefault(edition(record)[1], {})[record.epochs] = record
    return by_rule


def _still_to_train(variant: str, by_rule: dict[str, dict[int, RunRecord]], profile: str) -> str:
    """The budgets trained under the lowest loss but not yet under the paper's rule, as commands with their
    price at the slowest speed the records show; "" when none."""
    missing = sorted(set(by_rule.get("val_loss", {})) - set(by_rule.get("val_acc", {})))
    if not missing:
        return ""
    runs = [r for records in by_rule.values() for r in records.values()]
    hours = sum(missing) * max(r.provenance["wall_seconds"] / r.metrics["epochs_run"] for r in runs) / 3600
    return (" Not yet trained under the paper's rule: " +
            ", ".join(f"`fer train 000 {variant} --profile {profile} --epochs {e}`" for e in missing) +
            f" (about {hours:.1f} CPU hours at the records' slowest speed).")


@made_by
def selection_rules(profile: str = "cpu", *, store: RunStore = RunStore()) -> tuple[pd.DataFrame, str]:
    """The two kept-epoch rules side by side on FER2013. Per model, protocol and budget: the epoch each rule
    kept and that run's test accuracy (each number from runs trained under that rule; the test set never
    chooses); on the paper split, each rule's curve projected to the paper's budget by the verdict rule. Each
    page shows the runs of the newest rule trained (the current edition, see store.results.current_edition); a
    budget the paper's rule has not been trained at yet is priced from the records' own speed."""
    rows, sentences = [], []
    for m, label in MODELS.items():
        for protocol in ("paper", "standard"):
            variant = f"{m}-fer-{protocol}"
            runs = store.find(experiments.name("000", variant), profile=profile)
            if not runs:
                continue
            by_rule = _newest_by_rule(runs)
            for epochs in sorted({e for records in by_rule.values() for e in records}):
                row = {"model": label, "split": protocol, "epochs": epochs}
                for rule, (short, _) in RULES.items():
                    record = by_rule.get(rule, {}).get(epochs)
                    row[f"kept epoch, {short}"] = record.metrics["best_epoch"] if record else "not run"
                    row[f"test (%), {short}"] = f"{100 * record.metrics['test']['accuracy']:.2f}" if record else "—"
                rows.append(row)
            current = RULES[edition(current_edition(runs)[0])[1]][1]
            if protocol == "standard":
                sentence = f"- {label}, standard protocol: the page shows the runs of {current}."
            else:
                experiment = FER_PAPER[m]
                claim = next(c for c in claims.claims_for("000") if c.experiment == experiment and c.metric == "accuracy")
                budget = experiments.paper_epochs(experiment)
                parts = []
                for rule, (_, prose) in RULES.items():
                    curve = {e: 100 * r.metrics["test"]["accuracy"] for e, r in by_rule.get(rule, {}).items()}
                    gain, ceiling = project(curve, budget) if curve else (None, None)
                    if ceiling is not None:
                        parts.append(f"{prose}: last doubling {gain:+.2f}, projected {ceiling:.1f} at {budget} epochs")
                    elif curve:
                        parts.append(f"{prose}: {len(curve)} budget(s), no doubling to project from yet")
                sentence = (f"- {label} (claimed {claim.value:.2f}): " + "; ".join(parts) +
                            f". The verdict rests on the runs of {current}.")
            sentences.append(sentence + _still_to_train(variant, by_rule, profile))
    return pd.DataFrame(rows), "\n".join(sentences)


@made_by
def fer_confusions(fer_runs: list[ProfileRuns]) -> Section:
    items = []
    for m in MODELS:
        record, p = best_record(next(pr for pr in fer_runs if pr.experiment == FER_PAPER[m]))
        if record is not None:
            items += sections.confusion(record.metrics["test"], f"{MODELS[m]}, FER2013 paper split, {p} profile:",
                                        f"{MODELS[m]} ({p})", " The paper prints no confusion matrix.")
    return items


# ---------------------------------------------------------------- JAFFE

def _jaffe(jaffe_runs: list[ProfileRuns], name: str) -> ProfileRuns | None:
    return next((pr for pr in jaffe_runs if pr.experiment == name), None)


def fold_mean_accuracy(pr: ProfileRuns | None) -> tuple[float | None, str | None]:
    """(mean test accuracy over the folds of the most faithful profile, %, that profile)."""
    records, p = best_folds(pr)
    return (100 * np.mean([r.metrics["test"]["accuracy"] for r in records]), p) if records else (None, None)


@made_by
def jaffe_notes(jaffe_table: pd.DataFrame) -> Section:
    return [Note("No complete set of JAFFE folds exists yet, so there is nothing to show in this section.",
                 "warning")] if jaffe_table.empty else []


@made_by
def jaffe_protocol_figure(jaffe_runs: list[ProfileRuns]):
    """Mean fold accuracy under each protocol, per model, with the claimed accuracies dotted."""
    grid = {}
    for pr in jaffe_runs:
        value, _ = fold_mean_accuracy(pr)
        if value is not None:
            grid.setdefault(MODELS[pr.experiment.split("-")[1]], {})[JAFFE_PROTOCOLS[pr.experiment.split("jaffe-")[1]]] = value
    if not grid:
        return None
    ax = pd.DataFrame(grid).plot.barh(figsize=(7, 3))
    for c in claims.claims_for("000"):
        if c.dataset == "jaffe":
            ax.axvline(c.value, ls=":", color="C0" if c.key.startswith("presnet-") else "C1")
    ax.set(xlabel="mean test accuracy over 5 folds (%)", xlim=(0, 100),
           title="JAFFE: the paper's protocol vs honest ones (dotted: claimed)")
    return ax.figure


@made_by
def jaffe_per_class(jaffe_runs: list[ProfileRuns]) -> Section:
    reports, used = {}, []
    for m in MODELS:
        records, p = best_folds(_jaffe(jaffe_runs, JAFFE_TESTSEL[m]))
        if records:
            reports[m] = fold_mean_report(records)
            used.append(f"{MODELS[m]} `{p}`, mean of {reports[m]['folds']} folds")
    return _per_class_vs_claims("jaffe", JAFFE_TESTSEL, reports, used)


@made_by
def jaffe_confusions(jaffe_runs: list[ProfileRuns]) -> Section:
    items = []
    for pr in jaffe_runs:
        records, p = best_folds(pr)
        if records and pr.experiment.endswith(("random-testsel", "subject-valsel")):
            items += sections.confusion(pooled_report(records), f"{JAFFE_NAMES[pr.experiment]} ({p}), 5 test folds pooled:")
    return items


@made_by
def jaffe_fold_curves(jaffe_runs: list[ProfileRuns]) -> Section:
    items = []
    for pr in jaffe_runs:
        records, p = best_folds(pr)
        if records and pr.experiment.endswith("subject-valsel"):
            items.append(sections.fold_curves(records, f"{JAFFE_NAMES[pr.experiment]} ({p}): the five folds"))
    return items


def jaffe_protocol_sentences(jaffe_runs: list[ProfileRuns]) -> str | None:
    lines = []
    for m in MODELS:
        paper_value, p1 = fold_mean_accuracy(_jaffe(jaffe_runs, JAFFE_TESTSEL[m]))
        honest_value, p2 = fold_mean_accuracy(_jaffe(jaffe_runs, JAFFE_VALSEL[m]))
        if paper_value is not None and honest_value is not None:
            lines.append(f"- {MODELS[m]}: {paper_value:.1f} % under the paper's protocol ({p1}), "
                         f"{honest_value:.1f} % with subject-independent folds and validation selection ({p2}).")
    return "**JAFFE, the paper's protocol against the honest one:**\n" + "\n".join(lines) if lines else None
