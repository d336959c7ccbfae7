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
    # Measured on the 2-core CPU (channels_last, batch 64): bf16 autocast helps nets dominated by dense
    # convs (se_sepnet too: its full-resolution stem dominates), hurts MobileNet-like depthwise-heavy nets.
    cpu_bf16: bool
    paper: str = ""


REGISTRY: dict[str, ModelSpec] = {
    "se_sepnet": ModelSpec(se_sepnet.se_sepnet, cpu_bf16=True, paper="002"),  # 208 vs 108 img/s fp32
    "presnet": ModelSpec(presnet.presnet, cpu_bf16=True, paper="000"),
    "presnet_vgg": ModelSpec(presnet.presnet_vgg, cpu_bf16=True, paper="000"),
    # Measured (bare step, batch 64): igc_net 286 img/s bf16 vs 214 fp32 (its dense full-resolution stem
    # outweighs the depthwise layers), plain_cnn 639 vs 302.
    "igc_net": ModelSpec(igc.igc_net, cpu_bf16=True, paper="001"),
    "plain_cnn": ModelSpec(igc.plain_cnn, cpu_bf16=True, paper="001"),
    # Measured (bare step, batch 64, 48x48x3): resnet50_mlp 121 img/s bf16 vs 90 fp32 (all layers trained),
    # traditional_cnn 1,015 vs 678.
    "resnet50_mlp": ModelSpec(resnet_mlp.resnet50_mlp, cpu_bf16=True, paper="004"),
    "traditional_cnn": ModelSpec(resnet_mlp.traditional_cnn, cpu_bf16=True, paper="004"),
    # Measured (bare step, batch 64, 44x44x3, SGD, with one of the two cores busy): vgg16_plain 13.5 img/s fp32
    # vs 9.2 bf16, vgg16_lip 9.2 vs 7.0: VGG16 at full resolution is slow here and bf16 does not help it.
    "vgg16_lip": ModelSpec(lip_vgg.vgg16_lip, cpu_bf16=False, paper="003"),
    "vgg16_plain": ModelSpec(lip_vgg.vgg16_plain, cpu_bf16=False, paper="003"),
    "vgg_style": ModelSpec(baselines.vgg_style, cpu_bf16=True),
    "resnet18": ModelSpec(baselines.resnet18, cpu_bf16=True),
}


def build_model(name: str, **cfg) -> nn.Module:
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; registered: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name].builder(**cfg)


__all__ = ["build_model", "REGISTRY", "ModelSpec", "count_parameters"]
