"""Tables a chapter shows, built from run records: provenance, results per profile, per class, per fold."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from html import escape

import numpy as np
import pandas as pd

from ..store import results
from ..experiments import PROFILES
from ..store.results import RunRecord, RunStore
from ..judge.scoring import deduplicated_accuracy
from . import Section, made_by
from ..judge.uncertainty import Interval, mean_interval, per_class_intervals, wilson


@dataclass
class ProfileRuns:
    """The finished run of one experiment under each profile that has one; for a k-fold experiment, `folds`
    holds every fold's run per profile (only profiles with all folds finished)."""

    experiment: str
    records: dict[str, RunRecord]
    folds: dict[str, list[RunRecord]] = field(default_factory=dict)


def profile_runs(experiment: str, *, store: RunStore = RunStore()) -> ProfileRuns:
    """Every profile's latest finished run of `experiment` (and its folds, for a k-fold experiment). With a
    complete set of folds the record is the newest of them, not a fold of a larger budget still in training."""
    records, folds = {}, {}
    for p in PROFILES:
        measured = store.runs_for(experiment, p)
        if len(measured) > 1:
            folds[p] = measured
        record = results.newest(measured) if measured else store.latest(experiment, p)
        if record is not None:
            records[p] = record
    return ProfileRuns(experiment, records, folds)


@made_by
def provenance_table(runs: list[ProfileRuns]) -> pd.DataFrame:
    """Which run produced each number: profile, run, commit, whether its tree was clean (and why not), device,
    epochs, the kept epoch, wall time, training speed and split."""
    rows = []
    for pr in runs:
        for profile, r in pr.records.items():
            s = r.summary()
            rows.append({"experiment": pr.experiment, "profile": profile, "run": s["config_hash"],
                         "commit": s["commit"], "clean tree": r.tree_caveat or "yes", "device": s["device"],
                         "epochs run": s["epochs_run"], "kept epoch": s["best_epoch"],
                         "wall (min)": s["wall_minutes"],
                         "training images / s": round(r.metrics.get("train_img_per_s", 0)),
                         "split": r.config["split_description"]})
    return pd.DataFrame(rows)


def provenance_caveats(paper: str, *, store: RunStore = RunStore()) -> str | None:
    """One line per finished record of `paper`'s experiments (paper and cpu profiles: the ones pages show) that
    was not trained from a clean, committed tree, then those of them a newer run replaces on the page; None when
    every record was trained from a clean tree."""
    records = [r for name in store.experiments() if name.startswith(f"{paper}-")
               for r in store.find(name) if r.config.get("profile") in ("paper", "cpu")]
    groups: dict[str, list[str]] = {}  # one line per caveat (they name their commit), listing its records
    superseded = []  # replaced on the page by a newer run: kept as evidence, behind no number
    for r in records:
        if not r.tree_caveat:
            continue
        newer = store.superseded_by(r)
        if newer is None:
            groups.setdefault(r.tree_caveat, []).append(f"`{r.config['name']}/{r.config_hash}`")
        else:
            superseded.append(f"`{r.config['name']}/{r.config_hash}` by `{newer.config_hash}`")
    if not groups and not superseded:
        return None
    lines = [f"- {caveat[0].upper() + caveat[1:]}: {', '.join(runs)}." for caveat, runs in groups.items()]
    text = ("**Records not trained from a clean tree.** Every other record behind this page was trained from a "
            "clean, committed tree. These are shown with this caveat; retraining one from a clean tree "
            "(`fer train ... --force`) removes it:\n" + "\n".join(lines)) if groups else (
            "**Every record behind this page was trained from a clean, committed tree.**")
    if superseded:
        text += ("\n\nRecords not trained from a clean tree that a newer run replaces on this page (kept in the "
                 "store as evidence, behind no number): " + "; ".join(superseded) + ".")
    return text


@made_by
def provenance_section(paper: str, runs: list[ProfileRuns], *, store: RunStore = RunStore()) -> Section:
    """A chapter's provenance: the caveats of its records that were not trained from a clean tree, then the
    table of the runs its tables show."""
    return [provenance_caveats(paper, store=store), provenance_table(runs)]


