"""Building blocks the papers name, one small nn.Module each, with the paper section it implements."""
from __future__ import annotations

from torch import nn


class SqueezeExcitation(nn.Module):
    """Channel attention (Hu et al., SENet; paper 002, Sec. 3.1, Fig. 4).

    Global average pool H*W*C -> 1*1*C, FC to C/r, ReLU, FC back to C, sigmoid, and the input's
    channels are rescaled by those weights.
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(channels // reduction, 4)
        self.squeeze = nn.AdaptiveAvgPool2d(1)
        self.excite = nn.Sequential(
            nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1), nn.Sigmoid()
        )

    def forward(self, x):
        return x * self.excite(self.squeeze(x))


class SeparableConv2d(nn.Sequential):
    """Depthwise KxK convolution then 1x1 pointwise (Chollet, Xception; paper 002, Sec. 3.2).

    Parameters C1*K*K + C1*C2 instead of C1*K*K*C2: the ratio 1/C2 + 1/K^2 of Eq. (1).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1):
        super().__init__(
            nn.Conv2d(in_channels, in_channels, kernel_size, stride, kernel_size // 2, groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
        )


def conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
    )


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
