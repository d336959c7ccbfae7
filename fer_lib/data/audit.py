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
    """Bitwise distance between two arrays of uint64 hashes."""
    return np.unpackbits((np.asarray(a) ^ np.asarray(b)).view(np.uint8).reshape(-1, 8), axis=1).sum(1)


def near_duplicate_pairs(hashes: np.ndarray, max_distance: int = 4, groups: np.ndarray | None = None) -> pd.DataFrame:
    """Pairs (i, j), i < j, whose hashes differ in at most `max_distance` bits, pixel-identical pairs excluded
    when `groups` is given. Pigeonhole search: split the 64 bits into max_distance + 1 bands; two hashes within
    the distance agree exactly on at least one band, so only images sharing a band value are compared."""
    bands = np.array_split(np.arange(64), max_distance + 1)
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    candidates = set()
    for band in bands:
        keys = np.packbits(bits[:, band], axis=1).tobytes()
        width = len(keys) // len(hashes)
        buckets: dict[bytes, list[int]] = {}
        for i in range(len(hashes)):
            buckets.setdefault(keys[i * width:(i + 1) * width], []).append(i)
        for members in buckets.values():
            if 1 < len(members) <= 500:  # a huge bucket is a near-constant band (blank images): skip, counted apart
                m = np.array(members)
                ii, jj = np.triu_indices(len(m), 1)
                candidates.update(zip(m[ii].tolist(), m[jj].tolist()))
    if not candidates:
        return pd.DataFrame(columns=["i", "j", "distance"])
    pairs = np.array(sorted(candidates))
    dist = hamming(hashes[pairs[:, 0]], hashes[pairs[:, 1]])
    keep = dist <= max_distance
    if groups is not None:
        keep &= groups[pairs[:, 0]] != groups[pairs[:, 1]]
    return pd.DataFrame({"i": pairs[keep, 0], "j": pairs[keep, 1], "distance": dist[keep]})


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
