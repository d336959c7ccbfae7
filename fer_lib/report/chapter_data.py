"""The data chapter's sections: each dataset at a glance, and the FER2013 audit (duplicates, near-duplicates, blanks)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import audit, ferplus, overview, rafdb
from ..data.base import DatasetError, FaceData
from . import Note, Section, made_by, plots

DATASETS = {"fer2013": "FER2013", "jaffe": "JAFFE", "ckplus": "CK+48", "sfew": "SFEW 2.0"}


def votes_or_none(root: Path):
    try:
        return ferplus.load(root)
    except DatasetError:
        return None


@made_by
def summary_table(loaded: dict[str, FaceData | None], root: Path, votes) -> pd.DataFrame:
    """One row per dataset: whether it is here, images, classes, official splits, storage, subjects."""
    rows = []
    for name, title in DATASETS.items():
        d = loaded[name]
        if d is None:
            rows.append({"dataset": title, "here": "no"})
            continue
        splits = overview.split_class_table(d.labels, d.split, d.classes)["total"].drop("total", errors="ignore")
        rows.append({"dataset": title, "here": "yes", "images": len(d), "classes": len(d.classes),
                     "official splits": ", ".join(f"{s} {n:,}" for s, n in splits.items()),
                     "stored as": overview.stored_geometry(d),
                     "subjects": len(set(d.subjects)) if d.subjects is not None else "not given"})
    try:
        _, _, split = rafdb.load_labels(root)
        rows.append({"dataset": "RAF-DB basic", "here": "labels only", "images": 0, "classes": 7,
                     "official splits": ", ".join(f"{s} {n:,} labels" for s, n in pd.Series(split).value_counts().items()),
                     "subjects": "not given"})
    except DatasetError:
        rows.append({"dataset": "RAF-DB basic", "here": "no"})
    if votes is not None:
        rows.append({"dataset": "FER+ votes", "here": "votes only", "images": 0, "classes": len(ferplus.VOTE_COLUMNS),
                     "official splits": ", ".join(f"{s} {n:,} rows" for s, n in pd.Series(votes.usage).value_counts().items()),
                     "subjects": "not given"})
    else:
        rows.append({"dataset": "FER+ votes", "here": "no"})
    return pd.DataFrame(rows).fillna("")


@made_by
def dataset_section(d: FaceData | None, folder: Path, per_class: int = 8, seed: int = 0) -> Section:
    """The grid of faces, the split x class table and the files' formats of one loaded dataset."""
    if d is None:
        return []
    return [plots.faces_by_class(d.images, d.labels, d.classes, per_class=per_class, seed=seed),
            f"Stored in memory as **{overview.stored_geometry(d)}**; images per split and class:",
            overview.split_class_table(d.labels, d.split, d.classes).rename_axis("split").reset_index(),
            "The files on disk (format, size, mode as PIL reads them):", overview.file_formats(folder)]


@made_by
def jaffe_subjects(jaffe: FaceData | None) -> Section:
    if jaffe is None:
        return []
    return ["Images per subject:", overview.subject_table(jaffe).T.rename_axis("").reset_index()]


@made_by
def ckplus_subjects(ckplus: FaceData | None) -> Section:
    if ckplus is None:
        return []
    subjects = overview.subject_table(ckplus)
    return [f"**{len(subjects)} subjects**, {subjects.sequences.sum()} sequences; images per subject: "
            f"median {subjects.images.median():.0f}, range {subjects.images.min()}-{subjects.images.max()}. "
            "The ten subjects with most images:", subjects.head(10).T.rename_axis("").reset_index()]


def _flat_frames(d: FaceData, columns: int = 7) -> Section:
    """Blank or near-constant frames: how many, by split, and the grid of them."""
    flat = audit.near_constant(d, max_std=3.0)
    spread = d.images.reshape(len(d), -1).std(1)
    return [flat, spread, plots.face_grid(d.images[flat], [f"{d.split[k]} {d.classes[d.labels[k]]}\nstd {spread[k]:.1f}"
                                                           for k in flat], columns=columns)]


