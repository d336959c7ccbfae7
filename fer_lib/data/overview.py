"""What each dataset holds: images per split and class, the files' sizes and modes, and its subjects."""
from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from .audit import SPLIT_ORDER
from .base import FaceData

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tiff", ".tif", ".bmp")


def split_class_table(labels: np.ndarray, split: np.ndarray, classes) -> pd.DataFrame:
    """Images per split (rows) and class (columns), with totals both ways; for a FaceData `d`:
    `split_class_table(d.labels, d.split, d.classes)`. Works on label lists without images too (RAF-DB)."""
    table = pd.crosstab(pd.Series(split, name="split"),
                        pd.Categorical([classes[k] for k in labels], categories=classes),
                        margins=True, margins_name="total", dropna=False)
    table.columns.name = None
    if len(set(split)) == 1:
        return table.drop(index="total")
    order = sorted(set(split), key=lambda n: (SPLIT_ORDER.index(n) if n in SPLIT_ORDER else len(SPLIT_ORDER), n))
    return table.loc[order + ["total"]]


def stored_geometry(data: FaceData) -> str:
    """The shape every image has in memory, e.g. "48x48 grey" or "143x181 RGB" (width x height)."""
    h, w = data.images.shape[1:3]
    return f"{w}x{h} {'RGB' if data.images.ndim == 4 else 'grey'}"


def file_formats(folder: Path) -> pd.DataFrame:
    """Image files under `folder` (zip archives opened too) counted by format, size and PIL mode.

    Only the headers are read, so this is quick even for FER2013's 35,887 files. The loaders convert every
    mode to one (grey or RGB); this table shows what they converted from, e.g. JAFFE's palette TIFFs.
    """
    counts: Counter = Counter()
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            with Image.open(path) as im:
                counts[(im.format, f"{im.size[0]}x{im.size[1]}", im.mode)] += 1
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if Path(info.filename).suffix.lower() in IMAGE_SUFFIXES:
                        with Image.open(io.BytesIO(archive.read(info))) as im:
                            counts[(im.format, f"{im.size[0]}x{im.size[1]}", im.mode)] += 1
    rows = [dict(format=f, size=s, mode=m, files=n) for (f, s, m), n in counts.most_common()]
    return pd.DataFrame(rows, columns=["format", "size", "mode", "files"])


def subject_table(data: FaceData) -> pd.DataFrame:
    """One row per subject: images, sequences where ids carry them (CK+ `S005_001_...`), and classes shown."""
    if data.subjects is None:
        raise ValueError(f"{data.name} has no subject ids; only JAFFE and CK+ name their subjects")
    frame = pd.DataFrame({"subject": data.subjects, "cls": [data.classes[k] for k in data.labels], "id": data.ids})
    table = frame.groupby("subject").agg(images=("id", "size"), classes=("cls", "nunique"))
    if all(str(i).count("_") >= 2 for i in data.ids):  # CK+: S<subject>_<sequence>_<frame>
        frame["sequence"] = [str(i).rsplit("_", 1)[0] for i in data.ids]
        table["sequences"] = frame.groupby("subject").sequence.nunique()
    return table.sort_values("images", ascending=False)


def same_file_in_two_classes(data: FaceData) -> pd.DataFrame:
    """Files of one split whose name appears under more than one class folder (ids `split/Folder/stem`),
    with whether their pixels are identical: one image, two labels."""
    parts = pd.Series(data.ids).str.split("/", expand=True)
    if parts.shape[1] != 3:
        raise ValueError(f"{data.name} ids are not 'split/Folder/stem'; this check is for class-folder datasets")
    frame = pd.DataFrame({"split": parts[0], "stem": parts[2], "index": np.arange(len(data))})
    rows = []
    for (split, stem), group in frame.groupby(["split", "stem"]):
        if len(group) > 1:
            idx = group["index"].to_numpy()
            rows.append(dict(split=split, file=stem, classes=", ".join(data.classes[data.labels[i]] for i in idx),
                             pixel_identical=bool(all(np.array_equal(data.images[idx[0]], data.images[i]) for i in idx))))
    return pd.DataFrame(rows, columns=["split", "file", "classes", "pixel_identical"])
