"""Paper 001's experiments (IGC network and plain CNN): CK+ and FER2013 under random and subject folds, and FER2013's standard split."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..data.splits import DataSpec
from ..data.transforms import Augment
from .config import Preprocess, TrainConfig
from .base import Experiment, Profile, _profiled, variant_of


# ---------------------------------------------------------------- paper 001
# Sec. 3: TensorFlow 1.4 / Keras 2.1, 5-fold cross-validation; no optimiser, batch, epochs or augmentation.
# Assumed (stated in the chapter): Adam at Keras' defaults, batch 64, up to 50 epochs, early stopping with
# patience 10 on validation loss keeping the best weights, validation = 10 % of the training folds, and
# mirror / 10 degrees / 10 % shift augmentation.
_001_MODELS = {"igc": "igc_net", "plain": "plain_cnn"}
_001_TRAIN = TrainConfig(epochs=50, batch_size=64, optimizer="adam", lr=1e-3, early_stopping=10, monitor="val_loss",
                         augment=Augment(hflip=True, rotate=10, shift=0.1), preprocess=Preprocess(channels=1))
# FER2013 on 2 cores: 4 epochs per fold keep the two models' five folds within about an hour (the records
# hold each run's speed and wall time). CK+ (981 images) keeps the paper budget.
_001_CPU_FER = dict(epochs=4, early_stopping=None)


@dataclass(frozen=True)
class Variant001:
    """One experiment of paper 001. protocol: random (5-fold stratified, the paper's "randomly divided into five
    parts"), subject (5-fold grouped by CK+ subject: no person in both train and test), standard (FER2013
    Training / PublicTest / PrivateTest)."""

    model: Literal["igc", "plain"]
    dataset: Literal["ckplus", "fer2013"]
    protocol: Literal["random", "subject", "standard"]

    @property
    def key(self) -> str:
        return f"{self.model}-{self.dataset}-{self.protocol}"


_001_TABLE = {v.key: v for v in (Variant001(m, d, p) for m in _001_MODELS
                                 for d, p in (("ckplus", "random"), ("ckplus", "subject"),
                                              ("fer2013", "random"), ("fer2013", "standard")))}


def paper_001(variant: str, profile: Profile) -> Experiment:
    """The experiment `variant` (a key of the variants table, e.g. "igc-ckplus-random") under `profile`."""
    v = variant_of(_001_TABLE, "001", variant)
    model, dataset, protocol = v.model, v.dataset, v.protocol
    if protocol == "standard":
        data = DataSpec("fer2013", roles={"train": "train", "val": "public_test", "test": "private_test"})
    else:
        data = DataSpec(dataset, protocol="kfold", k=5, by_subject=protocol == "subject", seed=0)
    name = "improved CNN (IGC)" if model == "igc" else "plain CNN"
    exp = Experiment(name=f"001-{variant}", paper="001", title=f"{name}, {dataset}, {protocol}", profile="paper",
                     data=data, model=_001_MODELS[model], model_args=dict(num_classes=7, in_channels=1),
                     train=_001_TRAIN)
    return _profiled(exp, profile, cpu=_001_CPU_FER if dataset == "fer2013" else {})


_001_VARIANTS = tuple(_001_TABLE)
