"""Data audit: which images of a dataset are pixel-identical copies of each other, within and across splits."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .base import FaceData

SPLIT_ORDER = ("train", "val", "public_test", "private_test", "test")  # table order; other splits follow


def pixel_groups(data: FaceData) -> np.ndarray:
    """A group id per image: images share an id exactly when their decoded pixels are identical.

    Ids are dense 0..G-1 in order of first appearance; an image without a twin has a group of its own.
    Hashing the raw uint8 bytes (SHA-1) makes equal ids mean equal pixels up to a negligible collision chance.
    """
    digests = [hashlib.sha1(np.ascontiguousarray(img).tobytes()).digest() for img in data.images]
    _, first, inverse = np.unique(np.array(digests, dtype=object), return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))  # renumber groups by first appearance, so ids are stable and readable
    return rank[inverse]


def has_twin_in(data: FaceData, index: np.ndarray, reference: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """For each image in `index`, whether a pixel-identical image (not itself) is among `reference`."""
    groups = pixel_groups(data) if groups is None else groups
    index, reference = np.asarray(index), np.asarray(reference)
    in_reference = np.bincount(groups[reference], minlength=groups.max() + 1)
    itself = np.isin(index, reference).astype(int)  # an image never counts as its own twin
    return in_reference[groups[index]] - itself > 0


def duplicate_summary(data: FaceData, groups: np.ndarray | None = None) -> pd.DataFrame:
    """One row per pair of splits (a split with itself too): images with a pixel twin there, and label conflicts.

    `images`: images of split A that have a twin in split B; `groups`: duplicate groups spanning A and B;
    `label_conflicts`: of those groups, how many carry more than one label (counted over the whole dataset).
    """
    groups = pixel_groups(data) if groups is None else groups
    frame = pd.DataFrame({"group": groups, "split": data.split, "label": data.labels})
    labels_per_group = frame.groupby("group").label.nunique()
    names = sorted(set(data.split), key=lambda n: (SPLIT_ORDER.index(n) if n in SPLIT_ORDER else len(SPLIT_ORDER), n))
    rows = []
    for i, a in enumerate(names):
        for b in names[i:]:
            in_a = frame[frame.split == a]
            if a == b:
                counts = in_a.group.value_counts()
                spanning = counts[counts > 1].index
            else:
                spanning = np.intersect1d(in_a.group, frame.group[frame.split == b])
            rows.append(dict(split_a=a, split_b=b, groups=len(spanning),
                             images_of_a=int(in_a.group.isin(spanning).sum()),
                             label_conflicts=int((labels_per_group[spanning] > 1).sum())))
    return pd.DataFrame(rows)
