"""Paper 001's experiments (IGC network and plain CNN): CK+ and FER2013 under random and subject folds, and FER2013's standard split."""
from __future__ import annotations

from ..data.splits import DataSpec
from ..data.transforms import Augment
from .config import Preprocess, TrainConfig
from .base import Experiment, Profile, _profiled


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


def paper_001(variant: str, profile: Profile) -> Experiment:
    """variant "<model>-<dataset>-<protocol>", model igc | plain, dataset ckplus | fer2013, protocol:
    random (5-fold stratified, the paper's "randomly divided into five parts"), subject (5-fold grouped by
    CK+ subject: no person in both train and test), standard (FER2013 Training / PublicTest / PrivateTest)."""
    parts = variant.split("-")
    if len(parts) != 3 or parts[0] not in _001_MODELS or parts[1] not in ("ckplus", "fer2013"):
        raise ValueError(f"paper 001 variants are <igc|plain>-<ckplus|fer2013>-<protocol>, not {variant!r}")
    model, dataset, protocol = parts
    if protocol in ("random", "subject") and not (protocol == "subject" and dataset == "fer2013"):
        data = DataSpec(dataset, protocol="kfold", k=5, by_subject=protocol == "subject", seed=0)
    elif protocol == "standard" and dataset == "fer2013":
        data = DataSpec("fer2013", roles={"train": "train", "val": "public_test", "test": "private_test"})
    else:
        raise ValueError(f"{dataset} has no protocol {protocol!r} in paper 001")
    name = "improved CNN (IGC)" if model == "igc" else "plain CNN"
    exp = Experiment(name=f"001-{variant}", paper="001", title=f"{name}, {dataset}, {protocol}", profile="paper",
                     data=data, model=_001_MODELS[model], model_args=dict(num_classes=7, in_channels=1),
                     train=_001_TRAIN)
    return _profiled(exp, profile, cpu=_001_CPU_FER if dataset == "fer2013" else {})


_001_VARIANTS = tuple(f"{m}-{v}" for m in _001_MODELS
                      for v in ("ckplus-random", "ckplus-subject", "fer2013-random", "fer2013-standard"))
