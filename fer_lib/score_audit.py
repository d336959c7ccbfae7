"""Ways a reported test score can arise other than honest generalisation, measured on a run's predictions.

Paper 004 reports 85.71 % on FER2013, about ten points above any published single model. Each function
here measures one candidate explanation from the run record's predictions (`predictions.csv`): a different
metric (element-wise "binary" accuracy), test images that are copies of training images, and choosing the
epoch on the test set.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .metrics import binary_accuracy, cross_entropy


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
