"""`fer bench MODEL`: the bare model step's img/s on synthetic tensors vs the Trainer's img/s on real FER2013.

The ratio says how much the input pipeline (uint8 -> float, augmentation, batching) costs on top of the
network itself; the target is >= 0.90.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from .. import data as datasets
from ..data.transforms import Augment
from ..experiments.config import Preprocess, TrainConfig
from .engine import Batches, Trainer
from ..models import REGISTRY, build_model


def bare_step_rate(model_name: str, batch_size: int, bf16: bool, steps: int = 12, warmup: int = 3) -> float:
    """img/s of forward + backward + Adam step on random float tensors already in the model's layout."""
    torch.manual_seed(0)
    model = build_model(model_name).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters())
    x = torch.randn(batch_size, 1, 48, 48).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 7, (batch_size,))
    for i in range(warmup + steps):
        if i == warmup:
            start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return steps * batch_size / (time.perf_counter() - start)


def trainer_rate(model_name: str, batch_size: int, bf16: bool, images: int, data_root=None) -> float:
    """img/s of one Trainer epoch on `images` real FER2013 training images with the paper-002 augmentation."""
    fer = datasets.load("fer2013", data_root)
    idx = np.flatnonzero(fer.split == "train")[:images]
    config = TrainConfig(epochs=1, batch_size=batch_size, bf16=bf16, preprocess=Preprocess(channels=1),
                         augment=Augment(hflip=True, rotate=10, shift=0.1, zoom=0.1))
    torch.manual_seed(0)
    trainer = Trainer(build_model(model_name), config, device="cpu", log=lambda _: None)
    warm = Batches(fer.images[idx[:batch_size * 3]], fer.labels[idx[:batch_size * 3]])
    trainer._train_epoch(warm, 0)  # oneDNN picks kernels on the first batches; keep that out of the timing
    row = trainer._train_epoch(Batches(fer.images[idx], fer.labels[idx]), 1)
    return row["img_per_s"]


def bench(model_name: str, batch_size: int = 64, images: int = 2048, data_root=None, bf16: bool | None = None) -> str:
    bf16 = REGISTRY[model_name].cpu_bf16 if bf16 is None else bf16
    threads = torch.get_num_threads()
    bare = bare_step_rate(model_name, batch_size, bf16)
    real = trainer_rate(model_name, batch_size, bf16, images, data_root)
    return (f"{model_name}: batch {batch_size}, {'bf16' if bf16 else 'fp32'}, channels_last, {threads} threads\n"
            f"  bare model step (synthetic tensors): {bare:8.1f} img/s\n"
            f"  Trainer on real FER2013 ({images} images, augmented): {real:8.1f} img/s\n"
            f"  ratio: {real / bare:.2f}")
