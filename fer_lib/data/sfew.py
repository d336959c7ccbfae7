"""SFEW 2.0 aligned faces: `Train/<Class>/*.png` and `Val/<Class>/*.png`, 143x181 RGB."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import FaceData, class_folder_files, load_files, require_dir
from .cache import load_files_cached

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
FOLDER_TO_CLASS = {"Angry": "angry", "Disgust": "disgust", "Fear": "fear", "Happy": "happy", "Sad": "sad",
                   "Surprise": "surprise", "Neutral": "neutral"}
# The test labels were never released; papers report on Val. This copy's Train may lack ~27 images.
OFFICIAL_COUNTS = {"train": 891, "val": 431}
SIZE = (143, 181)


def load(root: Path, cache: bool = True) -> FaceData:
    base = require_dir(Path(root) / "sfew", "SFEW 2.0")
    files = []
    for split, sub in (("train", "Train"), ("val", "Val")):
        files += [(p, c, split) for p, c in class_folder_files(require_dir(base / sub, f"SFEW {sub}"),
                                                                 FOLDER_TO_CLASS, ".png")]
    return load_files_cached("sfew", [f for f, _, _ in files], lambda: _build(base, files), cache)


def _build(base: Path, files) -> FaceData:
    images, checksum = load_files([f for f, _, _ in files], base, "RGB", SIZE)
    return FaceData(
        name="sfew", images=images, classes=CLASSES,
        labels=np.array([CLASSES.index(c) for _, c, _ in files], dtype=np.int64),
        split=np.array([s for _, _, s in files]),
        # The same file name can sit in two class folders, so the id carries the folder.
        ids=np.array([f"{s}/{p.parent.name}/{p.stem}" for p, _, s in files]), checksum=checksum, source=str(base),
    )
