"""Paper 000 (Miao, Li, Lin): P-ResNet and the two-branch P-ResNet-VGG for 48x48 grey faces.

The paper's figures (Figs 2-4) are lost; the text fixes the block (Sec. 3.2) and the VGG branch
(Sec. 3.3). Where it is silent, the choice is stated in the docstring that makes it.
"""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Noise = Literal["element", "batch"]  # RReLU's slope: one per activation, or one per layer and training step


class RReLU(nn.Module):
    """Randomised leaky ReLU, Eq. 1: x for x > 0, a*x otherwise, with a drawn from U(lower, upper) in training
    and fixed to its mean in evaluation. The range is torch's default (1/8, 1/3): the paper gives none.

    noise="element" draws one a per element (Xu et al.'s RReLU, torch's nn.RReLU). noise="batch" draws one a
    per layer and training step, which is also what Eq. 1's single "a" says; it is 3-5x faster on the 2-core
    CPU, where drawing a random number per activation dominates the step (measured in chapter 000).
    """

    def __init__(self, noise: str = "element", lower: float = 1 / 8, upper: float = 1 / 3):
        super().__init__()
        if noise not in ("element", "batch"):
            raise ValueError(f"RReLU noise must be 'element' or 'batch', not {noise!r}")
        self.noise, self.lower, self.upper = noise, lower, upper

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return F.leaky_relu(x, (self.lower + self.upper) / 2)
        if self.noise == "element":
            return F.rrelu(x, self.lower, self.upper, training=True)
        # drawn from torch's CPU generator, which the trainer seeds per epoch: runs stay repeatable
        return F.leaky_relu(x, float(torch.empty(()).uniform_(self.lower, self.upper)))

    def extra_repr(self) -> str:
        return f"noise={self.noise}, lower={self.lower:.3f}, upper={self.upper:.3f}"


