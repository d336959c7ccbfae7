"""Figures for the chapters: learning curves, confusion matrices, per-class bars, claims, sample faces."""
from __future__ import annotations

# No backend is forced here: notebooks need their inline backend to capture figures, and matplotlib
# falls back to Agg by itself where there is no display.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import made_by

sns.set_theme(style="whitegrid", context="notebook")


@made_by
def learning_curves(histories: dict[str, pd.DataFrame], best_epochs: dict[str, int | None] | None = None):
    """Loss and accuracy per epoch, train dashed and validation solid, one colour per run (like Figs 7-8 of 002)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    palette = sns.color_palette(n_colors=len(histories))
    for colour, (label, h) in zip(palette, histories.items()):
        for ax, metric in zip(axes, ("loss", "acc")):
            ax.plot(h["epoch"], h[f"train_{metric}"], "--", marker=".", color=colour, alpha=0.7, label=f"{label} train")
            if f"val_{metric}" in h:
                ax.plot(h["epoch"], h[f"val_{metric}"], "-", marker=".", color=colour, label=f"{label} validation")
            best = (best_epochs or {}).get(label)
            if best:
                ax.axvline(best, color=colour, lw=0.8, ls=":")
    axes[0].set(title="loss", xlabel="epoch", ylabel="cross-entropy")
    axes[1].set(title="accuracy", xlabel="epoch", ylabel="accuracy")
    axes[1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


@made_by
def confusion_matrices(report: dict, title: str = ""):
    """Counts and row-normalised confusion matrix side by side (rows: true class)."""
    cm = np.array(report["confusion"])
    classes = report["classes"]
    norm = 100 * cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2), layout="constrained")
    # cell numbers large enough to read on a page; percent, like the tables
    annot = dict(fontsize=11 if len(classes) <= 7 else 8)
    sns.heatmap(cm, annot=True, fmt="d", cmap="Blues", cbar=False, ax=axes[0], xticklabels=classes,
                yticklabels=classes, annot_kws=annot)
    sns.heatmap(norm, annot=True, fmt=".0f", cmap="Blues", cbar=False, vmin=0, vmax=100, ax=axes[1],
                xticklabels=classes, yticklabels=classes, annot_kws=annot)
    # short panel titles (they sit side by side); what the figure shows goes in its caption
    for ax, sub in zip(axes, ("counts", "% of each true class (recall on the diagonal)")):
        ax.set(xlabel="predicted", ylabel="true", title=sub)
    if title:
        fig.suptitle(f"Confusion matrices, {title.rstrip(':')}")
    return fig


@made_by
def per_class_bars(reports: dict[str, dict], metric: str = "f1", intervals: dict[str, dict] | None = None):
    """One group of bars per class, one bar per report (e.g. per protocol or profile), in percent, with each
    bar's 95 % interval as an error bar: from `intervals` (label -> class -> Interval, as fractions) where given,
    else from the report's own confusion matrix (see uncertainty.per_class_intervals); a bar without one (a
    number quoted from a paper) has none."""
    from ..judge.uncertainty import per_class_intervals
    labels = list(reports)
    classes = reports[labels[0]]["classes"]
    fig, ax = plt.subplots(figsize=(10, 3.8), layout="constrained")
    width = 0.8 / len(labels)
    for j, (label, colour) in enumerate(zip(labels, sns.color_palette(n_colors=len(labels)))):
        report = reports[label]
        given = (intervals or {}).get(label)
        if given is None:
            given = per_class_intervals(report, metric)
        values = np.array([100 * report["per_class"][c][metric] for c in classes])
        err = np.array([[0.0, 0.0] if given.get(c) is None or not np.isfinite(given[c].low) else
                        [100 * report["per_class"][c][metric] - 100 * given[c].low,
                         100 * given[c].high - 100 * report["per_class"][c][metric]] for c in classes]).T
        x = np.arange(len(classes)) + (j - (len(labels) - 1) / 2) * width
        ax.bar(x, values, width=width, color=colour, label=label, yerr=err.clip(min=0), capsize=2,
               error_kw=dict(elinewidth=0.8, ecolor="0.2"))
    ax.set_xticks(np.arange(len(classes)), classes)
    ax.set(xlabel="", ylabel=f"{metric} (%)", ylim=(0, 100), title=f"per-class {metric}, with 95 % intervals")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # beside the bars, never on them
    return fig


@made_by
def claimed_vs_measured(table: pd.DataFrame):
    """Horizontal bars: each claim's value next to what we measured, with the measurement's 95 % interval as
    an error bar where the table has one (columns low / high)."""
    import textwrap
    rows = table.drop_duplicates("claim").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.75 * len(rows)), layout="constrained")
    y = np.arange(len(rows))
    palette = sns.color_palette()
    ax.barh(y - 0.2, rows["claimed"], height=0.4, color=palette[0], label="claimed")
    measured = pd.to_numeric(rows.get("measured"), errors="coerce")
    low = pd.to_numeric(rows.get("low", pd.Series(np.nan, index=rows.index)), errors="coerce")
    high = pd.to_numeric(rows.get("high", pd.Series(np.nan, index=rows.index)), errors="coerce")
    err = np.vstack([(measured - low).fillna(0).clip(lower=0), (high - measured).fillna(0).clip(lower=0)])
    ax.barh(y + 0.2, measured.fillna(0), height=0.4, color=palette[1], xerr=err, capsize=3,
            error_kw=dict(elinewidth=1, ecolor="black"), label="ours, with 95 % interval")
    # long claim labels wrap onto a few lines, so they never squash the bars into a sliver
    ax.set_yticks(y, [textwrap.fill(label, 34) for label in rows["claim"]], fontsize=9)
    ax.invert_yaxis()
    ax.set(xlabel="percent", ylabel="", xlim=(0, 100))
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)  # above, not on
    return fig


@made_by
def class_distribution(labels_by_part: dict[str, np.ndarray], classes):
    """Images per class in each part of a split (Fig. 1 of paper 002 shows the whole set)."""
    rows = [dict(part=part, cls=classes[k], n=int(n)) for part, labels in labels_by_part.items()
            for k, n in enumerate(np.bincount(labels, minlength=len(classes)))]
    fig, ax = plt.subplots(figsize=(10, 3.4))
    sns.barplot(pd.DataFrame(rows), x="cls", y="n", hue="part", ax=ax)
    ax.set(xlabel="", ylabel="images")
    fig.tight_layout()
    return fig


@made_by
def face_grid(images: np.ndarray, titles: list[str], columns: int = 6, colors: list[str] | None = None):
    """Faces in a grid, each with its (short) title."""
    rows = max(1, int(np.ceil(len(images) / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(1.9 * columns, 2.2 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for k, (ax, img, title) in enumerate(zip(axes.ravel(), images, titles)):
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=255)
        ax.set_title(title, fontsize=8, color=colors[k] if colors else "black")
    fig.tight_layout()
    return fig


@made_by
def sample_grid(images: np.ndarray, true: np.ndarray, pred: np.ndarray, classes, columns: int = 6):
    """Faces with true and predicted label; wrong predictions titled in red (like Fig. 10 of paper 002)."""
    return face_grid(images, [f"true {classes[t]}\npred {classes[p]}" for t, p in zip(true, pred)], columns,
                     ["black" if t == p else "crimson" for t, p in zip(true, pred)])


@made_by
def accuracy_by_epoch(histories: dict[str, pd.DataFrame], sets: dict[str, str]):
    """One panel per run: accuracy per epoch on each set; `sets` maps a history column to its legend label."""
    fig, axes = plt.subplots(1, len(histories), figsize=(5.2 * len(histories), 3.6), squeeze=False)
    for ax, (title, h) in zip(axes[0], histories.items()):
        for column, label in sets.items():
            if column in h:
                ax.plot(h["epoch"], 100 * h[column], marker=".", label=label)
        ax.set(title=title, xlabel="epoch", ylabel="accuracy (%)")
    axes[0][-1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


@made_by
def loss_vs_accuracy(ours: pd.DataFrame, claimed: pd.DataFrame):
    """Cross-entropy against accuracy: every evaluated epoch of ours (columns loss, accuracy, source) as dots,
    the paper's claimed (loss, accuracy) pairs (columns loss, accuracy, label) as red crosses."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    sns.scatterplot(ours, x="loss", y="accuracy", hue="source", ax=ax, s=22, alpha=0.8)
    ax.scatter(claimed["loss"], claimed["accuracy"], marker="x", s=80, color="red", label="paper 004, Table 2")
    for _, row in claimed.iterrows():
        ax.annotate(row["label"], (row["loss"], row["accuracy"]), textcoords="offset points", xytext=(6, -4), fontsize=8)
    ax.set(xlabel="cross-entropy loss", ylabel="accuracy (%)", title="loss and accuracy measured together")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


