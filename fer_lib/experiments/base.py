"""What an experiment is: the typed config of one thing to train (`Experiment`), the profiles it is trained
under, and the profile step every paper's builder shares."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Literal, get_args

from ..data.splits import DataSpec
from .config import TrainConfig

Profile = Literal["smoke", "cpu", "paper"]
PROFILES: tuple[Profile, ...] = get_args(Profile)
SMOKE_IMAGES = 400


@dataclass(frozen=True)
class Experiment:
    name: str                      # run-store folder, e.g. "002-paper-split"
    paper: str                     # "002"
    title: str
    profile: Profile
    data: DataSpec
    model: str
    model_args: dict = field(default_factory=dict)
    train: TrainConfig = field(default_factory=TrainConfig)
    test_roles: tuple[str, ...] = ("test",)
    watch_roles: tuple[str, ...] = ()  # evaluated every epoch for the curves only, never for selection
    init_from: str | None = None       # start from the weights of this experiment's newest finished run

    def to_dict(self) -> dict:
        d = asdict(self)
        d["train"] = self.train.to_dict()
        for key in ("watch_roles", "init_from"):
            if not d[key]:
                del d[key]  # keeps the config hash of runs recorded before these fields existed
        return d

    def folds(self) -> list["Experiment"]:
        """One experiment per fold of a k-fold protocol (each its own run), or [self]."""
        if self.data.protocol != "kfold":
            return [self]
        return [replace(self, data=replace(self.data, fold=i)) for i in range(self.data.k)]


def _profiled(exp: Experiment, profile: Profile, cpu: dict, smoke: dict | None = None) -> Experiment:
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


def variant_of(variants: dict, paper: str, variant: str):
    """The variant of `paper` named `variant` from its table of variants, or one error naming the closest ones."""
    if variant in variants:
        return variants[variant]
    import difflib
    close = difflib.get_close_matches(variant, list(variants), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else f"it has {', '.join(variants)}"
    raise ValueError(f"paper {paper} has no variant {variant!r}; {hint}")
