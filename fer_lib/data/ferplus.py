"""FER+ (Microsoft's relabelling of FER2013): ten annotators' votes per FER2013 image, `fer2013new.csv`."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import DatasetError, FaceData, read_sha256sums, require_dir, sha256_bytes, verify_checksum

VOTE_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF")
OFFICIAL_COUNTS = {"rows": 35887}


@dataclass(frozen=True)
class FerPlusVotes:
    usage: np.ndarray        # Training / PublicTest / PrivateTest, row i relabels FER2013 row i
    image_names: np.ndarray  # fer0000000.png ...; empty for rows FER+ dropped
    votes: np.ndarray        # (N, 10) int, columns VOTE_COLUMNS
    checksum: str

    def __len__(self) -> int:
        return len(self.votes)


def load(root: Path) -> FerPlusVotes:
    path = require_dir(Path(root) / "ferplus", "FER+") / "fer2013new.csv"
    if not path.exists():
        raise DatasetError(f"{path}: FER+ votes not found. Get fer2013new.csv from Microsoft's FERPlus repository.")
    data = path.read_bytes()
    verify_checksum(path, path.name, sha256_bytes(data), read_sha256sums(path.parent))
    rows = list(csv.reader(data.decode("utf-8").splitlines()))
    if not rows or rows[0][:2] != ["Usage", "Image name"]:
        raise DatasetError(f"{path}: header must start with 'Usage,Image name', found {rows[0][:2] if rows else None}.")
    usage, names, votes = [], [], []
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) != 2 + len(VOTE_COLUMNS) or not all(v.strip().isdigit() for v in row[2:]):
            raise DatasetError(f"{path}, line {line_no}: expected Usage, Image name and {len(VOTE_COLUMNS)} "
                               "integer vote columns. Restore the original fer2013new.csv.")
        usage.append(row[0])
        names.append(row[1].strip())
        votes.append([int(v) for v in row[2:]])
    return FerPlusVotes(np.array(usage), np.array(names), np.array(votes, dtype=np.int64), sha256_bytes(data))


def majority(votes: FerPlusVotes) -> np.ndarray:
    """Index into VOTE_COLUMNS of each row's most voted column (ties: the first). FER+'s own "majority" scheme
    also drops rows whose winner is unknown / NF or has too few votes; this is the plain count for a summary."""
    return votes.votes.argmax(1)


def join(fer: FaceData, votes: FerPlusVotes) -> np.ndarray:
    """FER+ votes aligned to `fer`'s rows. Needs FER2013 from the CSV form, the only one that keeps row order."""
    if len(fer) and not str(fer.ids[0]).startswith("fer"):
        raise DatasetError(
            f"{fer.source}: FER+ relabels FER2013 by CSV row, but this FER2013 came from the image-folder "
            "packaging, which lost that order. Load FER2013 from fer2013.csv to use FER+."
        )
    rows = np.array([int(str(i)[3:]) for i in fer.ids])
    if rows.max(initial=-1) >= len(votes):
        raise DatasetError(f"FER+ has {len(votes)} rows but FER2013 row {rows.max()} was asked for.")
    return votes.votes[rows]
