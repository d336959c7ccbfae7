"""Batch transforms on tensors: pixel normalisation, train-time augmentation, ten-crop.

Augmentation works on a whole uint8 batch at once (one affine_grid + grid_sample), so it costs a few
percent of a training step on two CPU cores instead of starving them image by image.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augment:
    """Random mirror, rotation (degrees), shift (fraction of size) and zoom, drawn per image."""

    hflip: bool = True
    rotate: float = 0.0
    shift: float = 0.0
    zoom: float = 0.0

    @property
    def active(self) -> bool:
        return self.hflip or self.rotate > 0 or self.shift > 0 or self.zoom > 0


def to_float(images: torch.Tensor, channels: int, mean: float = 0.5, std: float = 0.5) -> torch.Tensor:
    """uint8 (N,H,W) or (N,H,W,C) -> float (N,channels,H,W), scaled to [0,1] then standardised.

    Grey images are repeated to `channels` (3 for ImageNet-style backbones); colour to 1 by luminance.
    """
    x = images.float().div_(255.0)
    x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
    if x.shape[1] == 3 and channels == 1:
        x = (x * torch.tensor([0.299, 0.587, 0.114], device=x.device).view(1, 3, 1, 1)).sum(1, keepdim=True)
    elif x.shape[1] == 1 and channels == 3:
        x = x.expand(-1, 3, -1, -1)
    return (x - mean) / std


def augment(x: torch.Tensor, spec: Augment, generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply `spec` to a float batch (N,C,H,W); draws come from `generator` so resumed runs repeat them."""
    if not spec.active:
        return x
    n = x.shape[0]

    def uniform(scale: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) * 2 - 1) * scale

    angle = uniform(math.radians(spec.rotate))
    scale = 1 + uniform(spec.zoom)
    tx, ty = uniform(2 * spec.shift), uniform(2 * spec.shift)  # affine_grid spans [-1, 1]: shift 0.1 -> 0.2
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0) if spec.hflip else torch.ones(n)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype).to(x.device), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def random_crop(x: torch.Tensor, size: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """One random size x size crop per image (the RAF-DB 100 -> 90 training crop of paper 003)."""
    n, _, h, w = x.shape
    top = torch.randint(0, h - size + 1, (n,), generator=generator)
    left = torch.randint(0, w - size + 1, (n,), generator=generator)
    return torch.stack([x[i, :, t:t + size, l:l + size] for i, (t, l) in enumerate(zip(top.tolist(), left.tolist()))])


def ten_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    """(N,C,H,W) -> (N,10,C,size,size): four corners and centre, then the same five mirrored."""
    _, _, h, w = x.shape
    offsets = [(0, 0), (0, w - size), (h - size, 0), (h - size, w - size), ((h - size) // 2, (w - size) // 2)]
    crops = [x[:, :, t:t + size, l:l + size] for t, l in offsets]
    crops += [c.flip(-1) for c in crops]
    return torch.stack(crops, 1)
