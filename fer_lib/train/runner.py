"""Run one Experiment end to end into the run store, or reuse the finished run with the same config."""
from __future__ import annotations

import shutil
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .. import data as datasets
from . import distributed
from ..data import splits
from ..data.base import FaceData
from .engine import Batches, Trainer
from ..experiments import Experiment
from .metrics import classification_report, cross_entropy
from ..models import REGISTRY, build_model, count_parameters
from ..store.results import RunRecord, RunStore, code_version, provenance, write_csv, write_json, write_record
from ..store.runlock import RunLock


def make_split(exp: Experiment, data: FaceData) -> splits.Split:
    """The experiment's split of `data` (see splits.from_spec)."""
    return splits.from_spec(exp.data, data)


def run_config(exp: Experiment, data: FaceData, split: splits.Split) -> dict:
    """Everything that determines the result: the experiment, the split's image ids and the data version."""
    return dict(exp.to_dict(), split_digest=split.digest(data), split_sizes=split.sizes(),
                split_description=split.description, dataset_checksum=data.checksum)


def run(exp: Experiment, data_root=None, *, store: RunStore = RunStore(), force: bool = False, device: str | None = None,
        log=print, data: FaceData | None = None) -> RunRecord:
    """Train and evaluate `exp`, writing `<store>/<name>/<hash>/`; a finished run with the same config is reused.

    An unfinished run with the same config resumes from its last checkpoint; `force` starts it over.
    Under torchrun every rank calls this; rank 0 holds the run directory's lock and writes the record.

    Args:
        exp: what to train (see `experiments.experiment`).
        data_root: the folder holding the datasets (default: $FER_DATA, else data/).
        store: the run store the record goes to.
        force: retrain even when a finished run exists.
        device: "cpu", "cuda", ...; None takes the GPU when there is one.
        log: where progress lines go.
        data: the dataset already loaded (saves loading it again for several runs).

    Returns:
        The finished run's record (metrics, history, predictions, provenance).
    """
    init = _init_run(exp, store=store)  # first: a missing init run is cheaper to report than a dataset to load
    data = data if data is not None else datasets.load(exp.data.dataset, data_root)
    split = make_split(exp, data)
    config = run_config(exp, data, split)
    if init is not None:
        config["init_run"] = f"{exp.init_from}/{init.config_hash}"  # another init run is another experiment
    folder = store.folder(exp.name, config)
    record = RunRecord(folder)
    if record.finished and not force:
        log(f"reusing finished run {folder}")
        return record
    # One writer per run directory: a second process stops here, naming the first. Under torchrun only
    # rank 0 takes the lock; the other ranks wait for it at the barrier.
    with RunLock(folder) if distributed.is_main() else nullcontext():
        distributed.barrier()
        if RunRecord(folder).finished and not force:  # finished while we waited for the lock
            log(f"reusing finished run {folder}")
            return RunRecord(folder)
        _train(exp, data, split, config, folder, init, force, device, log)
        distributed.barrier()  # every rank returns a finished record
    return RunRecord(folder)


