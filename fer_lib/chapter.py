"""Helpers a chapter notebook calls: load data or say why not, run or reuse experiments, show provenance."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from html import escape

from IPython.display import HTML, Markdown, display

from . import claims, results
from .report import ledger as report_ledger
from . import data as datasets
from . import runner
from .data.base import DatasetError, FaceData
from .experiments import PROFILES, Experiment
from .results import RunRecord
from .scoring import deduplicated_accuracy, fold_mean_report, pooled_report, training_twins  # noqa: F401


def note(text: str, kind: str = "note") -> None:
    """A visible note in the rendered book: a plain-Markdown blockquote, since cell outputs are not parsed as MyST."""
    lines = f"**{kind.capitalize()}.** {text}".splitlines()
    display(Markdown("\n".join(f"> {line}" for line in lines)))


def show(fig) -> None:
    """Display a figure where it is made (inside a loop or among tables) and close it, so the inline backend
    does not draw it a second time at the end of the cell."""
    import matplotlib.pyplot as plt
    display(fig)
    plt.close(fig)


def training_log(lines: list[str], title: str) -> None:
    """The trainer's log lines folded into one collapsible block."""
    if lines:
        body = escape("\n".join(lines))
        display(HTML(f"<details><summary>{escape(title)}</summary><pre>{body}</pre></details>"))


def load_or_note(name: str, data_root=None, consequence: str = "this section uses only committed run records"
                 ) -> FaceData | None:
    """The dataset, or None after printing a visible note saying what is missing, what follows, and what to do."""
    try:
        return datasets.load(name, data_root)
    except DatasetError as exc:
        from .data.check import present
        state = "is broken here" if present(name, datasets.data_root(data_root)) else "is not available here"
        note(f"**{name} {state}, so {consequence}.**\n\n{exc}", "warning" if "not available" in state else "error")
        return None


@dataclass
class ProfileRuns:
    """The finished run of one experiment under each profile that has one; for a k-fold experiment, `folds`
    holds every fold's run per profile (only profiles with all folds finished)."""

    experiment: str
    records: dict[str, RunRecord]
    folds: dict[str, list[RunRecord]] = field(default_factory=dict)


def run_or_reuse(exp: Experiment, data: FaceData | None, runs_root=None, force: bool = False) -> ProfileRuns:
    """Train `exp` (or reuse its finished run) when the data is here; always gather every profile's latest run."""
    if data is not None:
        lines: list[str] = []
        try:
            for fold in exp.folds():
                runner.run(fold, runs_root=runs_root, force=force, data=data, log=lines.append)
        except Exception as exc:  # noqa: BLE001  show the error in the chapter, keep the other sections
            note(f"Training `{exp.name}` ({exp.profile}) failed: `{type(exc).__name__}: {exc}`", "error")
        training_log(lines, f"log of {exp.name} ({exp.profile} profile)")
    records = {p: r for p in PROFILES if (r := results.latest_run(exp.name, p, runs_root)) is not None}
    folds = {p: f for p in PROFILES if len(f := results.runs_for(exp.name, p, runs_root)) > 1}
    return ProfileRuns(exp.name, records, folds)


def provenance_table(runs: list[ProfileRuns]) -> pd.DataFrame:
    """Which run produced each number: profile, config hash, commit, device, epochs, wall time, speed."""
    rows = []
    for pr in runs:
        for profile, r in pr.records.items():
            s = r.summary()
            rows.append(dict(experiment=pr.experiment, profile=profile, config_hash=s["config_hash"], commit=s["commit"],
                             device=s["device"], epochs_run=s["epochs_run"], best_epoch=s["best_epoch"],
                             wall_min=s["wall_minutes"], train_img_per_s=round(r.metrics.get("train_img_per_s", 0)),
                             split=r.config["split_description"]))
    return pd.DataFrame(rows)


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
                   "macro-F1 (%)": round(100 * m["macro_f1"], 2)}
            if twins is not None:
                dedup = deduplicated_accuracy(r, role, twins)
                row["de-duplicated PrivateTest accuracy (%)"] = "n/a (not PrivateTest)" if dedup is None else dedup
            rows.append(dict(row, run=f"{pr.experiment}/{r.config_hash}"))
    return pd.DataFrame(rows)


