"""What `fer predict` writes: a text table, CSV or JSON of its rows, and each frame with its faces marked."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from ..models import published
from .faces import Box
from .inputs import Frame

FORMATS = ("table", "csv", "json")


def header(entry: published.Published, detect: bool) -> str:
    reading = ("faces found by OpenCV's Haar cascade, each read as a 48x48 grey crop" if detect
               else "each image read whole as one 48x48 grey face")
    return (f"model {entry.name} ({entry.model}, run {entry.run}; accuracy of the run: "
            + ", ".join(f"{role} {acc:.2%}" for role, acc in entry.accuracy.items()) + f"); {reading}.")


def render(table: pd.DataFrame, fmt: str, classes: list[str]) -> str:
    """The rows as `fmt`: "table" (probabilities to 3 decimals), "csv" or "json" (full precision, a list of
    objects, null where a value does not apply)."""
    if fmt == "csv":
        return table.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        records = json.loads(table.to_json(orient="records"))
        return json.dumps(records, indent=1)
    if fmt != "table":
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    shown = table.copy()
    if shown["time"].isna().all():
        shown = shown.drop(columns="time")
    if shown["x"].isna().all():
        shown = shown.drop(columns=["face", "x", "y", "w", "h"])
    for c in classes:
        shown[c] = shown[c].map(lambda p: "" if pd.isna(p) else f"{p:.3f}")
    return shown.astype(object).where(shown.notna(), "").to_string(index=False)


def annotated_name(frame: Frame) -> str:
    stem = re.sub(r"[^\w.-]", "_", Path(frame.source).stem)
    return f"{stem}.png" if frame.time is None else f"{stem}_t{frame.time:09.3f}.png"


def annotate(frame: Frame, boxes: list[Box], labels: list[str], folder: Path) -> Path:
    """`frame` with each face's box and predicted class drawn on it, saved as PNG in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(frame.rgb)
    draw = ImageDraw.Draw(image)
    width = max(2, min(image.size) // 150)
    font = ImageFont.load_default(size=max(12, min(image.size) // 25))
    if not boxes and labels:  # read whole: the label in the corner
        draw.text((4, 4), labels[0], fill=(255, 255, 0), font=font, stroke_width=2, stroke_fill=(0, 0, 0))
    for box, label in zip(boxes, labels):
        draw.rectangle([box.x, box.y, box.x + box.w, box.y + box.h], outline=(255, 200, 0), width=width)
        draw.text((box.x, max(box.y - font.size - 4, 0)), label, fill=(255, 255, 0), font=font, stroke_width=2,
                  stroke_fill=(0, 0, 0))
    path = folder / annotated_name(frame)
    image.save(path)
    return path
