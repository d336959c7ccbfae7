"""Paper 004: the ResNet50 + MLP model and its freezing readings, the metrics and audit its chapter uses."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import encode, face, needs_real_data, write_fer_zip, SHARED_DATA
from fer_lib import data
from fer_lib.data import audit, fer2013
from fer_lib.metrics import binary_accuracy, cross_entropy
from fer_lib.models import build_model, count_parameters
from fer_lib.models.resnet_mlp import ResNetMLP


def test_resnet50_mlp_shapes_and_parameter_counts():
    model = ResNetMLP(trainable="all").eval()
    assert model.backbone(torch.zeros(2, 3, 48, 48)).shape == (2, 8192)  # the paper's 2x2x2048, flattened
    assert model(torch.zeros(2, 3, 48, 48)).shape == (2, 7)
    # torchvision's ResNet50 without avgpool/fc: 23,508,032 (Keras' 23,587,712 adds conv biases)
    assert count_parameters(model.backbone) == 23_508_032
    assert count_parameters(model) == 23_789_127


@pytest.mark.parametrize("trainable,expected", [("all", 23_789_127), ("last4", 1_333_767), ("none", 281_095)])
def test_freezing_readings_leave_the_stated_parameters_trainable(trainable, expected):
    model = ResNetMLP(trainable=trainable)
    assert count_parameters(model, trainable_only=True) == expected
    if trainable == "last4":  # Keras' last four layers: the final 1x1 conv and its BN
        trained = {n.rsplit(".", 1)[0] for n, p in model.backbone.named_parameters() if p.requires_grad}
        assert trained == {"layer4.2.conv3", "layer4.2.bn3"}


def test_frozen_batch_norm_keeps_its_running_statistics_in_training():
    model = ResNetMLP(trainable="last4").train()
    before = model.backbone.bn1.running_mean.clone()
    model(torch.randn(4, 3, 48, 48) * 3 + 1)
    assert torch.equal(model.backbone.bn1.running_mean, before)
    assert not torch.equal(model.backbone.layer4[2].bn3.running_mean, torch.zeros(2048))  # the trainable one moved


def test_missing_weights_file_names_it(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_WEIGHTS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"resnet50-11ad3fa6\.pth.*ImageNet weights"):
        build_model("resnet50_mlp", weights="resnet50-11ad3fa6.pth")


def test_local_weights_file_is_loaded(tmp_path, monkeypatch):
    from torchvision.models import resnet50
    torch.manual_seed(1)
    reference = resnet50(weights=None)
    torch.save(reference.state_dict(), tmp_path / "w.pth")
    monkeypatch.setenv("FER_WEIGHTS", str(tmp_path))
    model = ResNetMLP(weights="w.pth")
    assert torch.equal(model.backbone.conv1.weight, reference.conv1.weight)


def test_traditional_cnn_output():
    assert build_model("traditional_cnn")(torch.zeros(3, 3, 48, 48)).shape == (3, 7)


def test_binary_accuracy_of_an_unsure_model_is_six_sevenths():
    labels = np.array([0, 3, 6, 2])
    unsure = np.full((4, 7), 1 / 7)
    assert binary_accuracy(labels, unsure) == pytest.approx(6 / 7)
    sure_right, sure_wrong = np.eye(7)[labels], np.eye(7)[(labels + 1) % 7]
    assert binary_accuracy(labels, sure_right) == 1.0
    assert binary_accuracy(labels, sure_wrong) == pytest.approx(5 / 7)


def test_cross_entropy():
    probs = np.array([[0.5, 0.5], [0.25, 0.75]])
    assert cross_entropy([0, 1], probs) == pytest.approx(-(np.log(0.5) + np.log(0.75)) / 2)


def _fer_with_twins(tmp_path):
    """A FER2013 zip whose PrivateTest_1010 repeats Training_1000 (same label) and PublicTest_1007 repeats
    Training_1001 under another label; Training_1002 and Training_1003 are twins inside Training."""
    entries, k = [], 0
    pixels = {i: face(i) for i in range(12)}
    pixels[10], pixels[7], pixels[3] = pixels[0], pixels[1], pixels[2]
    for usage, top, n in (("Training", "train", 6), ("PublicTest", "test", 3), ("PrivateTest", "test", 3)):
        for _ in range(n):
            folder = "angry" if k in (0, 10, 1) else ("happy" if k == 7 else "sad")
            entries.append((f"{top}/{folder}/{usage}_{1000 + k}.jpg", encode(pixels[k], "PNG")))
            k += 1
    write_fer_zip(tmp_path, entries)
    return fer2013.load(tmp_path)  # the module loader: three classes on purpose, no completeness check


def test_pixel_duplicates_within_and_across_splits(tmp_path):
    fer = _fer_with_twins(tmp_path)
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


def _predictions():
    """Four test images (two twinned, one of them right) and two train images, with stored probabilities."""
    probs = np.array([[0.9, 0.05, 0.05], [0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.4, 0.3, 0.3],
                      [0.6, 0.2, 0.2], [0.1, 0.8, 0.1]])
    frame = pd.DataFrame({"role": ["test"] * 4 + ["train"] * 2, "id": list("abcdef"),
                          "true": [0, 2, 2, 1, 0, 1], "pred": probs.argmax(1)})
    frame[["p_x", "p_y", "p_z"]] = probs
    return frame


def test_scoring_metric_table_and_twins():
    from fer_lib import scoring
    table = scoring.metric_table(_predictions()).set_index("role")
    assert table.loc["test", "accuracy (%)"] == 50.0 and table.loc["train", "accuracy (%)"] == 100.0
    # test: image a sure and right (3/3 elements), b sure and wrong (1/3), c and d unsure (2/3 each)
    assert table.loc["test", "binary accuracy (%)"] == pytest.approx(100 * (3 + 1 + 2 + 2) / 12)
    assert table.loc["test", "images with max p > 0.5 (%)"] == 50.0
    twins = scoring.accuracy_by_twin(_predictions(), {"a", "b"}, "test")
    assert twins["with a twin in training"] == 2 and twins["accuracy on twins (%)"] == 50.0
    assert twins["accuracy on the rest (%)"] == 50.0 and twins["ceiling: all twins right (%)"] == 75.0


def test_epoch_selection_on_a_watched_set():
    from fer_lib import scoring
    history = pd.DataFrame({"epoch": [1, 2, 3], "private_test_acc": [0.4, 0.6, 0.5]})
    sel = scoring.epoch_selection(history, "private_test_acc")
    assert sel["epoch with the highest accuracy"] == 2 and sel["highest accuracy (%)"] == pytest.approx(60.0)
    assert sel["accuracy at the last epoch (%)"] == pytest.approx(50.0) and sel["set"] == "private_test"


def test_deduplicated_private_test_drops_exactly_the_twins(tmp_path):
    fer = _fer_with_twins(tmp_path)
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
    fer = _fer_with_twins(tmp_path)
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


def test_results_table_adds_the_deduplicated_private_test_column(tmp_path):
    from dataclasses import replace
    from fer_lib import experiments, runner
    from fer_lib.chapter import ProfileRuns, results_table, training_twins
    fer = _fer_with_twins(tmp_path)
    exp = experiments.experiment("002", "standard", "smoke")
    exp = replace(exp, model_args=dict(num_classes=7, in_channels=1, widths=(16, 16, 32, 32), stem_width=8),
                  data=replace(exp.data, subset=None))
    record = runner.run(exp, tmp_path, tmp_path / "runs", log=lambda _: None, data=fer)
    twins = training_twins(fer)
    assert twins == {"PrivateTest_1010", "PublicTest_1007"}
    table = results_table([ProfileRuns(exp.name, {"smoke": record})], {}, twins=twins)
    preds = record.predictions
    kept = preds[preds["id"] != "PrivateTest_1010"]
    assert len(kept) == 2
    assert table["de-duplicated PrivateTest accuracy (%)"].iloc[0] == round(100 * (kept["pred"] == kept["true"]).mean(), 2)
    assert "de-duplicated PrivateTest accuracy (%)" not in results_table([ProfileRuns(exp.name, {"smoke": record})], {})