@made_by
def results_table(runs: list[ProfileRuns], labels: dict[str, str], role: str = "test",
                  twins: set[str] | None = None) -> pd.DataFrame:
    """Test accuracy and macro-F1 per experiment and profile, in percent. With `twins` (see `training_twins`), a
    PrivateTest run also gets its accuracy on the de-duplicated PrivateTest (twins of Training images removed)."""
    rows = []
    for pr in runs:
        for profile, r in pr.records.items():
            m = r.metrics[role]
            row = {"protocol": labels.get(pr.experiment, pr.experiment), "profile": profile,
                   "test images": m["n"], "test accuracy (%)": round(100 * m["accuracy"], 2),
                   "95 % interval (Wilson)": _wilson_text(m),
                   "macro-F1 (%)": round(100 * m["macro_f1"], 2)}
            if twins is not None:
                dedup = deduplicated_accuracy(r, role, twins)
                row["de-duplicated PrivateTest accuracy (%)"] = "n/a (not PrivateTest)" if dedup is None else dedup
            rows.append(dict(row, run=f"{pr.experiment}/{r.config_hash}"))
    return pd.DataFrame(rows)


def _wilson_text(report: dict) -> str:
    """"[59.62, 62.81]": the Wilson interval (%) of a report's accuracy on its `n` test images."""
    ci = wilson(round(report["accuracy"] * report["n"]), report["n"]).scaled(100)
    return f"[{ci.low:.2f}, {ci.high:.2f}]"


@made_by
def per_class_table(record: RunRecord, role: str = "test") -> pd.DataFrame:
    """Precision, recall and F1 per class in percent, each with its 95 % interval (see
    uncertainty.per_class_intervals), and the class's test images."""
    report = record.metrics[role]
    per = report["per_class"]
    intervals = {m: per_class_intervals(report, m) for m in ("precision", "recall", "f1")}

    def cell(c, m):
        ci = intervals[m][c]
        return "—" if ci is None else ci.scaled(100).format(1)

    return pd.DataFrame([{"class": c, "precision (%)": cell(c, "precision"), "recall (%)": cell(c, "recall"),
                          "F1 (%)": cell(c, "f1"), "test images": per[c]["support"]} for c in report["classes"]])


@made_by
def fold_table(runs: list[ProfileRuns], labels: dict[str, str], role: str = "test") -> pd.DataFrame:
    """Per k-fold experiment and profile: the fold mean of accuracy and macro-F1 with its 95 % interval
    (Student's t over the folds, clipped to 0-100), and each fold's accuracy."""
    rows = []
    for pr in runs:
        for profile, records in pr.folds.items():
            acc = [100 * r.metrics[role]["accuracy"] for r in records]
            f1 = [100 * r.metrics[role]["macro_f1"] for r in records]
            rows.append({"protocol": labels.get(pr.experiment, pr.experiment), "profile": profile,
                         "folds": len(records), "accuracy (%) [95 % interval]": _fold_mean(acc),
                         "macro-F1 (%) [95 % interval]": _fold_mean(f1),
                         "per fold": " / ".join(f"{a:.1f}" for a in acc),
                         "best epochs": " / ".join(str(r.metrics.get("best_epoch")) for r in records),
                         "wall (min)": round(sum(r.provenance["wall_seconds"] for r in records) / 60, 1)})
    return pd.DataFrame(rows)


def _fold_mean(values: list[float]) -> str:
    t = mean_interval(values, what="folds")
    return Interval(t.estimate, max(t.low, 0.0), min(t.high, 100.0), t.method).format()


def confusion_summary(report: dict) -> str:
    """What this confusion matrix shows, in two to four sentences: the easiest and hardest classes (with the
    recall's interval), then only what applies to it: a confusion that takes most of a class, a class the model
    over-predicts, a class it never gets right, recall that is even across classes, a class too small to judge."""
    cm = np.array(report["confusion"], dtype=int)
    classes = report["classes"]
    support, predicted = cm.sum(1), cm.sum(0)
    recall = np.diag(cm) / np.maximum(support, 1)
    order = [i for i in np.argsort(recall)[::-1] if support[i] > 0]
    best, worst = order[0], order[-1]

    def pct(fraction: float) -> str:
        return f"{100 * fraction:.0f} %"

    def recall_of(i: int) -> str:
        return wilson(int(cm[i, i]), int(support[i])).scaled(100).format(0, "%")

    said = [f"Easiest: *{classes[best]}*, recall {recall_of(best)}; hardest: *{classes[worst]}*, {recall_of(worst)}."]
    off = cm[worst].copy()
    off[worst] = 0
    target = int(np.argmax(off))
    share = off[target] / support[worst]
    if share >= 0.4:
        said.append(f"Most *{classes[worst]}* images that are missed go to *{classes[target]}* "
                    f"({pct(share)} of all *{classes[worst]}* images).")
    elif off.sum():
        said.append(f"Its misses spread over several classes, *{classes[target]}* taking the most ({pct(share)}).")
    if recall[best] - recall[worst] < 0.15:
        said.append("Recall is even across the classes: no expression is singled out.")
    excess = predicted / max(cm.sum(), 1) - support / max(cm.sum(), 1)
    if excess.max() >= 0.08:
        big = int(np.argmax(excess))
        said.append(f"The model over-predicts *{classes[big]}*: {pct(predicted[big] / cm.sum())} of its answers, "
                    f"for {pct(support[big] / cm.sum())} of the images.")
    never = [classes[i] for i in range(len(classes)) if support[i] and cm[i, i] == 0]
    if never:
        said.append(f"It never gets {', '.join(f'*{c}*' for c in never)} right.")
    small = int(np.argmin(np.where(support > 0, support, support.max() + 1)))
    if support[small] < 30:
        said.append(f"*{classes[small]}* has only {support[small]} test images, so its recall says little.")
    return " ".join(said)


