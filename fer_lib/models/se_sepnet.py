"""Paper 002 (Gao & Ma, "A Robust Improved Network for Facial Expression Recognition").

The paper's layer list was in Figures 5-6, which are lost. From Sec. 3 we keep what the text states:
a plain CNN backbone; blocks of separable convolutions (Sec. 3.2) with short connections (Sec. 3.3);
Squeeze-and-Excitation attention after each block (Sec. 3.1); batch normalisation and dropout (Sec. 3).
Assumption (stated in the chapter): a two-conv stem, four blocks of width 64-128-256-512 each halving
the map, global average pooling, dropout 0.5 and one linear classifier, in the spirit of the
mini-Xception networks the paper's Keras setting suggests.
"""
from __future__ import annotations

from torch import nn

from .blocks import SeparableConv2d, SqueezeExcitation, conv_bn_relu


class SepResidualBlock(nn.Module):
    """Fig. 6 "block" as read from the text: two separable convs + BN, max-pool, a 1x1 strided shortcut, SE."""

    def __init__(self, in_channels: int, out_channels: int, se_reduction: int = 16):
        super().__init__()
        self.body = nn.Sequential(
            SeparableConv2d(in_channels, out_channels), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
            SeparableConv2d(out_channels, out_channels), nn.BatchNorm2d(out_channels),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        # The short connection of Sec. 3.3, strided to match the pooled map.
        self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=2, bias=False),
                                      nn.BatchNorm2d(out_channels))
        self.attention = SqueezeExcitation(out_channels, se_reduction)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(self.attention(self.body(x) + self.shortcut(x)))


class SESepNet(nn.Module):
    """The improved network of Fig. 5: stem, four SepResidualBlocks, GAP, dropout, classifier."""

    def __init__(self, num_classes: int = 7, in_channels: int = 1, widths=(64, 128, 256, 512),
                 stem_width: int = 32, dropout: float = 0.5, se_reduction: int = 16):
        super().__init__()
        self.stem = nn.Sequential(conv_bn_relu(in_channels, stem_width), conv_bn_relu(stem_width, widths[0]))
        blocks, c = [], widths[0]
        for w in widths:
            blocks.append(SepResidualBlock(c, w, se_reduction))
            c = w
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(c, num_classes))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


def se_sepnet(num_classes: int = 7, in_channels: int = 1, widths=(64, 128, 256, 512), stem_width: int = 32,
              dropout: float = 0.5, se_reduction: int = 16) -> SESepNet:
    """The SE + separable-convolution network of paper 002 (Gao & Ma, Sec. 3, Fig. 5).

    Args:
        num_classes: output classes (7 for FER2013).
        in_channels: 1 for grey faces.
        widths: output channels of the four separable residual blocks; each block halves the map (Sec. 3.2-3.3).
        stem_width: channels of the first plain conv (the stem is our assumption; Fig. 5 is lost).
        dropout: before the classifier (Sec. 3).
        se_reduction: the Squeeze-and-Excitation bottleneck ratio r (Sec. 3.1; 16 as in Hu et al.).
    """
    return SESepNet(num_classes, in_channels, widths, stem_width, dropout, se_reduction)


def standard_conv_equivalent(model: SESepNet) -> tuple[int, int]:
    """(separable params, params if every SeparableConv2d were a standard KxK conv) — Eq. (1) in numbers."""
    separable = standard = 0
    for m in model.modules():
        if isinstance(m, SeparableConv2d):
            dw, pw = m[0], m[1]
            separable += dw.weight.numel() + pw.weight.numel()
            standard += dw.in_channels * pw.out_channels * dw.kernel_size[0] * dw.kernel_size[1]
    return separable, standard
