"""Degenerate and malformed datasets: one DatasetError naming the file (and row), or a loaded dataset with the
right counts; never a traceback from numpy / PIL / zipfile / csv, never a silent success with a wrong count."""
from __future__ import annotations

import string
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fer_lib import data
from fer_lib.cli import main
from fer_lib.data.base import DatasetError
from fer_lib.data.validate import PartialDatasetWarning

from fakes import encode, face, fer_entries, write_fer_folder, write_fer_zip

CSV_HEADER = "emotion,pixels,Usage\n"
PIXELS = " ".join(["128"] * 2304)


def _load(root: Path, form: str):
    return data.load("fer2013", root, form=form, cache=False)


@pytest.mark.parametrize("form", ["csv", "zip", "folder"])
def test_a_copy_with_no_images_names_its_source(tmp_path, form):
    folder = tmp_path / "fer2013"
    folder.mkdir()
    if form == "csv":
        (folder / "fer2013.csv").write_text(CSV_HEADER)
    elif form == "zip":
        with zipfile.ZipFile(folder / "archive.zip", "w") as z:
            z.writestr("train/happy/", b"")
    else:
        (folder / "train" / "happy").mkdir(parents=True)
        (folder / "test").mkdir()
    with pytest.raises(DatasetError, match="holds no images") as err:
        _load(tmp_path, form)
    assert str(folder) in str(err.value)


def test_an_empty_official_split_is_an_error(tmp_path):
    write_fer_zip(tmp_path, [e for e in fer_entries((14, 7, 7)) if "PrivateTest" not in e[0]])
    with pytest.raises(DatasetError, match=r"archive\.zip: the official split\(s\) private_test .* came out empty"):
        _load(tmp_path, "zip")


def test_an_empty_class_is_an_error(tmp_path):
    write_fer_zip(tmp_path, [e for e in fer_entries((14, 7, 7)) if "/disgust/" not in e[0]])
    with pytest.raises(DatasetError, match="no image of class\\(es\\) disgust"):
        _load(tmp_path, "zip")


def test_a_partial_copy_warns_and_the_run_record_keeps_it(tmp_path):
    write_fer_zip(tmp_path, fer_entries((14, 7, 7)))
    with pytest.warns(PartialDatasetWarning, match="28 of 35887 official images"):
        loaded = _load(tmp_path, "zip")
    assert len(loaded) == 28 and loaded.notes and "partial copy of fer2013" in loaded.notes[0]