def per_class_table(record: RunRecord, role: str = "test") -> pd.DataFrame:
    report = record.metrics[role]
    per = report["per_class"]
    return pd.DataFrame([{"class": c, "precision": round(per[c]["precision"], 3), "recall": round(per[c]["recall"], 3),
                          "F1": round(per[c]["f1"], 3), "support": per[c]["support"]} for c in report["classes"]])


def fold_table(runs: list[ProfileRuns], labels: dict[str, str], role: str = "test") -> pd.DataFrame:
    """Per k-fold experiment and profile: mean ± std over folds of accuracy and macro-F1, and each fold's accuracy."""
    rows = []
    for pr in runs:
        for profile, records in pr.folds.items():
            acc = np.array([100 * r.metrics[role]["accuracy"] for r in records])
            f1 = np.array([100 * r.metrics[role]["macro_f1"] for r in records])
            rows.append({"protocol": labels.get(pr.experiment, pr.experiment), "profile": profile,
                         "folds": len(records), "accuracy (%) mean ± std": f"{acc.mean():.2f} ± {acc.std(ddof=1):.2f}",
                         "macro-F1 (%) mean ± std": f"{f1.mean():.2f} ± {f1.std(ddof=1):.2f}",
                         "per fold": " / ".join(f"{a:.1f}" for a in acc),
                         "best epochs": " / ".join(str(r.metrics.get("best_epoch")) for r in records),
                         "wall (min)": round(sum(r.provenance["wall_seconds"] for r in records) / 60, 1)})
    return pd.DataFrame(rows)


def confusion_summary(report: dict) -> str:
    """One paragraph read off a confusion matrix: easiest and hardest classes, and where the hardest goes."""
    cm = np.array(report["confusion"], dtype=float)
    classes = report["classes"]
    recall = np.diag(cm) / np.maximum(cm.sum(1), 1)
    order = np.argsort(recall)[::-1]
    worst = order[-1]
    off = cm[worst].copy()
    off[worst] = 0
    goes = np.argsort(off)[::-1][:2]
    share = off[goes] / max(cm[worst].sum(), 1)
    return (f"Highest recall: *{classes[order[0]]}* ({recall[order[0]]:.0%}) and *{classes[order[1]]}* "
            f"({recall[order[1]]:.0%}). Lowest: *{classes[worst]}* ({recall[worst]:.0%}), mistaken mostly for "
            f"*{classes[goes[0]]}* ({share[0]:.0%} of its images) and *{classes[goes[1]]}* ({share[1]:.0%}). "
            f"The smallest class, *{classes[int(np.argmin(cm.sum(1)))]}*, has {int(cm.sum(1).min())} test images.")


def best_profile(pr: ProfileRuns) -> str | None:
    """The most faithful profile that has a run: paper, then cpu, then smoke."""
    return next((p for p in ("paper", "cpu", "smoke") if p in pr.records), None)


def table(frame: pd.DataFrame) -> None:
    """Show a table as the reader should see it: no index column, blank cells instead of NaN."""
    display(HTML(frame.to_html(index=False, na_rep="", escape=True, classes="dataframe fer-table")))


def verdict_section(paper: str, runs_root=None, curve_datasets: tuple[str, ...] = ("fer2013",),
                    profile: str = "cpu") -> None:
    """A chapter's verdicts: the table with budgets, one sentence per claim, and the budget curves of the claims
    on `curve_datasets` (accuracy against epochs trained, the claim and the paper's budget marked)."""
    claim_list = claims.claims_for(paper)
    table(report_ledger.verdict_table(claim_list, runs_root).drop(columns=["paper"]))
    display(Markdown(report_ledger.verdict_sentences(claim_list, profile, runs_root)))
    curved = [c for c in claim_list if c.dataset in curve_datasets]
    fig = report_ledger.budget_figure(curved, profile, runs_root, title=f"{paper}: budget curves ({profile} profile)")
    if fig is not None:
        show(fig)
