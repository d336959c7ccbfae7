"""Class probabilities for face images from a published model (`fer predict IMAGE...`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageOps, UnidentifiedImageError

from .engine import Batches, Preprocess, TrainConfig, Trainer
from .models import published

FACE_SIZE = 48  # FER2013's faces: 48x48 grey, cropped to the face


class ImageError(ValueError):
    """An input image that cannot be read."""


def read_face(path: str | Path, size: int = FACE_SIZE) -> np.ndarray:
    """One image file as a size x size uint8 grey face: any mode is converted to grey (palette and alpha
    included), a non-square image is centre-cropped to a square, then resized. It should show a cropped face,
    as FER2013's images do; nothing here finds the face."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            grey = ImageOps.exif_transpose(im).convert("L")
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{path}: cannot read it as an image ({exc}). Give an image file (PNG, JPEG, ...) "
                         "showing one cropped face.") from None
    return np.asarray(ImageOps.fit(grey, (size, size), method=Image.Resampling.LANCZOS), dtype=np.uint8)


def predict_files(paths: list[str | Path], name: str = published.DEFAULT, folder: Path | None = None) -> pd.DataFrame:
    """One row per image: the file, the most probable class and the probability of each class."""
    net, entry = published.load(name, folder)
    faces = np.stack([read_face(p) for p in paths])  # every file is read (and can fail) before any inference
    # The Trainer's own evaluation path: the same standardisation and resize as the run's. A model trained on
    # random crops is read with ten crops (the score its run reports as "<role>_tencrop"), others whole.
    config = TrainConfig(preprocess=Preprocess(**entry.preprocess), bf16=False, channels_last=False)
    ten_crop = entry.preprocess.get("crop") is not None
    probs = Trainer(net, config, device="cpu", log=lambda msg: None).predict(Batches(faces, np.zeros(len(faces))),
                                                                              ten_crop=ten_crop)
    table = pd.DataFrame(probs, columns=entry.classes)
    table.insert(0, "predicted", [entry.classes[i] for i in probs.argmax(1)])
    table.insert(0, "file", [str(p) for p in paths])
    return table


def format_predictions(table: pd.DataFrame, entry: published.Published) -> str:
    head = (f"model {entry.name} ({entry.model}, run {entry.run}; accuracy of the run: "
            + ", ".join(f"{role} {acc:.2%}" for role, acc in entry.accuracy.items())
            + f"). Each image was converted to {FACE_SIZE}x{FACE_SIZE} grey; it should be a cropped face.")
    shown = table.copy()
    for c in entry.classes:
        shown[c] = shown[c].map(lambda p: f"{p:.3f}")
    return head + "\n" + shown.to_string(index=False)
