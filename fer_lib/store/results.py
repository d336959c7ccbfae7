"""The run store, and the one place that queries it.

A run lives in `runs/<experiment>/<config-hash>/`: config.json, history.csv, metrics.json (written last: its
presence marks the run finished), predictions.csv.gz and provenance.json. The image ids of a split are stored
once per distinct split, in `runs/_splits/<split digest>.json.gz`, since most runs share a few splits.
`RunStore(root)` is the store as an object: chapters, the ledger, the runner and the CLI build one and pass it
by keyword, and ask it their questions (the newest finished run of an experiment and profile, its folds, seeds
and budgets) through its methods.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from . import atomic

DEFAULT_ROOT = "runs"  # beside the checkout, unless $FER_RUNS names another folder
SPLITS = "_splits"  # not an experiment: the folder of shared split id lists


def config_hash(config: dict) -> str:
    """12 hex digits of sha256 over the canonical JSON of `config`: the run's identity."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]


def write_json(path: Path, obj) -> None:
    """Write through a temporary file so that a killed process never leaves half a record."""
    atomic.write_bytes(path, json.dumps(obj, indent=2, sort_keys=True, default=str).encode())


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """Write through a temporary file; a name ending in .gz is gzip-compressed (with a fixed header time, so
    the same table gives the same bytes)."""
    tmp = atomic.temporary_for(path)
    compression = dict(method="gzip", mtime=0) if path.suffix == ".gz" else None
    try:
        frame.to_csv(tmp, index=False, compression=compression)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_record(folder: Path, *, metrics: dict, provenance: dict, config: dict | None = None,
                 history: pd.DataFrame | None = None, predictions: pd.DataFrame | None = None,
                 weights: dict | None = None) -> None:
    """Write a run's record into `folder`, in the order that keeps a killed writer's record unfinished:
    config (when given), history, predictions, provenance, weights (a state dict), and metrics.json last, whose
    presence marks the run finished. The runner and the tests' records both come through here."""
    folder.mkdir(parents=True, exist_ok=True)
    if config is not None:
        write_json(folder / "config.json", config)
    if history is not None:
        write_csv(folder / "history.csv", history)
    if predictions is not None:
        write_csv(folder / "predictions.csv.gz", predictions)
    write_json(folder / "provenance.json", provenance)
    if weights is not None:
        import torch  # only a training process has weights to write; the store's readers never need torch
        tmp = folder / "model.pt.tmp"
        torch.save(weights, tmp)
        os.replace(tmp, folder / "model.pt")
    write_json(folder / "metrics.json", metrics)


def split_digest(ids: dict[str, list[str]]) -> str:
    """sha256 over a split's image ids per role (the digest a run's config records as split_digest)."""
    return hashlib.sha256(json.dumps(ids, sort_keys=True).encode()).hexdigest()


# The code a run depends on: a change here, committed or not, tracked or not, makes a run "dirty".
CODE_PATHS = ("fer_lib", "book")


def _read_code_version(where: Path | None = None) -> dict:
    """The commit of the checkout holding `where` (default: this package), whether the code differs from it."""
    commit = _git("rev-parse", "HEAD", cwd=where)
    if not commit:
        return dict(git_commit=os.environ.get("FER_GIT_COMMIT"), git_dirty=None)
    top = Path(_git("rev-parse", "--show-toplevel", cwd=where))
    tracked = _git("status", "--porcelain", "--untracked-files=no", cwd=top) or ""
    untracked = (_git("ls-files", "--others", "--exclude-standard", "--", *CODE_PATHS, cwd=top) or "").split()
    dirty = bool(tracked or untracked)
    version = dict(git_commit=commit, git_dirty=dirty)
    if dirty:  # enough to tell two dirty trees apart: the diff against the commit plus the untracked files
        digest = hashlib.sha256((_git("diff", "HEAD", cwd=top) or "").encode())
        for name in sorted(untracked):
            digest.update(name.encode() + b"\0" + (top / name).read_bytes())
        version["git_diff_sha256"] = digest.hexdigest()
    return version


def code_version() -> dict:
    """The commit (and dirty flag) of the code this process imported."""
    return dict(_CODE_VERSION)


