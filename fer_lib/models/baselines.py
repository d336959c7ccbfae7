"""Reference networks not from the papers: a VGG-style CNN and a ResNet18 adapted to 48x48 faces."""
from __future__ import annotations

from torch import nn
from torchvision.models import resnet18 as tv_resnet18

from .blocks import conv_bn_relu


def vgg_style(num_classes: int = 7, in_channels: int = 1, widths=(64, 128, 256, 512), dropout: float = 0.5) -> nn.Module:
    """Four stages of two 3x3 conv-BN-ReLU and a 2x2 max-pool, then two FC layers: the common FER2013 baseline."""
    layers, c = [], in_channels
    for w in widths:
        layers += [conv_bn_relu(c, w), conv_bn_relu(w, w), nn.MaxPool2d(2)]
        c = w
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                         nn.Linear(c, 256), nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(256, num_classes))


def resnet18(num_classes: int = 7, in_channels: int = 1) -> nn.Module:
    """torchvision's ResNet18 with a 3x3 stride-1 stem and no max-pool, so a 48x48 face keeps a 6x6 final map."""
    model = tv_resnet18(weights=None, num_classes=num_classes)
    model.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
    model.maxpool = nn.Identity()
    return model
