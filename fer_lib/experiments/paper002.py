"""Paper 002's experiments (SE + separable-conv network): the paper split and the standard split."""
from __future__ import annotations

from ..data.splits import DataSpec
from ..data.transforms import Augment
from .config import Preprocess, TrainConfig
from .base import Experiment, Profile, _profiled, variant_of


# ---------------------------------------------------------------- paper 002
# Sec. 4.2: Adam with default parameters, up to 50 epochs, Keras EarlyStopping keeping the best weights.
# Assumed where silent (stated in the chapter): batch 32 (Keras' default), patience 10 on val_loss
# (EarlyStopping's default monitor), Keras-style augmentation: mirror, 10 degrees, shift 0.1, zoom 0.1.
_002_TRAIN = TrainConfig(epochs=50, batch_size=32, optimizer="adam", lr=1e-3, early_stopping=10,
                         monitor="val_loss", augment=Augment(hflip=True, rotate=10, shift=0.1, zoom=0.1),
                         preprocess=Preprocess(channels=1))
# cpu budget: sized to fit the 2-core machine (each run's wall time is in its record); batch 64 for throughput.
_002_CPU = dict(epochs=12, batch_size=64, early_stopping=4)


_002_VARIANTS = ("paper-split", "standard")


def paper_002(variant: str, profile: Profile) -> Experiment:
    """variant "paper-split": all 35,887 images, stratified 80/10/10 (Sec. 2, 4.2).
    variant "standard": train on Training, select on PublicTest, test on PrivateTest."""
    if variant == "paper-split":
        data = DataSpec("fer2013", protocol="holdout", fractions={"train": 0.8, "val": 0.1, "test": 0.1}, seed=0)
        title = "SE + separable-conv network, FER2013 all images 80/10/10"
    elif variant == "standard":
        data = DataSpec("fer2013", roles={"train": "train", "val": "public_test", "test": "private_test"})
        title = "SE + separable-conv network, FER2013 Training / PublicTest / PrivateTest"
    else:
        variant_of(dict.fromkeys(_002_VARIANTS), "002", variant)  # raises, naming the closest variant
    exp = Experiment(name=f"002-{variant}", paper="002", title=title, profile="paper", data=data,
                     model="se_sepnet", model_args=dict(num_classes=7, in_channels=1), train=_002_TRAIN)
    return _profiled(exp, profile, cpu=_002_CPU)
