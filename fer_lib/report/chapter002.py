"""Chapter 002's sections (SE + separable-conv network): claims, Eq. (1) measured, data, results and sample faces."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..judge import claims
from .. import experiments
from ..data.base import FaceData
from ..models import build_model, count_parameters
from ..models.se_sepnet import standard_conv_equivalent
from . import Note, Section, made_by, plots, sections
from .tables import ProfileRuns, best_record, confusion_summary, per_class_table

LABELS = {experiments.name("002", "paper-split"): "paper split 80/10/10",
          experiments.name("002", "standard"): "Training / PublicTest / PrivateTest"}


@made_by
def claims_table() -> pd.DataFrame:
    return pd.DataFrame([{"algorithm": c.description, "test accuracy (%)": c.value, "source": c.source,
                          "kind": "cited" if c.cited else "claim of this paper"}
                         for c in claims.claims_for("002", include_cited=True)])


@made_by
def separable_table() -> pd.DataFrame:
    """Eq. (1): a separable convolution costs 1/C2 + 1/K^2 of a standard one; measured on the network."""
    model = build_model("se_sepnet", num_classes=7, in_channels=1)
    separable, standard = standard_conv_equivalent(model)
    return pd.DataFrame([
        {"quantity": "parameters, whole network", "value": f"{count_parameters(model):,}"},
        {"quantity": "parameters in separable convolutions", "value": f"{separable:,}"},
        {"quantity": "same layers as standard 3x3 convolutions", "value": f"{standard:,}"},
        {"quantity": "measured ratio separable / standard", "value": f"{separable / standard:.4f}"},
        {"quantity": "Eq. (1) 1/C2 + 1/K^2 for C2 = 512, K = 3", "value": f"{1 / 512 + 1 / 9:.4f}"}])


def experiments_for(profile: str):
    return [experiments.by_name(name, profile) for name in LABELS]


@made_by
def data_section(fer: FaceData | None, profile: str) -> Section:
    if fer is None:
        return []
    return sections.split_summary(experiments.experiment("002", "paper-split", profile), fer, f"images ({profile} profile)")


@made_by
def run_notes(runs: list[ProfileRuns]) -> Section:
    if any(pr.records for pr in runs):
        return []
    return [Note("No finished run of this chapter exists yet, so there is nothing to show below.", "warning")]


@made_by
def confusion_section(runs: list[ProfileRuns]) -> Section:
    """The paper split's confusion matrices and what they say (the paper's Fig. 9 has no numbers to compare)."""
    main, p = best_record(runs[0])
    if main is None:
        return []
    report = main.metrics["test"]
    return sections.confusion(report, f"paper split, {p} profile:", None) + [Note(
        "The paper's Fig. 9 shows its confusion matrix only as an image, with no numbers in the text, so there is "
        f"nothing to set beside ours. Read off ours (paper split, {p} profile): "
        + confusion_summary(report))]


@made_by
def per_class_section(runs: list[ProfileRuns]) -> Section:
    main, p = best_record(runs[0])
    if main is None:
        return []
    reports = {f"{LABELS[pr.experiment]} ({best_record(pr)[1]})": best_record(pr)[0].metrics["test"]
               for pr in runs if pr.records}
    return [f"**Per-class precision, recall and F1**, paper split, `{p}` profile (run `{main.config_hash}`):",
            per_class_table(main), plots.per_class_bars(reports, "f1")]


@made_by
def sample_faces(runs: list[ProfileRuns], fer: FaceData | None) -> Section:
    """Twelve random test faces with their true and predicted classes."""
    main, p = best_record(runs[0])
    if main is None:
        return []
    if fer is None:
        return [Note("The sample faces need FER2013 itself; it is not available in this execution.", "warning")]
    preds = main.predictions
    pick = preds.iloc[np.random.default_rng(0).choice(len(preds), size=12, replace=False)]
    rows = pd.Series(np.arange(len(fer)), index=fer.ids)[pick["id"].astype(str)].to_numpy()
    return [f"**Twelve random test faces**, paper split, `{p}` profile predictions:",
            plots.sample_grid(fer.images[rows], pick["true"].to_numpy(), pick["pred"].to_numpy(), fer.classes)]
