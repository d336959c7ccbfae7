"""Chapter 004's sections (ResNet50 + MLP vs a traditional CNN): claims, models, setup, Table 2 and its evidence.

The investigation of where the paper's 85.71 % could come from is in `explanations`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..judge import claims, scoring
from .. import experiments
from ..data import audit, ferplus
from ..data.base import DatasetError, FaceData, data_root as resolve_root
from ..models import build_model, count_parameters
from ..models.resnet_mlp import RESNET50_IMAGENET, TRAINABLE
from ..models.weights import weights_path
from ..store.results import RunRecord, RunStore
from ..judge.scoring import deduplicated_accuracy
from ..judge.uncertainty import wilson
from . import Note, Section, explanations, made_by, plots, sections
from . import ledger as report_ledger
from .tables import ProfileRuns, best_record, confusion_summary, per_class_table

# the experiments this chapter reads by name, checked against the registry when the module loads
CNN, RESNET_ALL, RESNET_LAST4 = (experiments.name("004", v) for v in ("cnn", "resnet50-all", "resnet50-last4"))
LABELS = {experiments.name("004", "resnet50-imagenet"): "ResNet50 + MLP, ImageNet, last four layers (the paper)",
          RESNET_ALL: "ResNet50 + MLP, from scratch, all layers",
          RESNET_LAST4: "ResNet50 + MLP, from scratch, last four layers",
          CNN: "traditional CNN (ours)"}
ROLES = {"train": "training", "val": "validation", "public_test": "PublicTest", "private_test": "PrivateTest"}


def ledger() -> list[claims.Claim]:
    return claims.claims_for("004", include_detail=True)


@made_by
def claimed_section() -> Section:
    """Table 2 as printed, and the published FER2013 marks for context."""
    table2 = pd.DataFrame([{"model": "traditional CNN" if c.experiment == CNN else "ResNet50 + MLP (the paper's model)",
                            "set": ROLES[c.role], "metric": c.metric, "claimed": c.value} for c in ledger()])
    wide = table2.pivot_table(index="model", columns=["set", "metric"], values="claimed", sort=False)
    wide.columns = [f"{s}, {metric}" for s, metric in wide.columns]
    marks = pd.DataFrame([{"model": c.description, "accuracy (%)": c.value, "source": c.source,
                           "protocol": c.protocol.label()} for c in claims.claims_for("lit", include_cited=True)])
    return [wide.reset_index(), "**Published FER2013 marks** (context; not claims of this paper):", marks]


@made_by
def parameters_table() -> pd.DataFrame:
    net = build_model("resnet50_mlp", trainable="all")
    rows = [{"part": "ResNet50 backbone (torchvision)", "parameters": count_parameters(net.backbone)},
            {"part": "head: dropout, BN, FC 32, MLP", "parameters": count_parameters(net.head)},
            {"part": "whole model", "parameters": count_parameters(net)}]
    rows += [{"part": f"trainable with trainable={t!r}",
              "parameters": count_parameters(build_model("resnet50_mlp", trainable=t), True)} for t in TRAINABLE]
    rows.append({"part": "traditional CNN (ours)", "parameters": count_parameters(build_model("traditional_cnn"))})
    return pd.DataFrame(rows).assign(parameters=lambda d: d["parameters"].map("{:,}".format))


@made_by
def data_section(fer: FaceData | None, profile: str) -> Section:
    if fer is None:
        return []
    return sections.split_summary(experiments.experiment("004", "resnet50-all", profile), fer, f"images ({profile} profile)")


@made_by
def setup_section(profile: str) -> Section:
    """The paper's training setup (Table 1, Sec. 2.3) beside ours."""
    cfg = experiments.experiment("004", "resnet50-all", profile).train
    paper_epochs = experiments.experiment("004", "resnet50-all", "paper").train.epochs
    paper = "paper (Table 1, Sec. 2.3)"
    items = [pd.DataFrame([
        {"setting": "optimiser", paper: "Adam", "ours": f"{cfg.optimizer}, lr {cfg.lr} (Keras' default)"},
        {"setting": "batch size", paper: "64", "ours": cfg.batch_size},
        {"setting": "epochs", paper: "50",
         "ours": f"{cfg.epochs} by default ({profile} profile); each run's budget in Table 2 below"},
        {"setting": "weights tested", paper: "after 50 epochs", "ours": "last epoch (no selection)"},
        {"setting": "augmentation", paper: "width/height shift 0.1, rotation 15°",
         "ours": f"shift {cfg.augment.shift}, rotation {cfg.augment.rotate}°, mirror {cfg.augment.hflip}"},
        {"setting": "pixel normalisation", paper: "yes (unspecified)", "ours": "x / 255"},
        {"setting": "dropout", paper: "0.5", "ours": "0.5"}])]
    if profile != "paper":
        items.append(Note(f"The `{profile}` profile's default budget is {cfg.epochs} of the paper's {paper_epochs} "
                          f"epochs; `fer train 004 <variant> --epochs N` trains other budgets (the traditional CNN at "
                          f"the paper's own {paper_epochs}). Each row below shows the budget its run trained; each "
                          "run's wall time is in the provenance table."))
    return items


