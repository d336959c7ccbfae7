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
    """Random mirror, rotation (degrees), shift (fraction of size) and zoom, drawn per image; then, with
    probability `erase`, one random rectangle per image set to the mean (random erasing, Zhong et al. 2020)."""

    hflip: bool = True
    rotate: float = 0.0
    shift: float = 0.0
    zoom: float = 0.0
    erase: float = 0.0

    @property
    def affine(self) -> bool:
        return self.hflip or self.rotate > 0 or self.shift > 0 or self.zoom > 0

    @property
    def active(self) -> bool:
        return self.affine or self.erase > 0


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
    if spec.affine:
        x = _affine(x, spec, generator)
    if spec.erase > 0:  # drawn after the affine draws, so runs without erasing repeat their old draws
        x = random_erase(x, spec.erase, generator)
    return x


def _affine(x: torch.Tensor, spec: Augment, generator: torch.Generator | None) -> torch.Tensor:
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


def random_erase(x: torch.Tensor, p: float, generator: torch.Generator | None = None,
                 area: tuple[float, float] = (0.02, 0.25), ratio: tuple[float, float] = (0.3, 3.3)) -> torch.Tensor:
    """With probability `p` per image, one rectangle of `area` (fraction of the image, uniform) and aspect
    `ratio` (log-uniform) at a uniform position is set to 0, the standardised mean. All draws for the whole
    batch at once: a mask built by comparing coordinates, no loop over images."""
    n, _, h, w = x.shape
    hit = torch.rand(n, generator=generator) < p
    share = area[0] + torch.rand(n, generator=generator) * (area[1] - area[0])
    log_r = math.log(ratio[0]) + torch.rand(n, generator=generator) * (math.log(ratio[1]) - math.log(ratio[0]))
    aspect = torch.exp(log_r)
    eh = (torch.sqrt(share * h * w * aspect)).clamp(1, h).floor()
    ew = (torch.sqrt(share * h * w / aspect)).clamp(1, w).floor()
    top = (torch.rand(n, generator=generator) * (h - eh + 1)).floor()
    left = (torch.rand(n, generator=generator) * (w - ew + 1)).floor()
    rows, cols = torch.arange(h).view(1, h, 1), torch.arange(w).view(1, 1, w)
    inside = ((rows >= top.view(n, 1, 1)) & (rows < (top + eh).view(n, 1, 1))
              & (cols >= left.view(n, 1, 1)) & (cols < (left + ew).view(n, 1, 1)) & hit.view(n, 1, 1))
    return x.masked_fill(inside.unsqueeze(1).to(x.device), 0.0)


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
