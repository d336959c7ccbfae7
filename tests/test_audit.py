"""The FER2013 audit (fer_lib.data.audit): pixel twins, near-duplicates, blank frames, face-space outliers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fakes import SHARED_DATA, face, fer_with_twins, needs_real_data
from fer_lib import data
from fer_lib.data import audit


def test_pixel_duplicates_within_and_across_splits(tmp_path):
    fer = fer_with_twins(tmp_path)
    groups = audit.pixel_groups(fer)
    assert len(np.unique(groups)) == 12 - 3
    summary = audit.duplicate_summary(fer, groups).set_index(["split_a", "split_b"])
    assert summary.loc[("train", "train"), "groups"] == 1 and summary.loc[("train", "train"), "images_of_a"] == 2
    assert summary.loc[("train", "private_test"), "groups"] == 1
    assert summary.loc[("train", "private_test"), "label_conflicts"] == 0
    assert summary.loc[("train", "public_test"), "label_conflicts"] == 1
    private = np.flatnonzero(fer.split == "private_test")
    twins = audit.has_twin_in(fer, private, np.flatnonzero(fer.split == "train"), groups)
    assert fer.ids[private][twins].tolist() == ["PrivateTest_1010"]
    # an image is not its own twin, but its twin inside the same set counts
    train = np.flatnonzero(fer.split == "train")
    assert audit.has_twin_in(fer, train, train, groups).sum() == 2


@needs_real_data
def test_real_fer2013_duplicate_groups_match_the_dataset_readme():
    fer = data.load("fer2013", SHARED_DATA)
    groups = audit.pixel_groups(fer)
    sizes = np.bincount(groups)
    assert (sizes > 1).sum() == 1516  # datasets/README.md: 1,516 groups of pixel-identical images
    spans = {g for g in np.flatnonzero(sizes > 1)
             if len(set(fer.split[groups == g]) & {"train"}) and len(set(fer.split[groups == g]) - {"train"})}
    assert len(spans) == 531          # ... 531 of them spanning train and test


def test_deduplicated_private_test_drops_exactly_the_twins(tmp_path):
    fer = fer_with_twins(tmp_path)
    kept = audit.deduplicated(fer, "private_test")
    assert sorted(fer.ids[kept]) == ["PrivateTest_1009", "PrivateTest_1011"]
    assert fer.ids[audit.twins_of(fer, "private_test")].tolist() == ["PrivateTest_1010"]


def test_difference_hash_and_near_duplicates():
    base = np.stack([face(i) for i in range(6)])
    brighter = np.clip(base[0].astype(int) + 12, 0, 255).astype(np.uint8)  # same face, other exposure
    images = np.concatenate([base, brighter[None]])
    hashes = audit.difference_hash(images)
    assert hashes.dtype == np.uint64 and len(hashes) == 7
    assert audit.hamming(hashes[:1], hashes[6:7])[0] <= 2
    pairs = audit.near_duplicate_pairs(hashes, max_distance=4)
    assert (0, 6) in set(zip(pairs["i"], pairs["j"]))
    assert audit.hamming(np.array([0], np.uint64), np.array([2**64 - 1], np.uint64))[0] == 64


def test_near_duplicate_search_finds_exactly_the_pairs_a_naive_loop_finds():
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, 300, dtype=np.int64).view(np.uint64)
    hashes[7] = hashes[3] ^ np.uint64(0b101)    # 2 bits apart
    hashes[250] = hashes[3] ^ np.uint64(1 << 60)  # 1 bit apart, in another chunk
    naive = {(i, j) for i in range(300) for j in range(i + 1, 300) if bin(int(hashes[i] ^ hashes[j])).count("1") <= 3}
    pairs = audit.near_duplicate_pairs(hashes, max_distance=3, chunk=64)
    assert set(zip(pairs["i"], pairs["j"])) == naive and {(3, 7), (3, 250), (7, 250)} <= naive
    assert dict(zip(zip(pairs["i"], pairs["j"]), pairs["distance"]))[(3, 7)] == 2
    groups = np.arange(300)
    groups[7] = groups[3]  # declared pixel-identical: no longer a near-duplicate pair
    without = audit.near_duplicate_pairs(hashes, max_distance=3, groups=groups, chunk=64)
    assert (3, 7) not in set(zip(without["i"], without["j"])) and len(without) == len(pairs) - 1


def test_pixel_correlation_and_pairs_by_split(tmp_path):
    fer = fer_with_twins(tmp_path)
    r = audit.pixel_correlation(fer.images, np.array([0, 0]), np.array([0, 1]))
    assert r[0] == pytest.approx(1.0, abs=1e-4) and r[1] < 0.99
    at = {name: k for k, name in enumerate(fer.ids)}
    # sad-sad inside Training; angry PrivateTest_1010 with sad Training_1003; sad Training_1005 with sad PrivateTest_1011
    pairs = pd.DataFrame({"i": [at["Training_1002"], at["PrivateTest_1010"], at["Training_1005"]],
                          "j": [at["Training_1004"], at["Training_1003"], at["PrivateTest_1011"]], "distance": [1, 2, 0]})
    table = audit.pairs_by_split(fer, pairs)
    assert table.values.tolist() == [["train", "train", 1, 0], ["train", "private_test", 2, 1]]


def test_near_constant_and_face_space_outliers():
    from fer_lib.data.base import FaceData
    faces = np.stack([face(i) for i in range(40)] + [np.full((48, 48), 128, np.uint8)])
    stripes = np.zeros((48, 48), np.uint8)
    stripes[:, ::2] = 255  # nothing like a smooth face
    images = np.concatenate([faces, stripes[None]])
    n = len(images)
    d = FaceData("toy", images, np.zeros(n, int), ("a",), np.array(["train"] * n), np.array([str(i) for i in range(n)]))
    assert audit.near_constant(d).tolist() == [40]
    out = audit.face_space_outliers(d, np.arange(40), components=5, top=3)
    assert out["index"].iloc[0] == 41
