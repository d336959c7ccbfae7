"""Paper 004: the ResNet50 + MLP model, its freezing readings, and the metrics its chapter uses."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from fer_lib.train.metrics import binary_accuracy, cross_entropy
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
