"""The execution page: how each page of the book was last executed (profile, time, status) and on what (the
commit, the package versions, the machine), read from the executed notebooks' own papermill metadata."""
from __future__ import annotations

import json
import platform
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from ..store import results
from ..store.results import RunStore, code_version
from . import made_by

PACKAGES = ("torch", "torchvision", "numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "seaborn",
            "opencv-python-headless", "papermill", "jupyter-book")


@made_by
def pages_table(pages: dict[str, Path]) -> pd.DataFrame:
    """One row per page: the profile it was executed with, when, how long it took and whether it finished."""
    rows = []
    for name, path in pages.items():
        try:
            meta = json.loads(path.read_text())["metadata"].get("papermill", {})
        except (OSError, ValueError, KeyError):
            meta = {}
        end = meta.get("end_time")
        rows.append({"page": name, "profile": meta.get("parameters", {}).get("profile", "—"),
                     "executed": datetime.fromisoformat(end).strftime("%Y-%m-%d %H:%M UTC") if end else "never",
                     "minutes": f"{meta['duration'] / 60:.1f}" if meta.get("duration") else "—",
                     "status": "failed" if meta.get("exception") else ("finished" if end else "—")})
    return pd.DataFrame(rows)


CHAPTER_OF = {"000": "000", "001": "001", "002": "002", "003": "003", "004": "004", "cmp": "comparison"}


@made_by
def training_table(*, store: RunStore = RunStore()) -> pd.DataFrame:
    """One row per chapter and profile: the finished run records behind it, the hours they trained (their
    recorded wall time, summed), on what, and how many were not trained from a clean tree."""
    rows = {}
    for name in store.experiments():
        chapter = CHAPTER_OF.get(name.split("-")[0])
        for r in store.find(name) if chapter else ():
            key = (chapter, r.config.get("profile", "?"))
            row = rows.setdefault(key, {"chapter": chapter, "profile": key[1], "records": 0, "training hours": 0.0,
                                        "devices": set(), "not from a clean tree": 0})
            row["records"] += 1
            row["training hours"] += r.provenance.get("wall_seconds", 0) / 3600
            row["devices"].add(r.provenance.get("gpu") or r.provenance.get("cpu") or "?")
            row["not from a clean tree"] += bool(r.tree_caveat)
    table = pd.DataFrame(sorted(rows.values(), key=lambda r: (r["chapter"], r["profile"])))
    if table.empty:
        return table
    return table.assign(**{"training hours": table["training hours"].round(1),
                           "devices": table["devices"].map(lambda d: ", ".join(sorted(d)))})


@made_by
def environment_table() -> pd.DataFrame:
    """The commit and the package versions of this execution, and the machine it ran on."""
    code = code_version()
    rows = [("commit", (code.get("git_commit") or "unknown")[:12] + (" (uncommitted changes)" if code.get("git_dirty")
                                                                     else "")),
            ("Python", platform.python_version()), ("machine", f"{platform.machine()}, {platform.system()}")]
    for package in PACKAGES:
        try:
            rows.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            rows.append((package, "not installed"))
    return pd.DataFrame(rows, columns=["what", "version"])
