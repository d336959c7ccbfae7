"""Classification metrics for one evaluation: accuracy, per-class precision / recall / F1, confusion matrix."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def classification_report(y_true, y_pred, classes: tuple[str, ...] | list[str]) -> dict:
    """Everything a chapter reports about one test set, as plain JSON-able numbers.

    Classes absent from both y_true and y_pred get precision/recall/F1 of 0 (scikit-learn's zero_division=0)
    and are excluded from nothing: macro-F1 averages over all `classes`, as the papers do.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    return dict(
        n=int(len(y_true)),
        accuracy=float((y_true == y_pred).mean()) if len(y_true) else float("nan"),
        macro_f1=float(np.mean(f1)),
        per_class={c: dict(precision=float(p), recall=float(r), f1=float(f), support=int(s))
                   for c, p, r, f, s in zip(classes, precision, recall, f1, support)},
        confusion=confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        classes=list(classes),
    )


def per_class_accuracy(report: dict) -> dict[str, float]:
    """Per-class accuracy as papers 000's Tables 1-2 use it: correct / true count = recall."""
    return {c: v["recall"] for c, v in report["per_class"].items()}


def binary_accuracy(labels, probs, threshold: float = 0.5) -> float:
    """Element-wise accuracy of thresholded probabilities against one-hot labels (Keras' `binary_accuracy`).

    This is not classification accuracy: with K classes, a model whose probabilities all stay below the
    threshold scores exactly (K-1)/K (6/7 = 85.71 % for seven classes) whatever it predicts. Paper 004's
    chapter uses it to test where that paper's 85.71 % could come from.
    """
    probs = np.asarray(probs, dtype=float)
    onehot = np.eye(probs.shape[1])[np.asarray(labels)]
    return float(((probs > threshold) == onehot.astype(bool)).mean())


def cross_entropy(labels, probs) -> float:
    """Mean negative log-probability of the true class (the loss papers tabulate beside accuracy)."""
    probs = np.asarray(probs, dtype=float)
    true = probs[np.arange(len(probs)), np.asarray(labels)]
    return float(-np.log(np.clip(true, 1e-12, None)).mean())
