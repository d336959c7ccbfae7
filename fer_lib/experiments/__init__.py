"""Typed experiment configs: for each paper, what to train, on which split, under each profile.

Profiles, defined here and nowhere else:
- smoke: a few hundred images, one epoch: proves the code path (tests, CI); minutes for the whole book.
- cpu:   the real data with a budget that fits the team's 2-core machine (about an hour per chapter).
- paper: the paper's own protocol (epochs, batch, schedule), meant for a GPU.
"""
from __future__ import annotations

import functools
from dataclasses import replace

from ..data.splits import DataSpec
from ..data.transforms import Augment
from .config import Preprocess, TrainConfig
from .base import PROFILES, SMOKE_IMAGES, Experiment, Profile
from .comparison import COMPARISON_MODELS, PUSH_INGREDIENTS, comparison
from .paper000 import _000_VARIANTS, compressed_000_schedule, paper_000
from .paper001 import _001_VARIANTS, paper_001
from .paper002 import _002_VARIANTS, paper_002
from .paper003 import _003_VARIANTS, paper_003
from .paper004 import _004_VARIANTS, paper_004

# one module per paper builds its experiments; this registry names them all (`experiment`, `by_name`, `resolve`)
__all__ = ["PROFILES", "SMOKE_IMAGES", "Experiment", "Profile", "DataSpec", "Augment", "Preprocess", "TrainConfig", "COMPARISON_MODELS", "PUSH_INGREDIENTS",
           "EXPERIMENTS", "ASSUMED_BUDGET_PAPERS", "comparison", "compressed_000_schedule", "experiment", "by_name",
           "name", "names", "paper_epochs", "resolve", "with_budget", "with_seed"]

EXPERIMENTS = {"000": (paper_000, _000_VARIANTS), "001": (paper_001, _001_VARIANTS),
               "002": (paper_002, _002_VARIANTS),
               "003": (paper_003, _003_VARIANTS), "004": (paper_004, tuple(_004_VARIANTS)),
               "cmp": (comparison, tuple(COMPARISON_MODELS))}


def with_budget(exp: Experiment, epochs: int) -> Experiment:
    """`exp` trained for `epochs` epochs: one point of its budget curve, its own run (the epochs are part of
    the config hash). The schedule is compressed to the budget as the cpu profile does: a cosine schedule
    spans the epochs by construction; paper 000's hold-then-decay keeps its shape (`compressed_000_schedule`).
    Asking for the budget an experiment already has returns it unchanged, so an existing run is reused."""
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"a budget is a positive number of epochs, not {epochs!r}")
    if epochs == exp.train.epochs:
        return exp
    train = replace(exp.train, epochs=epochs)
    if exp.train.scheduler == "hold_then_decay":
        if epochs < 2:
            raise ValueError("paper 000's schedule needs at least 2 epochs (a hold and a decay)")
        train = replace(train, scheduler_args=compressed_000_schedule(epochs))
    elif exp.train.scheduler not in (None, "cosine", "plateau"):
        raise ValueError(f"no rule to compress scheduler {exp.train.scheduler!r} to {epochs} epochs")
    return replace(exp, train=train)


def with_seed(exp: Experiment, seed: int) -> Experiment:
    """`exp` trained with another training seed: a further run of the same experiment, its own run (the seed is
    part of the config hash), for the spread over seeds. A seeded run also watches its test roles every epoch
    (recorded for the curves and the kept-epoch question, never used for selection). Seed 0, every
    experiment's own, returns `exp` unchanged, so the first run is reused."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"a training seed is a non-negative integer, not {seed!r}")
    if seed == exp.train.seed:
        return exp
    return replace(exp, train=replace(exp.train, seed=seed), watch_roles=exp.watch_roles or exp.test_roles)


def experiment(paper: str, variant: str, profile: Profile, epochs: int | None = None,
               seed: int | None = None) -> Experiment:
    """The experiment `variant` of `paper` under `profile`, ready for `train.runner.run`.

    Args:
        paper: "000" ... "004", or "cmp" for the comparison (`fer list` prints every paper's variants).
        variant: the experiment within the paper, e.g. "igc-ckplus-random" for paper 001.
        profile: "smoke" (a code-path check), "cpu" (this machine's budget) or "paper" (the paper's protocol).
        epochs: train at another budget (one point of a budget curve; the schedule is compressed to it).
        seed: train with another training seed (a further run, for the spread over seeds).
    """
    if paper not in EXPERIMENTS:
        raise ValueError(f"no experiments for paper {paper!r}; have {sorted(EXPERIMENTS)}")
    exp = EXPERIMENTS[paper][0](variant, profile)
    exp = exp if epochs is None else with_budget(exp, epochs)
    return exp if seed is None else with_seed(exp, seed)


def by_name(name: str, profile: Profile) -> Experiment:
    """The experiment stored as `runs/<name>/`, e.g. "000-presnet-fer-paper", under `profile`."""
    paper, _, variant = name.partition("-")
    return experiment(paper, variant, profile)


# Papers that name no training budget: their `paper` profile's epochs are our assumption (stated in the chapter).
ASSUMED_BUDGET_PAPERS = frozenset({"001", "003"})


def paper_epochs(name: str) -> int:
    """The paper's own training budget (epochs) for the experiment stored as `runs/<name>/`."""
    return by_name(name, "paper").train.epochs


def names(profile: Profile = "cpu") -> dict[str, str]:
    """Every experiment the book defines, as stored under runs/: name -> title."""
    return dict(_names(profile))


@functools.lru_cache(maxsize=None)  # the registry is fixed for the life of a process; `name` asks it often
def _names(profile: Profile) -> tuple[tuple[str, str], ...]:
    return tuple((exp.name, exp.title) for build, variants in EXPERIMENTS.values()
                 for exp in (build(v, profile) for v in variants))


def name(paper: str, variant: str) -> str:
    """The name `variant` of `paper` is stored under (`runs/<name>/`), checked against the registry: the way a
    chapter, the ledger or a claim names an experiment, so a typo fails at once with the closest names instead of
    rendering a silent "no run"."""
    full = f"{paper}-{variant}"
    if full in dict(_names("cpu")):
        return full
    if paper == "cmp":  # the comparison's further runs (seeds, the pushed recipe and its ablation) extend a model
        comparison(variant, "cpu")  # raises on an unknown model or ingredient
        return full
    resolve(full)  # raises, naming the closest experiments
    return full


def resolve(name: str, profile: Profile = "cpu") -> Experiment:
    """The experiment stored as `runs/<name>/`; an unknown name fails loudly with the closest known names, so a
    typo in a claim or a chapter never renders a silent "no run"."""
    import difflib
    known = dict(_names(profile))
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; `fer list` prints all {len(known)}"
        raise ValueError(f"no experiment named {name!r}{hint}")
    return by_name(name, profile)