def provenance(code: dict, dataset_checksum: str, wall_seconds: float, device: str) -> dict:
    """Where a number came from: code version, data version, software, hardware, time."""
    import numpy, sklearn, torch, torchvision  # noqa: E401  (versions only)
    return dict(
        **code, finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        dataset_checksum=dataset_checksum, wall_seconds=round(wall_seconds, 3), device=device,
        cpu=_cpu_name(), cpu_threads=torch.get_num_threads(),
        gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        python=platform.python_version(), torch=torch.__version__, torchvision=torchvision.__version__,
        numpy=numpy.__version__, sklearn=sklearn.__version__, platform=platform.platform(),
    )


def _git(*args: str, cwd: Path | None = None) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                             cwd=cwd or Path(__file__).resolve().parent)
        return out.stdout.strip() if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@dataclass
class RunRecord:
    """A finished (or unfinished) run as read back from its directory."""

    path: Path

    @property
    def finished(self) -> bool:
        return (self.path / "metrics.json").exists()

    @property
    def config_hash(self) -> str:
        return self.path.name

    @cached_property
    def config(self) -> dict:
        return json.loads((self.path / "config.json").read_text())

    @cached_property
    def metrics(self) -> dict:
        return json.loads((self.path / "metrics.json").read_text())

    @cached_property
    def provenance(self) -> dict:
        return json.loads((self.path / "provenance.json").read_text())

    @cached_property
    def history(self) -> pd.DataFrame:
        return pd.read_csv(self.path / "history.csv")

    @cached_property
    def predictions(self) -> pd.DataFrame:
        """One row per evaluated image: role, id, true, pred and a probability column per class."""
        compact = self.path / "predictions.csv.gz"
        return pd.read_csv(compact if compact.exists() else self.path / "predictions.csv")

    def correct(self, role: str = "test") -> pd.Series:
        """Whether the kept model got each image of `role` right, indexed by image id: what a paired comparison
        of two runs on the same images lines up."""
        p = self.predictions
        p = p[p["role"] == role].set_index("id")
        return p["true"] == p["pred"]

    @cached_property
    def split_ids(self) -> dict[str, list[str]]:
        """Image ids per role of the split this run trained and tested on."""
        legacy = self.path / "split.json"
        if legacy.exists():  # a record written before the compact store (see `compact`)
            return json.loads(legacy.read_text())
        return RunStore(self.path.parent.parent).read_split(self.config["split_digest"])

    @property
    def epochs(self) -> int:
        """The training budget this run was configured with (its point on a budget curve)."""
        epochs = self.config.get("train", {}).get("epochs") or self.metrics.get("epochs_run") or 0
        return int(epochs)

    @property
    def finished_at(self) -> str:
        return self.provenance.get("finished_at", "")

    @property
    def tree_caveat(self) -> str:
        """"" when the run was trained from a clean, committed tree; otherwise what a reader must know."""
        p = self.provenance
        commit = (p.get("git_commit") or "?")[:10]
        if p.get("git_dirty") is False:
            return ""
        if p.get("git_dirty"):
            return (f"trained from commit {commit} with uncommitted changes (the diff's hash is recorded, the diff "
                    "is not): its code cannot be checked out exactly")
        return f"commit {commit}; " + p.get("git_dirty_note", "whether its working tree was clean was not recorded")

    def summary(self) -> dict:
        """The one-line facts a chapter prints under every table: what produced these numbers."""
        p, c = self.provenance, self.config
        return dict(experiment=c["name"], profile=c["profile"], config_hash=self.config_hash,
                    commit=(p.get("git_commit") or "?")[:10] + ("+dirty" if p.get("git_dirty") else ""),
                    device=p.get("gpu") or p.get("cpu"), wall_minutes=round(p["wall_seconds"] / 60, 1),
                    epochs_run=self.metrics.get("epochs_run"), best_epoch=self.metrics.get("best_epoch"))


def newest(runs: list[RunRecord]) -> RunRecord | None:
    """The run that finished last (by the time its provenance records), or None."""
    return max(runs, key=lambda r: r.finished_at, default=None)


def edition(record: RunRecord) -> tuple:
    """What makes two runs of one experiment the same build: the model's arguments and the rule that keeps the
    epoch (records older than the rule's field name none: the loss, the default then)."""
    return (record.config.get("model_args"), record.config.get("train", {}).get("monitor", "val_loss"))


