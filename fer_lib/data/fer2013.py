"""FER2013 from either published form: the original `fer2013.csv` or the Kaggle image-folder packaging."""
from __future__ import annotations

import csv
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from .base import (DatasetError, FaceData, combine_digests, decode_image, read_sha256sums, require_dir,
                   sha256_bytes, verify_checksum)
from .cache import load_files_cached

# The original CSV's label order (emotion 0..6); every FER2013 form is mapped onto it.
CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
USAGE_TO_SPLIT = {"Training": "train", "PublicTest": "public_test", "PrivateTest": "private_test"}
FOLDER_FOR_SPLIT = {"train": "train", "public_test": "test", "private_test": "test"}
OFFICIAL_COUNTS = {"train": 28709, "public_test": 3589, "private_test": 3589}
SIZE = (48, 48)


def load(root: Path, form: str = "auto", cache: bool = True) -> FaceData:
    """Load FER2013 from `root/fer2013/`.

    form: "csv" (fer2013.csv), "zip" (archive.zip as downloaded), "folder" (archive extracted: train/, test/),
    or "auto": the CSV when present (it keeps the row order FER+ needs), else the folder, else the zip.
    """
    folder = require_dir(Path(root) / "fer2013", "FER2013")
    form = _pick_form(folder) if form == "auto" else form
    if form == "csv":
        source = [folder / "fer2013.csv"]
        build = lambda: _from_csv(folder / "fer2013.csv")  # noqa: E731
    elif form == "zip":
        source = [folder / "archive.zip"]
        build = lambda: _from_zip(folder / "archive.zip")  # noqa: E731
    elif form == "folder":
        source = sorted(p for p in folder.glob("t*/*/*") if p.is_file())
        build = lambda: _from_folder(folder)  # noqa: E731
    else:
        raise ValueError(f"form must be 'auto', 'csv', 'zip' or 'folder', not {form!r}")
    for path in source:
        if not path.exists():
            raise DatasetError(f"{path}: not found. Put FER2013 there ({form} form) or choose another form.")
    return load_files_cached(f"fer2013-{form}", source, build, cache)


def _pick_form(folder: Path) -> str:
    if (folder / "fer2013.csv").exists():
        return "csv"
    if (folder / "train").is_dir() and (folder / "test").is_dir():
        return "folder"
    if (folder / "archive.zip").exists():
        return "zip"
    raise DatasetError(
        f"{folder}: holds neither fer2013.csv, nor train/ and test/ folders, nor archive.zip. "
        "Download FER2013 (see data/README.md) and place one of these forms there."
    )


def _from_csv(path: Path) -> FaceData:
    data = path.read_bytes()
    verify_checksum(path, path.name, sha256_bytes(data), read_sha256sums(path.parent))
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text (byte {exc.start}). Is this the original fer2013.csv?") from None
    if "\0" in text:
        raise DatasetError(f"{path}: contains NUL bytes; the file is corrupt. Restore the original fer2013.csv.")
    rows = _csv_rows(path, text)
    header = next(rows, (1, None))[1]
    if header is None or [h.strip() for h in header[:3]] != ["emotion", "pixels", "Usage"]:
        raise DatasetError(f"{path}: the header must be 'emotion,pixels,Usage', found {header!r}. "
                           "Is this the original fer2013.csv?")
    images, labels, split = [], [], []
    for line_no, row in rows:
        where = f"{path}, line {line_no}"
        if len(row) < 3:
            raise DatasetError(f"{where}: expected 3 columns (emotion, pixels, Usage), found {len(row)}. "
                               "The file is truncated or edited; restore the original fer2013.csv.")
        emotion, pixels, usage = row[0].strip(), row[1].split(), row[2].strip()
        if not emotion.isdigit() or int(emotion) >= len(CLASSES):
            raise DatasetError(f"{where}: emotion {emotion!r} is not a label 0..6. Restore the original fer2013.csv.")
        if usage not in USAGE_TO_SPLIT:
            raise DatasetError(f"{where}: Usage {usage!r} is not one of {sorted(USAGE_TO_SPLIT)}.")
        if len(pixels) != SIZE[0] * SIZE[1]:
            raise DatasetError(f"{where}: {len(pixels)} pixel values, expected {SIZE[0] * SIZE[1]} (48x48). "
                               "Restore the original fer2013.csv.")
        try:
            image = np.array(pixels, dtype=np.int64)
        except ValueError:
            raise DatasetError(f"{where}: the pixels column holds a value that is not an integer.") from None
        if image.min() < 0 or image.max() > 255:
            raise DatasetError(f"{where}: pixel values must lie in 0..255.")
        images.append(image.astype(np.uint8).reshape(SIZE[1], SIZE[0]))
        labels.append(int(emotion))
        split.append(USAGE_TO_SPLIT[usage])
    n = len(images)
    # fer0000000-style ids match the "Image name" column of FER+ (fer2013new.csv), which relabels row i.
    return FaceData(
        name="fer2013", images=np.stack(images) if n else np.zeros((0, 48, 48), np.uint8),
        labels=np.array(labels, dtype=np.int64), classes=CLASSES, split=np.array(split),
        ids=np.array([f"fer{i:07d}" for i in range(n)]), checksum=sha256_bytes(data), source=str(path),
    )


