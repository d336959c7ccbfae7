"""Fakes for the tests: tiny datasets in each real published format, run records written by the store's own writer,
and the path to the team's real copies. Imported by the tests (`from fakes import ...`); `conftest.py` holds only
the fixtures."""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from fer_lib.data import fer2013

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "datasets"
FER_FOLDERS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")  # Kaggle packaging's names

needs_real_data = pytest.mark.skipif(not (SHARED_DATA / "fer2013" / "archive.zip").exists(),
                                     reason=f"the team's real datasets are not at {SHARED_DATA}")


def write_record(root: Path, experiment: str, name: str, *, config: dict, metrics: dict, provenance: dict,
                 history: str | None = None, predictions: str | None = None, weights: dict | None = None) -> Path:
    """A finished run record in the store `root`, at `root/experiment/name`, written by the store's own writer
    (`store.results.write_record`, which the runner uses too): the one way the tests make records. `history`
    and `predictions` are CSV text with a header row."""
    from fer_lib.store.results import write_record as store_write
    table = lambda text: None if text is None else pd.read_csv(io.StringIO(text))
    folder = Path(root) / experiment / name
    store_write(folder, config=config, metrics=metrics, provenance=provenance, history=table(history),
                predictions=table(predictions), weights=weights)
    return folder


def face(seed: int, size=(48, 48), mode="L") -> np.ndarray:
    """A smooth random image: JPEG keeps it close, and distinct seeds give distinct images."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 6) if mode == "L" else (6, 6, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize(size, Image.BILINEAR))


def encode(array: np.ndarray, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def fer_entries(n_per_split=(6, 3, 3)):
    """(relative path, jpeg bytes) in the Kaggle layout; labels cycle through the seven folders."""
    entries, k = [], 0
    for usage, top, n in zip(("Training", "PublicTest", "PrivateTest"), ("train", "test", "test"), n_per_split):
        for i in range(n):
            folder = FER_FOLDERS[k % 7]
            entries.append((f"{top}/{folder}/{usage}_{1000 + k}.jpg", encode(face(k), "JPEG", quality=95)))
            k += 1
    return entries


def write_fer_zip(root: Path, entries=None) -> Path:
    folder = root / "fer2013"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "archive.zip", "w") as z:
        for name, data in entries or fer_entries():
            z.writestr(name, data)
    return folder / "archive.zip"


def write_fer_folder(root: Path, entries=None) -> Path:
    folder = root / "fer2013"
    for name, data in entries or fer_entries():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def write_fer_csv(root: Path, entries=None) -> Path:
    """The original CSV with the same images as the packaging (decoded JPEG pixels, CSV label order)."""
    from fer_lib.data.fer2013 import CLASSES
    folder = root / "fer2013"
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["emotion,pixels,Usage"]
    for name, data in entries or fer_entries():
        top, cls, fname = name.split("/")
        pixels = np.asarray(Image.open(io.BytesIO(data)).convert("L")).ravel()
        lines.append(f"{CLASSES.index(cls)},{' '.join(map(str, pixels))},{fname.split('_')[0]}")
    (folder / "fer2013.csv").write_text("\n".join(lines) + "\n")
    return folder / "fer2013.csv"


def write_sha256sums(folder: Path, files: list[Path]) -> None:
    lines = [f"{hashlib.sha256(f.read_bytes()).hexdigest()}  ./{f.relative_to(folder).as_posix()}" for f in files]
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def write_jaffe(root: Path) -> Path:
    folder = root / "jaffe" / "jaffe"
    folder.mkdir(parents=True)
    codes = ["AN", "DI", "FE", "HA", "SA", "SU", "NE"]
    for i, (subject, code) in enumerate((s, c) for s in ("KA", "KL") for c in codes):
        img = face(100 + i, (256, 256))
        if i % 5 == 0:  # some JAFFE files are palette TIFFs with a grey palette
            pal = Image.fromarray(img).convert("P", palette=Image.ADAPTIVE, colors=64)
            pal.save(folder / f"{subject}.{code}1.{i + 30}.tiff")
        else:
            Image.fromarray(img).save(folder / f"{subject}.{code}1.{i + 30}.tiff")
    return folder


def write_ckplus(root: Path) -> Path:
    folder = root / "ckplus" / "CK+48"
    names = ["anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"]
    k = 0
    for subject in (10, 11, 12, 13):
        for seq, cls in enumerate(names[:4] if subject % 2 else names[3:]):
            for frame in (17, 18, 19):
                (folder / cls).mkdir(parents=True, exist_ok=True)
                Image.fromarray(face(200 + k)).save(folder / cls / f"S{subject:03d}_{seq + 1:03d}_{frame:08d}.png")
                k += 1
    return folder


def write_sfew(root: Path) -> Path:
    base = root / "sfew"
    k = 0
    for split, n in (("Train", 2), ("Val", 1)):
        for cls in ("Angry", "Disgust", "Fear", "Happy", "Neutral", "Sad", "Surprise"):
            (base / split / cls).mkdir(parents=True)
            for i in range(n):
                Image.fromarray(face(300 + k, (143, 181), "RGB")).save(base / split / cls / f"Movie_{k:09d}_{i:08d}.png")
                k += 1
    return base


def write_rafdb(root: Path, with_images: bool) -> Path:
    basic = root / "rafdb" / "basic"
    (basic / "EmoLabel").mkdir(parents=True)
    names = [f"train_{i:05d}.jpg" for i in range(1, 8)] + [f"test_{i:04d}.jpg" for i in range(1, 4)]
    (basic / "EmoLabel" / "list_patition_label.txt").write_text(
        "\n".join(f"{n} {i % 7 + 1}" for i, n in enumerate(names)) + "\n")
    if with_images:
        (basic / "Image" / "aligned").mkdir(parents=True)
        for i, n in enumerate(names):
            Image.fromarray(face(400 + i, (100, 100), "RGB")).save(
                basic / "Image" / "aligned" / n.replace(".jpg", "_aligned.jpg"), quality=95)
    return basic


def write_ferplus(root: Path, rows: int) -> Path:
    folder = root / "ferplus"
    folder.mkdir(parents=True)
    lines = ["Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"]
    for i in range(rows):
        votes = [0] * 10
        votes[i % 8] = 10
        lines.append(f"Training,fer{i:07d}.png," + ",".join(map(str, votes)))
    (folder / "fer2013new.csv").write_text("\n".join(lines) + "\n")
    return folder / "fer2013new.csv"


def fer_with_twins(tmp_path):
    """A FER2013 zip whose PrivateTest_1010 repeats Training_1000 (same label) and PublicTest_1007 repeats
    Training_1001 under another label; Training_1002 and Training_1003 are twins inside Training."""
    entries, k = [], 0
    pixels = {i: face(i) for i in range(12)}
    pixels[10], pixels[7], pixels[3] = pixels[0], pixels[1], pixels[2]
    for usage, top, n in (("Training", "train", 6), ("PublicTest", "test", 3), ("PrivateTest", "test", 3)):
        for _ in range(n):
            folder = "angry" if k in (0, 10, 1) else ("happy" if k == 7 else "sad")
            entries.append((f"{top}/{folder}/{usage}_{1000 + k}.jpg", encode(pixels[k], "PNG")))
            k += 1
    write_fer_zip(tmp_path, entries)
    return fer2013.load(tmp_path)  # the module loader: three classes on purpose, no completeness check
