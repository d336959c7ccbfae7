"""Local pre-trained weight files: where they are looked for, and loading one with a clear error when absent.

Nothing here downloads: the machines this book runs on have no network at run time.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

WEIGHTS_ENV = "FER_WEIGHTS"  # folder holding local pre-trained weight files


def weights_path(filename: str) -> Path:
    """Where a local weights file is looked for: $FER_WEIGHTS/<filename>, else data/weights/<filename>."""
    return Path(os.environ.get(WEIGHTS_ENV, "data/weights")) / filename


def load_imagenet(module: nn.Module, filename: str, what: str, prefix: str = "", without: str = "") -> None:
    """Load torchvision ImageNet weights `filename` (e.g. "resnet50-11ad3fa6.pth") into `module`.

    Only keys starting with `prefix` are loaded; every one of them must fit. `what` names the file's model for
    the error message, `without` says what to do instead.
    """
    path = weights_path(filename)
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: ImageNet weights for {what} not found. Put torchvision's file {filename} (from "
            f"download.pytorch.org/models) there, or set {WEIGHTS_ENV} to its folder. {without}".rstrip())
    state = {k: v for k, v in torch.load(path, map_location="cpu", weights_only=True).items() if k.startswith(prefix)}
    missing, unexpected = module.load_state_dict(state, strict=False)
    if unexpected or any(k.startswith(prefix) for k in missing):
        raise ValueError(f"{path}: not a torchvision {what} state dict (missing {missing[:3]}, unexpected {unexpected[:3]}).")
