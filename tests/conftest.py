"""The tests' fixtures: an isolated cache and run store for every test, and a tiny FER2013 archive on request.
The helpers that make fake datasets and records live in `fakes.py`."""
from __future__ import annotations

from pathlib import Path

import pytest

from fakes import write_fer_zip


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own decode cache and run store, so no test sees another's leftovers."""
    monkeypatch.setenv("FER_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("FER_RUNS", str(tmp_path_factory.mktemp("runs")))


@pytest.fixture
def fer_zip_root(tmp_path) -> Path:
    write_fer_zip(tmp_path)
    return tmp_path