@made_by
def faces_by_class(images: np.ndarray, labels: np.ndarray, classes, per_class: int = 8, seed: int = 0):
    """A grid of real faces, one row per class, drawn at random (seeded) so no face is picked by hand."""
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(len(classes), per_class, figsize=(1.1 * per_class, 1.2 * len(classes)), squeeze=False)
    for row, cls in enumerate(classes):
        members = np.flatnonzero(labels == row)
        chosen = rng.choice(members, min(per_class, len(members)), replace=False) if len(members) else []
        for col, ax in enumerate(axes[row]):
            ax.set_xticks([]), ax.set_yticks([])
            if col < len(chosen):
                img = images[chosen[col]]
                ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=255)
            else:
                ax.axis("off")
        axes[row][0].set_ylabel(f"{cls}\n({len(members)})", rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig


@made_by
def image_pairs(images: np.ndarray, pairs: np.ndarray, titles: list[str], columns: int = 4):
    """Pairs of images side by side (`pairs` rows of two indices), each pair titled: near-duplicate examples."""
    rows = int(np.ceil(len(pairs) / columns))
    fig, axes = plt.subplots(rows, 2 * columns, figsize=(2.0 * columns * 1.05, 1.25 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for k, ((i, j), title) in enumerate(zip(pairs, titles)):
        a, b = axes[k // columns][2 * (k % columns)], axes[k // columns][2 * (k % columns) + 1]
        for ax, idx in ((a, i), (b, j)):
            ax.imshow(images[idx], cmap="gray" if images[idx].ndim == 2 else None, vmin=0, vmax=255)
        a.set_title(title, fontsize=7, loc="left")
    fig.tight_layout(pad=0.3)
    return fig


@made_by
def accuracy_vs_cost(table: pd.DataFrame, cost: str, accuracy: str = "PrivateTest acc (%)",
                     marks: dict[str, float] | None = None, log_x: bool = True):
    """Each model as a point: `cost` (e.g. MFLOPs / image) against mean accuracy, with its 95 % interval
    (columns "95 % low" and "95 % high") as an error bar; `marks` draws published accuracies (labelled as
    claimed) as dashed horizontal lines."""
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    done = table.dropna(subset=[cost, accuracy])
    err = np.vstack([done[accuracy] - done["95 % low"], done["95 % high"] - done[accuracy]])
    ax.errorbar(done[cost], done[accuracy], yerr=np.nan_to_num(err).clip(min=0), fmt="o", capsize=3,
                label="ours, with 95 % interval")
    # labels of points close in accuracy alternate above and below their point, so neighbours do not overprint
    for k, (_, row) in enumerate(done.sort_values(accuracy).iterrows()):
        ax.annotate(row["model"].split(" (")[0], (row[cost], row[accuracy]), textcoords="offset points",
                    xytext=(5, 4 if k % 2 == 0 else -11), fontsize=8)
    for k, (label, value) in enumerate((marks or {}).items()):
        ax.axhline(value, ls="--", lw=1, color=f"C{k + 1}")
        ax.annotate(f"{label}: {value:.2f} (claimed)", (0.01, value), xycoords=("axes fraction", "data"),
                    textcoords="offset points", xytext=(0, 3), fontsize=8, color=f"C{k + 1}")
    if log_x:
        ax.set_xscale("log")
    ax.set(xlabel=cost + (" (log scale)" if log_x else ""), ylabel=accuracy)
    fig.tight_layout()
    return fig


@made_by
def budget_curve_figure(verdicts: dict, title: str = "", intervals: dict[str, dict[int, tuple[float, float]]] | None = None):
    """Measured value against epochs trained (log axis), one line of points per verdict (label -> Verdict),
    each point with its 95 % interval (`intervals`: label -> epochs -> (low, high)) as an error bar where given:
    the claim as a horizontal line, the paper's budget as a vertical one, the projection to it dashed."""
    columns = 2 if len(verdicts) > 1 else 1  # three legend entries per claim: two columns keep the figure short
    fig, ax = plt.subplots(figsize=(8, 3.6 + 0.28 * 3 * len(verdicts) / columns))
    palette = sns.color_palette(n_colors=max(len(verdicts), 1))
    for colour, (label, v) in zip(palette, verdicts.items()):
        epochs = sorted(v.curve)
        values = np.array([v.curve[e] for e in epochs])
        known = (intervals or {}).get(label, {})
        bounds = np.array([known.get(e, (y, y)) for e, y in zip(epochs, values)], dtype=float).reshape(-1, 2)
        bounds = np.where(np.isfinite(bounds), bounds, values[:, None])  # one seed's t interval is unbounded
        err = np.vstack([values - bounds[:, 0], bounds[:, 1] - values]).clip(min=0)
        ax.errorbar(epochs, values, yerr=err, fmt="o-", color=colour, capsize=3,
                    label=f"{label}: ours ({v.verdict}), 95 % interval")
        ax.axhline(v.claimed, color=colour, ls=":", lw=1.2, label=f"{label}: claimed {v.claimed:.2f}")
        if v.ceiling is not None and v.paper_epochs and v.paper_epochs > v.epochs:
            ax.plot([v.epochs, v.paper_epochs], [v.measured, v.ceiling], "--", color=colour, alpha=0.7,
                    label=f"{label}: projected ceiling {v.ceiling:.1f}")
    papers = {v.paper_epochs for v in verdicts.values() if v.paper_epochs}
    for b in papers:
        ax.axvline(b, color="0.3", lw=1, ls="-.")
        ax.annotate(f"paper: {b} epochs", (b, ax.get_ylim()[1]), rotation=90, va="top", ha="right", fontsize=8)
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.set(xlabel="epochs trained (log scale)", ylabel="%", title=title)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=columns, frameon=False)
    fig.tight_layout()
    return fig


@made_by
def metrics_by_budget(frame: pd.DataFrame, panels: dict[str, list[str]], claimed: dict[str, float] | None = None,
                      panel_models: dict[str, list[str]] | None = None):
    """One panel per entry of `panels` (title -> columns of `frame`): each column against `epochs` (log axis),
    one line style per `model` and one colour per column; `claimed` (column -> value) as dotted lines. A column
    with "<column> low" and "<column> high" beside it gets those as error bars (its 95 % interval).
    `panel_models` (title -> models) draws only those models in that panel, to keep its legend short."""
    # constrained layout keeps the suptitle and the legends under the panels clear of the axis labels
    fig, axes = plt.subplots(1, len(panels), figsize=(5.4 * len(panels), 4.8), squeeze=False, layout="constrained")
    styles = dict(zip(dict.fromkeys(frame["model"]), ["o-", "s--", "^:", "d-."]))
    for ax, (title, columns) in zip(axes[0], panels.items()):
        for colour, column in zip(sns.color_palette(n_colors=len(columns)), columns):
            for model, style in styles.items():
                if panel_models and title in panel_models and model not in panel_models[title]:
                    continue
                rows = frame[frame["model"] == model].sort_values("epochs")
                label = f"{column}, {model}" if len(columns) > 1 else model
                if f"{column} low" in rows:
                    err = np.vstack([rows[column] - rows[f"{column} low"], rows[f"{column} high"] - rows[column]])
                    ax.errorbar(rows["epochs"], rows[column], yerr=np.nan_to_num(err).clip(min=0), fmt=style,
                                capsize=3, color=colour if len(columns) > 1 else None, label=label)
                else:
                    ax.plot(rows["epochs"], rows[column], style, color=colour if len(columns) > 1 else None,
                            label=label)
            if claimed and column in claimed:
                ax.axhline(claimed[column], color=colour, ls=":", lw=1.2)
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:g}"))
        ax.set(xlabel="epochs trained (log scale)", ylabel="%", title=title)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    return fig


@made_by
def accuracy_vs_minutes_by_budget(points: pd.DataFrame):
    """PrivateTest accuracy against training minutes (log axis), one line per model joining its budgets in
    order (`points`: model, epochs, train min, PrivateTest (%), and its `test images` for each point's Wilson
    95 % interval, drawn as an error bar), each point labelled with its epochs."""
    from ..judge.uncertainty import wilson
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    for colour, (model, rows) in zip(sns.color_palette(n_colors=points["model"].nunique()), points.groupby("model", sort=False)):
        rows = rows.sort_values("epochs")
        cis = [wilson(round(a / 100 * n), int(n)).scaled(100) for a, n in zip(rows["PrivateTest (%)"], rows["test images"])]
        err = np.array([[a - ci.low, ci.high - a] for a, ci in zip(rows["PrivateTest (%)"], cis)]).T.clip(min=0)
        ax.errorbar(rows["train min"], rows["PrivateTest (%)"], yerr=err, fmt="o-", capsize=2, color=colour,
                    label=model.split(" (")[0])
        for _, r in rows.iterrows():
            ax.annotate(f"{r['epochs']:g}", (r["train min"], r["PrivateTest (%)"]), textcoords="offset points",
                        xytext=(4, -9), fontsize=7, color=colour)
    ax.set_xscale("log")
    ax.set(xlabel="training minutes on this machine (log scale); points labelled with their epochs",
           ylabel="PrivateTest accuracy (%), 95 % interval")
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    return fig
