"""Chapter 001's sections (IGC network vs plain CNN): claims, models, folds, the per-class tables, paired comparisons."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..judge import claims
from .. import experiments
from ..store import results
from ..data.base import FaceData
from ..experiments import Experiment
from ..judge.comparative import ordering_trend, paired_accuracy_difference, shared_budgets
from ..models import build_model, count_parameters
from ..models.igc import InterleavedGroupConv
from ..models.summary import layer_table
from ..train.runner import make_split
from ..judge.scoring import deduplicated_accuracy, fold_mean_report, pooled_report
from ..judge.uncertainty import Interval, mean_interval, per_class_intervals, wilson
from . import Note, Section, made_by, plots, sections
from .tables import ProfileRuns, best_folds
from ..store.results import RunStore

MODELS = {"igc": "improved CNN (IGC)", "plain": "plain CNN"}
FOUR = ("happy", "sad", "fear", "angry")  # the paper's four expressions, in its column order
CK_PROTOCOLS = {"random": "random folds (paper)", "subject": "subject folds"}
FER_PROTOCOLS = {"random": "5-fold CV over all images (paper)", "standard": "Training / PublicTest / PrivateTest"}
CK_NAMES = {experiments.name("001", f"{m}-ckplus-{p}"): f"{MODELS[m]}, {label}"
            for p, label in CK_PROTOCOLS.items() for m in MODELS}
FER_NAMES = {experiments.name("001", f"{m}-fer2013-{p}"): f"{MODELS[m]}, {label}"
             for p, label in FER_PROTOCOLS.items() for m in MODELS}


def experiments_for(names: dict[str, str], profile: str) -> list[Experiment]:
    return [experiments.by_name(name, profile) for name in names]


def runs_by_experiment(runs: list[ProfileRuns]) -> dict[str, ProfileRuns]:
    return {pr.experiment: pr for pr in runs}


# ---------------------------------------------------------------- claims and models

@made_by
def printed_tables() -> pd.DataFrame:
    """Tables 1-3 as printed: per-class precision and recall (%) of the four expressions."""
    ledger = pd.DataFrame([{"table": c.source, "dataset": c.dataset, "metric": c.metric.split(":")[0],
                            "model": MODELS[c.key.split("-")[0]], "class": c.metric.split(":")[1], "claimed": c.value}
                           for c in claims.claims_for("001", include_detail=True)])
    return ledger.pivot_table(index=["table", "dataset", "metric", "model"], columns="class", values="claimed",
                              sort=False)[list(FOUR)]


@made_by
def implied_f1(printed: pd.DataFrame) -> pd.DataFrame:
    """Fig. 1 (F1 on CK+) is lost, but its values follow from Tables 1-2: F1 = 2PR / (P + R)."""
    ck = printed.xs("ckplus", level="dataset")
    p = ck.xs("precision", level="metric").droplevel("table")
    r = ck.xs("recall", level="metric").droplevel("table")
    return (2 * p * r / (p + r)).round(2)


@made_by
def claimed_section() -> Section:
    printed = printed_tables()
    return [printed.reset_index(),
            "**F1 on CK+ implied by Tables 1-2** (Fig. 1 itself is lost; derived here, not printed in the paper):",
            implied_f1(printed).reset_index()]


@made_by
def architecture_tables() -> Section:
    nets = {key: build_model("igc_net" if key == "igc" else "plain_cnn") for key in MODELS}
    return [pd.DataFrame([{"model": MODELS[k], "parameters": f"{count_parameters(m):,}"} for k, m in nets.items()]),
            "**Improved CNN, stage by stage** (output shape for one 48×48 grey face):", layer_table(nets["igc"], depth=2),
            "**Plain CNN:**", layer_table(nets["plain"], depth=1)]


def _inputs_reaching(forward, channels: int = 32) -> list[int]:
    """For each output channel, how many input channels its value depends on (by the gradient)."""
    seen = []
    for out_channel in range(channels):
        x = torch.randn(1, channels, 5, 5, requires_grad=True)
        forward(x)[0, out_channel, 2, 2].backward()
        seen.append(int((x.grad.abs().sum(dim=(0, 2, 3)) > 0).sum()))
    return seen


@made_by
def interleaving_table() -> pd.DataFrame:
    """The permutation between the two group convolutions makes every output depend on every input."""
    torch.manual_seed(0)
    igc = InterleavedGroupConv(32, groups=4)

    def span(counts):
        return f"{min(counts)} of 32" if min(counts) == max(counts) else f"{min(counts)}-{max(counts)} of 32"

    dense, ours = 32 * 32 * 9, count_parameters(igc)
    share = f"{ours / dense:.3f}"
    return pd.DataFrame([
        {"block": "interleaved (primary, permutation, secondary)",
         "input channels per output channel": span(_inputs_reaching(igc)), "parameters": ours,
         "share of a dense 3×3 conv": share},
        {"block": "same two group convs, no permutation",
         "input channels per output channel": span(_inputs_reaching(lambda x: igc.secondary(igc.primary(x)))),
         "parameters": ours, "share of a dense 3×3 conv": share},
        {"block": "dense 3×3 conv", "input channels per output channel": "32 of 32", "parameters": dense,
         "share of a dense 3×3 conv": "1.000"}])


# ---------------------------------------------------------------- data and profiles

@made_by
def data_section(ckplus: FaceData | None, fer: FaceData | None, profile: str) -> Section:
    """CK+'s sequences and how much of each test fold has a frame of the same sequence in training; FER2013's folds."""
    items = []
    if ckplus is not None:
        sequence = np.array(["_".join(i.split("_")[:2]) for i in ckplus.ids])  # ids are S<subject>_<sequence>_<frame>
        rows = []
        for protocol in ("random", "subject"):
            for i, fold in enumerate(experiments.experiment("001", f"igc-ckplus-{protocol}", profile).folds()):
                s = make_split(fold, ckplus)
                leaked = np.isin(sequence[s["test"]], sequence[s["train"]]).mean()
                shared = set(ckplus.subjects[s["test"]]) & set(ckplus.subjects[s["train"]])
                rows.append({"protocol": protocol, "fold": i + 1, **s.sizes(),
                             "test images with a training frame of the same sequence": f"{leaked:.0%}",
                             "test subjects also in training": len(shared)})
        items += [f"CK+48: {len(ckplus)} images, {len(set(ckplus.subjects))} subjects, {len(set(sequence))} sequences.",
                  pd.DataFrame([{"": "images", **ckplus.class_counts()}]), pd.DataFrame(rows)]
    if fer is not None:
        folds = experiments.experiment("001", "igc-fer2013-random", profile).folds()
        items += [f"FER2013: {len(fer)} images. 5-fold CV over all of them (the paper's protocol); the standard "
                  "protocol trains on *Training*, stops early on *PublicTest* and reports *PrivateTest*.",
                  pd.DataFrame([{"fold": i + 1, **make_split(f, fer).sizes()} for i, f in enumerate(folds)])]
    return items


@made_by
def profiles_table() -> pd.DataFrame:
    rows = []
    for p in ("paper", "cpu"):
        for dataset in ("ckplus", "fer2013"):
            t = experiments.experiment("001", f"igc-{dataset}-random", p).train
            rows.append({"profile": p, "dataset": dataset, "epochs (max)": t.epochs,
                         "early-stopping patience": t.early_stopping, "batch": t.batch_size,
                         "optimizer": f"{t.optimizer}, lr {t.lr}"})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- results

@made_by
def fold_notes(fold_frame: pd.DataFrame, dataset: str, train: bool) -> Section:
    items = []
    if fold_frame.empty and dataset == "ckplus":
        items.append(Note("No complete set of CK+ folds exists yet, so there is nothing to show in this section.",
                          "warning"))
    elif fold_frame.empty:
        items.append(Note("No complete set of FER2013 folds exists yet: `fer train 001 igc-fer2013-random "
                          "plain-fer2013-random --profile cpu` makes them.", "warning"))
    return items


@made_by
def claims_table(dataset: str, runs: list[ProfileRuns]) -> pd.DataFrame:
    """Each printed cell of Tables 1-3 for `dataset` beside our fold mean (random folds, the paper's protocol)."""
    runs_by_name = runs_by_experiment(runs)
    rows = []
    for c in claims.claims_for("001", include_detail=True):
        if c.dataset != dataset:
            continue
        model, (metric, cls) = c.key.split("-")[0], c.metric.split(":")
        records, p = best_folds(runs_by_name.get(c.experiment))
        ours = per_class_intervals(fold_mean_report(records), metric)[cls] if records else None
        rows.append({"table": c.source, "metric": metric, "model": MODELS[model], "class": cls,
                     "claimed": f"{c.value:.1f}",
                     "ours [95 %]": "—" if ours is None else ours.scaled(100).format(1),
                     "ours from": f"{p} profile, {records[0].epochs} epochs" if records else "no run"})
    if not rows:
        return pd.DataFrame()
    wide = pd.DataFrame(rows).pivot_table(index=["table", "metric", "model", "ours from"], columns="class",
                                          values=["claimed", "ours [95 %]"], aggfunc="first", sort=False)
    wide.columns = [f"{cls}, {kind}" for kind, cls in wide.columns]
    return wide.reset_index()


@made_by
def ck_f1_figure(ck_runs: list[ProfileRuns]):
    """F1 of the four expressions on CK+, ours (fold means) beside the F1 implied by Tables 1-2."""
    paper = (implied_f1(printed_tables()).loc["improved CNN (IGC)"] * 100).to_dict()
    reports = {"paper (derived)": {"classes": list(paper), "per_class": {c: {"f1": v / 100} for c, v in paper.items()}}}
    runs_by_name = runs_by_experiment(ck_runs)
    for name, label in CK_NAMES.items():
        records, p = best_folds(runs_by_name.get(name))
        if records:
            rep = fold_mean_report(records)
            reports[f"{label} ({p})"] = {"classes": list(FOUR), "per_class": {c: rep["per_class"][c] for c in FOUR},
                                         "fold_values": {c: rep["fold_values"][c] for c in FOUR}}
    if len(reports) == 1:
        return None
    fig = plots.per_class_bars(reports, "f1")
    fig.axes[0].set_title("CK+: F1 per class, mean of 5 folds (Fig. 1 analogue)")
    return fig


@made_by
def fer_class_figures(fer_runs: list[ProfileRuns]) -> Section:
    """Recall and F1 of the seven classes on FER2013, fold means (the analogues of the lost Figs 2-3)."""
    runs_by_name = runs_by_experiment(fer_runs)
    reports = {}
    for name, label in FER_NAMES.items():
        records, p = best_folds(runs_by_name.get(name))
        if records and name.endswith("random"):
            reports[f"{label.split(',')[0]} ({p})"] = fold_mean_report(records)
    figures = []
    for metric, figure in (("recall", "Fig. 2"), ("f1", "Fig. 3")):
        if reports:
            fig = plots.per_class_bars(reports, metric)
            fig.axes[0].set_title(f"FER2013: {metric} of the seven classes, mean of 5 folds ({figure} analogue; "
                                  "the paper's figure is lost)")
            figures.append(fig)
    return figures


@made_by
def pooled_confusions(runs: list[ProfileRuns], names: dict[str, str], experiments_shown: tuple[str, ...]) -> Section:
    runs_by_name = runs_by_experiment(runs)
    items = []
    for name in experiments_shown:
        records, p = best_folds(runs_by_name.get(name))
        if records:
            items += sections.confusion(pooled_report(records), f"{names[name]} ({p}), 5 test folds pooled:",
                                        f"{names[name]} ({p})")
    return items


@made_by
def subject_fold_curves(ck_runs: list[ProfileRuns]):
    name = experiments.name("001", "igc-ckplus-subject")
    records, p = best_folds(runs_by_experiment(ck_runs).get(name))
    return sections.fold_curves(records, f"{CK_NAMES[name]} ({p}): the five folds") if records else None


def budget_pairs(dataset: str, protocol: str, *, store: RunStore = RunStore()) -> tuple[str | None, dict[int, dict[str, list]]]:
    """(profile, {epochs: {model: every fold's run}}) at the budgets where *both* models have all folds (see
    comparative.shared_budgets)."""
    igc, plain = (experiments.name("001", f"{m}-{dataset}-{protocol}") for m in ("igc", "plain"))
    profile, shared = shared_budgets(igc, plain, store=store)
    return profile, {epochs: {"igc": igc, "plain": plain} for epochs, (igc, plain) in shared.items()}


def _test_accuracies(records) -> np.ndarray:
    """Test accuracy (%) of each fold's run, in fold order."""
    return np.array([100 * r.metrics["test"]["accuracy"] for r in records])


# (dataset, protocol) pairs the comparison covers: both fold schemes of CK+, FER2013's 5 folds and standard split
PAIRED_PROTOCOLS = (("ckplus", "random"), ("ckplus", "subject"), ("fer2013", "random"), ("fer2013", "standard"))


def _difference(igc: list, plain: list) -> str:
    """The paired difference IGC - plain in points with its 95 % interval and how it was paired (see
    comparative.paired_accuracy_difference)."""
    paired = paired_accuracy_difference(igc, plain)
    if paired is None:
        return "no shared predictions"
    interval, _, how = paired
    return f"{interval.estimate:+.2f} [{interval.low:+.2f}, {interval.high:+.2f}], {how.split(', McNemar')[0]}"


@made_by
def paired_table(*, store: RunStore = RunStore()) -> Section:
    """IGC against plain per protocol and budget: fold means and the paired difference (same folds, same epochs)."""
    rows = []
    for dataset, protocol in PAIRED_PROTOCOLS:
        profile, budgets = budget_pairs(dataset, protocol, store=store)
        for epochs, pair in budgets.items():
            acc = {m: _test_accuracies(pair[m]) for m in MODELS}
            f1 = {m: np.array([100 * r.metrics["test"]["macro_f1"] for r in pair[m]]) for m in MODELS}
            diff = acc["igc"] - acc["plain"]
            rows.append({"dataset": dataset, "folds": protocol, "profile": profile, "epochs": epochs,
                         "IGC accuracy": round(acc["igc"].mean(), 2),
                         "plain accuracy": round(acc["plain"].mean(), 2),
                         "IGC - plain [95 % interval]": _difference(pair["igc"], pair["plain"]),
                         "folds IGC ahead": f"{int((diff > 0).sum())} of {len(diff)}",
                         "IGC macro-F1": round(f1["igc"].mean(), 2), "plain macro-F1": round(f1["plain"].mean(), 2)})
    if not rows:
        return [Note("Both models need all five folds of a protocol at the same budget before they can be compared.",
                     "warning")]
    return [pd.DataFrame(rows)]


def ordering_sentences(*, store: RunStore = RunStore()) -> str | None:
    """Per dataset and fold scheme, whether the paired IGC - plain difference keeps its sign as the budget grows."""
    lines = []
    for dataset, protocol in PAIRED_PROTOCOLS:
        profile, budgets = budget_pairs(dataset, protocol, store=store)
        if not budgets:
            continue
        diffs = {e: float(np.mean(_test_accuracies(pair["igc"]) - _test_accuracies(pair["plain"])))
                 for e, pair in budgets.items()}
        points = ", ".join(f"{d:+.2f} points after {e} epochs" for e, d in diffs.items())
        trend = {"the only budget": "the only budget both models have",
                 "A leads at every budget": "the improved CNN leads at every budget",
                 "B leads at every budget": "the plain CNN leads at every budget"}.get(
            ordering_trend(diffs), "the ordering changes as training grows")
        scheme = "standard split, PrivateTest" if protocol == "standard" else f"{protocol} folds"
        lines.append(f"- {dataset}, {scheme} ({profile}): IGC - plain = {points}; {trend}.")
    return "**Does the ordering hold as training grows?**\n" + "\n".join(lines) if lines else None


# The protocols the paper makes its comparative claim on ("the improved CNN beats the plain one"), each with the
# cheaper proxy of the improved CNN's accuracy (FER2013's standard split; none for CK+).


STANDARD = ", standard split"  # how the budget table and figure mark the standard protocol's runs


@made_by
def fer_budget_table(profile: str = "cpu", *, store: RunStore = RunStore()) -> pd.DataFrame:
    """FER2013 per model and budget: accuracy and the four claimed classes' precision (%), as fold means of the
    paper's 5 folds, then as the one PrivateTest run of the standard split (the claims' cheaper proxy), with
    the improved CNN's Table 3 cells as the last row."""
    rows = []
    for protocol, suffix in (("random", ""), ("standard", STANDARD)):
        for m in MODELS:
            for epochs, records in store.budgets(experiments.name("001", f"{m}-fer2013-{protocol}"), profile).items():
                report = fold_mean_report(records)
                ci = _accuracy_interval(records)
                rows.append({"model": MODELS[m] + suffix, "epochs": epochs, "folds": len(records),
                             "accuracy": round(100 * report["accuracy"], 2),
                             "accuracy low": round(ci.low, 2), "accuracy high": round(ci.high, 2),
                             **{f"{cls} precision": round(100 * report["per_class"][cls]["precision"], 1)
                                for cls in FOUR}})
    if not rows:
        return pd.DataFrame()
    printed = printed_tables().xs(("Table 3", "fer2013", "precision"), level=("table", "dataset", "metric"))
    claimed = printed.loc[MODELS["igc"]]
    rows.append({"model": f"{MODELS['igc']}: Table 3 (claimed)", "epochs": None, "folds": None, "accuracy": None,
                 "accuracy low": None, "accuracy high": None,
                 **{f"{cls} precision": float(claimed[cls]) for cls in FOUR}})
    return pd.DataFrame(rows)


@made_by
def fer_budget_shown(profile: str = "cpu", *, store: RunStore = RunStore()) -> pd.DataFrame:
    """`fer_budget_table` as the chapter shows it: the accuracy's interval as one "[low, high]" column."""
    frame = fer_budget_table(profile, store=store)
    if frame.empty:
        return frame
    interval = [f"[{lo:.2f}, {hi:.2f}]" if pd.notna(lo) else "" for lo, hi in
                zip(frame["accuracy low"], frame["accuracy high"])]
    frame = frame.drop(columns=["accuracy low", "accuracy high"])
    frame.insert(list(frame.columns).index("accuracy") + 1, "accuracy: 95 % interval", interval)
    return frame


def _accuracy_interval(records: list) -> Interval:
    """Test accuracy (%) with its 95 % interval: Student's t over the folds (clipped to 0-100), or Wilson on the
    one run's test images."""
    if len(records) > 1:
        t = mean_interval([100 * r.metrics["test"]["accuracy"] for r in records], what="folds")
        return Interval(t.estimate, max(t.low, 0.0), min(t.high, 100.0), t.method)
    test = records[0].metrics["test"]
    return wilson(round(test["accuracy"] * test["n"]), test["n"]).scaled(100)


@made_by
def standard_table(twins: set[str], profile: str = "cpu", *, store: RunStore = RunStore()) -> pd.DataFrame:
    """FER2013's standard split, one row per model and budget: PrivateTest accuracy and macro-F1, and the accuracy
    on the de-duplicated PrivateTest (the images with a pixel-identical twin in Training removed, `twins`)."""
    rows = []
    for m in MODELS:
        experiment = experiments.name("001", f"{m}-fer2013-standard")
        for epochs, records in store.budgets(experiment, profile).items():
            record = records[0]  # the standard split is one run per budget
            test = record.metrics["test"]
            rows.append({"model": MODELS[m], "epochs": epochs, "best epoch": record.metrics.get("best_epoch"),
                         "test images": test["n"], "PrivateTest accuracy (%)": round(100 * test["accuracy"], 2),
                         "95 % interval (Wilson)": "[{0.low:.2f}, {0.high:.2f}]".format(_accuracy_interval(records)),
                         "macro-F1 (%)": round(100 * test["macro_f1"], 2),
                         "de-duplicated PrivateTest accuracy (%)": deduplicated_accuracy(record, "test", twins),
                         "run": f"{experiment}/{record.config_hash}"})
    return pd.DataFrame(rows)


@made_by
def fer_budget_figure(profile: str = "cpu", *, store: RunStore = RunStore()):
    """Accuracy and the four claimed precisions against epochs trained, both models (None without runs)."""
    frame = fer_budget_table(profile, store=store)
    if frame.empty:
        return None
    claimed = frame[frame["epochs"].isna()].iloc[0]
    measured = frame.dropna(subset=["epochs"])
    panels = {"accuracy, 95 % intervals": ["accuracy"],
              "IGC network: precision of the four claimed classes": [f"{c} precision" for c in FOUR]}
    # Table 3's cells are the improved CNN's; the plain CNN's precisions would double the panel's 8 lines
    igc = [m for m in measured["model"].unique() if m.startswith(MODELS["igc"])]
    fig = plots.metrics_by_budget(measured, panels, claimed={c: claimed[c] for c in panels[
        "IGC network: precision of the four claimed classes"]}, panel_models={
        "IGC network: precision of the four claimed classes": igc})
    fig.suptitle(f"FER2013 by budget ({profile} profile): the mean of 5 folds, and the standard split's PrivateTest "
                 "(one run); dotted: Table 3's claimed precisions")
    return fig


def fold_scheme_sentences(ck_runs: list[ProfileRuns]) -> str | None:
    """What random folds add on CK+: the accuracy with random folds minus the one with subject folds."""
    runs = runs_by_experiment(ck_runs)
    lines = []
    for m in MODELS:
        r_recs, p1 = best_folds(runs.get(experiments.name("001", f"{m}-ckplus-random")))
        s_recs, p2 = best_folds(runs.get(experiments.name("001", f"{m}-ckplus-subject")))
        if r_recs and s_recs:
            r = 100 * np.mean([x.metrics["test"]["accuracy"] for x in r_recs])
            s = 100 * np.mean([x.metrics["test"]["accuracy"] for x in s_recs])
            lines.append(f"- {MODELS[m]}: {r:.1f} % with random folds ({p1}), {s:.1f} % with subject folds ({p2}): "
                         f"{r - s:.1f} points of the random-fold accuracy come from seeing the same people and sequences.")
    return "**CK+, random folds against subject folds:**\n" + "\n".join(lines) if lines else None