def _train(exp: Experiment, data: FaceData, split: splits.Split, config: dict, folder: Path,
           init: RunRecord | None, force: bool, device: str | None, log) -> None:
    main = distributed.is_main()
    log = log if main else (lambda line: None)
    if force and main:  # start over, but keep the lock file this process holds
        for path in folder.iterdir():
            if path.name != RunLock.NAME:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
    distributed.barrier()  # no rank reads a checkpoint that `force` is about to delete
    code = code_version()
    if main:
        write_json(folder / "config.json", config)
        RunStore(folder.parent.parent).write_split(split.ids(data))

    torch.manual_seed(exp.train.seed)  # identical initial weights for identical configs
    model = build_model(exp.model, **exp.model_args)
    if init is not None:
        model.load_state_dict(torch.load(init.path / "model.pt", map_location="cpu", weights_only=True))
        log(f"initialised from {init.path}")
    trainer = Trainer(model, exp.train, run_dir=folder, device=device, cpu_bf16_default=REGISTRY[exp.model].cpu_bf16,
                      callbacks=[_HistoryWriter(folder / "history.csv")], log=log)
    log(f"{exp.name} [{exp.profile}] {split.description}: {split.sizes()}; {exp.model} "
        f"{count_parameters(model):,} parameters; {trainer.device}, bf16={trainer.bf16}; run dir {folder}")
    train_set = Batches(data.images[split["train"]], data.labels[split["train"]])
    val_set = Batches(data.images[split["val"]], data.labels[split["val"]])
    watch = {role: Batches(data.images[split[role]], data.labels[split[role]]) for role in exp.watch_roles}
    trainer.fit(train_set, val_set, watch=watch)
    start = time.perf_counter()
    metrics, predictions = {}, []
    for role in exp.test_roles:
        idx = split[role]
        probs = trainer.predict(Batches(data.images[idx], data.labels[idx]))
        metrics[role] = classification_report(data.labels[idx], probs.argmax(1), data.classes)
        metrics[role]["loss"] = cross_entropy(data.labels[idx], probs)
        predictions.append(_prediction_frame(role, data, idx, probs))
        if exp.train.preprocess.crop is not None and not exp.train.preprocess.ten_crop:
            # a model trained on random crops is also evaluated with ten-crop (role "<role>_tencrop"), its
            # predictions kept too so that scores on subsets (the de-duplicated PrivateTest) can use them
            probs10 = trainer.predict(Batches(data.images[idx], data.labels[idx]), ten_crop=True)
            metrics[f"{role}_tencrop"] = classification_report(data.labels[idx], probs10.argmax(1), data.classes)
            metrics[f"{role}_tencrop"]["loss"] = cross_entropy(data.labels[idx], probs10)
            predictions.append(_prediction_frame(f"{role}_tencrop", data, idx, probs10))
    if not main:
        return  # the other ranks took part in the evaluation above; rank 0 writes the record
    history = trainer.history
    metrics.update(epochs_run=len(history), best_epoch=trainer.best_epoch, stopped_early=trainer.stopped_early,
                   parameters=count_parameters(model), train_img_per_s=float(np.mean([h["img_per_s"] for h in history])))
    wall = sum(h["wall_seconds"] for h in history) + time.perf_counter() - start
    prov = provenance(code, data.checksum, wall, str(trainer.device))
    prov["world_size"] = distributed.world_size()  # processes that trained it (torchrun), 1 without
    if data.notes:  # e.g. a partial copy of the dataset: the record keeps what it was trained on
        prov["dataset_notes"] = list(data.notes)
    # the weights before metrics.json, so that a finished run always has them
    write_record(folder, predictions=pd.concat(predictions), provenance=prov, weights=model.state_dict(),
                 metrics=metrics)
    (folder / "checkpoint.pt").unlink(missing_ok=True)
    log(f"finished {exp.name}: " + ", ".join(f"{r} accuracy {metrics[r]['accuracy']:.4f}" for r in exp.test_roles))


def _prediction_frame(role: str, data, idx, probs: np.ndarray) -> pd.DataFrame:
    """One row per image of `role`: its id, true and predicted class, and the class probabilities."""
    frame = pd.DataFrame({"role": role, "id": data.ids[idx], "true": data.labels[idx], "pred": probs.argmax(1)})
    frame[[f"p_{c}" for c in data.classes]] = np.round(probs, 4)
    return frame


def _init_run(exp: Experiment, *, store: RunStore = RunStore()) -> RunRecord | None:
    """The finished run whose weights `exp` starts from: the newest of `exp.init_from` with the same profile."""
    if exp.init_from is None:
        return None
    init = store.latest(exp.init_from, exp.profile)  # its largest budget
    if init is None:
        raise FileNotFoundError(
            f"{exp.name} starts from the weights of {exp.init_from}, which has no finished {exp.profile} run in "
            f"{store.root}. Train it first: fer train {exp.init_from[:3]} {exp.init_from[4:]} --profile {exp.profile}")
    return init


class _HistoryWriter:
    """Rewrites history.csv after every epoch, so an interrupted run still shows its curves."""

    def __init__(self, path: Path):
        self.path = path

    def on_epoch_end(self, trainer: Trainer, row: dict) -> None:
        write_csv(self.path, pd.DataFrame(trainer.history))
