"""Figures draw what they claim to: the right lines, cells, bars and titles."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import matplotlib.pyplot  # noqa: E402
import pandas as pd  # noqa: E402

from fer_lib.report import plots  # noqa: E402
from fer_lib.train.metrics import classification_report  # noqa: E402


def _history(n=5):
    e = np.arange(1, n + 1)
    return pd.DataFrame(dict(epoch=e, train_loss=1 / e, val_loss=1.2 / e, train_acc=e / 10, val_acc=e / 11))


def test_learning_curves_one_train_and_one_val_line_per_run_and_metric():
    fig = plots.learning_curves({"cpu": _history(), "paper": _history(8)}, {"cpu": 3, "paper": None})
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.lines) == 2 * 2 + 1  # two runs x (train, val) + the best-epoch marker of "cpu"
    val_line = [l for l in acc_ax.lines if l.get_label() == "paper validation"][0]
    assert np.allclose(val_line.get_ydata(), np.arange(1, 9) / 11)


def test_confusion_matrices_annotate_counts_and_row_normalised_values():
    report = classification_report([0, 0, 1, 1], [0, 1, 1, 1], ("a", "b"))
    fig = plots.confusion_matrices(report)
    counts = [t.get_text() for t in fig.axes[0].texts]
    norm = [t.get_text() for t in fig.axes[1].texts]
    assert counts == ["1", "1", "0", "2"] and norm == ["50", "50", "0", "100"]  # percent of each true class


def test_per_class_bars_in_class_order():
    report = classification_report([0, 1, 2], [0, 1, 1], ("x", "y", "z"))
    fig = plots.per_class_bars({"run": report}, "recall")
    heights = [round(p.get_height(), 3) for p in fig.axes[0].patches if p.get_height() > 0 or p.get_width() > 0]
    assert heights[:3] == [100.0, 100.0, 0.0]  # percent, like the tables
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["x", "y", "z"]
    # each bar's Wilson interval on the images of its class (one image each): 1/1 reaches down to 20.65 %
    bars = next(c for c in fig.axes[0].containers if hasattr(c, "has_yerr")).lines[2][0].get_segments()
    assert [(round(lo, 2), round(hi, 2)) for (_, lo), (_, hi) in bars] == [(20.65, 100.0), (20.65, 100.0), (0.0, 79.35)]
    quoted = {"classes": ["x", "y", "z"], "per_class": {c: {"recall": 0.5} for c in "xyz"}}  # no counts, no bars
    fig = plots.per_class_bars({"paper": quoted}, "recall")
    assert all(lo == hi for (_, lo), (_, hi) in next(c for c in fig.axes[0].containers if hasattr(c, "has_yerr")).lines[2][0].get_segments())


def test_sample_grid_marks_errors_in_red():
    images = np.zeros((3, 48, 48), np.uint8)
    fig = plots.sample_grid(images, np.array([0, 1, 2]), np.array([0, 2, 2]), ("a", "b", "c"), columns=3)
    colours = [ax.title.get_color() for ax in fig.axes]
    assert colours == ["black", "crimson", "black"]
    assert fig.axes[1].get_title() == "true b\npred c"


def test_claimed_vs_measured_bars():
    table = pd.DataFrame([dict(claim="acc", claimed=65.2, measured=67.5, profile="paper")])
    fig = plots.claimed_vs_measured(table)
    widths = sorted(round(p.get_width(), 1) for p in fig.axes[0].patches if p.get_width() > 0)
    assert widths == [65.2, 67.5]


def test_budget_curve_draws_points_claim_paper_budget_and_projection():
    from fer_lib.judge.verdicts import budget_verdict
    v = budget_verdict(73.67, {4: 50.0, 8: 58.0}, paper_epochs=200)
    fig = plots.budget_curve_figure({"P-ResNet-VGG": v}, intervals={"P-ResNet-VGG": {4: (47.0, 53.0), 8: (55.5, 60.0)}})
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    ours = next(c for c in ax.containers if c.get_label().startswith("P-ResNet-VGG: ours (open)"))
    assert list(ours.lines[0].get_xdata()) == [4, 8] and list(ours.lines[0].get_ydata()) == [50.0, 58.0]
    assert [(lo, hi) for (_, lo), (_, hi) in ours.lines[2][0].get_segments()] == [(47.0, 53.0), (55.5, 60.0)]
    claim = next(line for label, line in lines.items() if "claimed 73.67" in label)
    assert list(claim.get_ydata()) == [73.67, 73.67]
    projection = next(line for label, line in lines.items() if "projected ceiling" in label)
    assert list(projection.get_xdata()) == [8, 200] and projection.get_ydata()[1] == pytest.approx(v.ceiling)
    assert any(list(line.get_xdata()) == [200, 200] for line in ax.get_lines())  # the paper's budget
    assert ax.get_xscale() == "log"
    matplotlib.pyplot.close(fig)
