"""Temporary file names for writes that must be atomic when several processes write the same file.

A file is written to a temporary name in its own folder and renamed over the target with os.replace, so a
reader sees the old content or the new, never half. The temporary name is unique per writer: torchrun ranks
and `--jobs` workers can write the same file (a decoded dataset, a shared split) at the same moment, and each
must rename only its own temporary file.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path


def temporary_for(path: Path, suffix: str = ".tmp") -> Path:
    """A name next to `path`, ending in `suffix`, that no other writer uses."""
    return path.with_name(f"{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}{suffix}")


def write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically (see the module docstring)."""
    tmp = temporary_for(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
