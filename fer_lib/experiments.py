"""Typed experiment configs: for each paper, what to train, on which split, under each profile.

Profiles, defined here and nowhere else:
- smoke: a few hundred images, one epoch: proves the code path (tests, CI); minutes for the whole book.
- cpu:   the real data with a budget that fits the team's 2-core machine (about an hour per chapter).
- paper: the paper's own protocol (epochs, batch, schedule), meant for a GPU.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from .data.transforms import Augment
from .engine import Preprocess, TrainConfig

PROFILES = ("smoke", "cpu", "paper")
SMOKE_IMAGES = 400


@dataclass(frozen=True)
class DataSpec:
    """Which images play which role.

    protocol "official": `roles` maps role -> official split name(s), e.g. {"train": "train", "test": "private_test"}.
    protocol "holdout":  `fractions` of all images (or of `pool` splits), stratified, with `seed`.
    A protocol without a "val" role gets one carved from train (`val_fraction`, stratified), never from test.
    """

    dataset: str
    protocol: str = "official"
    roles: dict = field(default_factory=dict)
    fractions: dict = field(default_factory=dict)
    val_fraction: float = 0.1
    seed: int = 0
    subset: int | None = None  # draw this many images (stratified) before splitting: the smoke profile


@dataclass(frozen=True)
class Experiment:
    name: str                      # run-store folder, e.g. "002-paper-split"
    paper: str                     # "002"
    title: str
    profile: str
    data: DataSpec
    model: str
    model_args: dict = field(default_factory=dict)
    train: TrainConfig = field(default_factory=TrainConfig)
    test_roles: tuple[str, ...] = ("test",)

    def to_dict(self) -> dict:
        return asdict(self)


def _profiled(exp: Experiment, profile: str, cpu: dict, smoke: dict | None = None) -> Experiment:
    """Derive the cpu or smoke variant of a paper-profile experiment; `cpu`/`smoke` override TrainConfig fields."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, not {profile!r}")
    if profile == "paper":
        return replace(exp, profile="paper")
    if profile == "cpu":
        return replace(exp, profile="cpu", train=replace(exp.train, **cpu))
    smoke = dict(epochs=1, early_stopping=None, batch_size=32, **(smoke or {}))
    data = replace(exp.data, subset=SMOKE_IMAGES)
    return replace(exp, profile="smoke", data=data, train=replace(exp.train, **smoke))


# ---------------------------------------------------------------- paper 002
# Sec. 4.2: Adam with default parameters, up to 50 epochs, Keras EarlyStopping keeping the best weights.
# Assumed where silent (stated in the chapter): batch 32 (Keras' default), patience 10 on val_loss
# (EarlyStopping's default monitor), Keras-style augmentation: mirror, 10 degrees, shift 0.1, zoom 0.1.
_002_TRAIN = TrainConfig(epochs=50, batch_size=32, optimizer="adam", lr=1e-3, early_stopping=10,
                         monitor="val_loss", augment=Augment(hflip=True, rotate=10, shift=0.1, zoom=0.1),
                         preprocess=Preprocess(channels=1))
# cpu budget: two runs of about 30 min each on 2 cores; batch 64 for throughput.
_002_CPU = dict(epochs=12, batch_size=64, early_stopping=4)


def paper_002(variant: str, profile: str) -> Experiment:
    """variant "paper-split": all 35,887 images, stratified 80/10/10 (Sec. 2, 4.2).
    variant "standard": train on Training, select on PublicTest, test on PrivateTest."""
    if variant == "paper-split":
        data = DataSpec("fer2013", protocol="holdout", fractions={"train": 0.8, "val": 0.1, "test": 0.1}, seed=0)
        title = "SE + separable-conv network, FER2013 all images 80/10/10"
    elif variant == "standard":
        data = DataSpec("fer2013", roles={"train": "train", "val": "public_test", "test": "private_test"})
        title = "SE + separable-conv network, FER2013 Training / PublicTest / PrivateTest"
    else:
        raise ValueError(f"paper 002 has variants 'paper-split' and 'standard', not {variant!r}")
    exp = Experiment(name=f"002-{variant}", paper="002", title=title, profile="paper", data=data,
                     model="se_sepnet", model_args=dict(num_classes=7, in_channels=1), train=_002_TRAIN)
    return _profiled(exp, profile, cpu=_002_CPU)


EXPERIMENTS = {"002": (paper_002, ("paper-split", "standard"))}


def experiment(paper: str, variant: str, profile: str) -> Experiment:
    if paper not in EXPERIMENTS:
        raise ValueError(f"no experiments for paper {paper!r}; have {sorted(EXPERIMENTS)}")
    return EXPERIMENTS[paper][0](variant, profile)


def all_experiments(profile: str) -> list[Experiment]:
    return [build(v, profile) for build, variants in EXPERIMENTS.values() for v in variants]
