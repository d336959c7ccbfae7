"""Finding faces before reading their expression: OpenCV's Haar cascade, whose model ships in the
opencv-python-headless wheel (nothing is downloaded), and the square crop around each face the model reads.

The cascade and the margin were chosen by measurement on JAFFE's 213 full-frame photographs (see `fer bench
predict --faces`, and the README): faces found, accuracy of the published model, and speed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

CASCADES = {"haar-default": "haarcascade_frontalface_default.xml",
            "haar-alt": "haarcascade_frontalface_alt.xml",
            "haar-alt2": "haarcascade_frontalface_alt2.xml"}
DEFAULT_DETECTOR = "haar-alt2"
# FER2013's faces were registered with a little room around the face; a Haar box stops at the eyebrows and
# the chin. The margin (a fraction of the box's side, added on each side) that JAFFE's measurement favoured
# (0.05 of -0.1 to 0.3; from 0.2 on accuracy falls fast).
DEFAULT_MARGIN = 0.05


@dataclass(frozen=True)
class Box:
    """A face's square in pixels of its frame: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int


class FaceDetector:
    """Frontal faces in a grey image, largest first. `min_fraction` ignores faces smaller than that share of
    the image's shorter side (tiny detections in a textured background are mostly false)."""

    def __init__(self, kind: str = DEFAULT_DETECTOR, *, min_fraction: float = 0.08):
        import cv2

        if kind not in CASCADES:
            raise ValueError(f"face detector must be one of {', '.join(CASCADES)}, not {kind!r}")
        path = Path(cv2.data.haarcascades) / CASCADES[kind]
        self.cascade = cv2.CascadeClassifier(str(path))
        if self.cascade.empty():
            raise FileNotFoundError(f"{path}: OpenCV's cascade file is missing; reinstall opencv-python-headless "
                                    "4.x (its wheel ships the Haar cascades), or pass --no-detect.")
        self.kind, self.min_fraction = kind, min_fraction

    def __call__(self, grey: np.ndarray) -> list[Box]:
        side = max(int(min(grey.shape[:2]) * self.min_fraction), 20)
        found = self.cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
        boxes = [Box(int(x), int(y), int(w), int(h)) for x, y, w, h in (found if len(found) else [])]
        return sorted(boxes, key=lambda b: -b.w * b.h)


def crop_face(grey: np.ndarray, box: Box, size: int, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """The face in `box`, widened by `margin` on each side, as a size x size uint8 image. Where the widened
    square leaves the frame the edge pixels are repeated, so the face stays centred."""
    pad = int(round(box.w * margin))
    left, top, side = box.x - pad, box.y - pad, box.w + 2 * pad
    h, w = grey.shape[:2]
    extra = max(0, -left, -top, left + side - w, top + side - h)
    padded = np.pad(grey, extra, mode="edge") if extra else grey
    patch = padded[top + extra:top + extra + side, left + extra:left + extra + side]
    return np.asarray(Image.fromarray(patch).resize((size, size), Image.Resampling.LANCZOS), dtype=np.uint8)


def whole_face(grey: np.ndarray, size: int) -> np.ndarray:
    """The whole image read as one face (no detection): centre-cropped to a square, then resized, as FER2013's
    48x48 crops are read. `fer predict --no-detect`, and any image no bigger than the model's input."""
    from PIL import ImageOps
    return np.asarray(ImageOps.fit(Image.fromarray(grey), (size, size), method=Image.Resampling.LANCZOS),
                      dtype=np.uint8)