def _csv_rows(path: Path, text: str):
    """(line number, row) for each CSV row; a row the csv module cannot read becomes a DatasetError."""
    reader = csv.reader(text.splitlines())
    while True:
        first_line = reader.line_num + 1  # a quoted field may run over several lines
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # An unclosed quote makes the reader join every following line into one field until it
            # passes the csv module's field limit: name the line where that row began.
            raise DatasetError(f"{path}, line {first_line}: not readable as CSV ({exc}). A quote (\") that "
                               "never closes swallows the lines after it. Restore the original fer2013.csv.") from None
        yield first_line, row


def _parse_member(name: str, where: str) -> tuple[str, int, str] | None:
    """(split, label, id) for `train/<class>/Training_<id>.jpg`; None for entries that are not images."""
    parts = PurePosixPath(name).parts
    if name.endswith("/") or parts[-1].startswith("."):
        return None
    if len(parts) != 3 or parts[0] not in ("train", "test"):
        raise DatasetError(f"{where}: unexpected entry {name!r}; expected train/<class>/<file>.jpg or "
                           "test/<class>/<file>.jpg as in the Kaggle FER2013 packaging.")
    top, cls, fname = parts
    if cls not in CLASSES:
        raise DatasetError(f"{where}: unknown class folder {cls!r} (in {name!r}); FER2013 has {', '.join(CLASSES)}. "
                           "Remove or rename that folder.")
    stem = PurePosixPath(fname).stem
    usage = stem.split("_", 1)[0]
    split = USAGE_TO_SPLIT.get(usage)
    if split is None or FOLDER_FOR_SPLIT[split] != top:
        raise DatasetError(f"{where}: {name!r} does not match the packaging's naming "
                           "(train/ holds Training_*, test/ holds PublicTest_* and PrivateTest_*).")
    return split, CLASSES.index(cls), stem


def _assemble(entries: list[tuple[str, int, str, np.ndarray, str]], source: str) -> FaceData:
    entries.sort(key=lambda e: e[2])  # by id, so zip and folder give the same order
    return FaceData(
        name="fer2013",
        images=np.stack([e[3] for e in entries]) if entries else np.zeros((0, 48, 48), np.uint8),
        labels=np.array([e[1] for e in entries], dtype=np.int64), classes=CLASSES,
        split=np.array([e[0] for e in entries]), ids=np.array([e[2] for e in entries]),
        checksum=combine_digests(e[4] for e in entries), source=source,
    )


def _from_zip(path: Path) -> FaceData:
    raw = path.read_bytes()
    verify_checksum(path, path.name, sha256_bytes(raw), read_sha256sums(path.parent))
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise DatasetError(f"{path}: not a readable zip archive. Download archive.zip again.") from None
    entries, seen = [], set()
    with archive:
        for info in archive.infolist():
            if info.filename in seen:  # (one file in two class folders is a real FER2013 quirk; the same path twice is not)
                raise DatasetError(f"{path}: the entry {info.filename!r} appears twice in the archive. "
                                   "The archive was edited; download archive.zip again.")
            seen.add(info.filename)
            parsed = _parse_member(info.filename, str(path))
            if parsed is None:
                continue
            split, label, stem = parsed
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
                raise DatasetError(f"{path}:{info.filename}: cannot be read from the archive ({exc}). "
                                   "The archive is damaged; download archive.zip again.") from None
            image = decode_image(data, f"{path}:{info.filename}", "L", SIZE)
            entries.append((split, label, stem, image, sha256_bytes(data)))
    data = _assemble(entries, str(path))
    # The dataset checksum of the zip form is the archive's own digest, as SHA256SUMS lists it.
    return FaceData(**{**data.__dict__, "checksum": sha256_bytes(raw)})


def _from_folder(folder: Path) -> FaceData:
    sums = read_sha256sums(folder)
    entries = []
    for path in sorted(p for top in ("train", "test") for p in (folder / top).rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        parsed = _parse_member(rel, str(path))
        if parsed is None:
            continue
        split, label, stem = parsed
        data = path.read_bytes()
        digest = sha256_bytes(data)
        verify_checksum(path, rel, digest, sums)
        entries.append((split, label, stem, decode_image(data, str(path), "L", SIZE), digest))
    return _assemble(entries, str(folder))
