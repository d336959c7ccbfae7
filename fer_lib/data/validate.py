"""Degenerate datasets get the same treatment as malformed ones: a loaded dataset is checked against its
official split and class lists before anything trains on it."""
from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np

from .base import DatasetError, FaceData

# A copy holding less than this share of the official images is partial: loud, recorded, but usable.
PARTIAL_SHARE = 0.9


class PartialDatasetWarning(UserWarning):
    """The dataset on disk holds far fewer images than its official release."""


def validate(data: FaceData, official_counts: dict[str, int]) -> FaceData:
    """`data` unchanged, or with a note on a partial copy; a DatasetError naming the source when it is empty,
    when an official split comes out empty, or when a class has no image at all."""
    where = data.source or data.name
    if len(data) == 0:
        raise DatasetError(f"{where}: holds no images of {data.name}. The download is incomplete or the wrong "
                           f"file is in its place; see data/README.md for the layout.")
    empty = [s for s in official_counts if s != "all" and not np.any(data.split == s)]
    if empty:
        raise DatasetError(f"{where}: the official split(s) {', '.join(empty)} of {data.name} came out empty. "
                           f"The copy is incomplete; restore the missing part (see data/README.md).")
    counts = np.bincount(data.labels, minlength=len(data.classes))
    missing = [c for c, k in zip(data.classes, counts) if k == 0]
    if missing:
        raise DatasetError(f"{where}: no image of class(es) {', '.join(missing)} in {data.name}. The copy is "
                           f"incomplete or its class folders are misnamed (see data/README.md).")
    official = sum(official_counts.values())
    if len(data) < PARTIAL_SHARE * official:
        found = {s: int(np.sum(data.split == s)) for s in official_counts if s != "all"} or {"all": len(data)}
        note = (f"partial copy of {data.name}: {len(data)} of {official} official images "
                f"(found {found}, official {official_counts})")
        warnings.warn(f"{where}: {note}", PartialDatasetWarning, stacklevel=3)
        data = replace(data, notes=tuple(data.notes) + (note,))
    return data
