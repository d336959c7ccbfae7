"""Scores computed from stored predictions and reports, the same way everywhere: de-duplicated accuracy,
fold means, pooled reports, and the measurements behind chapter 004's question of where a reported score can
come from (element-wise "binary" accuracy, test images copied from training, choosing the epoch on the test set).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import audit, splits
from ..data.base import FaceData
from ..experiments import by_name
from ..train.metrics import binary_accuracy, classification_report, cross_entropy
from ..store.results import RunRecord


def probabilities(predictions: pd.DataFrame) -> np.ndarray:
    """The stored class probabilities (columns p_<class>, in class order) as an (N, K) array."""
    return predictions[[c for c in predictions.columns if c.startswith("p_")]].to_numpy(dtype=float)


def metric_table(predictions: pd.DataFrame, roles: list[str] | None = None) -> pd.DataFrame:
    """Per evaluation role: images, accuracy, binary accuracy, cross-entropy (accuracies in percent)."""
    rows = []
    for role in roles or list(dict.fromkeys(predictions["role"])):
        part = predictions[predictions["role"] == role]
        probs, true = probabilities(part), part["true"].to_numpy()
        rows.append({"role": role, "images": len(part), "accuracy (%)": 100 * float((part["pred"] == part["true"]).mean()),
                     "binary accuracy (%)": 100 * binary_accuracy(true, probs), "loss": cross_entropy(true, probs),
                     "images with max p > 0.5 (%)": 100 * float((probs.max(1) > 0.5).mean())})
    return pd.DataFrame(rows)


def accuracy_by_twin(predictions: pd.DataFrame, twin_ids: set[str], role: str) -> dict:
    """Accuracy on test images that have a pixel-identical twin among the training images vs those that do not,
    and the ceiling: the accuracy if every twinned image were answered right (a model that memorised them)."""
    part = predictions[predictions["role"] == role]
    twin = part["id"].astype(str).isin(twin_ids).to_numpy()
    correct = (part["pred"] == part["true"]).to_numpy()
    share = float(twin.mean())
    return {"role": role, "images": len(part), "with a twin in training": int(twin.sum()),
            "share (%)": 100 * share,
            "accuracy on twins (%)": 100 * float(correct[twin].mean()) if twin.any() else float("nan"),
            "accuracy on the rest (%)": 100 * float(correct[~twin].mean()),
            "accuracy (%)": 100 * float(correct.mean()),
            "ceiling: all twins right (%)": 100 * float((correct | twin).mean())}


def epoch_selection(history: pd.DataFrame, column: str) -> dict:
    """What choosing the epoch by `column` (e.g. private_test_acc) would report, against the last epoch."""
    best = int(history[column].idxmax())
    return {"set": column.removesuffix("_acc"), "last epoch": int(history["epoch"].iloc[-1]),
            "accuracy at the last epoch (%)": 100 * float(history[column].iloc[-1]),
            "epoch with the highest accuracy": int(history["epoch"].iloc[best]),
            "highest accuracy (%)": 100 * float(history[column].iloc[best])}


def training_twins(fer: FaceData | None) -> set[str] | None:
    """Ids of FER2013 PublicTest / PrivateTest images with a pixel-identical twin in Training (None without data)."""
    if fer is None:
        return None
    groups = audit.pixel_groups(fer)
    return {str(i) for part in ("public_test", "private_test") for i in fer.ids[audit.twins_of(fer, part, groups=groups)]}


def split_twins(exp, data: FaceData, groups: np.ndarray | None = None) -> set[str]:
    """Ids of the images in `exp`'s "test" part with a pixel-identical twin in its "train" part: the test
    images a model can answer by remembering training images, on a protocol that draws its test set at random
    from all of a dataset (chapter 000's and 002's paper splits). Empty for a split without those two parts."""
    split = splits.from_spec(exp.data, data)
    if "test" not in split.parts or "train" not in split.parts:
        return set()
    test = split.parts["test"]
    twin = audit.has_twin_in(data, test, split.parts["train"], groups)
    return {str(i) for i in data.ids[test[twin]]}


def claim_twins(claim_list, data: FaceData | None, profiles) -> dict[tuple[str, str], set[str]]:
    """(experiment, profile) -> `split_twins` of each experiment the claims name on `data`'s dataset, for the
    ledger's de-duplicated column; {} without data."""
    if data is None:
        return {}
    groups = audit.pixel_groups(data)
    out = {}
    for name in dict.fromkeys(c.experiment for c in claim_list if c.experiment and c.dataset == data.name):
        for profile in profiles:
            if twins := split_twins(by_name(name, profile), data, groups):
                out[(name, profile)] = twins
    return out


def deduplicated_accuracy(record: RunRecord, role: str, twins: set[str]) -> float | None:
    """Accuracy (%) on the run's PrivateTest images that have no twin in Training; None if `role` is not PrivateTest
    (or its ten-crop evaluation "<role>_tencrop") or the run kept no predictions for `role`."""
    split_role = role.removesuffix("_tencrop")
    if record.config["data"].get("roles", {}).get(split_role) != "private_test" and split_role != "private_test":
        return None
    preds = record.predictions[record.predictions["role"] == role]
    if preds.empty:
        return None  # e.g. ten-crop predictions of a run recorded before they were kept
    kept = preds[~preds["id"].astype(str).isin(twins)]
    return round(100 * float((kept["pred"] == kept["true"]).mean()), 2)


def pooled_report(records: list[RunRecord], role: str = "test") -> dict:
    """One classification report over the test images of all folds together (each image is tested once in
    k-fold CV): the confusion matrix and per-class numbers a k-fold chapter shows."""
    preds = pd.concat([r.predictions[r.predictions["role"] == role] for r in records])
    return classification_report(preds["true"], preds["pred"], records[0].metrics[role]["classes"])


def fold_mean_report(records: list[RunRecord], role: str = "test") -> dict:
    """The folds' reports averaged metric by metric (accuracy, macro-F1, each class's precision, recall and
    F1): "the final result was the average of the five experimental results", the papers' k-fold number.
    Shaped like one classification report, without a confusion matrix (see `pooled_report` for that), plus
    each per-class number's fold values (`fold_values`), for its interval over the folds."""
    reports = [r.metrics[role] for r in records]
    classes = reports[0]["classes"]
    values = {c: {m: [rep["per_class"][c][m] for rep in reports] for m in ("precision", "recall", "f1")}
              for c in classes}
    per_class = {c: {m: float(np.mean(v)) for m, v in metrics.items()} for c, metrics in values.items()}
    return {"classes": classes, "per_class": per_class, "folds": len(reports), "fold_values": values,
            "accuracy": float(np.mean([rep["accuracy"] for rep in reports])),
            "macro_f1": float(np.mean([rep["macro_f1"] for rep in reports]))}