def variants() -> list[str]:
    """The variants this machine can run: the ImageNet row only with its weights file."""
    names = ["resnet50-all", "resnet50-last4", "cnn"]
    return (["resnet50-imagenet"] if weights_path(RESNET50_IMAGENET).exists() else []) + names


def experiments_for(profile: str):
    return [experiments.experiment("004", v, profile) for v in variants()]


def main_records(runs: list[ProfileRuns]) -> dict[str, RunRecord]:
    return {pr.experiment: best_record(pr)[0] for pr in runs if best_record(pr)[0] is not None}


@made_by
def run_notes(main: dict[str, RunRecord], train: bool) -> Section:
    items = []
    if not weights_path(RESNET50_IMAGENET).exists():
        items.append(Note(f"`{weights_path(RESNET50_IMAGENET)}` is not here, so the paper's own configuration "
                          "(ImageNet weights, last four layers trainable) is not run. Put torchvision's ResNet50 "
                          "`IMAGENET1K_V2` weights there (or set `FER_WEIGHTS`) and rerun this chapter to add it.",
                          "warning"))
    if not main:
        items.append(Note("No finished run of this chapter exists yet, so there is nothing to show below.", "warning"))
    return items


@made_by
def curves(main: dict[str, RunRecord]) -> Section:
    """Loss and accuracy per epoch, and every evaluated set's accuracy per epoch (the test sets only watched)."""
    if not main:
        return []
    histories = {LABELS[n]: r.history for n, r in main.items()}
    return [plots.learning_curves(histories),
            plots.accuracy_by_epoch(histories, {"val_acc": "validation", "public_test_acc": "PublicTest (watched)",
                                                "private_test_acc": "PrivateTest (watched)"})]


@made_by
def table2(main: dict[str, RunRecord], twins: set[str] | None) -> pd.DataFrame:
    """Table 2 re-measured: loss and accuracy on every set, the paper's beside ours, plus the de-duplicated
    PrivateTest and the training set's running average of the last epoch."""
    claimed = {(c.experiment, c.role, c.metric): c.value for c in ledger()}
    rows = []
    for name, r in main.items():
        paper_row = CNN if name == CNN else RESNET_ALL
        for role in ROLES:
            m = r.metrics[role]
            rows.append({"model": LABELS[name], "epochs (ours / paper)": f"{r.epochs} / {experiments.paper_epochs(name)}",
                         "set": ROLES[role], "images": m["n"],
                         "loss": round(m["loss"], 3), "accuracy (%)": round(100 * m["accuracy"], 2),
                         "95 % interval (Wilson)": "[{0.low:.2f}, {0.high:.2f}]".format(
                             wilson(round(m["accuracy"] * m["n"]), m["n"]).scaled(100)),
                         "macro-F1 (%)": round(100 * m["macro_f1"], 2),
                         "de-duplicated accuracy (%)": deduplicated_accuracy(r, role, twins)
                         if twins is not None and role == "private_test" else None,
                         "paper loss": claimed.get((paper_row, role, "loss")),
                         "paper accuracy (%)": claimed.get((paper_row, role, "accuracy"))})
        last = r.history.iloc[-1]
        rows.append({"model": LABELS[name], "set": "training, running average of the last epoch",
                     "images": r.config["split_sizes"]["train"], "loss": round(last["train_loss"], 3),
                     "accuracy (%)": round(100 * last["train_acc"], 2)})
    return pd.DataFrame(rows)


@made_by
def confusions(main: dict[str, RunRecord]) -> Section:
    items = []
    for name in (RESNET_ALL, CNN):
        if name in main:
            report = main[name].metrics["private_test"]
            items += [*sections.confusion(report, f"{LABELS[name]}, PrivateTest:"), confusion_summary(report),
                      per_class_table(main[name], "private_test")]
    return items


@made_by
def binary_table(main: dict[str, RunRecord]) -> pd.DataFrame | None:
    """Accuracy, binary (element-wise) accuracy and loss of every run on every set."""
    frames = []
    for name, r in main.items():
        t = scoring.metric_table(r.predictions, list(ROLES))
        t.insert(0, "model", LABELS[name])
        frames.append(t.assign(role=t["role"].map(ROLES)))
    return pd.concat(frames).round(2) if frames else None


