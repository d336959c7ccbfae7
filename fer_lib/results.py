"""Run store: `runs/<experiment>/<config-hash>/` with the config, history, metrics, predictions and provenance."""
from __future__ import annotations

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

RUNS_ROOT = Path(os.environ.get("FER_RUNS", "runs"))
FILES = ("config.json", "split.json", "history.csv", "metrics.json", "predictions.csv", "provenance.json")


def config_hash(config: dict) -> str:
    """12 hex digits of sha256 over the canonical JSON of `config`: the run's identity."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]


def run_dir(experiment: str, config: dict, root: str | Path | None = None) -> Path:
    return Path(root or RUNS_ROOT) / experiment / config_hash(config)


def write_json(path: Path, obj) -> None:
    """Write through a temporary file so that a killed process never leaves half a record."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str))
    os.replace(tmp, path)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False)
    os.replace(tmp, path)


def _read_code_version() -> dict:
    commit = _git("rev-parse", "HEAD")
    if commit:
        return dict(git_commit=commit, git_dirty=bool(_git("status", "--porcelain", "--untracked-files=no")))
    return dict(git_commit=os.environ.get("FER_GIT_COMMIT"), git_dirty=None)


def code_version() -> dict:
    """The commit (and dirty flag) of the code this process imported."""
    return dict(_CODE_VERSION)


def provenance(code: dict, dataset_checksum: str, wall_seconds: float, device: str) -> dict:
    """Where a number came from: code version, data version, software, hardware, time."""
    import numpy, sklearn, torch, torchvision  # noqa: E401  (versions only)
    return dict(
        **code, finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        dataset_checksum=dataset_checksum, wall_seconds=round(wall_seconds, 1), device=device,
        cpu=_cpu_name(), cpu_threads=torch.get_num_threads(),
        gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        python=platform.python_version(), torch=torch.__version__, torchvision=torchvision.__version__,
        numpy=numpy.__version__, sklearn=sklearn.__version__, platform=platform.platform(),
    )


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
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
        return pd.read_csv(self.path / "predictions.csv")

    @cached_property
    def split_ids(self) -> dict[str, list[str]]:
        return json.loads((self.path / "split.json").read_text())

    def summary(self) -> dict:
        """The one-line facts a chapter prints under every table: what produced these numbers."""
        p, c = self.provenance, self.config
        return dict(experiment=c["name"], profile=c["profile"], config_hash=self.config_hash,
                    commit=(p.get("git_commit") or "?")[:10] + ("+dirty" if p.get("git_dirty") else ""),
                    device=p.get("gpu") or p.get("cpu"), wall_minutes=round(p["wall_seconds"] / 60, 1),
                    epochs_run=self.metrics.get("epochs_run"), best_epoch=self.metrics.get("best_epoch"))


def find_runs(experiment: str, root: str | Path | None = None, finished_only: bool = True) -> list[RunRecord]:
    folder = Path(root or RUNS_ROOT) / experiment
    runs = [RunRecord(p) for p in sorted(folder.iterdir())] if folder.is_dir() else []
    return [r for r in runs if r.finished or not finished_only]


# Read once, when the process imports fer_lib: that is the code it runs, even if the tree moves on
# while a long batch of experiments trains. A copy of the tree without .git (the GPU machine) names
# its commit in FER_GIT_COMMIT; dirty is then unknown.
_CODE_VERSION = _read_code_version()