def test_data_check_says_missing_or_broken_and_fails_only_on_broken(tmp_path, capsys):
    assert main(["data", "check", "--data-root", str(tmp_path)]) == 0  # nothing there: all missing, fine
    assert all(line.split()[-2] != "broken" for line in capsys.readouterr().out.splitlines()[2:] if line.strip())
    (tmp_path / "fer2013").mkdir()
    (tmp_path / "fer2013" / "archive.zip").write_bytes(b"this is not a zip")
    assert main(["data", "check", "--data-root", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    row = next(line for line in captured.out.splitlines() if line.startswith("fer2013"))
    assert "broken" in row and "not a readable zip archive" in row
    assert "fer2013 present but broken" in captured.err


# ---------------------------------------------------------------- property-based: generated malformed inputs
def _good_row(i: int) -> str:
    usage = ("Training", "PublicTest", "PrivateTest")[i % 3]
    return f"{i % 7},{PIXELS},{usage}"


BAD_ROWS = st.one_of(
    st.just(""),                                              # a blank line (skipped by csv: no row)
    st.just("3"),                                             # truncated
    st.just(f"9,{PIXELS},Training"),                          # label out of range
    st.just(f"x,{PIXELS},Training"),                          # not a number
    st.just(f"3,{PIXELS},Validation"),                        # unknown usage
    st.just(f"3,{' '.join(['1'] * 2000)},Training"),          # wrong image size
    st.just(f"3,{' '.join(['300'] * 2304)},Training"),        # value out of range
    st.just(f"3,{' '.join(['a'] * 2304)},Training"),          # not an integer
    st.text(alphabet=string.printable, max_size=40),          # anything
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=st.lists(st.tuples(st.integers(0, 41), BAD_ROWS), max_size=3), header_ok=st.booleans())
def test_csv_reader_loads_right_counts_or_names_file_and_line(tmp_path_factory, bad, header_ok):
    root = tmp_path_factory.mktemp("csv")
    (root / "fer2013").mkdir()
    rows = [_good_row(i) for i in range(42)]
    for position, text in bad:
        rows.insert(position, text)
    header = CSV_HEADER if header_ok else "label,pixels,Usage\n"
    path = root / "fer2013" / "fer2013.csv"
    path.write_text(header + "\n".join(rows) + "\n")
    try:
        loaded = _load(root, "csv")
    except DatasetError as exc:
        assert str(path) in str(exc)
        assert not header_ok or "line " in str(exc)  # a bad row is named by its line
        return
    # it loaded: then every row was a good one, and the counts are exactly those rows
    assert header_ok
    assert len(loaded) == 42 and not any(t.strip() for _, t in bad)  # only blank lines may be added
    assert np.bincount(loaded.labels, minlength=7).tolist() == [6] * 7



def test_csv_reader_names_the_line_of_a_quote_that_never_closes(tmp_path):
    # Found by the property test above: an unclosed quote joins every later line into one field, which
    # passes the csv module's 131,072-character limit and used to escape as a bare _csv.Error.
    (tmp_path / "fer2013").mkdir()
    rows = [_good_row(i) for i in range(60)]
    rows.insert(7, '"' + rows[7])  # becomes line 9: the header is line 1, rows 0..6 are lines 2..8
    path = tmp_path / "fer2013" / "fer2013.csv"
    path.write_text(CSV_HEADER + "\n".join(rows) + "\n")
    with pytest.raises(DatasetError, match=r"fer2013\.csv, line 9: not readable as CSV \(field larger"):
        _load(tmp_path, "csv")

MEMBER = st.one_of(
    st.tuples(st.sampled_from(["train/happy/Training_9.jpg", "test/sad/PrivateTest_9.jpg"]),
              st.sampled_from(["corrupt", "wrong-size", "empty"])),
    st.tuples(st.sampled_from(["other/happy/Training_9.jpg", "train/happy/PublicTest_9.jpg",
                               "train/joy/Training_9.jpg", "train/Training_9.jpg"]), st.just("good")),
)


def _member_bytes(kind: str) -> bytes:
    if kind == "corrupt":
        return b"\xff\xd8\xff not really a jpeg"
    if kind == "wrong-size":
        return encode(face(99, size=(40, 40)), "JPEG")
    if kind == "empty":
        return b""
    return encode(face(99), "JPEG")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=st.lists(MEMBER, max_size=2), form=st.sampled_from(["zip", "folder"]), truncate=st.booleans())
def test_archive_and_folder_readers_load_right_counts_or_name_the_file(tmp_path_factory, extra, form, truncate):
    root = tmp_path_factory.mktemp(form)
    entries = fer_entries((14, 7, 7)) + [(name, _member_bytes(kind)) for name, kind in extra]
    writer = write_fer_zip if form == "zip" else write_fer_folder
    writer(root, entries)
    if truncate and form == "zip":
        archive = root / "fer2013" / "archive.zip"
        archive.write_bytes(archive.read_bytes()[: len(archive.read_bytes()) // 2])
    try:
        loaded = _load(root, form)
    except DatasetError as exc:
        assert str(root / "fer2013") in str(exc)
        return
    # anything malformed must have been refused; the folder form reads only train/ and test/
    considered = [name for name, _ in extra if form == "zip" or name.split("/")[0] in ("train", "test")]
    assert not considered and not (truncate and form == "zip")
    assert len(loaded) == 28 and sorted(set(loaded.split)) == ["private_test", "public_test", "train"]