class PreActBottleneck(nn.Module):
    """The modified residual block, Sec. 3.2 (Figs 2-3): 1x1 -> 3x3 -> 1x1 convolutions, each preceded by
    BN + RReLU (pre-activation) and followed by RReLU ("the RRelu activation function is added after each
    convolution"). The shortcut is the identity, or a 1x1 projection when width or stride changes.
    Output: x_{l+1} = h(x_l) + F(x_l), Eq. 2 with the identity h.
    """

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1, noise: str = "element"):
        super().__init__()
        out = width * self.expansion

        def unit(cin: int, cout: int, kernel: int, s: int = 1) -> list[nn.Module]:
            conv = nn.Conv2d(cin, cout, kernel, s, kernel // 2, bias=False)
            return [nn.BatchNorm2d(cin), RReLU(noise), conv, RReLU(noise)]

        self.residual = nn.Sequential(*unit(in_channels, width, 1), *unit(width, width, 3, stride),
                                      *unit(width, out, 1))
        self.shortcut = (nn.Identity() if stride == 1 and in_channels == out
                         else nn.Conv2d(in_channels, out, 1, stride, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.residual(x)


class PResNetBody(nn.Module):
    """A 3x3 stem, then stages of PreActBottleneck blocks; the first block of each later stage halves the map.

    Assumed (the layer count was in the lost Fig. 3): a stride-2 stem (48 -> 24: at full resolution the
    bottlenecks cost 4x more for little gain on 48x48 faces), then four stages of two blocks, widths
    32/64/128/256 (outputs 128..1024 channels), maps 24 -> 12 -> 6 -> 3. Ends with BN + RReLU, as
    pre-activation nets do.
    """

    def __init__(self, in_channels: int = 1, widths=(32, 64, 128, 256), blocks: int = 2, stem: int = 32,
                 noise: str = "element"):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, stem, 3, 2, 1, bias=False)]
        c = stem
        for i, w in enumerate(widths):
            for b in range(blocks):
                layers.append(PreActBottleneck(c, w, stride=2 if i > 0 and b == 0 else 1, noise=noise))
                c = w * PreActBottleneck.expansion
        layers += [nn.BatchNorm2d(c), RReLU(noise)]
        self.features = nn.Sequential(*layers)
        self.out_channels = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


class PResNet(nn.Module):
    """P-ResNet alone (Table 1): the body, global average pooling, dropout, one FC layer to the classes."""

    def __init__(self, num_classes: int = 7, in_channels: int = 1, dropout: float = 0.5, noise: str = "element"):
        super().__init__()
        self.body = PResNetBody(in_channels, noise=noise)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(self.body.out_channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _vgg_unit(cin: int, cout: int, noise: str) -> nn.Sequential:
    """3x3 conv with zero padding 1 (the map keeps its size), BN, RReLU, then a 2x2 max-pool that halves it.
    BN is our addition: the paper does not mention it in this branch, and without it the branch trained
    with SGD at lr 0.01 depends on its initialisation to train at all."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), RReLU(noise),
                         nn.MaxPool2d(2))


class VGGCutBranch(nn.Module):
    """The VGG19-cut branch with shallow/deep feature fusion (Sec. 3.3, Fig. 4).

    "There are five such convolutional layers in total" with 64, 128, 256, 512, 512 channels, each followed
    by a max-pool: read literally, one conv per stage (48 -> 24 -> 12 -> 6 -> 3 -> 1).
    Fusion, assumed where Fig. 4 is lost: the shallow map (stage 2, 128 x 12 x 12) is brought to the deep
    map's size (3 x 3) by a "convolutional pooling layer" (3x3 conv stride 2, then 2x2 max-pool) with 512
    channels, concatenated with the stage-4 output, and the concatenation is the input of stage 5
    ("combined and input to the next convolutional layer").
    """

    def __init__(self, in_channels: int = 1, widths=(64, 128, 256, 512, 512), noise: str = "element"):
        super().__init__()
        w1, w2, w3, w4, w5 = widths
        self.stage1, self.stage2 = _vgg_unit(in_channels, w1, noise), _vgg_unit(w1, w2, noise)
        self.stage3, self.stage4 = _vgg_unit(w2, w3, noise), _vgg_unit(w3, w4, noise)
        self.shallow = nn.Sequential(nn.Conv2d(w2, w4, 3, 2, 1, bias=False), nn.BatchNorm2d(w4), RReLU(noise),
                                     nn.MaxPool2d(2))
        self.stage5 = _vgg_unit(2 * w4, w5, noise)
        self.out_channels = w5

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shallow = self.stage2(self.stage1(x))
        deep = self.stage4(self.stage3(shallow))
        return self.stage5(torch.cat([deep, self.shallow(shallow)], dim=1))


def _branch_fc(channels: int, features: int, noise: str) -> nn.Sequential:
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, features), RReLU(noise))


class PResNetVGG(nn.Module):
    """P-ResNet-VGG, Sec. 3.3 and Algorithm 1: each branch ends in a fully connected layer (feature vectors
    D1, D2), the two are concatenated into D, then dropout, the final FC layer and softmax (in the loss).
    Assumed: 256 units per branch FC, RReLU after it."""

    def __init__(self, num_classes: int = 7, in_channels: int = 1, dropout: float = 0.5, branch_features: int = 256,
                 noise: str = "element"):
        super().__init__()
        self.vgg = VGGCutBranch(in_channels, noise=noise)
        self.resnet = PResNetBody(in_channels, noise=noise)
        self.fc_vgg = _branch_fc(self.vgg.out_channels, branch_features, noise)
        self.fc_resnet = _branch_fc(self.resnet.out_channels, branch_features, noise)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * branch_features, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = torch.cat([self.fc_vgg(self.vgg(x)), self.fc_resnet(self.resnet(x))], dim=1)
        return self.classifier(d)


def presnet(num_classes: int = 7, in_channels: int = 1, dropout: float = 0.5, noise: Noise = "element") -> PResNet:
    """P-ResNet of paper 000 (Miao, Li, Lin, Sec. 3.2): pre-activation bottlenecks with RReLU (Eq. 1).

    Args:
        num_classes: output classes (7 for FER2013 and JAFFE).
        in_channels: 1 for grey faces.
        dropout: before the classifier.
        noise: RReLU's random slope, "element" (one per activation, the paper profile) or "batch" (one per
            layer and step, the cheaper cpu profile); see `RReLU`.
    """
    return PResNet(num_classes, in_channels, dropout, noise)


def presnet_vgg(num_classes: int = 7, in_channels: int = 1, dropout: float = 0.5,
                noise: Noise = "element") -> PResNetVGG:
    """P-ResNet-VGG of paper 000 (Sec. 3.3, Fig. 4): a P-ResNet branch and a cut VGG19 branch, fused.

    Args:
        num_classes: output classes (7 for FER2013 and JAFFE).
        in_channels: 1 for grey faces.
        dropout: after the concatenated branch features (Sec. 3.3).
        noise: RReLU's random slope, "element" or "batch" (see `presnet`).
    """
    return PResNetVGG(num_classes, in_channels, dropout, noise=noise)
