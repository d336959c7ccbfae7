"""Evaluation protocols: which images train, which validate, which test.

Every function returns a `Split`: named lists of row indices into one FaceData, saved with each run
(its hash goes into the config) so that a result can always be traced to the exact images it used.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split

from .base import FaceData


@dataclass(frozen=True)
class Split:
    """Named index arrays into one dataset, e.g. {"train": ..., "val": ..., "test": ...}."""

    parts: dict[str, np.ndarray]
    description: str

    def __getitem__(self, name: str) -> np.ndarray:
        return self.parts[name]

    def ids(self, data: FaceData) -> dict[str, list[str]]:
        return {name: [str(i) for i in data.ids[idx]] for name, idx in self.parts.items()}

    def digest(self, data: FaceData) -> str:
        """sha256 over the image ids of every part: equal digests mean the same images in the same roles."""
        return hashlib.sha256(json.dumps(self.ids(data), sort_keys=True).encode()).hexdigest()

    def sizes(self) -> dict[str, int]:
        return {name: int(len(idx)) for name, idx in self.parts.items()}


def official(data: FaceData, **roles: str | tuple[str, ...]) -> Split:
    """The dataset's own split, mapped to roles, e.g. official(fer, train="train", val="public_test",
    test="private_test")."""
    parts = {}
    for role, names in roles.items():
        names = (names,) if isinstance(names, str) else tuple(names)
        idx = np.flatnonzero(np.isin(data.split, names))
        if len(idx) == 0:
            raise ValueError(f"{data.name}: no images in official split(s) {names}; it has {sorted(set(data.split))}")
        parts[role] = idx
    return Split(parts, "official: " + ", ".join(f"{r}={v}" for r, v in roles.items()))


def holdout(data: FaceData, fractions: dict[str, float], seed: int, index: np.ndarray | None = None) -> Split:
    """Stratified random hold-out, e.g. holdout(fer, {"train": .8, "val": .1, "test": .1}, seed=0).

    `index` restricts the split to those rows (default: all). Fractions must sum to 1; or give image counts
    (all ints) that sum to the number of rows, e.g. {"train": 28000, "val": 4387, "test": 3500}.
    """
    index = np.arange(len(data)) if index is None else np.asarray(index)
    if all(isinstance(v, int) for v in fractions.values()):
        if sum(fractions.values()) != len(index):
            raise ValueError(f"counts {fractions} must sum to the {len(index)} images being split")
        fractions = {name: count / len(index) for name, count in fractions.items()}
        counts = True
    else:
        counts = False
    if abs(sum(fractions.values()) - 1.0) > 1e-6:
        raise ValueError(f"fractions must sum to 1, got {fractions}")
    names = list(fractions)
    parts, remaining, left, stratified = {}, index, 1.0, True
    for name in names[:-1]:
        share = fractions[name] / left
        if share >= 1.0:
            parts[name], remaining = remaining, remaining[:0]
            break
        stratify = _stratify_labels(data.labels[remaining], share)
        stratified &= stratify is not None
        size = round(fractions[name] * len(index)) if counts else share  # an exact count stays exact
        take, remaining = train_test_split(remaining, train_size=size, random_state=seed, stratify=stratify)
        parts[name] = np.sort(take)
        left -= fractions[name]
    parts[names[-1]] = np.sort(remaining)
    kind = "stratified" if stratified else "random (too few images per class to stratify)"
    desc = f"{kind} hold-out " + "/".join(f"{name} {fractions[name]:.0%}" for name in names) + f", seed {seed}"
    return Split(parts, desc)


def kfold(data: FaceData, k: int, seed: int, by_subject: bool = False,
          index: np.ndarray | None = None) -> list[Split]:
    """k stratified folds; with by_subject=True no subject appears in both train and test of a fold."""
    index = np.arange(len(data)) if index is None else np.asarray(index)
    labels = data.labels[index]
    if by_subject:
        if data.subjects is None:
            raise ValueError(f"{data.name} has no subject ids; use by_subject=False")
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        folds = splitter.split(index, labels, groups=data.subjects[index])
    else:
        folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(index, labels)
    kind = "subject-grouped" if by_subject else "stratified"
    return [Split({"train": np.sort(index[tr]), "test": np.sort(index[te])},
                  f"{kind} {k}-fold, fold {i + 1}/{k}, seed {seed}") for i, (tr, te) in enumerate(folds)]


def grouped_holdout(data: FaceData, val_fraction: float, seed: int, index: np.ndarray | None = None) -> Split:
    """Train / val from `index` with no subject on both sides, stratified as far as the groups allow.

    Validation that shares people with training overrates the model on a subject-independent protocol, so
    early stopping would keep training too long; this split keeps the selection as honest as the test.
    The val part is one fold of round(1 / val_fraction) stratified group folds, so its size is approximate.
    """
    index = np.arange(len(data)) if index is None else np.asarray(index)
    if data.subjects is None:
        raise ValueError(f"{data.name} has no subject ids; use holdout()")
    n_splits = max(2, round(1 / val_fraction))
    groups = data.subjects[index]
    if len(set(groups)) < n_splits:
        raise ValueError(f"{data.name}: {len(set(groups))} subjects cannot fill a {val_fraction:.0%} "
                         f"subject-grouped validation part ({n_splits} groups needed)")
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    train, val = next(splitter.split(index, data.labels[index], groups=groups))
    return Split({"train": np.sort(index[train]), "val": np.sort(index[val])},
                 f"subject-grouped hold-out, val 1/{n_splits} of the subjects, seed {seed}")


def stratified_subset(data: FaceData, n: int, seed: int, index: np.ndarray | None = None) -> np.ndarray:
    """n rows drawn with class proportions kept (the smoke profile's 'a few hundred images')."""
    index = np.arange(len(data)) if index is None else np.asarray(index)
    if n >= len(index):
        return index
    take, _ = train_test_split(index, train_size=n, random_state=seed,
                               stratify=_stratify_labels(data.labels[index], n / len(index)))
    return np.sort(take)


def _stratify_labels(labels: np.ndarray, share: float = 0.5) -> np.ndarray | None:
    """Labels to stratify on, or None when stratifying is impossible (tiny smoke subsets): a class with a
    single image, or a part smaller than the number of classes."""
    present = np.bincount(labels)[np.bincount(labels) > 0]
    smaller_part = min(share, 1 - share) * len(labels)
    return labels if present.size and present.min() >= 2 and smaller_part >= present.size else None


@dataclass(frozen=True)
class DataSpec:
    """Which images play which role.

    protocol "official": `roles` maps role -> official split name(s), e.g. {"train": "train", "test": "private_test"}.
    protocol "holdout":  `fractions` of all images (or of `pool` splits), stratified, with `seed`.
    protocol "kfold":    fold `fold` (0-based) of `k` stratified folds, grouped by subject when `by_subject`.
    A protocol without a "val" role gets one carved from train (`val_fraction`, stratified), never from test,
    unless `select_on="test"`: then the test part itself is monitored for model selection. That reproduces
    papers that keep "the model with the lowest test loss"; its results are optimistic and labelled so.
    """

    dataset: str
    protocol: str = "official"
    roles: dict = field(default_factory=dict)
    fractions: dict = field(default_factory=dict)
    val_fraction: float = 0.1
    seed: int = 0
    subset: int | None = None  # draw this many images (stratified) before splitting: the smoke profile
    k: int = 0
    fold: int = 0
    by_subject: bool = False
    select_on: str = "val"     # "val" (honest) or "test" (a paper's test-set selection, reported as such)


def from_spec(spec: DataSpec, data: FaceData) -> Split:
    """`spec` applied to `data`; validation always comes from training images, never from test."""
    pool = stratified_subset(data, spec.subset, spec.seed) if spec.subset else None
    if spec.protocol == "official":
        split = official(data, **spec.roles)
        if pool is not None:
            split = Split({k: np.intersect1d(v, pool) for k, v in split.parts.items()},
                                 split.description + f", stratified subset of {spec.subset} images")
    elif spec.protocol == "holdout":
        fractions = spec.fractions
        if pool is not None and all(isinstance(v, int) for v in fractions.values()):
            # image counts describe the full dataset; a subset keeps their proportions
            fractions = {k: v / sum(fractions.values()) for k, v in fractions.items()}
        split = holdout(data, fractions, spec.seed, index=pool)
    elif spec.protocol == "kfold":
        if not 0 <= spec.fold < spec.k:
            raise ValueError(f"fold must be in 0..{spec.k - 1}, not {spec.fold}")
        split = kfold(data, spec.k, spec.seed, by_subject=spec.by_subject, index=pool)[spec.fold]
    else:
        raise ValueError(f"unknown protocol {spec.protocol!r}")
    if spec.select_on == "test":
        split = Split({**split.parts, "val": split["test"]},
                             split.description + "; model selection on the TEST part (the paper's protocol)")
    elif spec.select_on != "val":
        raise ValueError(f"select_on must be 'val' or 'test', not {spec.select_on!r}")
    if "val" not in split.parts:
        if spec.by_subject:  # validation people must be unseen too, or it overrates the model
            inner = grouped_holdout(data, spec.val_fraction, spec.seed, index=split["train"])
        else:
            inner = holdout(data, {"train": 1 - spec.val_fraction, "val": spec.val_fraction}, spec.seed,
                                   index=split["train"])
        split = Split({**split.parts, **inner.parts},
                             split.description + f"; validation {spec.val_fraction:.0%} of train ({inner.description})")
    return split
