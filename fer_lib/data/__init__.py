"""Datasets: `load(name, root)` returns a FaceData for every dataset the book uses."""
from __future__ import annotations

from pathlib import Path

from . import ckplus, fer2013, ferplus, jaffe, rafdb, sfew
from .base import EXPRESSIONS, DatasetError, FaceData, data_root
from .validate import PartialDatasetWarning, validate

LOADERS = {"fer2013": fer2013, "jaffe": jaffe, "ckplus": ckplus, "sfew": sfew, "rafdb": rafdb}


def load(name: str, root: str | Path | None = None, **options) -> FaceData:
    """Load a dataset from the data root, in its published layout.

    Args:
        name: "fer2013", "jaffe", "ckplus", "sfew" or "rafdb".
        root: the folder holding the datasets (default: $FER_DATA, else `data/`); `fer data check` shows what it
            finds there.
        **options: for the dataset's loader (FER2013: form="auto"|"csv"|"zip"|"folder"; all: cache=True).

    Returns:
        The images (uint8), labels, ids, class names and the official parts (`FaceData`).
    """
    if name not in LOADERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(LOADERS)}")
    module = LOADERS[name]
    return validate(module.load(data_root(root), **options), module.OFFICIAL_COUNTS)


__all__ = ["load", "LOADERS", "FaceData", "DatasetError", "PartialDatasetWarning", "EXPRESSIONS", "data_root",
           "ferplus"]