@made_by
def sfew_problems(sfew: FaceData | None) -> Section:
    if sfew is None:
        return []
    flat, spread, grid = _flat_frames(sfew)
    return [f"**Blank or near-constant frames** (pixel standard deviation below 3 grey levels): "
            f"{len(flat)}, of which {int(np.sum(spread[flat] == 0))} exactly uniform; by split: "
            + ", ".join(f"{s} {n}" for s, n in pd.Series(sfew.split[flat]).value_counts().items()) + ".", grid,
            "**The same file name in two class folders** of one split (one image, two labels):",
            overview.same_file_in_two_classes(sfew)]


@made_by
def labels_only_section(root: Path, votes) -> Section:
    """RAF-DB's labels per split and class, and FER+'s most-voted label per FER2013 usage."""
    items = []
    try:
        _, labels, split = rafdb.load_labels(root)
        items += ["**RAF-DB basic**, labels per split and class:",
                  overview.split_class_table(labels, split, rafdb.CLASSES).rename_axis("split").reset_index()]
    except DatasetError as exc:
        items.append(Note(str(exc), "warning"))
    if votes is not None:
        winner = np.array(ferplus.VOTE_COLUMNS)[ferplus.majority(votes)]
        table = pd.crosstab(pd.Series(votes.usage, name="usage"), pd.Series(winner, name="most votes"), margins=True,
                            margins_name="total")[list(ferplus.VOTE_COLUMNS) + ["total"]]
        items += ["**FER+**, each row's most-voted label (ties to the first column) per FER2013 usage:",
                  table.reset_index()]
    return items


# ---------------------------------------------------------------- the FER2013 audit

def duplicate_groups(fer: FaceData | None) -> np.ndarray | None:
    """A group id per image; pixel-identical images share one (None without FER2013)."""
    return audit.pixel_groups(fer) if fer is not None else None


@made_by
def duplicates_section(fer: FaceData | None, groups: np.ndarray | None) -> Section:
    """Groups of pixel-identical images, per pair of splits, and twins with different labels."""
    if fer is None:
        return [Note("FER2013 is not here, so the audit below is skipped.", "warning")]
    sizes = np.bincount(groups)
    items = [f"{np.sum(sizes > 1):,} groups of pixel-identical images hold {sizes[sizes > 1].sum():,} of the "
             f"{len(fer):,} images (largest group: {sizes.max()} copies).",
             audit.duplicate_summary(fer, groups).reset_index()]
    conflicted = [g for g in np.flatnonzero(sizes > 1) if len(set(fer.labels[groups == g])) > 1]
    examples = np.array([np.flatnonzero(groups == g)[:2] for g in conflicted[:8]])
    if len(examples):
        items += [f"Twins with different labels ({len(conflicted)} groups), the first eight:",
                  plots.image_pairs(fer.images, examples, [" / ".join(f"{fer.split[k]}: {fer.classes[fer.labels[k]]}"
                                                                      for k in pair) for pair in examples], columns=2)]
    return items


@dataclass
class NearDuplicates:
    """Candidate pairs by dHash distance with their pixel correlation r, and the r of random pairs."""

    candidates: pd.DataFrame
    by_distance: pd.DataFrame
    baseline_r: float         # 99.9th percentile of r over random pairs
    threshold: int            # the dHash distance kept as near-duplicate


def near_duplicates(fer: FaceData, groups: np.ndarray, hash_distance: int, seed: int = 0) -> NearDuplicates:
    hashes = audit.difference_hash(fer.images)
    candidates = audit.near_duplicate_pairs(hashes, max_distance=max(6, hash_distance), groups=groups)
    candidates["r"] = audit.pixel_correlation(fer.images, candidates.i.to_numpy(), candidates.j.to_numpy())
    a, b = np.random.default_rng(seed).integers(0, len(fer), (2, 20000))
    baseline = float(np.percentile(audit.pixel_correlation(fer.images, a, b), 99.9))
    by_distance = candidates.groupby("distance").agg(**{"pairs": ("r", "size"), "median r": ("r", "median"),
                                                        "share with r > 0.9": ("r", lambda r: np.mean(r > 0.9))})
    return NearDuplicates(candidates, by_distance, baseline, hash_distance)


