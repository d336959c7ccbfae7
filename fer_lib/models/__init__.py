"""Model registry: `build_model(name, **cfg)` and the CPU precision each model trains fastest in."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import nn

from . import baselines, igc, lip_vgg, presnet, resnet_mlp, se_sepnet
from .blocks import count_parameters


@dataclass(frozen=True)
class ModelSpec:
    builder: Callable[..., nn.Module]
    # Whether bf16 autocast trains this model faster on the CPU than fp32, as `fer bench MODEL --bf16 on|off`
    # measures (channels_last, batch 64): it helps nets dominated by dense convs, and hurts depthwise-heavy
    # ones and VGG16 at full resolution. On a GPU bf16 is always on.
    cpu_bf16: bool
    paper: str = ""  # the chapter whose paper the model comes from; "" for a baseline of ours


REGISTRY: dict[str, ModelSpec] = {
    "se_sepnet": ModelSpec(se_sepnet.se_sepnet, cpu_bf16=True, paper="002"),
    "presnet": ModelSpec(presnet.presnet, cpu_bf16=True, paper="000"),
    "presnet_vgg": ModelSpec(presnet.presnet_vgg, cpu_bf16=True, paper="000"),
    "igc_net": ModelSpec(igc.igc_net, cpu_bf16=True, paper="001"),
    "plain_cnn": ModelSpec(igc.plain_cnn, cpu_bf16=True, paper="001"),
    "resnet50_mlp": ModelSpec(resnet_mlp.resnet50_mlp, cpu_bf16=True, paper="004"),
    "traditional_cnn": ModelSpec(resnet_mlp.traditional_cnn, cpu_bf16=True, paper="004"),
    "vgg16_lip": ModelSpec(lip_vgg.vgg16_lip, cpu_bf16=False, paper="003"),
    "vgg16_plain": ModelSpec(lip_vgg.vgg16_plain, cpu_bf16=False, paper="003"),
    "vgg_style": ModelSpec(baselines.vgg_style, cpu_bf16=True),
    "resnet18": ModelSpec(baselines.resnet18, cpu_bf16=True),
}


def build_model(name: str, **cfg) -> nn.Module:
    """A freshly initialised network by its registered name.

    Args:
        name: one of `REGISTRY` (e.g. "igc_net", "vgg16_lip", "resnet50_mlp"); an unknown name lists them.
        **cfg: the builder's own options (num_classes, in_channels, ...), as an experiment's `model_args` holds them.
    """
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; registered: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name].builder(**cfg)


__all__ = ["build_model", "REGISTRY", "ModelSpec", "count_parameters"]
