"""Paper 004's two networks: ResNet50 with an MLP head (Sec. 2.2) and the "traditional CNN" of its Table 2."""
from __future__ import annotations

from typing import Literal

from torch import nn
from torchvision.models import resnet50

from .weights import load_imagenet

# Which backbone parameters train. The paper: "ResNet50 can only have the parameters of last four layers
# trained" (Sec. 2.2.1). Its 23,587,712 backbone parameters are Keras' ResNet50(include_top=False) count,
# whose last four layers are conv5_block3_3_conv, conv5_block3_3_bn, conv5_block3_add, conv5_block3_out:
# only the last 1x1 conv and its BN hold weights. That is "last4"; the other readings are kept for comparison.
Trainable = Literal["all", "last4", "layer4", "none"]
TRAINABLE = {
    "all": None,                               # nothing frozen
    "last4": ("layer4.2.conv3", "layer4.2.bn3"),  # Keras' last four layers (the reading above)
    "layer4": ("layer4",),                     # the last stage
    "none": (),                                # backbone frozen, only the head trains
}
RESNET50_IMAGENET = "resnet50-11ad3fa6.pth"  # torchvision ResNet50_Weights.IMAGENET1K_V2


class ResNetMLP(nn.Module):
    """ResNet50 features -> dropout -> flatten -> BN -> FC 32 -> MLP -> 7 classes (paper 004, Sec. 2.2, Figs 2, 4).

    A 48x48 three-channel input leaves a 2x2x2048 map after layer4 (stride 32, rounded up), 8,192 features
    once flattened. The MLP is [BN -> ReLU -> dropout -> FC 32] twice, then BN -> ReLU -> dropout -> FC 7.
    Frozen batch-norm layers stay in inference mode, as Keras runs layers with trainable=False.
    """

    def __init__(self, num_classes: int = 7, in_channels: int = 3, trainable: str = "last4",
                 weights: str | None = None, dropout: float = 0.5, hidden: int = 32):
        super().__init__()
        if trainable not in TRAINABLE:
            raise ValueError(f"trainable must be one of {sorted(TRAINABLE)}, not {trainable!r}")
        backbone = resnet50(weights=None)
        if weights is not None:
            load_imagenet(backbone, weights, "ResNet50", without="Without it, train from scratch (trainable='all').")
        if in_channels != 3:
            backbone.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        # avgpool and fc become identities, so the backbone returns the flattened 2x2x2048 map (8,192 values);
        # dropout on it equals the paper's dropout before flattening.
        backbone.avgpool, backbone.fc = nn.Identity(), nn.Identity()
        self.backbone = backbone
        self.head = nn.Sequential(
            nn.Dropout(dropout), nn.BatchNorm1d(2048 * 4), nn.Linear(2048 * 4, hidden),
            *[layer for _ in range(2) for layer in (nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                                                    nn.Dropout(dropout), nn.Linear(hidden, hidden))],
            nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(hidden, num_classes),
        )
        self.trainable = trainable
        self._frozen_bn: list[nn.Module] = []
        keep = TRAINABLE[trainable]
        if keep is not None:
            for name, module in backbone.named_modules():
                if any(name == k or name.startswith(k + ".") for k in keep):
                    continue
                for p in module.parameters(recurse=False):
                    p.requires_grad_(False)
                if isinstance(module, nn.BatchNorm2d):
                    self._frozen_bn.append(module)

    def train(self, mode: bool = True):
        super().train(mode)
        for bn in self._frozen_bn:
            bn.eval()  # running statistics of a frozen layer must not drift either
        return self

    def forward(self, x):
        return self.head(self.backbone(x))


def resnet50_mlp(num_classes: int = 7, in_channels: int = 3, trainable: Trainable = "last4",
                 weights: str | None = None, dropout: float = 0.5, hidden: int = 32) -> ResNetMLP:
    """ResNet50 + MLP of paper 004 (Chen, Sec. 2.2, Figs 2 and 4).

    Args:
        num_classes: output classes (7 for FER2013).
        in_channels: 3, the grey face repeated, as ImageNet weights expect.
        trainable: what trains; "last4" is the paper's "last four layers" as Keras counts layers, "all" trains
            from scratch, "layer4" the last stage, "none" the head only (see `TRAINABLE`).
        weights: a local file of torchvision's ImageNet weights (never downloaded), or None for random ones.
        dropout: in the head (Sec. 2.2: 0.5).
        hidden: width of the MLP's layers (Fig. 4: 32).
    """
    return ResNetMLP(num_classes, in_channels, trainable, weights, dropout, hidden)


def traditional_cnn(num_classes: int = 7, in_channels: int = 3, widths=(32, 64, 128, 256), hidden: int = 256,
                    dropout: float = 0.5) -> nn.Module:
    """Our "traditional CNN" for paper 004's Table 2, which names one but does not describe it.

    Four stages of 3x3 conv -> BN -> ReLU -> 2x2 max-pool (48 -> 3), flatten, FC 256, dropout, FC 7: the
    plain design of FER2013 tutorials, with dropout only before the classifier, so it can overfit as the
    paper's CNN did (96% train vs 64% test).
    """
    layers, c = [], in_channels
    for w in widths:
        layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                   nn.MaxPool2d(2)]
        c = w
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * 3 * 3, hidden), nn.ReLU(inplace=True),
                         nn.Dropout(dropout), nn.Linear(hidden, num_classes))
