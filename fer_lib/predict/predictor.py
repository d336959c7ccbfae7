"""Expression probabilities for every face in images and videos, from a published model, batched through the
Trainer's own evaluation path in the precision and memory layout the model's run trained in."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from ..experiments.config import Preprocess, TrainConfig
from ..train.engine import Batches, Trainer
from ..models import REGISTRY, published
from .faces import DEFAULT_DETECTOR, DEFAULT_MARGIN, Box, FaceDetector, crop_face, whole_face
from .inputs import Frame, InputError, is_video, read_image, video_frames

FACE_SIZE = 48  # FER2013's faces: 48x48 grey, cropped to the face
# bf16 and fp32 probabilities of the published model differ by at most this much per class: on FER2013's
# 3,589 PrivateTest faces the largest gap was 0.0172 and 8 faces changed class (measured 2026-11-30); bf16
# then scores the 71.41 % its run recorded, fp32 71.33 %.
BF16_TOLERANCE = 0.02
NO_FACE = "no face found"


@dataclass
class Prediction:
    """What `predict` found: one row per face (or per frame with no face), and one line per failed input."""

    rows: pd.DataFrame
    errors: list[str] = field(default_factory=list)
    frames: list[tuple[Frame, list[Box], list[str]]] = field(default_factory=list)  # kept for --annotate

    @property
    def failed(self) -> bool:
        """True when an input could not be read or a frame had no face."""
        return bool(self.errors) or bool((self.rows["predicted"] == NO_FACE).any())


class Predictor:
    """A published model ready to read faces: `Predictor("fer2013-pushed").probabilities(faces)`.

    Args:
        name: the published model (see `fer_lib.models.published`).
        precision: "auto" runs in bf16 where the model's run trained in bf16 (its config, else the model's
            measured CPU default), "fp32" always in float32.
        folder: where the published models are (tests).
    """

    def __init__(self, name: str = published.DEFAULT, *, precision: str = "auto", folder: Path | None = None):
        if precision not in ("auto", "fp32"):
            raise ValueError(f"precision must be 'auto' or 'fp32', not {precision!r}")
        self.net, self.entry = published.load(name, folder)
        bf16 = precision == "auto" and (self.entry.bf16 if self.entry.bf16 is not None
                                        else REGISTRY[self.entry.model].cpu_bf16)
        # the run's channels_last (every run so far trained channels-last; fp32 reference keeps the default)
        channels_last = precision == "auto" and self.entry.channels_last
        # a model trained on random crops reads each face with ten crops, as its run's reported score did
        self.ten_crop = self.entry.preprocess.get("crop") is not None
        # about 256 network inputs per forward pass: on the CPU a batch of 2,560 crops runs ~20 % slower per
        # image than batches of 256 (`fer bench predict`)
        self.config = TrainConfig(preprocess=Preprocess(**self.entry.preprocess), bf16=bf16,
                                  channels_last=channels_last, eval_batch_size=256 // self.passes_per_face)
        self.trainer = Trainer(self.net, self.config, device="cpu", log=lambda msg: None)

    @property
    def passes_per_face(self) -> int:
        return 10 if self.ten_crop else 1

    def probabilities(self, faces: np.ndarray) -> np.ndarray:
        """(N, classes) probabilities for N uint8 48x48 faces."""
        if len(faces) == 0:
            return np.zeros((0, len(self.entry.classes)), dtype=np.float32)
        return self.trainer.predict(Batches(faces, np.zeros(len(faces))), ten_crop=self.ten_crop)


def frames_of(files: Iterable[Path], every: float, errors: list[str]) -> Iterable[Frame]:
    """Every frame of `files` (an image is one frame), with one line in `errors` for each file that fails."""
    for path in files:
        try:
            if is_video(path):
                yield from video_frames(path, every)
            else:
                yield read_image(path)
        except InputError as exc:
            errors.append(str(exc))


def faces_in(frame: Frame, detector: FaceDetector | None, margin: float = DEFAULT_MARGIN
             ) -> tuple[list[Box | None], list[np.ndarray]]:
    """The faces of one frame as 48x48 crops, with their boxes. Without a detector, or for an image no bigger
    than the model's input, the whole frame is one face (box None)."""
    grey = frame.grey
    if detector is None or max(grey.shape) <= FACE_SIZE:
        return [None], [whole_face(grey, FACE_SIZE)]
    boxes = detector(grey)
    return list(boxes), [crop_face(grey, b, FACE_SIZE, margin) for b in boxes]


def predict(files: Iterable[Path], predictor: Predictor, *, detect: bool = True, detector: str = DEFAULT_DETECTOR,
            margin: float = DEFAULT_MARGIN, every: float = 1.0, keep_frames: bool = False,
            progress: Callable[[Iterable], Iterable] | None = None) -> Prediction:
    """Find and read every face of `files` (images and videos). One row per face: file, time (videos), face
    number, box, the predicted class and each class's probability; a frame without a face is a row saying so.
    Crops are gathered first and read in batches of about 256 network inputs, so throughput does not depend
    on faces per image."""
    finder = FaceDetector(detector) if detect else None
    errors: list[str] = []
    meta, crops, kept = [], [], []
    frames = frames_of(files, every, errors)
    for frame in (progress(frames) if progress else frames):
        boxes, faces = faces_in(frame, finder, margin)
        first = len(meta)
        if not boxes:
            meta.append((frame, None, None))
        for n, (box, face) in enumerate(zip(boxes, faces)):
            meta.append((frame, n, box))
            crops.append(face)
        if keep_frames:
            kept.append((frame, [b for b in boxes if b is not None], list(range(first, len(meta)))))
    probs = predictor.probabilities(np.stack(crops) if crops else np.zeros((0, FACE_SIZE, FACE_SIZE), np.uint8))
    classes = predictor.entry.classes
    rows, k = [], 0
    for frame, n, box in meta:
        row = dict(file=frame.source, time=frame.time, face=n, x=None, y=None, w=None, h=None)
        if n is None:
            row.update(predicted=NO_FACE, **{c: np.nan for c in classes})
        else:
            if box is not None:
                row.update(x=box.x, y=box.y, w=box.w, h=box.h)
            row.update(predicted=classes[int(probs[k].argmax())], **dict(zip(classes, probs[k].tolist())))
            k += 1
        rows.append(row)
    table = pd.DataFrame(rows, columns=["file", "time", "face", "x", "y", "w", "h", "predicted", *classes])
    for col in ("face", "x", "y", "w", "h"):
        table[col] = table[col].astype("Int64")
    # for --annotate: each frame, its boxes, and the label of each of its rows that found a face
    annotations = [(frame, boxes, [table.at[i, "predicted"] for i in idx if table.at[i, "predicted"] != NO_FACE])
                   for frame, boxes, idx in kept]
    return Prediction(table, errors, annotations)
