"""Weights of our own trained models, published in the repository: one manifest and one state-dict file per
name in `fer_lib/models/published/`, the file checked against its sha256 before it is loaded.

`publish(record, name)` copies a finished run's weights there with what a reader needs to use them (the
architecture, the input preprocessing, the class order) and where they came from (the run record, its
commit, its test accuracy). `load(name)` gives the model back, ready for inference.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

PUBLISHED_DIR = Path(__file__).parent / "published"
MAX_BYTES = 10 * 2**20  # weights above 10 MB do not belong in the repository
DEFAULT = "fer2013-pushed"  # what `fer predict` uses unless told otherwise


@dataclass(frozen=True)
class Published:
    """One published model: how to build it and feed it, and the run record its weights come from."""

    name: str
    file: str
    sha256: str
    bytes: int
    model: str
    model_args: dict
    preprocess: dict           # experiments.config.Preprocess fields: channels, size, crop, ten_crop, mean, std
    classes: list[str]
    run: str                   # <experiment>/<config hash> in the run store
    commit: str
    dataset_checksum: str
    accuracy: dict[str, float]  # evaluation role -> accuracy of the run, e.g. {"test": 0.66}
    # how the run computed: bf16 autocast (None: the model's measured CPU default) and channels-last layout;
    # prediction runs the same way (manifests written before these fields existed read the defaults)
    bf16: bool | None = None
    channels_last: bool = True


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def available(folder: Path | None = None) -> list[str]:
    """Names of the published models."""
    folder = folder or PUBLISHED_DIR
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def manifest(name: str, folder: Path | None = None) -> Published:
    folder = folder or PUBLISHED_DIR
    path = folder / f"{name}.json"
    if not path.exists():
        have = ", ".join(available(folder)) or "none yet"
        raise FileNotFoundError(f"{path}: no published model named {name!r} (published: {have}). "
                                "`fer publish RUN_DIR --name NAME` publishes a finished run's weights.")
    return Published(**json.loads(path.read_text()))


def load(name: str = DEFAULT, folder: Path | None = None) -> tuple[nn.Module, Published]:
    """The published model `name` in eval mode on the CPU, and its manifest; the weights file must match the
    sha256 it was published with."""
    from . import build_model
    folder = folder or PUBLISHED_DIR
    entry = manifest(name, folder)
    weights = folder / entry.file
    if not weights.exists():
        raise FileNotFoundError(f"{weights}: the weights of {name!r} are missing. Restore the file from git "
                                "(`git checkout -- <path>`) or publish the run again.")
    if (digest := sha256_file(weights)) != entry.sha256:
        raise ValueError(f"{weights}: sha256 {digest[:16]}... differs from the published {entry.sha256[:16]}...: "
                         "the file changed after it was published. Restore it from git or publish again.")
    net = build_model(entry.model, **entry.model_args)
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return net.eval(), entry


def publish(record, name: str, folder: Path | None = None) -> Published:
    """Copy the weights of the finished run `record` (a results.RunRecord) into the published folder as `name`.

    Refused for an unfinished run, a run trained from a dirty tree (its weights could not be traced to code),
    missing weights and files above MAX_BYTES."""
    folder = folder or PUBLISHED_DIR
    source = record.path / "model.pt"
    if not record.path.is_dir():
        raise FileNotFoundError(f"{record.path}: no such run folder; give runs/<experiment>/<config hash>.")
    if not record.finished:
        raise ValueError(f"{record.path}: the run has not finished; only a finished run's weights are published.")
    if not source.exists():
        raise FileNotFoundError(f"{source}: the run's weights are not on this machine (weights are not in git); "
                                "train the run again here, then publish it.")
    if record.provenance.get("git_dirty", True):
        raise ValueError(f"{record.path}: trained from a tree with uncommitted changes (or of unknown state); "
                         "publish only weights from a clean, committed tree.")
    if (size := source.stat().st_size) > MAX_BYTES:
        raise ValueError(f"{source}: {size / 2**20:.1f} MB is above the {MAX_BYTES // 2**20} MB limit for weights "
                         "kept in the repository.")
    config, metrics = record.config, record.metrics
    roles = config.get("test_roles") or ["test"]
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, folder / f"{name}.pt")
    entry = Published(
        name=name, file=f"{name}.pt", sha256=sha256_file(folder / f"{name}.pt"), bytes=size, model=config["model"],
        model_args=config["model_args"], preprocess=config["train"]["preprocess"],
        classes=list(metrics[roles[0]]["classes"]), run=f"{config['name']}/{record.config_hash}",
        commit=record.provenance.get("git_commit") or "", dataset_checksum=config.get("dataset_checksum", ""),
        # with the ten-crop score of a run trained on random crops ("<role>_tencrop"), the one its recipe reports
        accuracy={r: metrics[r]["accuracy"] for role in roles for r in (role, f"{role}_tencrop") if r in metrics},
        bf16=config["train"].get("bf16"), channels_last=config["train"].get("channels_last", True))
    (folder / f"{name}.json").write_text(json.dumps(asdict(entry), indent=2) + "\n")
    return entry