@made_by
def frozen_table(main: dict[str, RunRecord]) -> pd.DataFrame | None:
    """The paper's frozen configuration on a random backbone: its binary accuracy and loss beside Table 2."""
    if RESNET_LAST4 not in main:
        return None
    ft = scoring.metric_table(main[RESNET_LAST4].predictions, list(ROLES)).set_index("role")
    paper = {(c.role, c.metric): c.value for c in ledger() if c.experiment == RESNET_ALL}
    return pd.DataFrame([{"set": ROLES[role], "paper accuracy (%)": paper[(role, "accuracy")],
                          "ours, binary accuracy (%)": round(ft.loc[role, "binary accuracy (%)"], 2),
                          "ours, accuracy (%)": round(ft.loc[role, "accuracy (%)"], 2),
                          "paper loss": paper[(role, "loss")], "ours, loss": round(ft.loc[role, "loss"], 3)}
                         for role in ("train", "val", "private_test")])


@made_by
def loss_vs_accuracy_figure(main: dict[str, RunRecord]):
    """Every evaluated (loss, accuracy) pair of our runs, per epoch, beside the paper's Table 2 pairs."""
    points = []
    for name, r in main.items():
        h = r.history
        for col in ("val", "public_test", "private_test"):
            if f"{col}_loss" in h:
                points.append(pd.DataFrame({"loss": h[f"{col}_loss"], "accuracy": 100 * h[f"{col}_acc"],
                                            "source": LABELS[name]}))
        points.append(pd.DataFrame({"loss": [r.metrics["train"]["loss"]], "accuracy": [100 * r.metrics["train"]["accuracy"]],
                                    "source": LABELS[name]}))
    if not points:
        return None
    value = {(c.experiment, c.role, c.metric): c.value for c in ledger()}
    claimed_pairs = pd.DataFrame([{"loss": value[(e, role, "loss")], "accuracy": value[(e, role, "accuracy")],
                                   "label": f"{'CNN' if e == '004-cnn' else 'ResNet50'} {ROLES[role]}"}
                                  for e in (RESNET_ALL, CNN) for role in ("train", "val", "private_test")])
    return plots.loss_vs_accuracy(pd.concat(points), claimed_pairs)


def duplicate_groups(fer: FaceData | None):
    """FER2013's groups of pixel-identical images (None without the data)."""
    return audit.pixel_groups(fer) if fer is not None else None


@made_by
def duplicate_section(fer: FaceData | None, groups) -> Section:
    if fer is None:
        return [Note("The duplicate audit needs FER2013 itself; it is not available in this execution.", "warning")]
    return [audit.duplicate_summary(fer, groups).reset_index()]


def test_twin_ids(fer: FaceData | None, groups) -> set[str]:
    """Ids of PublicTest and PrivateTest images with a pixel-identical twin in Training."""
    if fer is None:
        return set()
    train_pool = np.flatnonzero(fer.split == "train")
    twin_ids: set[str] = set()
    for part in ("public_test", "private_test"):
        idx = np.flatnonzero(fer.split == part)
        twin_ids |= set(fer.ids[idx][audit.has_twin_in(fer, idx, train_pool, groups)].astype(str))
    return twin_ids


@made_by
def twin_table(main: dict[str, RunRecord], twin_ids: set[str]) -> pd.DataFrame | None:
    rows = [dict(model=LABELS[name], **scoring.accuracy_by_twin(r.predictions, twin_ids, role))
            for name, r in main.items() for role in ("public_test", "private_test")]
    if not rows or not twin_ids:
        return None
    twins = pd.DataFrame(rows).round(2)
    return twins.assign(role=twins["role"].map(ROLES))


@made_by
def epoch_selection_section(main: dict[str, RunRecord]) -> Section:
    """What choosing the epoch on a test set would report, against the last epoch."""
    rows = [dict(model=LABELS[name], **scoring.epoch_selection(r.history, f"{role}_acc"))
            for name, r in main.items() for role in ("public_test", "private_test") if f"{role}_acc" in r.history]
    if not rows:
        return []
    items = [pd.DataFrame(rows).round(2)]
    if all(r["epoch with the highest accuracy"] == r["last epoch"] for r in rows):
        items.append(Note("Every test curve here is still rising at its last epoch, so choosing the epoch on the test "
                          "set gains nothing under this budget. That is a limit of the measurement, not evidence that "
                          "the choice is harmless: over the paper's 50 epochs it would add the gap between a curve's "
                          "peak and its end."))
    return items


