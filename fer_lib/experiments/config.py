"""How a run trains, as data: the input pipeline (`Preprocess`) and the training recipe (`TrainConfig`). Part of
an experiment's config (and so of its hash); the Trainer in `train/engine.py` carries it out."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from ..data.transforms import Augment


@dataclass
class Preprocess:
    """How uint8 images become network input: channels, optional resize, crops, standardisation."""

    channels: int = 1
    size: int | None = None         # resize every image to size x size before cropping
    crop: int | None = None         # random crop when training, centre crop (or ten-crop) when evaluating
    ten_crop: bool = False          # evaluate by averaging softmax over ten crops (paper 003)
    mean: float = 0.5
    std: float = 0.5


Optimizer = Literal["adam", "sgd"]
Scheduler = Literal["step", "cosine", "plateau", "hold_then_decay"]
Monitor = Literal["val_loss", "val_acc"]

_LATER_FIELDS = {"label_smoothing": 0.0, "warmup_epochs": 0, "mixup": 0.0, "cutmix": 0.0, "ema_decay": None}


@dataclass
class TrainConfig:
    epochs: int = 50
    batch_size: int = 64
    optimizer: Optimizer = "adam"            # PyTorch's Adam defaults are Keras' defaults
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    scheduler: Scheduler | None = None       # None: a constant learning rate
    scheduler_args: dict = field(default_factory=dict)
    early_stopping: int | None = None        # patience in epochs; None trains every epoch
    monitor: Monitor = "val_loss"            # "val_loss" is Keras' EarlyStopping default
    restore_best: bool = True                # end with the best validation epoch's weights
    class_weights: list[float] | None = None
    seed: int = 0
    bf16: bool | None = None                 # None: the model's measured CPU default; always on CUDA
    channels_last: bool = True
    augment: Augment = field(default_factory=Augment)
    preprocess: Preprocess = field(default_factory=Preprocess)
    eval_batch_size: int = 256
    label_smoothing: float = 0.0             # cross-entropy against (1 - e) one-hot + e / classes
    warmup_epochs: int = 0                   # "cosine" only: lr rises linearly over these epochs first
    mixup: float = 0.0                       # Beta alpha of mixup (0: off); see mixing.py
    cutmix: float = 0.0                      # Beta alpha of CutMix (0: off); with mixup, one per batch
    ema_decay: float | None = None           # evaluate, select and keep an exponential moving average of weights

    def to_dict(self) -> dict:
        d = asdict(self)
        # Fields added after runs were recorded are left out at their defaults, so those runs keep their config
        # hashes (and are reused) while their recipe is unchanged.
        for name, default in _LATER_FIELDS.items():
            if d[name] == default:
                del d[name]
        if not d["augment"]["erase"]:
            del d["augment"]["erase"]
        return d
