"""`fer data check`: which datasets are present under a data root, their counts next to the official ones."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from . import LOADERS, ferplus, rafdb
from .base import DatasetError, FaceData
from .validate import PartialDatasetWarning, validate


def present(name: str, root: Path) -> bool:
    """Whether dataset `name` has its folder under `root`: absent is "missing" (fine), present but unreadable
    or wrong is "broken" (an error)."""
    return (Path(root) / name).exists()


def check_dataset(name: str, root: Path) -> list[dict]:
    """One row per split (and one "all" row per dataset) with found vs official counts and problems."""
    module = LOADERS[name]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PartialDatasetWarning)
            data = validate(module.load(root), module.OFFICIAL_COUNTS)
    except DatasetError as exc:
        return _missing_rows(name, root, exc)
    rows = [dict(dataset=name, split="", found="", official="", status="partial", note=str(w.message))
            for w in caught if issubclass(w.category, PartialDatasetWarning)]
    for split, official in module.OFFICIAL_COUNTS.items():
        found = int(np.sum(data.split == split)) if split != "all" else len(data)
        rows.append(dict(dataset=name, split=split, found=found, official=official,
                         status="ok" if found == official else "differs", note=""))
    class_counts = data.class_counts()
    expected = getattr(module, "OFFICIAL_CLASS_COUNTS", None)
    wrong = {c: (class_counts[c], n) for c, n in (expected or {}).items() if class_counts.get(c) != n}
    rows.append(dict(dataset=name, split="classes", found=len(data), official=sum(module.OFFICIAL_COUNTS.values()),
                     status="differs" if wrong else "ok",
                     note=", ".join(f"{c} {k}" for c, k in class_counts.items())
                     + (f"; expected {wrong}" if wrong else "")))
    for note in _quirks(data):
        rows.append(dict(dataset=name, split="", found="", official="", status="note", note=note))
    return rows


def _missing_rows(name: str, root: Path, exc: DatasetError) -> list[dict]:
    if name == "rafdb":
        try:  # the labels alone are still worth counting
            _, _, split = rafdb.load_labels(root)
            return [dict(dataset=name, split=s, found=0, official=n, status="labels only",
                         note=f"{int(np.sum(split == s))} labels, images missing") for s, n in rafdb.OFFICIAL_COUNTS.items()] \
                + [dict(dataset=name, split="", found="", official="", status="missing", note=str(exc))]
        except DatasetError:
            pass
    return [dict(dataset=name, split="", found=0, official=sum(LOADERS[name].OFFICIAL_COUNTS.values()),
                 status="broken" if present(name, root) else "missing", note=str(exc))]


def _quirks(data: FaceData) -> list[str]:
    """Known problems worth a reader's attention: blank frames and pixel-identical duplicates."""
    notes = []
    flat = data.images.reshape(len(data), -1)
    blank = int(np.sum(flat.std(axis=1) < 1.0))
    if blank:
        notes.append(f"{blank} blank (uniform) images")
    _, inverse, counts = np.unique(flat, axis=0, return_inverse=True, return_counts=True)
    groups = int(np.sum(counts > 1))
    if groups:
        dup_groups = np.flatnonzero(counts > 1)
        splits_per_group = [set(data.split[inverse.ravel() == g]) for g in dup_groups]
        across = sum(len(s) > 1 for s in splits_per_group)
        notes.append(f"{groups} groups of pixel-identical images ({int(counts[dup_groups].sum())} images), "
                     f"{across} spanning more than one split")
    return notes


def check_ferplus(root: Path) -> list[dict]:
    try:
        votes = ferplus.load(root)
    except DatasetError as exc:
        return [dict(dataset="ferplus", split="", found=0, official=35887,
                     status="broken" if present("ferplus", root) else "missing", note=str(exc))]
    n = len(votes)
    return [dict(dataset="ferplus", split="rows", found=n, official=ferplus.OFFICIAL_COUNTS["rows"],
                 status="ok" if n == 35887 else "differs",
                 note="votes only; joins FER2013 by CSV row (needs fer2013.csv)")]


def check_all(root: Path) -> list[dict]:
    rows = []
    for name in LOADERS:
        rows += check_dataset(name, root)
    return rows + check_ferplus(root)


def format_table(rows: list[dict]) -> str:
    cols = ["dataset", "split", "found", "official", "status", "note"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols[:-1]}
    lines = ["  ".join(c.ljust(widths.get(c, 0)) for c in cols)]
    lines += ["  ".join(str(r[c]).ljust(widths.get(c, 0)) for c in cols) for r in rows]
    return "\n".join(lines)


def broken(rows: list[dict]) -> list[str]:
    """Datasets that are present but unreadable or wrong (`fer data check` exits non-zero on any)."""
    return sorted({r["dataset"] for r in rows if r["status"] == "broken"})
