"""The one in-memory form every dataset loader returns, and the helpers loaders share."""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

# Loaders map each dataset's own label names onto these, in this order where the dataset has them,
# so that "happy" means the same thing in every chapter.
EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral", "contempt")


class DatasetError(ValueError):
    """A dataset file is missing, unreadable or not in the expected layout; the message says what to do."""


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: the explicit argument, else $FER_DATA, else `data/` in the working directory."""
    if root is not None:
        return Path(root).expanduser()
    return Path(os.environ.get("FER_DATA", "data")).expanduser()


@dataclass(frozen=True)
class FaceData:
    """Images and labels of one dataset, held in memory.

    images: uint8, (N, H, W) for grey or (N, H, W, 3) for colour.
    labels: int64 indices into `classes`.
    split:  the official split of each image ("train", "public_test", "private_test", "val", "test", or "all").
    ids:    a stable string id per image (file stem or CSV row).
    subjects: subject id per image where the dataset has them, else None.
    checksum: sha256 over the source files' contents, for run provenance.
    """

    name: str
    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    split: np.ndarray
    ids: np.ndarray
    subjects: np.ndarray | None = None
    checksum: str = ""
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        n = len(self.images)
        for attr in ("labels", "split", "ids") + (("subjects",) if self.subjects is not None else ()):
            if len(getattr(self, attr)) != n:
                raise ValueError(f"{self.name}: {attr} has {len(getattr(self, attr))} entries for {n} images")

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, index) -> "FaceData":
        """Rows selected by an integer index array or a boolean mask."""
        index = np.asarray(index)
        return replace(
            self,
            images=self.images[index],
            labels=self.labels[index],
            split=self.split[index],
            ids=self.ids[index],
            subjects=None if self.subjects is None else self.subjects[index],
        )


    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(self.classes))
        return {c: int(k) for c, k in zip(self.classes, counts)}


def decode_image(data: bytes, where: str, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    """Decode one image file's bytes into a uint8 array in `mode` ("L" or "RGB").

    `size` is (width, height) as PIL reports it; a different size is an error, not a silent resize,
    because every loader promises its dataset's published geometry.
    """
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if size is not None and im.size != tuple(size):
                raise DatasetError(
                    f"{where}: image is {im.size[0]}x{im.size[1]}, expected {size[0]}x{size[1]}. "
                    "Replace it with the file from the original release (see data/README.md)."
                )
            # Palette images (some JAFFE TIFFs) must be converted through their palette, not read as indices.
            return np.asarray(im.convert(mode), dtype=np.uint8)
    except DatasetError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DatasetError(
            f"{where}: cannot decode the image ({exc}). The file is corrupt or not an image; "
            "re-download it from the original release (see data/README.md)."
        ) from None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_sha256sums(folder: Path) -> dict[str, str]:
    """`SHA256SUMS` in `folder` as {relative path: digest}; empty when the folder has none."""
    sums_file = folder / "SHA256SUMS"
    if not sums_file.exists():
        return {}
    sums = {}
    for line in sums_file.read_text().splitlines():
        if line.strip():
            digest, _, name = line.partition("  ")
            sums[os.path.normpath(name.strip())] = digest.strip()
    return sums


def verify_checksum(path: Path, relname: str, digest: str, sums: dict[str, str]) -> None:
    """Raise when `SHA256SUMS` lists this file with another digest."""
    expected = sums.get(os.path.normpath(relname))
    if expected is not None and expected != digest:
        raise DatasetError(
            f"{path}: checksum mismatch (SHA256SUMS says {expected[:12]}..., the file hashes to {digest[:12]}...). "
            "The file changed since the dataset was verified; restore it from the original release."
        )


def combine_digests(digests) -> str:
    """One checksum for a dataset from its files' digests, independent of listing order."""
    h = hashlib.sha256()
    for d in sorted(digests):
        h.update(d.encode())
    return h.hexdigest()


def require_dir(path: Path, dataset: str) -> Path:
    if not path.is_dir():
        raise DatasetError(
            f"{path}: {dataset} not found. Put the dataset there in its published layout "
            "(see data/README.md) or point --data-root / FER_DATA at the folder that holds it."
        )
    return path


def load_files(paths: list[Path], base: Path, mode: str, size: tuple[int, int] | None) -> tuple[np.ndarray, str]:
    """Decode image files into one uint8 array, verifying each against `base/SHA256SUMS` when it exists.

    Returns the stacked images and the dataset checksum (over all files' digests).
    """
    sums = read_sha256sums(base)
    images, digests = [], []
    for path in paths:
        data = path.read_bytes()
        digest = sha256_bytes(data)
        verify_checksum(path, path.relative_to(base).as_posix(), digest, sums)
        images.append(decode_image(data, str(path), mode, size))
        digests.append(digest)
    if not images:
        raise DatasetError(f"{base}: no image files found. Check the layout against data/README.md.")
    return np.stack(images), combine_digests(digests)


def class_folder_files(folder: Path, class_map: dict[str, str], suffix: str) -> list[tuple[Path, str]]:
    """(file, canonical class) for every `<folder>/<ClassFolder>/*<suffix>`; unknown class folders are an error."""
    files = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        if sub.name not in class_map:
            raise DatasetError(f"{sub}: unknown class folder {sub.name!r}; expected one of {sorted(class_map)}. "
                               "Remove or rename it.")
        files += [(p, class_map[sub.name]) for p in sorted(sub.glob(f"*{suffix}"))]
    return files
