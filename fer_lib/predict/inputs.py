"""What `fer predict` reads: files, folders (recursively) and globs expanded to images and videos, each read
as grey frames (an image is one frame; a video is sampled every few seconds)."""
from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"})


class InputError(ValueError):
    """An input that cannot be read; its message names the file and what to do."""


@dataclass(frozen=True)
class Frame:
    """One picture to find faces in: an image file, or one sampled frame of a video (`time` in seconds)."""

    source: str
    rgb: np.ndarray            # H x W x 3 uint8, kept for drawing the boxes
    time: float | None = None  # None for an image

    @property
    def grey(self) -> np.ndarray:
        # ITU-R 601 luma, as PIL's convert("L") computes it, so a grey file and its RGB copy read alike
        return np.asarray(Image.fromarray(self.rgb).convert("L"), dtype=np.uint8)


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def expand(specs: list[str]) -> tuple[list[Path], list[str]]:
    """The files named by `specs` (files, folders searched recursively for images and videos, glob patterns),
    in order and without repeats, and one error line per spec that names nothing."""
    files, errors, seen = [], [], set()
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES)
            if not found:
                errors.append(f"{path}: no images or videos in this folder (looked for "
                              f"{', '.join(sorted(IMAGE_SUFFIXES | VIDEO_SUFFIXES))}).")
        elif glob.has_magic(spec):
            found = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
            if not found:
                errors.append(f"{spec}: the pattern matches no file.")
        else:
            found = [path]  # a missing or unreadable file is reported when it is read
        for p in found:
            if p.resolve() not in seen:
                seen.add(p.resolve())
                files.append(p)
    return files, errors


def read_image(path: str | Path) -> Frame:
    """One image file as a frame: EXIF orientation applied, any mode (grey, palette, alpha) converted to RGB."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            rgb = ImageOps.exif_transpose(im).convert("RGB")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path}: cannot read it as an image ({exc}). Give an image file (PNG, JPEG, ...) "
                         "or a video.") from None
    return Frame(str(path), np.asarray(rgb, dtype=np.uint8))


def video_frames(path: str | Path, every: float = 1.0) -> Iterator[Frame]:
    """Frames of a video file, one every `every` seconds from the start (by the video's own frame rate)."""
    import os
    # FFmpeg's own complaints about a broken file would add lines beside our one error line
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    import cv2  # OpenCV decodes the common containers without a system ffmpeg

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file.")
    if every <= 0:
        raise ValueError(f"the sampling interval must be positive seconds, not {every!r}")
    capture = cv2.VideoCapture(str(path))
    try:
        fps = capture.get(cv2.CAP_PROP_FPS) if capture.isOpened() else 0
        if not capture.isOpened() or not fps or fps <= 0:
            raise InputError(f"{path}: cannot decode it as a video (OpenCV opened no stream). Convert it to "
                             "MP4 (H.264) or AVI (MJPEG), or give its frames as images.")
        index, next_time, any_frame = 0, 0.0, False
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            any_frame = True
            time = index / fps
            if time + 1e-9 >= next_time:
                yield Frame(str(path), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), round(time, 3))
                next_time += every
            index += 1
        if not any_frame:
            raise InputError(f"{path}: the video holds no frame OpenCV can decode.")
    finally:
        capture.release()
