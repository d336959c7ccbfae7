"""The execution page: how each page of the book was last executed (profile, time, status) and on what (the
commit, the package versions, the machine), read from the executed notebooks' own papermill metadata."""
from __future__ import annotations

import json
import platform
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from ..results import code_version

PACKAGES = ("torch", "torchvision", "numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "seaborn",
            "opencv-python-headless", "papermill", "jupyter-book")


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
