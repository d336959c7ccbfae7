"""JAFFE: 213 posed expressions of 10 Japanese women, `jaffe/<subject>.<EXPR><n>.<id>.tiff`."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .base import DatasetError, FaceData, load_files, require_dir
from .cache import load_files_cached

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
CODE_TO_CLASS = {"AN": "angry", "DI": "disgust", "FE": "fear", "HA": "happy", "SA": "sad", "SU": "surprise",
                 "NE": "neutral"}
OFFICIAL_COUNTS = {"all": 213}
OFFICIAL_CLASS_COUNTS = {"angry": 30, "disgust": 29, "fear": 32, "happy": 31, "sad": 31, "surprise": 30,
                         "neutral": 30}
NAME = re.compile(r"^(?P<subject>[A-Z]{2})\.(?P<code>[A-Z]{2})(?P<n>\d+)\.(?P<id>\d+)\.tiff?$")
SIZE = (256, 256)


def load(root: Path, cache: bool = True) -> FaceData:
    base = require_dir(Path(root) / "jaffe", "JAFFE")
    folder = require_dir(base / "jaffe", "JAFFE images folder")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".tiff", ".tif"))
    return load_files_cached("jaffe", paths, lambda: _build(base, paths), cache)


def _build(base: Path, paths: list[Path]) -> FaceData:
    parsed = []
    for path in paths:
        m = NAME.match(path.name)
        if m is None or m["code"] not in CODE_TO_CLASS:
            raise DatasetError(f"{path}: name does not follow <subject>.<EXPR><n>.<id>.tiff with EXPR in "
                               f"{sorted(CODE_TO_CLASS)}. Rename it or remove it.")
        parsed.append(m)
    images, checksum = load_files(paths, base, "L", SIZE)  # palette TIFFs are converted to L here
    return FaceData(
        name="jaffe", images=images, classes=CLASSES,
        labels=np.array([CLASSES.index(CODE_TO_CLASS[m["code"]]) for m in parsed], dtype=np.int64),
        split=np.full(len(paths), "all"), ids=np.array([p.stem for p in paths]),
        subjects=np.array([m["subject"] for m in parsed]), checksum=checksum, source=str(base),
    )
