"""Fidelity points that code can check: our building blocks against the papers and the reference code they
come from (each chapter's fidelity table lists these with their sources)."""
from __future__ import annotations

import torch
from torch import nn

from fer_lib.models.blocks import SqueezeExcitation
from fer_lib.models.igc import InterleavedGroupConv
from fer_lib.models.presnet import RReLU


def test_rrelu_slope_range_is_xu_et_al_and_torchs_and_evaluation_uses_its_midpoint():
    # paper 000, Eq. 1: a "randomly selected from a given uniform distribution", range not given; ours is the
    # range of Xu et al. (2015) and torch.nn.RReLU's defaults
    reference = nn.RReLU()
    for noise in ("element", "batch"):
        layer = RReLU(noise)
        assert (layer.lower, layer.upper) == (reference.lower, reference.upper) == (1 / 8, 1 / 3)
        x = -torch.ones(2000)
        layer.train()
        slopes = -layer(x)
        assert slopes.min() >= 1 / 8 and slopes.max() <= 1 / 3
        layer.eval()
        assert torch.allclose(-layer(x), torch.full_like(x, (1 / 8 + 1 / 3) / 2))


def test_igc_block_has_igcv1s_partitions_and_connects_every_input_to_every_output():
    # Zhang et al. (2017), IGCV1: primary 3x3 group conv with L partitions of M channels, secondary 1x1 group conv
    # with M partitions of L channels, interleaved in between
    block = InterleavedGroupConv(channels=32, groups=4)
    assert block.primary.groups == 4 and block.primary.kernel_size == (3, 3)
    assert block.secondary.groups == 32 // 4 and block.secondary.kernel_size == (1, 1)
    x = torch.randn(1, 32, 5, 5, requires_grad=True)
    for out_channel in (0, 13, 31):
        grad, = torch.autograd.grad(block(x)[0, out_channel, 2, 2], x)
        reached = grad.abs().sum(dim=(0, 2, 3)) > 0
        assert reached.all(), f"output channel {out_channel} misses inputs {(~reached).nonzero().flatten().tolist()}"


def test_squeeze_excitation_is_hu_et_als_formula():
    # Hu et al. (2018): s = sigmoid(W2 relu(W1 avgpool(x))), W1: C -> C/r; output x * s per channel
    torch.manual_seed(0)
    se = SqueezeExcitation(64, reduction=16)
    w1, w2 = se.excite[0], se.excite[2]
    assert (w1.in_channels, w1.out_channels, w2.out_channels) == (64, 4, 64)
    x = torch.randn(2, 64, 6, 6)
    z = x.mean(dim=(2, 3))
    s = torch.sigmoid(torch.relu(z @ w1.weight.flatten(1).T + w1.bias) @ w2.weight.flatten(1).T + w2.bias)
    assert torch.allclose(se(x), x * s[:, :, None, None], atol=1e-6)


def test_crelu_concatenates_both_phases_and_doubles_the_channels():
    # Shang et al. (2016); paper 001, Sec. 2.2: CReLU(x) = [ReLU(x), ReLU(-x)]
    from fer_lib.models.igc import CReLU
    x = torch.randn(2, 16, 4, 4)
    y = CReLU()(x)
    assert y.shape == (2, 32, 4, 4)
    assert torch.equal(y, torch.cat([torch.relu(x), torch.relu(-x)], dim=1))


def test_paper_000_keeps_the_highest_accuracy_on_fer2013_and_the_lowest_loss_on_jaffe():
    # Algorithm 1, step 4: "save the model with the highest accuracy"; Sec. 4.3 on JAFFE: "the model with the
    # lowest test loss value". Every profile and budget keeps the rule, and the trainer scores it that way.
    from fer_lib import experiments
    from fer_lib.experiments.paper000 import _000_VARIANTS
    for variant in _000_VARIANTS:
        for profile in ("smoke", "cpu", "paper"):
            exp = experiments.experiment("000", variant, profile)
            want = "val_acc" if exp.data.dataset == "fer2013" else "val_loss"
            assert exp.train.monitor == want, (variant, profile)
    assert experiments.experiment("000", "presnetvgg-fer-paper", "cpu", epochs=32).train.monitor == "val_acc"
