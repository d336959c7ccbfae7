"""Paper 003's networks: VGG16-BN with Local Importance-based Pooling (LIP) and a conv head, and its plain baseline."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import vgg16_bn

from .weights import load_imagenet

VGG16_BN_IMAGENET = "vgg16_bn-6c64b313.pth"  # torchvision VGG16_BN_Weights.IMAGENET1K_V1


class SoftGate(nn.Module):
    """gamma * sigmoid(x): bounds a logit to (0, gamma) so exp(G) neither overflows nor vanishes."""

    def __init__(self, gamma: float = 12.0):
        super().__init__()
        self.gamma = gamma

    def forward(self, x):
        return self.gamma * torch.sigmoid(x)


LOGITS = ("authors", "depthwise-bn")


def logit_module(channels: int, kind: str = "authors") -> nn.Module:
    """G of Eq. 1, one logit per channel and position (paper 003 does not give one).

    "authors": the LIP authors' `SimplifiedLIP` (github.com/sebgao/LIP, imagenet/lip_resnet.py): 3x3 conv ->
    affine InstanceNorm -> soft gate, the conv zero-initialised, so G starts as the constant 12 * sigmoid(0)
    and LIP starts as average pooling, learning importance from there.
    "depthwise-bn": our first edition (depthwise 3x3 conv -> BN -> gate, random init), which starts as a
    near-random hard selection (weights within a window differ by factors up to e^6 and more). Kept only so
    the committed records that name no `logit` rebuild the network they trained.
    """
    if kind == "authors":
        conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        nn.init.zeros_(conv.weight)
        return nn.Sequential(conv, nn.InstanceNorm2d(channels, affine=True), SoftGate())
    if kind == "depthwise-bn":
        return nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
                             nn.BatchNorm2d(channels), SoftGate())
    raise ValueError(f"LIP logit module must be one of {LOGITS}, not {kind!r}")


class LIP2d(nn.Module):
    """Local importance-based pooling (paper 003, Sec. 2.2, Eqs. 1-2; Gao et al., ICCV 2019).

    O = sum_window I * exp(G(I)) / sum_window exp(G(I)) over each `kernel` x `kernel` window with `stride`:
    an average weighted by learned importance. A constant G gives average pooling; a G that grows steeply with
    I gives max pooling in the limit.
    """

    def __init__(self, logit: nn.Module, kernel: int = 2):
        super().__init__()
        self.logit, self.kernel = logit, kernel  # stride = kernel: non-overlapping windows, as the 2x2 max-pool

    def forward(self, x):
        k = self.kernel
        h, w = x.shape[-2] // k * k, x.shape[-1] // k * k  # pooling drops a last odd row/column anyway
        x = x[..., :h, :w]
        g = self.logit(x).float()
        # subtract each window's max logit before exp: Eq. 2's ratio is unchanged, and no window can overflow
        # or underflow to 0/0 however sharp G is
        peak = F.max_pool2d(g, k).repeat_interleave(k, -2).repeat_interleave(k, -1)
        weight = torch.exp(g - peak)
        return (F.avg_pool2d(x.float() * weight, k) / F.avg_pool2d(weight, k)).to(x.dtype)


class VGG16Face(nn.Module):
    """VGG16-BN's 13 conv layers (3x3, BN, ReLU), each 2x2 max-pool optionally replaced by LIP, and the three FC
    layers replaced by two conv layers and one FC (paper 003, Sec. 2.1, 2.3, Figs 1, 3).

    Our head, since the paper gives no sizes: conv 3x3 512 -> BN -> ReLU, conv 1x1 512 -> BN -> ReLU, global
    average pooling (so any input size works), dropout 0.5, FC to the classes.
    """

    def __init__(self, num_classes: int = 7, in_channels: int = 3, lip: bool = True, weights: str | None = None,
                 dropout: float = 0.5, logit: str = "depthwise-bn"):
        super().__init__()
        vgg = vgg16_bn(weights=None)
        if weights is not None:
            load_imagenet(vgg, weights, "VGG16-BN", prefix="features.", without="Without it, train from scratch (weights=None).")
        layers, channels = [], 3
        for layer in vgg.features:
            if isinstance(layer, nn.Conv2d):
                channels = layer.out_channels
            if isinstance(layer, nn.MaxPool2d) and lip:
                layer = LIP2d(logit_module(channels, logit))
            layers.append(layer)
        if in_channels != 3:
            layers[0] = nn.Conv2d(in_channels, 64, 3, padding=1)
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Conv2d(512, 512, 3, padding=1, bias=False), nn.BatchNorm2d(512), nn.ReLU(inplace=True),
            nn.Conv2d(512, 512, 1, bias=False), nn.BatchNorm2d(512), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(512, num_classes))

    def forward(self, x):
        return self.head(self.features(x))


def vgg16_lip(num_classes: int = 7, in_channels: int = 3, weights: str | None = None,
              dropout: float = 0.5, logit: str = "depthwise-bn") -> VGG16Face:
    """VGG16-BN with every max-pool replaced by Local Importance-based Pooling (paper 003, Dong, Wang, Hang,
    Sec. 3.1, Eq. 1), and our convolutional head.

    Args:
        num_classes: output classes (7 for RAF-DB, SFEW and FER2013).
        in_channels: 3 (colour faces; grey ones repeated).
        weights: a local file of torchvision's VGG16-BN ImageNet weights (never downloaded), or None.
        dropout: before the classifier.
        logit: the logit module G (see `logit_module`). Paper 003's experiments name "authors"; the default is
            the first edition's, because configs recorded before the choice existed name none.
    """
    return VGG16Face(num_classes, in_channels, lip=True, weights=weights, dropout=dropout, logit=logit)


def vgg16_plain(num_classes: int = 7, in_channels: int = 3, weights: str | None = None,
                dropout: float = 0.5) -> VGG16Face:
    """The same VGG16-BN with its max-pools kept: the baseline of paper 003's ablation (Table 1, row 1).

    Args: as `vgg16_lip`.
    """
    return VGG16Face(num_classes, in_channels, lip=False, weights=weights, dropout=dropout)
