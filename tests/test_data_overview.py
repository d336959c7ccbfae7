"""The data chapter's tables, on tiny datasets generated in each real format."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from fakes import write_ckplus, write_fer_zip, write_jaffe, write_sfew
from fer_lib import data
from fer_lib.data import overview


def test_split_class_table_counts_every_split_and_class(fer_zip_root):
    fer = data.load("fer2013", fer_zip_root)
    table = overview.split_class_table(fer.labels, fer.split, fer.classes)
    # fer_entries: 6 Training, 3 PublicTest, 3 PrivateTest, labels cycling through the seven folders
    assert fer.classes[:7] == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    assert table.loc["train"].tolist() == [1, 1, 1, 1, 1, 0, 1, 6]  # k = 0..5: angry .. sad, no surprise
    assert table.loc["total", "total"] == 12 and table.loc["train", "total"] == 6
    assert table.loc["public_test", "total"] == 3 and table.loc["private_test", "total"] == 3
    assert list(table.columns) == list(fer.classes) + ["total"]
    assert table.loc["total", list(fer.classes)].sum() == 12


def test_one_split_dataset_has_no_total_row(tmp_path):
    write_jaffe(tmp_path)
    jaffe = data.load("jaffe", tmp_path)
    table = overview.split_class_table(jaffe.labels, jaffe.split, jaffe.classes)
    assert table.index.tolist() == ["all"] and table.loc["all", "total"] == 14


def test_file_formats_reads_modes_from_folders_and_zips(tmp_path):
    write_jaffe(tmp_path)  # 3 of its 14 files are palette TIFFs
    jaffe = overview.file_formats(tmp_path / "jaffe")
    assert {(r.format, r.size, r.mode): r.files for r in jaffe.itertuples()} == {("TIFF", "256x256", "L"): 11,
                                                                              ("TIFF", "256x256", "P"): 3}
    write_fer_zip(tmp_path)
    fer = overview.file_formats(tmp_path / "fer2013")
    assert fer.values.tolist() == [["JPEG", "48x48", "L", 12]]
    assert overview.stored_geometry(data.load("jaffe", tmp_path)) == "256x256 grey"


def test_subject_table_counts_images_and_ckplus_sequences(tmp_path):
    write_ckplus(tmp_path)  # 4 subjects, 4 sequences of 3 frames each
    table = overview.subject_table(data.load("ckplus", tmp_path))
    assert len(table) == 4 and table.images.tolist() == [12] * 4 and table.sequences.tolist() == [4] * 4
    assert table.classes.max() == 4
    write_fer_zip(tmp_path)
    with pytest.raises(ValueError, match="no subject ids"):
        overview.subject_table(data.load("fer2013", tmp_path))


def test_same_file_in_two_class_folders_is_found(tmp_path):
    base = write_sfew(tmp_path)
    one = sorted((base / "Train" / "Fear").glob("*.png"))[0]
    shutil.copy(one, base / "Train" / "Surprise" / one.name)  # the SFEW release has exactly this
    sfew = data.load("sfew", tmp_path)
    table = overview.same_file_in_two_classes(sfew)
    assert table.values.tolist() == [["train", one.stem, "fear, surprise", True]]
    assert np.sum(np.char.endswith(sfew.ids.astype(str), one.stem)) == 2
