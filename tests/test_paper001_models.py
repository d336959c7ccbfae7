"""Paper 001's blocks: CReLU, the interleaving permutation, interleaved group convolution, linear bottlenecks."""
from __future__ import annotations

import pytest
import torch

from fer_lib.models import build_model, count_parameters
from fer_lib.models.igc import CReLU, InterleavedGroupConv, LinearBottleneck, channel_shuffle


def _dependency(module, channels: int) -> torch.Tensor:
    """[out, in] matrix: True where output channel `out` changes with input channel `in`."""
    x = torch.randn(1, channels, 6, 6, requires_grad=True)
    y = module(x)
    rows = []
    for o in range(channels):
        (grad,) = torch.autograd.grad(y[:, o].sum(), x, retain_graph=True)
        rows.append(grad.abs().sum(dim=(0, 2, 3)) > 0)
    return torch.stack(rows)


def test_crelu_doubles_channels_and_keeps_both_phases():
    x = torch.tensor([[[[1.0]], [[-2.0]]]])
    assert CReLU()(x).flatten().tolist() == [1.0, 0.0, 0.0, 2.0]


def test_channel_shuffle_interleaves_groups():
    x = torch.arange(8.0).view(1, 8, 1, 1)
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 4, 1, 5, 2, 6, 3, 7]


def test_interleaving_connects_every_output_to_every_input():
    torch.manual_seed(0)
    igc = InterleavedGroupConv(16, groups=4)
    assert _dependency(igc, 16).all()
    # without the permutation the two group convolutions leave most channel pairs unconnected
    plain = torch.nn.Sequential(igc.primary, igc.secondary)
    assert _dependency(plain, 16).float().mean() < 0.5


@pytest.mark.parametrize("channels,groups", [(32, 4), (64, 4), (64, 8)])
def test_interleaved_group_conv_costs_about_one_over_g(channels, groups):
    dense = 9 * channels * channels
    ratio = count_parameters(InterleavedGroupConv(channels, groups)) / dense
    assert ratio == pytest.approx(1 / groups + groups / (9 * channels))  # primary 1/G, secondary a little
    assert abs(ratio - 1 / groups) < 0.02


def test_interleaved_group_conv_rejects_indivisible_width():
    with pytest.raises(ValueError, match="multiple of groups"):
        InterleavedGroupConv(30, 4)


def test_linear_bottleneck_ends_without_activation_and_adds_the_input():
    block = LinearBottleneck(16, 16)
    assert isinstance(block.block[-1], torch.nn.BatchNorm2d) and block.residual
    block.eval()
    with torch.no_grad():
        out = block.block(torch.randn(4, 16, 6, 6))
    assert (out < 0).any()  # linear projection: negative outputs survive
    assert not LinearBottleneck(16, 32, stride=2).residual


def test_both_paper_001_models_build_and_have_similar_size():
    igc, plain = build_model("igc_net"), build_model("plain_cnn")
    x = torch.randn(2, 1, 48, 48)
    assert igc(x).shape == plain(x).shape == (2, 7)
    assert count_parameters(igc) == 259_191 and count_parameters(plain) == 232_423


def test_paper_001_experiments_and_their_protocols():
    from fer_lib import experiments
    names = [experiments.experiment("001", v, "cpu") for v in experiments.EXPERIMENTS["001"][1]]
    assert len(names) == 8
    ck = experiments.experiment("001", "igc-ckplus-subject", "cpu")
    assert ck.data.protocol == "kfold" and ck.data.by_subject and len(ck.folds()) == 5 and ck.model == "igc_net"
    std = experiments.experiment("001", "plain-fer2013-standard", "paper")
    assert std.data.roles["test"] == "private_test" and std.model == "plain_cnn" and std.train.epochs == 50
    # every claim of Tables 1-3 points at an experiment that exists
    from fer_lib.judge import claims
    variants = {f"001-{v}" for v in experiments.EXPERIMENTS["001"][1]}
    assert {c.experiment for c in claims.claims_for("001", include_detail=True)} <= variants
    with pytest.raises(ValueError, match="no variant 'igc-fer2013-subject'"):
        experiments.experiment("001", "igc-fer2013-subject", "cpu")
    with pytest.raises(ValueError, match="no variant 'igc-jaffe-random'"):
        experiments.experiment("001", "igc-jaffe-random", "cpu")
