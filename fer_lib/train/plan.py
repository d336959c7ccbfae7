"""`fer plan`: the runs a profile still needs as shell commands, each with its cost estimated from measured img/s."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..store import results
from .jobs import Job, finished_run
from ..store.results import RunStore


@dataclass
class Estimate:
    hours: float | None       # training steps only: epochs x training images / img/s
    img_per_s: float | None
    measured_on: str          # "gpu" or "cpu": where the img/s was measured; or why there is no estimate


class Measurements:
    """The training speed (img/s) and training-set size every finished run in the store recorded, read once."""

    def __init__(self, store: RunStore = RunStore()):
        self.records = [results.RunRecord(m.parent) for m in sorted(store.root.glob(
            "*/*/metrics.json"))]
        self.records = [r for r in self.records if "model" in r.config]  # not the cost table of `fer cost`

    def speeds(self, exp) -> dict[str, list[float]]:
        """img/s by hardware kind, from runs of the same experiment when there are any, else of the same model
        (a frozen backbone or another input size makes the same model faster or slower). Smoke runs, a few
        hundred images with start-up costs, only estimate smoke runs."""
        smoke = exp.profile == "smoke"
        same_model = [r for r in self.records if r.config["model"] == exp.model
                      and (r.config.get("profile") == "smoke") == smoke]
        same_experiment = [r for r in same_model if r.config["name"] == exp.name]
        speeds: dict[str, list[float]] = {}
        for record in same_experiment or same_model:
            if record.metrics.get("train_img_per_s"):
                kind = "gpu" if record.provenance.get("gpu") else "cpu"
                speeds.setdefault(kind, []).append(float(record.metrics["train_img_per_s"]))
        return speeds

    def train_images(self, exp) -> int | None:
        """Training images per epoch, from a run on the same data protocol: of the same experiment when there is
        one, else of any experiment (the data spec alone fixes the split, so a new recipe on a known protocol
        has a size before its first run)."""
        wanted = _without_fold(json.loads(json.dumps(exp.to_dict()["data"], default=str)))
        same_data = [r for r in self.records if _without_fold(r.config["data"]) == wanted]
        if not same_data:
            return None
        # False sorts first: a run of this very experiment wins over one of another experiment on the same data.
        record = min(same_data, key=lambda r: r.config["name"] != exp.name)
        return int(record.config["split_sizes"]["train"])


def _without_fold(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "fold"}


def estimate(job: Job, measured: Measurements) -> Estimate:
    """What `job` costs in hours of training steps. The cpu profile is meant for this CPU, so CPU-measured speeds
    come first there; other profiles (the paper profile is meant for a GPU) prefer GPU-measured speeds."""
    exp = job.experiment
    speeds = measured.speeds(exp)
    if not speeds:
        return Estimate(None, None, f"no finished run of {exp.model} to measure img/s from")
    preferred = ("cpu", "gpu") if exp.profile == "cpu" else ("gpu", "cpu")
    kind = next(k for k in preferred if k in speeds)
    img_per_s = float(np.median(speeds[kind]))
    images = measured.train_images(exp)
    if images is None:
        return Estimate(None, img_per_s, f"training-set size unknown until a run of {exp.name} exists")
    return Estimate(exp.train.epochs * images / img_per_s / 3600, img_per_s, kind)


def format_plan(jobs: list[Job], *, store: RunStore = RunStore()) -> tuple[list[str], str]:
    """(one shell command per unfinished job with its estimate as a trailing comment, a line of totals)."""
    measured = Measurements(store)
    lines, hours, unknown = [], {"cpu": 0.0, "gpu": 0.0}, 0
    todo = [job for job in jobs if finished_run(job.experiment, store=store) is None]
    for job in todo:
        est = estimate(job, measured)
        if est.hours is None:
            unknown += 1
            lines.append(f"{job.command()}  # cost unknown: {est.measured_on}")
        else:
            hours[est.measured_on] += est.hours
            lines.append(f"{job.command()}  # {est.hours:.2f} h at {est.img_per_s:.0f} img/s ({est.measured_on})")
    total = (f"{len(todo)} runs to go ({len(jobs) - len(todo)} of {len(jobs)} finished); training steps about "
             f"{hours['gpu']:.1f} h at GPU-measured speeds + {hours['cpu']:.1f} h at CPU-measured speeds"
             + (f"; {unknown} without an estimate" if unknown else ""))
    return lines, total
