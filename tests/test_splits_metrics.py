"""Protocols (official, hold-out, k-fold by subject) and metrics against hand-computed values."""
from __future__ import annotations

import numpy as np
import pytest

from fer_lib.data import splits
from fer_lib.data.base import FaceData
from fer_lib.train.metrics import classification_report, per_class_accuracy


def _toy(n=200, subjects=10, seed=0) -> FaceData:
    rng = np.random.default_rng(seed)
    labels = np.tile(np.arange(5), n // 5)
    return FaceData(name="toy", images=np.zeros((n, 4, 4), np.uint8), labels=labels, classes=tuple("abcde"),
                    split=np.where(np.arange(n) < n * 3 // 4, "train", "test"), ids=np.array([f"i{i}" for i in range(n)]),
                    subjects=np.array([f"s{k}" for k in rng.integers(0, subjects, n)]))


def test_holdout_sizes_disjoint_stratified_and_seeded():
    d = _toy(1000)
    s = splits.holdout(d, {"train": 0.8, "val": 0.1, "test": 0.1}, seed=3)
    assert s.sizes() == {"train": 800, "val": 100, "test": 100}
    all_idx = np.concatenate(list(s.parts.values()))
    assert len(np.unique(all_idx)) == 1000
    for part in s.parts.values():  # 5 balanced classes stay balanced
        assert set(np.bincount(d.labels[part])) == {len(part) // 5}
    again = splits.holdout(d, {"train": 0.8, "val": 0.1, "test": 0.1}, seed=3)
    other = splits.holdout(d, {"train": 0.8, "val": 0.1, "test": 0.1}, seed=4)
    assert s.digest(d) == again.digest(d) != other.digest(d)


def test_holdout_rejects_fractions_not_summing_to_one():
    with pytest.raises(ValueError, match="sum to 1"):
        splits.holdout(_toy(), {"train": 0.8, "test": 0.1}, seed=0)


def test_official_roles_and_unknown_split():
    d = _toy(200)
    s = splits.official(d, train="train", test="test")
    assert s.sizes() == {"train": 150, "test": 50}
    with pytest.raises(ValueError, match="no images in official split"):
        splits.official(d, test="private_test")


def test_subject_kfold_never_shares_a_subject():
    d = _toy(300, subjects=15)
    folds = splits.kfold(d, 5, seed=0, by_subject=True)
    assert len(folds) == 5
    tested = np.concatenate([f["test"] for f in folds])
    assert sorted(tested) == list(range(300))  # every image is tested exactly once
    for f in folds:
        assert not set(d.subjects[f["train"]]) & set(d.subjects[f["test"]])


def test_grouped_holdout_keeps_people_apart_and_needs_enough_of_them():
    d = _toy(400, subjects=40)
    index = np.arange(300)
    s = splits.grouped_holdout(d, 0.1, seed=0, index=index)
    assert sorted(np.concatenate([s["train"], s["val"]])) == list(range(300))
    assert not set(d.subjects[s["train"]]) & set(d.subjects[s["val"]])
    assert 0.05 < len(s["val"]) / 300 < 0.2  # one of ten subject groups
    assert splits.grouped_holdout(d, 0.1, seed=0, index=index).digest(d) == s.digest(d)
    with pytest.raises(ValueError, match="3 subjects cannot fill"):
        splits.grouped_holdout(_toy(60, subjects=3), 0.1, seed=0)


def test_plain_kfold_is_stratified():
    """Every fold's test part holds each class in the dataset's proportion (imbalanced on purpose: 60/25/15 %),
    and the test parts partition the data."""
    d = _toy(200)
    d.labels[:] = np.repeat([0, 1, 2], [120, 50, 30])  # a random split would miss these counts by several images
    folds = splits.kfold(d, 5, seed=1)
    for f in folds:
        assert np.bincount(d.labels[f["test"]], minlength=3)[:3].tolist() == [24, 10, 6]
        assert not set(f["test"]) & set(f["train"]) and len(f["train"]) + len(f["test"]) == 200
    assert sorted(np.concatenate([f["test"] for f in folds]).tolist()) == list(range(200))


def test_classification_report_by_hand():
    # true: a a a b b c ; pred: a a b b c c
    y_true, y_pred = [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2]
    r = classification_report(y_true, y_pred, ("a", "b", "c", "d"))
    assert r["accuracy"] == pytest.approx(4 / 6)
    assert r["per_class"]["a"] == dict(precision=1.0, recall=pytest.approx(2 / 3), f1=pytest.approx(0.8), support=3)
    assert r["per_class"]["b"]["precision"] == 0.5 and r["per_class"]["b"]["recall"] == 0.5
    assert r["per_class"]["c"]["precision"] == 0.5 and r["per_class"]["c"]["recall"] == 1.0
    assert r["per_class"]["d"] == dict(precision=0.0, recall=0.0, f1=0.0, support=0)
    assert r["confusion"] == [[2, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert r["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3 + 0) / 4)
    assert per_class_accuracy(r)["c"] == 1.0
