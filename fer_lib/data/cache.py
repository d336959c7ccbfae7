"""Decoded datasets cached on disk, keyed by a fingerprint of their source files."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

import numpy as np

from ..store.atomic import temporary_for
from .base import FaceData

CACHE_VERSION = 1  # bump when a loader's output changes for the same files


def cache_dir() -> Path:
    """$FER_CACHE, else ~/.cache/fer_lib: the data root may be read-only, so the cache lives elsewhere."""
    return Path(os.environ.get("FER_CACHE", Path.home() / ".cache" / "fer_lib")).expanduser()


def fingerprint(files: list[Path], extra: str = "") -> str:
    """A cheap key over (path, size, mtime) of every source file.

    Hashing the contents of 36k files would cost more than the cached load is allowed to take;
    content checksums are computed once, on the cold load, and stored with the arrays.
    """
    h = hashlib.sha256(f"v{CACHE_VERSION}|{extra}".encode())
    for f in sorted(files):
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:24]


def load_cached(name: str, key: str, build: Callable[[], FaceData]) -> FaceData:
    """Return the cached arrays for `key`, or build, store and return them."""
    path = cache_dir() / f"{name}-{key}.npz"
    if path.exists():
        try:
            return _read(path)
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)  # a truncated cache file is rebuilt, never trusted
    data = build()
    _write(path, data)
    return data


def load_files_cached(name: str, files: list[Path], build: Callable[[], FaceData], cache: bool = True) -> FaceData:
    """`build()` behind the cache, keyed by `files`; cache=False always decodes (and re-verifies checksums)."""
    return load_cached(name, fingerprint(files), build) if cache else build()


def _write(path: Path, data: FaceData) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(name=data.name, classes=list(data.classes), checksum=data.checksum, source=data.source,
                notes=list(data.notes), has_subjects=data.subjects is not None)
    arrays = dict(images=data.images, labels=data.labels, split=data.split.astype(str), ids=data.ids.astype(str),
                  meta=np.array(json.dumps(meta)))
    if data.subjects is not None:
        arrays["subjects"] = data.subjects.astype(str)
    # torchrun ranks and `--jobs` workers can build the same cache at once: the last complete file wins (all
    # are identical), each writer renaming only its own temporary file.
    tmp = temporary_for(path, ".tmp.npz")  # np.savez insists on the .npz ending
    try:
        np.savez(tmp, **arrays)  # uncompressed: a cached FER2013 load must stay under 2 s
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read(path: Path) -> FaceData:
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
        return FaceData(
            name=meta["name"], images=z["images"], labels=z["labels"], classes=tuple(meta["classes"]),
            split=z["split"], ids=z["ids"], subjects=z["subjects"] if meta["has_subjects"] else None,
            checksum=meta["checksum"], source=meta["source"], notes=tuple(meta["notes"]),
        )
