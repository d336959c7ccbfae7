"""Paper 001 (Yin): interleaved group convolutions with CReLU, separable residual modules, and a plain CNN.

Sec. 2.2 names three stages; the layer counts are not given, so every width and depth below is ours and is
stated where it is chosen.
"""
from __future__ import annotations

import torch
from torch import nn

from .blocks import conv_bn_relu


class CReLU(nn.Module):
    """Concatenated ReLU, Sec. 2.2 stage 1: [ReLU(x), ReLU(-x)] along channels, so the output has twice
    the input's channels; the layer before it needs only half the filters."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(torch.cat([x, -x], dim=1))


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """The interleaving permutation: channel g*m + j (group g, position j) moves to j*groups + g, so each
    group of the next grouped convolution receives one channel from every group of the previous one."""
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class InterleavedGroupConv(nn.Module):
    """Interleaved group convolution (Zhang et al., IGCV1; paper 001 Sec. 2.2): a primary 3x3 group
    convolution with G groups, the interleaving permutation, and a secondary 1x1 group convolution with
    C/G groups of G channels. Every output channel then depends on every input channel, at about 1/G of
    a dense 3x3 convolution's parameters ("reduced to 1/G of the original").
    """

    def __init__(self, channels: int, groups: int = 4):
        super().__init__()
        if channels % groups:
            raise ValueError(f"channels ({channels}) must be a multiple of groups ({groups})")
        self.groups = groups
        self.primary = nn.Conv2d(channels, channels, 3, 1, 1, groups=groups, bias=False)
        self.secondary = nn.Conv2d(channels, channels, 1, groups=channels // groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.secondary(channel_shuffle(self.primary(x), self.groups))


class LinearBottleneck(nn.Module):
    """Depthwise-separable residual module with a linear bottleneck (Sec. 2.2 stage 2, MobileNetV2-style):
    1x1 expansion + ReLU, 3x3 depthwise + ReLU, 1x1 projection with no activation after it; the input is
    added back when the shapes match."""

    def __init__(self, cin: int, cout: int, stride: int = 1, expand: int = 4):
        super().__init__()
        hidden = cin * expand
        self.block = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout),  # linear: no activation here
        )
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return x + out if self.residual else out


class IGCNet(nn.Module):
    """The improved CNN of paper 001 (Sec. 2.2), for 48x48 grey faces.

    Stage 1: 3x3 conv (16 filters) + BN + CReLU -> 32 channels; two interleaved group convolutions
    (G = 4) with BN + ReLU; 2x2 max-pool (48 -> 24). Stage 2: four linear-bottleneck modules
    32 -> 48 (stride 2) -> 48 -> 96 (stride 2) -> 96, expansion 4 (24 -> 12 -> 6). Stage 3: a 3x3 conv
    to 128 channels, dropout 0.5 (the "random connection layer"), global average pooling, and a linear
    layer whose softmax (Eq. 2) lives in the cross-entropy loss (Eq. 3).
    """

    def __init__(self, num_classes: int = 7, in_channels: int = 1, groups: int = 4, dropout: float = 0.5):
        super().__init__()
        self.stage1 = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), CReLU(),
            InterleavedGroupConv(32, groups), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            InterleavedGroupConv(32, groups), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.stage2 = nn.Sequential(LinearBottleneck(32, 48, 2), LinearBottleneck(48, 48),
                                    LinearBottleneck(48, 96, 2), LinearBottleneck(96, 96))
        self.stage3 = nn.Sequential(conv_bn_relu(96, 128), nn.Dropout(dropout), nn.AdaptiveAvgPool2d(1),
                                    nn.Flatten(), nn.Linear(128, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stage3(self.stage2(self.stage1(x)))


def plain_cnn(num_classes: int = 7, in_channels: int = 1, dropout: float = 0.5) -> nn.Module:
    """The "CNN" paper 001 compares against, which it does not specify. Ours: a plain stack of 3x3
    conv-BN-ReLU layers (32, 32 | 64, 64 | 96, 128) with three 2x2 max-pools (48 -> 6), dropout 0.5, global
    average pooling and a linear layer: the same depth of downsampling and head as IGCNet, with dense
    convolutions, no CReLU and no shortcuts."""
    return nn.Sequential(
        conv_bn_relu(in_channels, 32), conv_bn_relu(32, 32), nn.MaxPool2d(2),
        conv_bn_relu(32, 64), conv_bn_relu(64, 64), nn.MaxPool2d(2),
        conv_bn_relu(64, 96), nn.MaxPool2d(2), conv_bn_relu(96, 128),
        nn.Dropout(dropout), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, num_classes),
    )


def igc_net(num_classes: int = 7, in_channels: int = 1, groups: int = 4, dropout: float = 0.5) -> IGCNet:
    """The improved CNN of paper 001 (Yin, Sec. 2.1-2.3): linear bottlenecks whose 3x3 convolution is an
    interleaved group convolution (primary group conv, permutation, secondary group conv; Eq. 1-3), with CReLU.

    Args:
        num_classes: output classes (7 for CK+ and FER2013).
        in_channels: 1 for grey faces.
        groups: groups of the primary group convolution (Sec. 2.2; the paper gives none, we use 4).
        dropout: before the classifier.
    """
    return IGCNet(num_classes, in_channels, groups, dropout)
