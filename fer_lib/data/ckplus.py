"""CK+ in the common 'CK+48' packaging: `CK+48/<class>/S<subject>_<sequence>_<frame>.png`, 48x48 grey."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .base import DatasetError, FaceData, class_folder_files, load_files, require_dir
from .cache import load_files_cached

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "contempt")
FOLDER_TO_CLASS = {"anger": "angry", "disgust": "disgust", "fear": "fear", "happy": "happy", "sadness": "sad",
                   "surprise": "surprise", "contempt": "contempt"}
OFFICIAL_COUNTS = {"all": 981}
OFFICIAL_CLASS_COUNTS = {"angry": 135, "disgust": 177, "fear": 75, "happy": 207, "sad": 84, "surprise": 249,
                         "contempt": 54}
NAME = re.compile(r"^S(?P<subject>\d{3})_(?P<sequence>\d{3})_(?P<frame>\d{8})\.png$")
SIZE = (48, 48)


def load(root: Path, cache: bool = True) -> FaceData:
    base = require_dir(Path(root) / "ckplus", "CK+")
    folder = require_dir(base / "CK+48", "CK+48 class folders")
    files = class_folder_files(folder, FOLDER_TO_CLASS, ".png")
    return load_files_cached("ckplus", [f for f, _ in files], lambda: _build(base, files), cache)


def _build(base: Path, files: list[tuple[Path, str]]) -> FaceData:
    matches = []
    for path, _ in files:
        m = NAME.match(path.name)
        if m is None:
            raise DatasetError(f"{path}: name does not follow S<subject>_<sequence>_<frame>.png "
                               "(e.g. S010_004_00000017.png). Rename it or remove it.")
        matches.append(m)
    images, checksum = load_files([f for f, _ in files], base, "L", SIZE)
    return FaceData(
        name="ckplus", images=images, classes=CLASSES,
        labels=np.array([CLASSES.index(c) for _, c in files], dtype=np.int64),
        split=np.full(len(files), "all"), ids=np.array([p.stem for p, _ in files]),
        # Folds must keep a subject's near-identical frames together, so the subject is kept per image.
        subjects=np.array([f"S{m['subject']}" for m in matches]), checksum=checksum, source=str(base),
        notes=("sequence id per image is the middle field of the id (S<subject>_<sequence>_<frame>)",),
    )