@made_by
def ferplus_section(fer: FaceData | None, data_root=None) -> Section:
    try:
        votes = ferplus.load(resolve_root(data_root))
        if fer is not None:
            ferplus.join(fer, votes)  # checks that every FER+ row names an image of this FER2013 copy
    except DatasetError as exc:
        return [Note(f"{exc}", "warning")]
    return [pd.Series(votes.usage).value_counts().rename("FER+ rows").rename_axis("usage").reset_index()]


@made_by
def explanations_section(main: dict[str, RunRecord], fer: FaceData | None, twin_ids: set[str]) -> Section:
    """The best honest run (chosen on validation, never a test set), and what each explanation gives on it."""
    if not main or fer is None:
        return []
    best_name = explanations.best_by_validation(main)
    best = main[best_name]
    return [f"Best honest run by validation accuracy: **{LABELS[best_name]}** "
            f"({100 * best.metrics['val']['accuracy']:.2f} % validation, "
            f"{100 * best.metrics['private_test']['accuracy']:.2f} % PrivateTest, {best.epochs} epochs).",
            explanations.explanations_table(best, main.get(RESNET_LAST4), twin_ids)]


@made_by
def table2_verdicts(*, store: RunStore = RunStore()) -> Section:
    return ["**Every cell of Table 2** against our runs (losses without a verdict):",
            report_ledger.verdict_table([c for c in ledger() if c.detail], store=store).drop(columns=["paper", "source"])]


@made_by
def cnn_seeds_section(profile: str = "cpu", *, store: RunStore = RunStore()) -> Section:
    """The traditional CNN at the paper's 50 epochs over every seed trained, keeping the last epoch as the paper
    did: each seed's PrivateTest accuracy with its Wilson interval, their mean with Student's t over seeds, and
    each seed's watched PrivateTest curve over the last ten epochs (recorded, never used to choose anything)."""
    import matplotlib.pyplot as plt

    from ..judge import assessment
    from ..store import results
    from ..judge.verdicts import TOLERANCE_PP
    epochs = experiments.paper_epochs(CNN)
    seeds = store.seeds(CNN, profile, epochs=epochs)
    if not seeds:
        return []
    claim = next(c for c in ledger() if c.experiment == CNN and c.role == "private_test"
                 and c.metric == "accuracy")
    rows = []
    for seed, record in seeds.items():
        ci = assessment.measured_interval(claim, [record])
        history = record.history
        chosen = int(history.loc[history["val_acc"].idxmax(), "epoch"]) if "val_acc" in history else None
        late = history.loc[history["epoch"] > epochs - 10, "private_test_acc"] if "private_test_acc" in history else None
        rows.append({"seed": seed, "PrivateTest, last epoch (%) [95 %]": ci.format(),
                     "PrivateTest, epochs 41-50 (%)": "" if late is None else
                     f"{100 * late.min():.2f} – {100 * late.max():.2f}",
                     "epoch with the best validation accuracy": chosen if chosen is not None else "",
                     "PrivateTest there (%)": "" if chosen is None or late is None else
                     f"{100 * history.loc[history['epoch'] == chosen, 'private_test_acc'].iloc[0]:.2f}",
                     "record": f"004-cnn/{record.config_hash}"})
    pooled = assessment.measured_interval(claim, list(seeds.values()))
    bar = claim.value - TOLERANCE_PP
    if pooled.estimate >= bar:
        word = "reaches"
    elif pooled.high < bar:
        word = "stays below, even at the upper end of its interval,"
    else:
        word = "falls short of, but its interval still reaches,"
    lead = (f"**{len(seeds)} seed{'s' if len(seeds) > 1 else ''} at the paper's {epochs} epochs** ({profile} profile), "
            f"the last epoch kept as the paper did. {'Mean PrivateTest accuracy' if len(seeds) > 1 else 'PrivateTest accuracy'} "
            f"{pooled.format(unit='%')} ({pooled.method}); "
            f"it {word} the claim's {claim.value:.2f} less the tolerance ({bar:.2f}).")
    items = [lead, pd.DataFrame(rows)]
    curves = {seed: r.history for seed, r in seeds.items() if "private_test_acc" in r.history}
    if curves:
        fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
        for seed, history in curves.items():
            ax.plot(history["epoch"], 100 * history["private_test_acc"], marker=".", label=f"seed {seed}")
        ax.axhline(claim.value, color="black", linestyle="--", linewidth=1, label=f"claimed {claim.value:.2f}")
        ax.set(xlabel="epoch", ylabel="PrivateTest accuracy (%)", xlim=(max(1, epochs - 20), epochs + 0.5))
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
        items.append(fig)
    return items
