"""Runs as independent jobs, and N worker processes that train them (`fer train --jobs N`).

A job is one run: one experiment at one budget, one fold of a k-fold protocol. Jobs share nothing but the
run store, where each writes its own run directory (guarded by its lock), so they can run in any order, on
any number of workers or machines. `run_jobs` is the local way; `fer plan` (see `plan`) prints the same
list as shell commands for a cluster scheduler.
"""
from __future__ import annotations

import json
import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import torch

from .. import experiments
from ..store import results
from ..experiments import Experiment
from ..store.results import RunStore

# What each chapter trains, by paper id in `experiments.EXPERIMENTS`; chapters not listed train nothing.


@dataclass(frozen=True)
class Job:
    """One run: `fer train <paper> <variant> --profile <profile> [--epochs E] [--fold K]`."""

    paper: str
    variant: str
    profile: str
    epochs: int | None = None   # None: the profile's budget
    fold: int | None = None     # None: not a k-fold protocol
    seed: int | None = None     # None: the experiment's own training seed

    @property
    def experiment(self) -> Experiment:
        exp = experiments.experiment(self.paper, self.variant, self.profile, self.epochs, self.seed)
        return exp if self.fold is None else exp.folds()[self.fold]

    @property
    def label(self) -> str:
        fold = f" fold {self.fold}" if self.fold is not None else ""
        seed = f" seed {self.seed}" if self.seed is not None else ""
        return f"{self.paper} {self.variant}{fold}{seed} [{self.profile}, {self.experiment.train.epochs} ep]"

    def command(self) -> str:
        parts = ["fer train", self.paper, self.variant, "--profile", self.profile]
        parts += ["--epochs", str(self.epochs)] if self.epochs is not None else []
        parts += ["--fold", str(self.fold)] if self.fold is not None else []
        parts += ["--seed", str(self.seed)] if self.seed is not None else []
        return " ".join(parts)


def jobs_for(paper: str, variants, profile: str, epochs=None, fold: int | None = None,
             seeds=None) -> list[Job]:
    """The runs `fer train paper variants --profile profile [--epochs ...] [--fold k] [--seed ...]` trains, in
    its order."""
    jobs = []
    for variant in variants:
        for seed in seeds or [None]:
            for budget in epochs or [None]:
                exp = experiments.experiment(paper, variant, profile, budget, seed)
                if exp.data.protocol != "kfold":
                    if fold is not None:
                        raise ValueError(f"--fold {fold}: {exp.name} is not a k-fold experiment")
                    jobs.append(Job(paper, variant, profile, budget, seed=seed))
                    continue
                if fold is not None and not 0 <= fold < exp.data.k:
                    raise ValueError(f"--fold {fold}: {exp.name} has folds 0 to {exp.data.k - 1}")
                folds = [fold] if fold is not None else range(exp.data.k)
                jobs += [Job(paper, variant, profile, budget, k, seed) for k in folds]
    return jobs


def finished_run(exp: Experiment, *, store: RunStore = RunStore()) -> results.RunRecord | None:
    """The newest finished run whose config matches `exp` in every experiment field. The split digest and
    dataset checksum are not compared: they need the data loaded, and the plan must work without it."""
    wanted = json.loads(json.dumps(exp.to_dict(), default=str))
    same = [r for r in store.find(exp.name, profile=exp.profile)
            if all(r.config.get(k) == v for k, v in wanted.items())]
    return results.newest(same)


# ---------------------------------------------------------------- workers

@dataclass
class JobResult:
    job: Job
    status: str           # "finished", "reused" or "failed"
    minutes: float
    accuracy: str = ""    # the record's test accuracies, "role 0.5712, ..."
    path: str = ""
    error: str = ""


def run_jobs(jobs: list[Job], workers: int, data_root=None, *, store: RunStore = RunStore(), force: bool = False,
             device: str | None = None) -> list[JobResult]:
    """Train `jobs` in `workers` processes; returns one result per job, in the jobs' order.

    Each worker is pinned to one device: round robin over the visible GPUs (several workers per GPU are
    fine: a small 48x48 net leaves a GPU mostly idle), or the CPU with the cores split between workers.
    A failing job is reported and the others go on. A job that starts from another job's weights
    (`init_from`) waits for a second round, after the first has finished."""
    if workers < 1:
        raise ValueError(f"--jobs must be at least 1, not {workers}")
    names = {job.experiment.name for job in jobs}
    first = [j for j in jobs if j.experiment.init_from not in names]
    second = [j for j in jobs if j.experiment.init_from in names]
    devices = _worker_devices(workers, device)
    threads = max(1, (os.cpu_count() or 1) // workers)
    done: dict[Job, JobResult] = {}
    for round_jobs in (first, second):
        if not round_jobs:
            continue
        context = get_context("spawn")  # a fresh interpreter per worker: no CUDA or thread state inherited
        slots = context.Queue()
        for d in devices:
            slots.put(d)
        with ProcessPoolExecutor(min(workers, len(round_jobs)), mp_context=context, initializer=_start_worker,
                                 initargs=(slots, threads)) as pool:
            futures = {job: pool.submit(_run_job, job, data_root, store=store, force=force) for job in round_jobs}
            for job, future in futures.items():
                try:
                    done[job] = future.result()
                except Exception as exc:  # noqa: BLE001  a worker that died (e.g. killed) fails only its job
                    done[job] = JobResult(job, "failed", 0.0, error=f"{type(exc).__name__}: {exc}")
    return [done[job] for job in jobs]


def _worker_devices(workers: int, device: str | None) -> list[str]:
    wants_cuda = device is None or device.startswith("cuda")
    if wants_cuda and torch.cuda.is_available():
        return [f"cuda:{i % torch.cuda.device_count()}" for i in range(workers)]
    if device is not None and device.startswith("cuda"):
        raise ValueError("--device cuda was asked for, but no CUDA device is visible")
    return ["cpu"] * workers


_DEVICE: str | None = None  # this worker's device, set once by _start_worker


def _start_worker(slots, threads: int) -> None:
    global _DEVICE
    _DEVICE = slots.get()
    torch.set_num_threads(threads)  # workers sharing a CPU split its cores instead of fighting over them


def _run_job(job: Job, data_root, *, store, force: bool) -> JobResult:
    from . import runner
    start = time.perf_counter()
    try:
        exp = job.experiment
        reused = []
        record = runner.run(exp, data_root, store=store, force=force, device=_DEVICE,
                            log=lambda line: _log(job, line, reused))
        accuracy = ", ".join(f"{role} {record.metrics[role]['accuracy']:.4f}" for role in exp.test_roles)
        status = "reused" if reused else "finished"
        return JobResult(job, status, (time.perf_counter() - start) / 60, accuracy, str(record.path))
    except Exception as exc:  # noqa: BLE001  reported in the summary; the other jobs go on
        detail = traceback.format_exc(limit=-1).strip().splitlines()[-1]
        print(f"[{job.label}] failed: {detail}", flush=True)
        return JobResult(job, "failed", (time.perf_counter() - start) / 60,
                         error=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])


def _log(job: Job, line: str, reused: list) -> None:
    if line.startswith("reusing finished run"):
        reused.append(line)
    print(f"[{job.label} @ {_DEVICE}] {line}", flush=True)


def format_results(outcomes: list[JobResult]) -> str:
    rows = [("run", "status", "minutes", "accuracy / error")]
    rows += [(o.job.label, o.status, f"{o.minutes:.1f}", o.error or o.accuracy) for o in outcomes]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}" for r in rows)
