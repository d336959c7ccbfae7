"""Sections several chapters show the same way: split sizes, learning curves, fold curves, confusion matrices."""
from __future__ import annotations

import pandas as pd

from ..train.runner import make_split
from . import Note, Section, made_by, plots
from .tables import ProfileRuns, confusion_summary


@made_by
def split_summary(exp, data, label: str) -> Section:
    """The sizes of the parts of `exp`'s split of `data`, one row labelled `label`, and their class balance."""
    split = make_split(exp, data)
    return [pd.DataFrame([{"": label, **split.sizes()}]),
            plots.class_distribution({part: data.labels[idx] for part, idx in split.parts.items()}, data.classes)]


@made_by
def learning_curve_figures(runs: list[ProfileRuns], labels: dict[str, str]) -> Section:
    """One figure per experiment: its runs' loss and accuracy per epoch, a line per profile."""
    figures = []
    for pr in runs:
        if pr.records:
            fig = plots.learning_curves({p: r.history for p, r in pr.records.items()},
                                        {p: r.metrics["best_epoch"] for p, r in pr.records.items()})
            fig.suptitle(labels[pr.experiment], y=1.02)
            figures.append(fig)
    return figures


@made_by
def fold_curves(records, title: str):
    """Loss and accuracy per epoch of every fold of a k-fold experiment, its selected epochs marked."""
    fig = plots.learning_curves({f"fold {i + 1}": r.history for i, r in enumerate(records)},
                                {f"fold {i + 1}": r.metrics["best_epoch"] for i, r in enumerate(records)})
    fig.suptitle(title, y=1.02)
    return fig


@made_by
def confusion(report: dict, title: str, label: str | None = None, after: str = "") -> Section:
    """The confusion matrices of a classification report, then (with `label`) a note reading them."""
    items = [plots.confusion_matrices(report, title)]
    if label is not None:
        items.append(Note(f"{label}: " + confusion_summary(report) + after))
    return items