def current_edition(runs: list[RunRecord]) -> list[RunRecord]:
    """The runs built like the newest one (see `edition`): when a model's definition or its selection rule is
    corrected (paper 003's LIP initialisation, paper 000's kept epoch), the runs of the superseded edition stay
    in the store as evidence but never mix into the current edition's curves and tables."""
    last = newest(runs)
    if last is None:
        return []
    return [r for r in runs if edition(r) == edition(last)]


# Config fields that change what a run records, not what it measures: a run differing from another only in
# these is a rerun of the same measurement (seeded runs watch their test roles every epoch since the
# evidence issue, so their clean reruns have a new config hash).
RECORD_ONLY = ("watch_roles",)


def _measured(record: RunRecord) -> dict:
    return {k: v for k, v in record.config.items() if k not in RECORD_ONLY}


def _scheme(record: RunRecord) -> dict:
    return {k: v for k, v in record.config["data"].items() if k != "fold"}


class RunStore:
    """The run records under one folder, and every question the book asks of them.

    `RunStore()` is the store at $FER_RUNS (read when it is used), else `runs/`; `RunStore(path)` another one (a
    test's temporary store, a copy brought back from a GPU machine). Build one and pass it by keyword.
    """

    def __init__(self, root: str | os.PathLike | None = None):
        self._root = root

    @property
    def root(self) -> Path:
        """The folder the records live in."""
        return Path(self._root if self._root is not None else os.environ.get("FER_RUNS", DEFAULT_ROOT))

    def __repr__(self) -> str:
        return f"RunStore({str(self.root)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, RunStore) and self.root.resolve() == other.root.resolve()

    def __hash__(self) -> int:
        return hash(self.root.resolve())

    def folder(self, experiment: str, config: dict) -> Path:
        """Where the run of `experiment` with `config` lives (or will): `<root>/<experiment>/<config hash>`."""
        return self.root / experiment / config_hash(config)

    def experiments(self) -> list[str]:
        """The experiments the store holds runs of (its folders, without the shared split store): for listing
        what exists, e.g. the downloads and the backtest, never for choosing what a page shows."""
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name != SPLITS) if self.root.is_dir() else []

    def find(self, experiment: str, *, finished_only: bool = True, profile: str | None = None) -> list[RunRecord]:
        """Every run of `experiment` (finished ones unless `finished_only` is False), optionally of one `profile`,
        of every edition and seed: for an inventory; a page showing a measurement wants `latest` or `runs_for`."""
        folder = self.root / experiment
        runs = [RunRecord(p) for p in sorted(folder.iterdir()) if p.is_dir()] if folder.is_dir() else []
        return [r for r in runs if (r.finished or not finished_only)
                and (profile is None or r.config.get("profile") == profile)]

    def latest(self, experiment: str, profile: str, *, epochs: int | None = None,
               seed: int | None = 0) -> RunRecord | None:
        """The one run to show for a single-run experiment: the newest finished run, or None.

        Args:
            experiment: its name, as `fer list` prints it (e.g. "004-cnn").
            profile: "smoke", "cpu" or "paper".
            epochs: the budget (default: the largest budget trained, the last point of its budget curve).
            seed: the training seed (default 0, every experiment's own, so a further seed never silently
                replaces the run a page shows; None: any seed).
        """
        runs = [r for r in current_edition(self.find(experiment, profile=profile))
                if seed is None or r.config.get("train", {}).get("seed", 0) == seed]
        if not runs:
            return None
        epochs = max(r.epochs for r in runs) if epochs is None else epochs
        return newest([r for r in runs if r.epochs == epochs])

    def folds(self, experiment: str, profile: str, *, epochs: int | None = None) -> list[RunRecord]:
        """The folds of a k-fold experiment, for a per-fold table or curve: the newest finished run of each fold,
        in fold order, under `profile` at budget `epochs` (default: the largest trained).

        Only folds of the newest run's protocol (same k, subject grouping, selection, seed) are gathered, so a
        table never mixes two fold schemes. Missing folds are simply absent: callers compare len() with k.
        """
        first = self.latest(experiment, profile, epochs=epochs)
        if first is None:
            return []
        same = [r for r in current_edition(self.find(experiment, profile=profile))
                if r.epochs == first.epochs and _scheme(r) == _scheme(first)
                and r.config["train"].get("seed", 0) == first.config["train"].get("seed", 0)]
        by_fold: dict[int, RunRecord] = {}
        for r in sorted(same, key=lambda r: r.finished_at):
            by_fold[r.config["data"].get("fold", 0)] = r
        return [by_fold[f] for f in sorted(by_fold)]

    def runs_for(self, experiment: str, profile: str, *, epochs: int | None = None) -> list[RunRecord]:
        """What a measurement rests on, for a verdict: all folds of a k-fold experiment (only when every fold
        finished), else the one newest run; at budget `epochs` (default: the largest budget with every fold
        finished, so a larger budget still being trained fold by fold does not hide the last complete one).
        [] when there is none."""
        if epochs is None:
            points = self.budgets(experiment, profile)
            return points[max(points)] if points else []
        first = self.latest(experiment, profile, epochs=epochs)
        if first is None:
            return []
        data = first.config.get("data", {})
        if data.get("protocol") == "kfold":
            folds = self.folds(experiment, profile, epochs=first.epochs)
            return folds if len(folds) == data["k"] else []
        return [first]

    def budgets(self, experiment: str, profile: str) -> dict[int, list[RunRecord]]:
        """The points of a budget curve: every budget of `experiment` under `profile` with what it rests on (see
        `runs_for`), by epochs trained. A k-fold budget with a fold missing is left out."""
        budgets = sorted({r.epochs for r in current_edition(self.find(experiment, profile=profile))})
        points = {b: self.runs_for(experiment, profile, epochs=b) for b in budgets}
        return {b: runs for b, runs in points.items() if runs}

    def seeds(self, experiment: str, profile: str, *, epochs: int | None = None) -> dict[int, RunRecord]:
        """The spread over training seeds: the finished runs of `experiment` under `profile` (at budget `epochs`
        when given), one per seed (the newest when a seed ran twice)."""
        by_seed: dict[int, RunRecord] = {}
        runs = [r for r in current_edition(self.find(experiment, profile=profile))
                if epochs is None or r.epochs == epochs]
        for record in sorted(runs, key=lambda r: r.finished_at):
            by_seed[record.config["train"].get("seed", 0)] = record
        return dict(sorted(by_seed.items()))

    def superseded_by(self, record: RunRecord) -> RunRecord | None:
        """The newer run that every page shows in place of `record`, or None while `record` is still shown: the
        newest run of a corrected edition (see `current_edition`), or a later run of the same build, seed, budget
        and data, e.g. a rerun from a clean tree whose config differs only in what it records (`RECORD_ONLY`).
        A superseded record stays in the store as evidence; pages list it as such, never behind a number."""
        runs = self.find(record.config["name"], profile=record.config.get("profile"))
        last = newest(runs)
        if last is not None and edition(last) != edition(record):
            return last
        same = [r for r in runs if r.finished_at > record.finished_at and _measured(r) == _measured(record)]
        return newest(same)

    def split_path(self, digest: str) -> Path:
        """Where the image ids of the split with `digest` are stored."""
        return self.root / SPLITS / f"{digest}.json.gz"

    def write_split(self, ids: dict[str, list[str]]) -> Path:
        """Store a split's id lists once, content-addressed by their digest; an existing copy is kept."""
        path = self.split_path(split_digest(ids))
        if not path.exists():  # two workers may both get here for one split: each writes its own temporary
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic.write_bytes(path, gzip.compress(json.dumps(ids, sort_keys=True).encode(), mtime=0))
        return path

    def read_split(self, digest: str) -> dict[str, list[str]]:
        """The image ids per role of a stored split (a run's `split_ids` reads it for you)."""
        path = self.split_path(digest)
        if not path.exists():
            raise FileNotFoundError(f"{path}: the split this run used is missing from the run store; restore it "
                                    f"from git (git checkout -- {path}) or retrain the run")
        return json.loads(gzip.decompress(path.read_bytes()))


# Read once, when the process imports fer_lib: that is the code it runs, even if the tree moves on
# while a long batch of experiments trains. A copy of the tree without .git (the GPU machine) names
# its commit in FER_GIT_COMMIT; dirty is then unknown.
_CODE_VERSION = _read_code_version()