def best_profile(pr: ProfileRuns) -> str | None:
    """The most faithful profile that has a run: paper, then cpu, then smoke."""
    return next((p for p in ("paper", "cpu", "smoke") if p in pr.records), None)


def best_record(pr: ProfileRuns | None) -> tuple[RunRecord | None, str | None]:
    """(the run of the most faithful profile, that profile), or (None, None)."""
    p = best_profile(pr) if pr else None
    return (pr.records[p], p) if p else (None, None)


def best_folds(pr: ProfileRuns | None) -> tuple[list[RunRecord] | None, str | None]:
    """(every fold's run under the most faithful profile that has them all, that profile), or (None, None)."""
    p = best_profile(pr) if pr else None
    return (pr.folds[p], p) if p and p in pr.folds else (None, None)


def _decimals(values: pd.Series) -> int:
    """The most decimals any value of a float column shows (at most 3): one fixed width for the column."""
    places = [len(f"{v:.3f}".rstrip("0").split(".")[1]) for v in values.dropna()]
    return max(places, default=0)


def _cell(value) -> str:
    missing = value is None or (isinstance(value, float) and np.isnan(value))
    return "—" if missing else escape(str(value))


def styled(frame: pd.DataFrame) -> str:
    """HTML of a table as the reader should see it: no index column, numbers right-aligned with a fixed number
    of decimals per column, an em dash where a value is missing (never NaN or None)."""
    # headers in words: a library's snake_case column names are not for the reader
    shown = frame.reset_index(drop=True).rename(columns=lambda c: c.replace("_", " ") if isinstance(c, str) else c)
    numeric = [c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])
               and not pd.api.types.is_bool_dtype(shown[c])]
    formats = {c: _cell for c in shown.columns if c not in numeric}
    for c in shown.columns:  # a reader reads yes / no, not Python's True / False
        if pd.api.types.is_bool_dtype(shown[c]) or shown[c].map(lambda v: isinstance(v, bool)).any():
            formats[c] = lambda v: "yes" if v is True or v is np.True_ else "no" if v is False or v is np.False_ else _cell(v)
    for c in numeric:
        places = _decimals(shown[c]) if pd.api.types.is_float_dtype(shown[c]) else 0
        formats[c] = (lambda v, p=places: "—" if pd.isna(v) else f"{v:,.{p}f}" if abs(v) >= 1e3 else f"{v:.{p}f}")
    # Each table's cell ids (and so its alignment CSS) must be its own on a page; derived from the content, the
    # id stays the same at every execution.
    uid = hashlib.sha256(shown.to_json(default_handler=str).encode()).hexdigest()[:10]
    styler = (shown.style.hide(axis="index").format(formats).set_uuid(uid)
              .set_table_attributes('class="dataframe fer-table"'))
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"}).set_table_styles(
            [{"selector": f"th.col{shown.columns.get_loc(c)}", "props": "text-align: right;"} for c in numeric])
    # a sentence column gets room enough to stay a few lines high; the verdict is never broken mid-word
    for c in shown.columns:
        if c in MIN_WIDTHS:
            styler = styler.set_properties(subset=[c], **{"min-width": MIN_WIDTHS[c]})
    if "verdict" in shown.columns:
        styler = styler.set_properties(subset=["verdict"], **{"font-weight": "bold", "min-width": "7em"})
    return styler.to_html()


MIN_WIDTHS = {"why": "22em", "record caveat": "22em", "clean tree": "16em", "without training twins": "14em",
              "claim": "12em"}
