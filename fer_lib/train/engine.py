"""Trainer: fit / evaluate / predict on in-memory uint8 images, with checkpoints, exact resume and early stopping."""
from __future__ import annotations

import math
import os
import sys
import time

from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import distributed
from .mixing import mix_batch
from ..data.transforms import augment, random_crop, ten_crop as ten_crops, to_float
from ..experiments.config import TrainConfig


class Batches:
    """Images and labels as tensors, sliced into batches; the images stay uint8 until a batch is used."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images = torch.from_numpy(np.ascontiguousarray(images))
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device) -> "Batches":
        return self._wrap(self.images.to(device), self.labels.to(device))

    def subset(self, index: torch.Tensor) -> "Batches":
        return self._wrap(self.images[index.to(self.images.device)], self.labels[index.to(self.labels.device)])

    @staticmethod
    def _wrap(images: torch.Tensor, labels: torch.Tensor) -> "Batches":
        batches = Batches.__new__(Batches)
        batches.images, batches.labels = images, labels
        return batches


def _epoch_seed(seed: int, epoch: int) -> int:
    # Every epoch's randomness derives from (seed, epoch) alone, so resuming at epoch e replays it exactly.
    return (seed * 1_000_003 + epoch * 7919) % (2**63 - 1)


def _ema_update(decay: float):
    """The moving average's update for AveragedModel, with the usual warm-up: the decay grows as
    min(decay, (1 + n) / (10 + n)) over the first updates, so the random initial weights fade within a few
    hundred steps instead of dominating the average (0.999 ** 1000 = 0.37) while the weights move fastest."""
    @torch.no_grad()
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], n_averaged: torch.Tensor) -> None:
        n = float(n_averaged)  # one value per step, not per tensor
        d = min(decay, (1 + n) / (10 + n))
        if torch.is_floating_point(averaged[0]):
            torch._foreach_lerp_(averaged, current, 1 - d)
        else:  # integer buffers (BatchNorm's batch counter)
            for a, c in zip(averaged, current):
                a.copy_(c)
    return update


class Trainer:
    """Trains one model on in-memory data.

    With `run_dir`, a checkpoint is written after every epoch (atomically) and `fit` resumes from it:
    a run killed at any point and restarted ends with the same weights as an uninterrupted one.

    Under torchrun (see `distributed`) the model is wrapped in DistributedDataParallel: every rank draws the
    same permutation, takes its shard of each global batch of `batch_size`, and evaluates a shard of each
    set, gathered so that every rank holds the same metrics; only rank 0 writes checkpoints and logs. The
    checkpoint holds the unwrapped weights, so a run resumes on any number of processes.

    Args:
        model: the network to train (any `nn.Module` taking a batch of images and returning logits).
        config: the training recipe (optimiser, schedule, epochs, batch, augmentation, selection).
        run_dir: where checkpoints go; None trains without them (and without resume).
        device: "cpu", "cuda", "cuda:1", ...; None takes the GPU when there is one.
        cpu_bf16_default: train in bfloat16 on a CPU when the config does not say (faster for some models).
        callbacks: called with each epoch's history row (e.g. to write history.csv as it grows).
        log: where progress lines go (default: print).
    """

    def __init__(self, model: nn.Module, config: TrainConfig, *, run_dir: str | Path | None = None,
                 device: str | None = None, cpu_bf16_default: bool = False,
                 callbacks: list[Callable] | None = None, log: Callable[[str], None] | None = None):
        self.config = config
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.bf16 = config.bf16 if config.bf16 is not None else (self.device.type == "cuda" or cpu_bf16_default)
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        self.model = model.to(self.device, memory_format=self.memory_format)
        # `net` is what a training step calls: the model itself, or its DDP wrapper that averages gradients.
        self.net = self.model
        if distributed.active():
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        torch.backends.cudnn.benchmark = self.device.type == "cuda"  # fixed input sizes: let cuDNN pick kernels
        self.run_dir = Path(run_dir) if run_dir else None
        self.callbacks = callbacks or []
        self.log = (log or (lambda msg: print(msg, flush=True))) if distributed.is_main() else (lambda msg: None)
        self.optimizer = self._make_optimizer()
        self.scheduler = self._make_scheduler()
        # With ema_decay, a moving average of the weights (BN statistics included) is what gets evaluated,
        # selected and kept; the raw weights only take the optimiser's steps.
        self.ema = (torch.optim.swa_utils.AveragedModel(self.model, multi_avg_fn=_ema_update(config.ema_decay),
                                                        use_buffers=True) if config.ema_decay else None)
        weight = torch.tensor(config.class_weights, dtype=torch.float32) if config.class_weights else None
        self.loss_fn = nn.CrossEntropyLoss(weight=weight.to(self.device) if weight is not None else None,
                                           label_smoothing=config.label_smoothing)
        self.history: list[dict] = []
        self.best_state: dict | None = None
        self.best_epoch: int | None = None
        self.best_score = math.inf
        self.bad_epochs = 0
        self.epoch = 0
        self.stopped_early = False

    # ----- set-up -----
    def _make_optimizer(self):
        params = [p for p in self.model.parameters() if p.requires_grad]
        c = self.config
        if c.optimizer == "adam":
            return torch.optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay)
        if c.optimizer == "sgd":
            return torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
        raise ValueError(f"optimizer must be 'adam' or 'sgd', not {c.optimizer!r}")

    def _make_scheduler(self):
        c, a = self.config, self.config.scheduler_args
        if c.scheduler is None:
            return None
        if c.scheduler == "step":
            return torch.optim.lr_scheduler.StepLR(self.optimizer, a.get("step_size", 10), a.get("gamma", 0.1))
        if c.scheduler == "cosine" and c.warmup_epochs:
            warm, span = c.warmup_epochs, max(c.epochs - c.warmup_epochs, 1)
            return torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda e: (e + 1) / warm if e < warm
                                                     else 0.5 * (1 + math.cos(math.pi * (e - warm) / span)))
        if c.scheduler == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=c.epochs)
        if c.scheduler == "plateau":
            return torch.optim.lr_scheduler.ReduceLROnPlateau(self.optimizer, factor=a.get("factor", 0.5),
                                                              patience=a.get("patience", 3))
        if c.scheduler == "hold_then_decay":
            # Paper 000, Sec. 4: lr constant for `hold` epochs, then multiplied by `gamma` every `every` epochs.
            hold, every, gamma = a.get("hold", 50), a.get("every", 5), a.get("gamma", 0.9)
            return torch.optim.lr_scheduler.LambdaLR(
                self.optimizer, lambda e: 1.0 if e < hold else gamma ** ((e - hold) // every + 1))
        raise ValueError(f"unknown scheduler {c.scheduler!r}")

    # ----- input -----
    def _inputs(self, images: torch.Tensor, train: bool, generator: torch.Generator | None = None,
                ten_crop: bool = False):
        p = self.config.preprocess
        x = to_float(images.to(self.device, non_blocking=True), p.channels, p.mean, p.std)
        if p.size is not None and tuple(x.shape[-2:]) != (p.size, p.size):
            x = F.interpolate(x, size=(p.size, p.size), mode="bilinear", align_corners=False, antialias=True)
        if train:
            x = augment(x, self.config.augment, generator)
            if p.crop is not None:
                x = random_crop(x, p.crop, generator)
        elif p.crop is not None and not ten_crop:
            off_h, off_w = (x.shape[-2] - p.crop) // 2, (x.shape[-1] - p.crop) // 2
            x = x[:, :, off_h:off_h + p.crop, off_w:off_w + p.crop]
        return x.contiguous(memory_format=self.memory_format) if x.ndim == 4 else x

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    # ----- training -----
    def fit(self, train: Batches, val: Batches | None = None, *, resume: bool = True,
            watch: dict[str, Batches] | None = None) -> list[dict]:
        """Train for config.epochs (or until early stopping); returns the per-epoch history.

        Args:
            train: the training images and labels.
            val: the validation set the kept epoch is selected on (and early stopping watches); None keeps the
                last epoch.
            resume: continue from the checkpoint in `run_dir` when there is one.
            watch: sets evaluated after every epoch and logged as `<name>_loss` / `<name>_acc`, never used for
                selection or stopping: they show what selecting on those sets would have reported.
        """
        c = self.config
        if c.early_stopping is not None and val is None:
            raise ValueError("early stopping needs a validation set; pass val= or set early_stopping=None")
        train, val = self._on_device(train), (self._on_device(val) if val is not None else None)
        watch = {name: self._on_device(data) for name, data in (watch or {}).items()}
        if resume and self.run_dir and self.checkpoint_path.exists():
            self._load_checkpoint()
            self.log(f"resumed from {self.checkpoint_path} after epoch {self.epoch}")
        while self.epoch < c.epochs and not self.stopped_early:
            epoch_start = time.perf_counter()
            row = self._train_epoch(train, self.epoch)
            if val is not None:
                ev = self.evaluate(val)
                row.update(val_loss=ev["loss"], val_acc=ev["accuracy"])
                self._track_best(row)
            for name, data in watch.items():
                ev = self.evaluate(data)
                row.update({f"{name}_loss": ev["loss"], f"{name}_acc": ev["accuracy"]})
            if self.scheduler is not None:
                if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    self.scheduler.step(row.get("val_loss", row["train_loss"]))
                else:
                    self.scheduler.step()
            row["wall_seconds"] = time.perf_counter() - epoch_start
            self.history.append(row)
            self.epoch += 1
            self._log_epoch(row)
            if distributed.is_main():
                for cb in self.callbacks:
                    getattr(cb, "on_epoch_end", lambda *a: None)(self, row)
                if self.run_dir:
                    self._save_checkpoint()
        if self.config.restore_best and self.best_state is not None:
            self.model.load_state_dict(self.best_state)  # Keras' restore_best_weights
        elif self.ema is not None:
            self.model.load_state_dict(self.ema.module.state_dict())  # the average is the model kept
        return self.history

    def _train_epoch(self, data: Batches, epoch: int) -> dict:
        c = self.config
        self.model.train()
        generator = torch.Generator().manual_seed(_epoch_seed(c.seed, epoch))
        torch.manual_seed(_epoch_seed(c.seed, epoch) + 1)  # dropout and other global draws
        order = torch.randperm(len(data), generator=generator).to(data.labels.device)
        n_batches = math.ceil(len(data) / c.batch_size)
        total_loss = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device, dtype=torch.long)
        seen = 0
        lr = self.optimizer.param_groups[0]["lr"]
        start = time.perf_counter()
        bar = self._progress(n_batches, epoch)
        world = distributed.world_size()
        for b in range(n_batches):
            batch = order[b * c.batch_size:(b + 1) * c.batch_size]
            if len(batch) < world:
                continue  # a last batch too small to give every rank an image (only under torchrun)
            idx = distributed.shard(batch)
            x = self._inputs(data.images[idx], train=True, generator=generator)
            y = data.labels[idx].to(self.device)
            if c.mixup or c.cutmix:
                x, partner, lam = mix_batch(x, y, c.mixup, c.cutmix, generator)
            with self._autocast():
                logits = self.net(x)
            loss = self.loss_fn(logits.float(), y)
            if c.mixup or c.cutmix:
                loss = lam * loss + (1 - lam) * self.loss_fn(logits.float(), partner)
            if world > 1:
                # DDP averages the ranks' gradients; weighting each rank's mean by its share of the batch makes
                # that average the gradient of the global batch's mean loss, as in one process.
                loss_to_step = loss * (len(idx) * world / len(batch))
            else:
                loss_to_step = loss
            self.optimizer.zero_grad(set_to_none=True)
            loss_to_step.backward()
            self.optimizer.step()
            if self.ema is not None:
                self.ema.update_parameters(self.model)
            # Summed on the device: a .item() per step would stall a GPU on every batch.
            total_loss += loss.detach() * len(y)
            correct += (logits.argmax(1) == y).sum()
            seen += len(y)
            if bar is not None:
                if b % 20 == 0:
                    rate = seen / (time.perf_counter() - start)
                    bar.set_postfix(loss=f"{total_loss.item() / seen:.3f}", acc=f"{correct.item() / seen:.3f}",
                                    img_s=f"{rate:.0f}")
                bar.update(1)
            for cb in self.callbacks:
                getattr(cb, "on_batch_end", lambda *a: None)(self, epoch, b)
        if bar is not None:
            bar.close()
        if world > 1:  # the epoch's loss and accuracy over every rank's images
            counts = distributed.all_sum(torch.stack([total_loss.float(), correct.float(),
                                                      torch.tensor(float(seen), device=self.device)]))
            total_loss, correct, seen = counts[0], counts[1], int(counts[2].item())
        seconds = time.perf_counter() - start
        return dict(epoch=epoch + 1, train_loss=total_loss.item() / seen, train_acc=correct.item() / seen, lr=lr,
                    seconds=seconds, img_per_s=seen / seconds)

    def _progress(self, total: int, epoch: int):
        # A live bar in a terminal; papermill and CI logs get one line per epoch instead.
        if not sys.stderr.isatty() or not distributed.is_main():
            return None
        from tqdm.auto import tqdm
        return tqdm(total=total, desc=f"epoch {epoch + 1}/{self.config.epochs}", leave=False, file=sys.stderr)

    def _log_epoch(self, row: dict) -> None:
        val = f" val_loss {row['val_loss']:.4f} val_acc {row['val_acc']:.4f}" if "val_loss" in row else ""
        eta = (self.config.epochs - self.epoch) * row["seconds"]
        self.log(f"epoch {row['epoch']}/{self.config.epochs}: loss {row['train_loss']:.4f} acc {row['train_acc']:.4f}"
                 f"{val} lr {row['lr']:.2e} {row['img_per_s']:.0f} img/s {row['seconds']:.0f}s (ETA {eta / 60:.0f} min)")

    def _track_best(self, row: dict) -> None:
        score = row["val_loss"] if self.config.monitor == "val_loss" else -row["val_acc"]
        if score < self.best_score:
            self.best_score, self.best_epoch, self.bad_epochs = score, row["epoch"], 0
            self.best_state = {k: v.detach().clone() for k, v in self._evaluated.state_dict().items()}
        else:
            self.bad_epochs += 1
            if self.config.early_stopping is not None and self.bad_epochs >= self.config.early_stopping:
                self.stopped_early = True
                self.log(f"early stopping after epoch {row['epoch']}: best epoch {self.best_epoch} "
                         f"({self.config.monitor})")

    def _on_device(self, data: Batches) -> Batches:
        """On a GPU the whole uint8 dataset fits and is moved once, not batch by batch."""
        return data if self.device.type == "cpu" else data.to(self.device)

    # ----- evaluation -----
    @torch.no_grad()
    def predict(self, data: Batches, ten_crop: bool | None = None) -> np.ndarray:
        """Class probabilities (N, classes). Ten-crop (paper 003, Sec. 3.1: four corners and the centre, and
        their mirrors) averages the softmax over the ten crops; `ten_crop` overrides the config's choice, so any
        model trained with random crops can be evaluated both ways.

        Under torchrun each rank predicts a contiguous shard and the shards are gathered in order."""
        if distributed.active():
            part = distributed.shard(torch.arange(len(data)))
            return distributed.gather_rows(self._predict(data.subset(part), ten_crop))
        return self._predict(data, ten_crop)

    @property
    def _evaluated(self) -> nn.Module:
        """The weights evaluation uses: the moving average when there is one, else the model."""
        return self.ema.module if self.ema is not None else self.model

    def _predict(self, data: Batches, ten_crop: bool | None) -> np.ndarray:
        model = self._evaluated
        model.eval()
        use_ten = self.config.preprocess.ten_crop if ten_crop is None else ten_crop
        if use_ten and self.config.preprocess.crop is None:
            raise ValueError("ten-crop evaluation needs preprocess.crop, the crop size the model was trained on")
        out = []
        for start in range(0, len(data), self.config.eval_batch_size):
            x = self._inputs(data.images[start:start + self.config.eval_batch_size], train=False, ten_crop=use_ten)
            if use_ten:
                n = x.shape[0]
                crops = ten_crops(x, self.config.preprocess.crop).flatten(0, 1)
                with self._autocast():
                    probs = model(crops.contiguous(memory_format=self.memory_format)).float().softmax(1)
                out.append(probs.view(n, 10, -1).mean(1).cpu())
            else:
                with self._autocast():
                    out.append(model(x).float().softmax(1).cpu())
        return torch.cat(out).numpy()

    def evaluate(self, data: Batches) -> dict:
        probs = self.predict(data)
        labels = data.labels.cpu().numpy()
        weight = self.loss_fn.weight.cpu() if self.loss_fn.weight is not None else None
        loss = F.nll_loss(torch.log(torch.from_numpy(probs).clamp_min(1e-12)), torch.from_numpy(labels), weight=weight)
        return dict(loss=float(loss), accuracy=float((probs.argmax(1) == labels).mean()))

    # ----- checkpoints -----
    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / "checkpoint.pt"

    def _save_checkpoint(self) -> None:
        state = dict(model=self.model.state_dict(), optimizer=self.optimizer.state_dict(),
                     ema=self.ema.state_dict() if self.ema is not None else None,
                     scheduler=self.scheduler.state_dict() if self.scheduler else None, history=self.history,
                     best_state=self.best_state, best_epoch=self.best_epoch, best_score=self.best_score,
                     bad_epochs=self.bad_epochs, epoch=self.epoch, stopped_early=self.stopped_early)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.checkpoint_path.with_suffix(".pt.tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.checkpoint_path)  # a kill during the write leaves the previous checkpoint intact

    def _load_checkpoint(self) -> None:
        state = torch.load(self.checkpoint_path, map_location=self.device, weights_only=False)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        if self.scheduler and state["scheduler"]:
            self.scheduler.load_state_dict(state["scheduler"])
        self.history, self.best_state, self.best_epoch = state["history"], state["best_state"], state["best_epoch"]
        self.best_score, self.bad_epochs = state["best_score"], state["bad_epochs"]
        self.epoch, self.stopped_early = state["epoch"], state["stopped_early"]
