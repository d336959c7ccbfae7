"""Batch-level label mixing for training: mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019).

A mixed batch is trained on with the loss lam * CE(y) + (1 - lam) * CE(y[perm]); `mix_batch` returns what
that loss needs. Every draw comes from the caller's generator, so a resumed run repeats them.
"""
from __future__ import annotations

import numpy as np
import torch


def mix_batch(x: torch.Tensor, y: torch.Tensor, mixup: float, cutmix: float,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(mixed images, the partner labels y[perm], lam). `mixup` and `cutmix` are the Beta(alpha, alpha)
    parameters (0 turns one off); with both on, each batch uses one of them, chosen with equal odds."""
    if mixup <= 0 and cutmix <= 0:
        raise ValueError("mix_batch needs mixup > 0 or cutmix > 0")
    # Beta draws through numpy, seeded from the torch generator: torch's Beta takes no generator.
    rng = np.random.default_rng(int(torch.randint(2**31 - 1, (1,), generator=generator)))
    perm = torch.randperm(len(y), generator=generator).to(y.device)
    use_cutmix = cutmix > 0 and (mixup <= 0 or rng.random() < 0.5)
    lam = float(rng.beta(cutmix, cutmix) if use_cutmix else rng.beta(mixup, mixup))
    if not use_cutmix:
        return lam * x + (1 - lam) * x[perm], y[perm], lam
    h, w = x.shape[-2:]
    # A box of area (1 - lam) at a uniform centre, clipped to the image; lam is then the share left unboxed.
    cut_h, cut_w = int(h * np.sqrt(1 - lam)), int(w * np.sqrt(1 - lam))
    cy, cx = int(rng.integers(h)), int(rng.integers(w))
    top, bottom = max(cy - cut_h // 2, 0), min(cy + cut_h // 2, h)
    left, right = max(cx - cut_w // 2, 0), min(cx + cut_w // 2, w)
    mixed = x.clone()
    mixed[..., top:bottom, left:right] = x[perm][..., top:bottom, left:right]
    return mixed, y[perm], 1 - (bottom - top) * (right - left) / (h * w)
