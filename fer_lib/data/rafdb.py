"""RAF-DB basic: `basic/EmoLabel/list_patition_label.txt` and `basic/Image/aligned/<name>_aligned.jpg` (100x100 RGB)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import DatasetError, FaceData, load_files, require_dir
from .cache import load_files_cached

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
# list_patition_label.txt numbers the classes 1..7 in this order.
LABEL_TO_CLASS = {1: "surprise", 2: "fear", 3: "disgust", 4: "happy", 5: "sad", 6: "angry", 7: "neutral"}
OFFICIAL_COUNTS = {"train": 12271, "test": 3068}
SIZE = (100, 100)


def load_labels(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image names, labels in CLASSES order, split) from the official label list."""
    path = require_dir(Path(root) / "rafdb" / "basic", "RAF-DB basic") / "EmoLabel" / "list_patition_label.txt"
    if not path.exists():
        raise DatasetError(f"{path}: RAF-DB label list not found. It ships with RAF-DB basic (see data/README.md).")
    names, labels, split = [], [], []
    for line_no, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) not in LABEL_TO_CLASS \
                or not parts[0].startswith(("train_", "test_")):
            raise DatasetError(f"{path}, line {line_no}: expected '<train|test>_NNNNN.jpg <1..7>', found {line!r}.")
        names.append(parts[0])
        labels.append(CLASSES.index(LABEL_TO_CLASS[int(parts[1])]))
        split.append(parts[0].split("_", 1)[0])
    return np.array(names), np.array(labels, dtype=np.int64), np.array(split)


def aligned_path(basic: Path, name: str) -> Path:
    return basic / "Image" / "aligned" / name.replace(".jpg", "_aligned.jpg")


def load(root: Path, cache: bool = True) -> FaceData:
    basic = Path(root) / "rafdb" / "basic"
    names, labels, split = load_labels(root)
    paths = [aligned_path(basic, n) for n in names]
    missing = [p for p in paths if not p.exists()]
    if missing:
        counts = {s: int(np.sum(split[[not p.exists() for p in paths]] == s)) for s in ("train", "test")}
        raise DatasetError(
            f"{basic / 'Image' / 'aligned'}: {len(missing)} of {len(paths)} RAF-DB aligned images are missing "
            f"({counts['train']} train, {counts['test']} test; first missing: {missing[0].name}). Only the labels "
            "are present. RAF-DB images are released by its authors on request; put them in basic/Image/aligned/."
        )
    return load_files_cached("rafdb", paths, lambda: _build(basic, names, labels, split, paths), cache)


def _build(basic, names, labels, split, paths) -> FaceData:
    images, checksum = load_files(paths, basic.parent, "RGB", SIZE)
    return FaceData(name="rafdb", images=images, labels=labels, classes=CLASSES, split=split,
                    ids=np.array([n.rsplit(".", 1)[0] for n in names]), checksum=checksum, source=str(basic))
