"""Tested, repeatable conversions of committed run records to the current store format (never hand edits).

- `compact`: each run's split.json moves into the shared, content-addressed `runs/_splits/` (verified against
  the split digest its config records), and predictions.csv is gzip-compressed, byte for byte the same table.
- `fill_data_schema`: configs recorded before DataSpec had k / fold / by_subject / select_on get those fields
  at the values that reproduce what the run did (no folds, no subject grouping, selection on validation); the
  run directory is renamed to the new config hash, and its provenance names the directory it moved from.
- `complete_provenance`: a record written by code that stored a shortened commit id gets the full id (the
  short one kept beside it), a record moved by `fill_data_schema` before that migration said so gets the
  directory it was first stored in (the name its commit message uses), and a record whose clean-tree flag was
  never written says so in words instead of a bare null.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
from dataclasses import fields
from pathlib import Path

from .results import SPLITS, RunStore, config_hash, split_digest, write_json

# DataSpec fields added after the first records were written, with the values those records trained with
_DATA_DEFAULTS = dict(k=0, fold=0, by_subject=False, select_on="val")


def run_dirs(*, store: RunStore) -> list[Path]:
    """Every run directory (one holding a config.json) in the store."""
    return sorted(p.parent for p in store.root.glob("*/*/config.json") if p.parent.parent.name != SPLITS)


def compact(*, store: RunStore) -> dict[str, int]:
    """Convert every run in `store` to the compact layout; returns counts of what was converted."""
    counts = dict(splits=0, predictions=0)
    for folder in run_dirs(store=store):
        legacy = folder / "split.json"
        if legacy.exists():
            ids = json.loads(legacy.read_text())
            recorded = json.loads((folder / "config.json").read_text()).get("split_digest")
            if recorded != split_digest(ids):
                raise ValueError(f"{legacy}: its ids do not match the split_digest in config.json; "
                                 f"the record is inconsistent, retrain it")
            store.write_split(ids)
            legacy.unlink()
            counts["splits"] += 1
        csv = folder / "predictions.csv"
        if csv.exists():
            target = folder / "predictions.csv.gz"
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_bytes(gzip.compress(csv.read_bytes(), mtime=0))
            os.replace(tmp, target)
            csv.unlink()
            counts["predictions"] += 1
    return counts


def fill_data_schema(*, store: RunStore) -> list[tuple[Path, Path]]:
    """Add the DataSpec fields a config lacks (see _DATA_DEFAULTS) and move the run to its new hash.
    Returns (old, new) directory pairs."""
    from ..data.splits import DataSpec
    known = {f.name for f in fields(DataSpec)}
    assert set(_DATA_DEFAULTS) <= known, "a default for a field DataSpec no longer has"
    moved = []
    for folder in run_dirs(store=store):
        config = json.loads((folder / "config.json").read_text())
        data = config.get("data")
        if not isinstance(data, dict) or "dataset" not in data:
            continue  # not a training run (e.g. the cost table)
        missing = {k: v for k, v in _DATA_DEFAULTS.items() if k not in data}
        if not missing:
            continue
        config["data"] = {**data, **missing}
        target = folder.parent / config_hash(config)
        if target.exists():
            raise FileExistsError(f"{folder} migrates to {target}, which already exists; compare the two "
                                  f"records and delete the older one")
        write_json(folder / "config.json", config)
        _note_move(folder, target)
        os.replace(folder, target)
        moved.append((folder, target))
    return moved


def _note_move(folder: Path, target: Path) -> None:
    provenance = folder / "provenance.json"
    if provenance.exists():
        record = json.loads(provenance.read_text())
        record["stored_first_as"] = f"{folder.parent.name}/{folder.name}"
        write_json(provenance, record)


def _before_data_schema(config: dict) -> str:
    """The config hash a record had before `fill_data_schema` added the DataSpec defaults to it."""
    data = {k: v for k, v in config["data"].items() if k not in _DATA_DEFAULTS}
    return config_hash({**config, "data": data})


def _git(repo: Path, *args: str) -> str | None:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


UNRECORDED_DIRTY = ("not recorded: the code that trained this run did not yet check for a clean tree; its "
                    "commit is known, its working tree is not")


def complete_provenance(*, store: RunStore, repo: str | Path | None = None) -> list[Path]:
    """Complete the provenance of every record in `store` from the git history of `repo` (default: the
    checkout this package lives in; see the module's docstring). Returns the run directories changed; running
    it twice changes nothing the second time."""
    root = store.root.resolve()
    repo = Path(repo or Path(__file__).resolve().parents[2]).resolve()  # fer_lib/store/ -> the checkout
    changed = []
    for folder in run_dirs(store=store):
        path = folder / "provenance.json"
        if not path.exists():
            continue
        record = json.loads(path.read_text())
        before = dict(record)
        commit = record.get("git_commit")
        if isinstance(commit, str) and 7 <= len(commit) < 40:
            full = _git(repo, "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
            if full:
                record.update(git_commit=full, git_commit_recorded=commit)
        if record.get("git_dirty") is None and "git_dirty_note" not in record:
            record["git_dirty_note"] = UNRECORDED_DIRTY
        config = json.loads((folder / "config.json").read_text())
        if "stored_first_as" not in record and isinstance(config.get("data"), dict):
            old = _before_data_schema(config)
            old_path = os.path.relpath(folder.parent / old, repo)
            if old != folder.name and _git(repo, "log", "--all", "--format=%h", "-1", "--", old_path):
                record["stored_first_as"] = f"{folder.parent.name}/{old}"
        if record != before:
            write_json(path, record)
            changed.append(folder)
    return changed
