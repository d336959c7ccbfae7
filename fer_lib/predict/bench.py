"""`fer bench predict`: how fast `fer predict` reads faces against the bare model's inference, and how the face
detectors compare on JAFFE's full-frame photographs (faces found, accuracy, speed)."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..data.base import data_root
from ..data.jaffe import CODE_TO_CLASS
from .faces import CASCADES, FaceDetector, crop_face, whole_face
from .inputs import read_image
from .predictor import FACE_SIZE, Predictor


def bare_inference_rate(predictor: Predictor, batch: int | None = None, seconds: float = 3.0) -> float:
    """img/s of the bare network's forward pass on random tensors already in its input shape and layout, in the
    predictor's precision and at its batch of network inputs: the ceiling any prediction path can reach."""
    batch = batch or predictor.config.eval_batch_size * predictor.passes_per_face
    p = predictor.config.preprocess
    side = p.crop or p.size or FACE_SIZE
    fmt = torch.channels_last if predictor.config.channels_last else torch.contiguous_format
    x = torch.randn(batch, p.channels, side, side).contiguous(memory_format=fmt)
    net = predictor.trainer.model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=predictor.trainer.bf16):
        for _ in range(3):  # oneDNN picks its kernels on the first calls
            net(x)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            net(x)
            n += batch
    return n / (time.perf_counter() - start)


def prediction_rate(predictor: Predictor, faces: int = 1024) -> float:
    """Passes per second of `Predictor.probabilities` on `faces` random 48x48 faces (a ten-crop face counts
    ten passes, as the network runs ten times on it)."""
    images = np.random.default_rng(0).integers(0, 256, (faces, FACE_SIZE, FACE_SIZE), dtype=np.uint8)
    predictor.probabilities(images[:128])  # the same warm-up as the bare model's
    start = time.perf_counter()
    predictor.probabilities(images)
    return faces * predictor.passes_per_face / (time.perf_counter() - start)


def speed_report(name: str | None = None) -> str:
    lines = []
    for precision in ("auto", "fp32"):
        predictor = Predictor(name, precision=precision) if name else Predictor(precision=precision)
        bare, ours = bare_inference_rate(predictor), prediction_rate(predictor)
        mode = "bf16" if predictor.trainer.bf16 else "fp32"
        lines.append(f"{predictor.entry.name} ({mode}, {'channels-last' if predictor.config.channels_last else 'contiguous'}"
                     f", {'ten-crop' if predictor.ten_crop else 'one pass'}, {torch.get_num_threads()} threads): "
                     f"prediction {ours:,.0f} passes/s = {ours / predictor.passes_per_face:,.0f} faces/s; "
                     f"bare model inference {bare:,.0f} img/s; ratio {ours / bare:.2f}")
    return "\n".join(lines)


def jaffe_photos(root: str | Path | None = None) -> list[tuple[Path, str]]:
    folder = data_root(root) / "jaffe" / "jaffe"
    files = sorted(folder.glob("*.tiff"))
    if not files:
        raise FileNotFoundError(f"{folder}: no JAFFE images; the detector comparison reads them "
                                "(see data/README.md for the layout).")
    return [(f, CODE_TO_CLASS[f.name.split(".")[1][:2]]) for f in files]


def detector_table(root: str | Path | None = None, margins=(0.0, 0.1, 0.2, 0.3), name: str | None = None
                   ) -> pd.DataFrame:
    """Per detector and margin on JAFFE's 213 photographs (256x256, the face with hair and background): images
    with a face found, accuracy of the published model over all images (no face counts as wrong), and
    detection time per image; plus the whole image read without detection."""
    predictor = Predictor(name) if name else Predictor()
    classes = predictor.entry.classes
    photos = jaffe_photos(root)
    greys = [read_image(p).grey for p, _ in photos]
    truth = np.array([classes.index(c) for _, c in photos])
    rows = []
    whole = predictor.probabilities(np.stack([whole_face(g, FACE_SIZE) for g in greys])).argmax(1)
    rows.append(dict(detector="none (whole image)", margin=None, found=len(photos),
                     accuracy=float((whole == truth).mean()), ms_per_image=0.0))
    for kind in CASCADES:
        detector = FaceDetector(kind)
        start = time.perf_counter()
        boxes = [detector(g) for g in greys]
        ms = (time.perf_counter() - start) / len(greys) * 1000
        found = [i for i, b in enumerate(boxes) if b]
        for margin in margins:
            crops = np.stack([crop_face(greys[i], boxes[i][0], FACE_SIZE, margin) for i in found])
            pred = predictor.probabilities(crops).argmax(1)
            correct = int((pred == truth[found]).sum())
            rows.append(dict(detector=kind, margin=margin, found=len(found), accuracy=correct / len(photos),
                             ms_per_image=ms))
    return pd.DataFrame(rows)