@made_by
def near_duplicate_table(near: NearDuplicates) -> Section:
    return [f"Pairs per dHash distance (pixel-identical pairs excluded), with their pixel correlation r; "
            f"99.9 % of random pairs have r below {near.baseline_r:.2f}:", near.by_distance.round(3).reset_index()]


@made_by
def near_duplicate_examples(fer: FaceData, near: NearDuplicates, seed: int = 0) -> Section:
    """Eight random pairs at distance 1, just past the threshold, and 5, to see where faces stop matching."""
    rng = np.random.default_rng(seed)
    items = []
    for d in (1, near.threshold + 1, 5):
        sample = near.candidates[near.candidates.distance == d]
        sample = sample.iloc[rng.choice(len(sample), min(8, len(sample)), replace=False)]
        pairs = sample[["i", "j"]].to_numpy()
        items += [f"Eight random pairs at distance **{d}** (r in the title):",
                  plots.image_pairs(fer.images, pairs, [f"r={r:.2f} {fer.classes[fer.labels[i]]}/{fer.classes[fer.labels[j]]}"
                                                        for (i, j), r in zip(pairs, sample.r)], columns=4)]
    return items


@made_by
def threshold_section(fer: FaceData, near: NearDuplicates, groups: np.ndarray) -> Section:
    t = near.threshold
    kept = near.candidates[near.candidates.distance <= t]
    i, j = kept.i.to_numpy(), kept.j.to_numpy()
    test_near = np.unique(np.concatenate([i[fer.split[j] == "train"], j[fer.split[i] == "train"]]))
    test_near = test_near[fer.split[test_near] == "private_test"]
    no_twin = np.setdiff1d(test_near, audit.twins_of(fer, "private_test", groups=groups))
    return [f"**Threshold: dHash distance <= {t}.** It keeps {len(kept):,} near-duplicate pairs, "
            f"{np.mean(kept.r > 0.9):.0%} of them with pixel correlation above 0.9; one bit further, at distance "
            f"{t + 1}, only {near.by_distance['share with r > 0.9'].get(t + 1, float('nan')):.0%} are. "
            "Per pair of splits, with the pairs whose two images carry different labels:",
            audit.pairs_by_split(fer, kept).reset_index(),
            f"{len(test_near)} PrivateTest images have a near-duplicate in Training; {len(no_twin)} of them "
            "have no pixel twin there, so the de-duplicated PrivateTest below still holds them."]


@made_by
def blank_and_outlier_section(fer: FaceData) -> Section:
    flat, spread, grid = _flat_frames(fer)
    outliers = audit.face_space_outliers(fer, np.flatnonzero(fer.split == "train"), components=40, top=24)
    return [f"**{len(flat)} images** have a pixel standard deviation below 3 grey levels "
            f"({int(np.sum(spread[flat] == 0))} exactly uniform); by split: "
            + ", ".join(f"{s} {n}" for s, n in pd.Series(fer.split[flat]).value_counts().items()) + ".", grid,
            "The 24 images farthest from face space (largest reconstruction error):",
            plots.face_grid(fer.images[outliers["index"]], [f"{s} {fer.classes[fer.labels[k]]}\nz={z:.1f}" for k, s, z
                                                             in zip(outliers["index"], outliers.split, outliers.z)],
                            columns=8)]


@made_by
def deduplicated_table(fer: FaceData, groups: np.ndarray) -> pd.DataFrame:
    twins = audit.twins_of(fer, "private_test", groups=groups)
    kept = audit.deduplicated(fer, "private_test", groups=groups)
    twin_labels = np.array([len(set(fer.labels[groups == groups[k]])) > 1 for k in twins])
    return pd.DataFrame([{"PrivateTest": int(np.sum(fer.split == "private_test")),
                          "with a Training twin": len(twins), "of which labelled differently": int(twin_labels.sum()),
                          "de-duplicated PrivateTest": len(kept)}])
