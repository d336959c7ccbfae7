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


def twins_of(data: FaceData, part: str, reference: tuple[str, ...] = ("train",),
             groups: np.ndarray | None = None) -> np.ndarray:
    """Indices of the images of split `part` that have a pixel-identical twin in the `reference` splits."""
    index = np.flatnonzero(data.split == part)
    twin = has_twin_in(data, index, np.flatnonzero(np.isin(data.split, reference)), groups)
    return index[twin]


def deduplicated(data: FaceData, part: str = "private_test", reference: tuple[str, ...] = ("train",),
                 groups: np.ndarray | None = None) -> np.ndarray:
    """Indices of split `part` without the images that have a pixel-identical twin in `reference`: e.g. the
    de-duplicated PrivateTest, whose accuracy no model can raise by remembering training images."""
    index = np.flatnonzero(data.split == part)
    return np.setdiff1d(index, twins_of(data, part, reference, groups))


def difference_hash(images: np.ndarray, size: int = 8) -> np.ndarray:
    """dHash, one unsigned 64-bit integer per image (size 8): grey image shrunk to (size x size+1) by area
    averaging, each bit = whether a pixel is brighter than its right neighbour. Robust to small changes of
    brightness, contrast and JPEG noise; sensitive to shifts of more than a few pixels."""
    import torch
    import torch.nn.functional as F
    x = torch.from_numpy(np.ascontiguousarray(images)).float()
    x = x.mean(-1) if x.ndim == 4 else x  # colour to grey
    small = F.interpolate(x.unsqueeze(1), size=(size, size + 1), mode="area").squeeze(1).numpy()
    bits = (small[:, :, 1:] > small[:, :, :-1]).reshape(len(images), -1)
    return np.packbits(bits, axis=1, bitorder="little").view(np.uint64).ravel()


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bitwise distance between two arrays of uint64 hashes (broadcasting)."""
    return np.bitwise_count(np.asarray(a, dtype=np.uint64) ^ np.asarray(b, dtype=np.uint64))


def near_duplicate_pairs(hashes: np.ndarray, max_distance: int = 4, groups: np.ndarray | None = None,
                         chunk: int = 1024) -> pd.DataFrame:
    """Pairs (i, j), i < j, whose hashes differ in at most `max_distance` bits, pixel-identical pairs excluded
    when `groups` is given. Every pair is compared (chunked XOR + popcount, about 5 s for FER2013's 644 million
    pairs), so the result does not depend on the threshold beyond the cut itself."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    found_i, found_j, found_d = [], [], []
    for start in range(0, len(hashes), chunk):
        block = hashes[start:start + chunk]
        dist = hamming(block[:, None], hashes[None, start:])  # only j >= the block's first row
        i, j = np.nonzero(dist <= max_distance)
        j = j + start
        keep = j > i + start
        found_i.append(i[keep] + start), found_j.append(j[keep]), found_d.append(dist[i[keep], j[keep] - start])
    i, j, d = (np.concatenate(x) if x else np.array([], dtype=int) for x in (found_i, found_j, found_d))
    if groups is not None:
        different = groups[i] != groups[j]
        i, j, d = i[different], j[different], d[different]
    order = np.lexsort((j, i))
    return pd.DataFrame({"i": i[order], "j": j[order], "distance": d[order].astype(int)})


def pixel_correlation(images: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Pearson correlation of the pixels of images i[k] and j[k]: a check of a hash match that does not share
    the hash's blind spots (random FER2013 pairs: median 0.07, 99.9th percentile 0.70)."""
    def standardised(idx):
        x = images[np.asarray(idx)].reshape(len(idx), -1).astype(np.float32)
        return (x - x.mean(1, keepdims=True)) / (x.std(1, keepdims=True) + 1e-6)
    return (standardised(i) * standardised(j)).mean(1)


def pairs_by_split(data: FaceData, pairs: pd.DataFrame) -> pd.DataFrame:
    """Near-duplicate pairs counted per pair of splits, with how many carry two different labels."""
    a, b = data.split[pairs["i"].to_numpy()], data.split[pairs["j"].to_numpy()]
    order = {n: (SPLIT_ORDER.index(n) if n in SPLIT_ORDER else len(SPLIT_ORDER)) for n in set(data.split)}
    first = np.where([order[x] <= order[y] for x, y in zip(a, b)], a, b)
    second = np.where(first == a, b, a)
    frame = pd.DataFrame({"split_a": first, "split_b": second,
                          "label_conflict": data.labels[pairs["i"].to_numpy()] != data.labels[pairs["j"].to_numpy()]})
    table = frame.groupby(["split_a", "split_b"]).agg(pairs=("label_conflict", "size"),
                                                      label_conflicts=("label_conflict", "sum")).reset_index()
    return table.sort_values(["split_a", "split_b"], key=lambda c: c.map(order)).reset_index(drop=True)


def near_constant(data: FaceData, max_std: float = 3.0) -> np.ndarray:
    """Indices of images whose pixel standard deviation is below `max_std` grey levels: blank or flat frames."""
    flat = data.images.reshape(len(data), -1).astype(np.float32)
    return np.flatnonzero(flat.std(1) < max_std)


def face_space_outliers(data: FaceData, fit: np.ndarray, components: int = 40, top: int = 24) -> pd.DataFrame:
    """Images worst explained by the "eigenfaces" of `fit` (Turk & Pentland): PCA on those images, then each
    image's reconstruction error from `components` components. Non-faces (text, drawings, blank frames) sit
    far from face space; so do unusual faces, so the list is candidates to look at, not a verdict."""
    x = data.images.reshape(len(data), -1).astype(np.float32) / 255.0
    mean = x[fit].mean(0)
    _, _, vt = np.linalg.svd(x[fit][:: max(1, len(fit) // 5000)] - mean, full_matrices=False)
    basis = vt[:components]
    centred = x - mean
    error = np.linalg.norm(centred - (centred @ basis.T) @ basis, axis=1) / np.sqrt(x.shape[1])
    order = np.argsort(error)[::-1][:top]
    return pd.DataFrame({"index": order, "id": data.ids[order], "split": data.split[order],
                         "reconstruction error": error[order], "z": (error[order] - error.mean()) / error.std()})
