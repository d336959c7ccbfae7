"""Loaders on generated fixtures in each real format, the malformed cases, and the real counts."""
from __future__ import annotations


import numpy as np
import pytest

from fer_lib import data
from fer_lib.data import DatasetError, ferplus, rafdb
from fer_lib.data.fer2013 import CLASSES as FER_CLASSES

from fakes import (SHARED_DATA, encode, face, fer_entries, needs_real_data, write_ckplus, write_fer_csv,
                      write_fer_folder, write_fer_zip, write_ferplus, write_jaffe, write_rafdb, write_sfew,
                      write_sha256sums)


def _by_content(d):
    """(split, label, pixels) sorted, so forms with different ids and orders can be compared."""
    return sorted((str(s), int(l), img.tobytes()) for s, l, img in zip(d.split, d.labels, d.images))


def test_fer2013_three_forms_give_the_same_images_labels_and_splits(tmp_path):
    for form, writer in (("zip", write_fer_zip), ("folder", write_fer_folder), ("csv", write_fer_csv)):
        writer(tmp_path / form)
    loaded = {form: data.load("fer2013", tmp_path / form, form=form) for form in ("zip", "folder", "csv")}
    for d in loaded.values():
        assert d.images.shape == (12, 48, 48) and d.images.dtype == np.uint8
        assert {s: int((d.split == s).sum()) for s in set(d.split)} == {"train": 6, "public_test": 3, "private_test": 3}
        assert d.classes == FER_CLASSES
    assert _by_content(loaded["zip"]) == _by_content(loaded["folder"]) == _by_content(loaded["csv"])
    # zip and folder share ids and order; the CSV keeps its row order with FER+-style ids
    assert list(loaded["zip"].ids) == list(loaded["folder"].ids)
    assert list(loaded["csv"].ids[:2]) == ["fer0000000", "fer0000001"]


def test_fer2013_folder_label_mapping(tmp_path):
    write_fer_zip(tmp_path)
    d = data.load("fer2013", tmp_path)
    # Training_1004 was written into the 5th Kaggle folder, "neutral", which is label 6 in the CSV order
    i = list(d.ids).index("Training_1004")
    assert d.labels[i] == FER_CLASSES.index("neutral") == 6


def test_auto_form_prefers_csv_then_folder_then_zip(tmp_path):
    write_fer_zip(tmp_path)
    assert data.load("fer2013", tmp_path).source.endswith("archive.zip")
    write_fer_folder(tmp_path)
    assert data.load("fer2013", tmp_path).source.endswith("fer2013")
    write_fer_csv(tmp_path)
    assert data.load("fer2013", tmp_path).source.endswith("fer2013.csv")


@pytest.mark.parametrize("line, message", [
    ("9,{px},Training", "emotion '9'"),
    ("3,1 2 3,Training", "3 pixel values, expected 2304"),
    ("3,{px},Validation", "Usage 'Validation'"),
    ("3,{px}", "expected 3 columns"),
    ("3,{bad},Training", "not an integer"),
])
def test_fer2013_csv_malformed_row_names_file_and_line(tmp_path, line, message):
    path = write_fer_csv(tmp_path)
    px = " ".join(["7"] * 2304)
    bad = " ".join(["7"] * 2303 + ["x"])
    path.write_text(path.read_text() + line.format(px=px, bad=bad) + "\n")
    with pytest.raises(DatasetError) as err:
        data.load("fer2013", tmp_path, form="csv")
    assert str(path) in str(err.value) and "line 14" in str(err.value) and message in str(err.value)


def test_fer2013_csv_wrong_header(tmp_path):
    path = write_fer_csv(tmp_path)
    path.write_text("label,pixels,Usage\n" + path.read_text().split("\n", 1)[1])
    with pytest.raises(DatasetError, match="header must be 'emotion,pixels,Usage'"):
        data.load("fer2013", tmp_path)


def test_corrupt_image_in_zip_names_the_member(tmp_path):
    entries = fer_entries()
    entries[3] = (entries[3][0], b"not a jpeg at all")
    write_fer_zip(tmp_path, entries)
    with pytest.raises(DatasetError) as err:
        data.load("fer2013", tmp_path)
    assert entries[3][0] in str(err.value) and "cannot decode" in str(err.value)
    assert err.value.__cause__ is None  # one clear error, not a chained PIL traceback


def test_wrong_image_size_is_an_error(tmp_path):
    entries = fer_entries()
    entries[0] = (entries[0][0], encode(face(0, (64, 64)), "JPEG"))
    write_fer_folder(tmp_path, entries)
    with pytest.raises(DatasetError, match=r"image is 64x64, expected 48x48"):
        data.load("fer2013", tmp_path)


def test_unknown_class_folder_is_an_error(tmp_path):
    entries = fer_entries() + [("train/contempt/Training_9999.jpg", encode(face(9), "JPEG"))]
    write_fer_zip(tmp_path, entries)
    with pytest.raises(DatasetError, match="unknown class folder 'contempt'"):
        data.load("fer2013", tmp_path)


def test_not_a_zip(tmp_path):
    (tmp_path / "fer2013").mkdir()
    (tmp_path / "fer2013" / "archive.zip").write_bytes(b"PK but not really")
    with pytest.raises(DatasetError, match="not a readable zip"):
        data.load("fer2013", tmp_path)


def test_checksum_mismatch_names_the_file(tmp_path):
    folder = write_jaffe(tmp_path)
    files = sorted(folder.iterdir())
    write_sha256sums(folder.parent, files)
    data.load("jaffe", tmp_path, cache=False)  # intact: loads
    files[2].write_bytes(encode(face(999, (256, 256)), "TIFF"))
    with pytest.raises(DatasetError) as err:
        data.load("jaffe", tmp_path, cache=False)
    assert files[2].name in str(err.value) and "checksum mismatch" in str(err.value)


def test_missing_dataset_says_where_and_what_to_do(tmp_path):
    with pytest.raises(DatasetError) as err:
        data.load("ckplus", tmp_path)
    assert str(tmp_path / "ckplus") in str(err.value) and "--data-root" in str(err.value)


def test_jaffe_subjects_labels_and_palette_conversion(tmp_path):
    folder = write_jaffe(tmp_path)
    d = data.load("jaffe", tmp_path)
    assert d.images.shape == (14, 256, 256) and d.images.dtype == np.uint8
    assert sorted(set(d.subjects)) == ["KA", "KL"]
    assert d.class_counts() == {c: 2 for c in d.classes}
    # a palette TIFF must decode to its grey values, not to palette indices
    from PIL import Image
    pal_file = next(p for p in sorted(folder.iterdir()) if Image.open(p).mode == "P")
    expected = np.asarray(Image.open(pal_file).convert("L"))
    assert np.array_equal(d.images[list(d.ids).index(pal_file.stem)], expected)
    assert np.asarray(Image.open(pal_file)).max() < 64 < expected.max()  # indices vs grey levels differ


def test_jaffe_bad_name(tmp_path):
    folder = write_jaffe(tmp_path)
    (folder / "KA.XX1.99.tiff").write_bytes((folder / "KA.AN1.30.tiff").read_bytes())
    with pytest.raises(DatasetError, match="KA.XX1.99.tiff"):
        data.load("jaffe", tmp_path)


def test_ckplus_subjects_and_classes(tmp_path):
    write_ckplus(tmp_path)
    d = data.load("ckplus", tmp_path)
    assert len(d) == 48 and d.images.shape[1:] == (48, 48)
    assert sorted(set(d.subjects)) == ["S010", "S011", "S012", "S013"]
    assert d.classes[:6] == ("angry", "disgust", "fear", "happy", "sad", "surprise") and "contempt" in d.classes
    assert d.class_counts()["fear"] == 12  # fear is in both halves of the fixture


def test_sfew_rgb_and_splits(tmp_path):
    write_sfew(tmp_path)
    d = data.load("sfew", tmp_path)
    assert d.images.shape == (21, 181, 143, 3)
    assert {s: int((d.split == s).sum()) for s in set(d.split)} == {"train": 14, "val": 7}


def test_rafdb_labels_only_lists_what_is_missing(tmp_path):
    write_rafdb(tmp_path, with_images=False)
    names, labels, split = rafdb.load_labels(tmp_path)
    assert len(names) == 10 and labels[0] == rafdb.CLASSES.index("surprise")  # label 1 = Surprise
    with pytest.raises(DatasetError) as err:
        data.load("rafdb", tmp_path)
    assert "10 of 10 RAF-DB aligned images are missing (7 train, 3 test" in str(err.value)
    assert "train_00001_aligned.jpg" in str(err.value)


def test_rafdb_with_images(tmp_path):
    write_rafdb(tmp_path, with_images=True)
    d = data.load("rafdb", tmp_path)
    assert d.images.shape == (10, 100, 100, 3) and list(d.split).count("test") == 3


def test_ferplus_joins_csv_order_only(tmp_path):
    write_fer_csv(tmp_path)
    write_ferplus(tmp_path, rows=12)
    votes = ferplus.load(tmp_path)
    fer_csv = data.load("fer2013", tmp_path, form="csv")
    joined = ferplus.join(fer_csv, votes)
    assert joined.shape == (12, 10) and joined[3, 3] == 10
    write_fer_zip(tmp_path / "z")
    with pytest.raises(DatasetError, match="lost that order"):
        ferplus.join(data.load("fer2013", tmp_path / "z"), votes)


def test_cached_load_does_not_decode_again(tmp_path, monkeypatch):
    write_fer_zip(tmp_path)
    first = data.load("fer2013", tmp_path)
    import fer_lib.data.fer2013 as fer_module
    monkeypatch.setattr(fer_module, "decode_image", lambda *a, **k: pytest.fail("decoded again"))
    second = data.load("fer2013", tmp_path)
    assert np.array_equal(first.images, second.images) and first.checksum == second.checksum
    assert list(first.ids) == list(second.ids)


def test_cache_is_invalidated_when_the_source_changes(tmp_path):
    write_fer_zip(tmp_path)
    first = data.load("fer2013", tmp_path)
    write_fer_zip(tmp_path, fer_entries((5, 3, 3)))
    second = data.load("fer2013", tmp_path)
    assert len(first) == 12 and len(second) == 11 and first.checksum != second.checksum


def _load_through_cache(barrier, tmp_path, cache, results):
    """One process's cached load, with both processes' temporary files on disk before either renames."""
    import os as _os
    _os.environ["FER_CACHE"] = str(cache)
    real_replace = _os.replace

    def replace_after_barrier(src, dst):
        barrier.wait(timeout=60)
        real_replace(src, dst)
    _os.replace = replace_after_barrier
    from fer_lib.data.cache import load_cached
    got = load_cached("race", "k", lambda: data.load("fer2013", tmp_path, cache=False))
    results.put(len(got))


def test_two_processes_building_the_same_cache_both_succeed(tmp_path):
    """torchrun ranks and --jobs workers decode the same archive at once: neither may lose the other's file."""
    import multiprocessing as mp
    write_fer_zip(tmp_path)
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_load_through_cache, args=(barrier, tmp_path, tmp_path / "cache", results))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    assert sorted(results.get(timeout=5) for _ in procs) == [12, 12]
    assert [f.name for f in (tmp_path / "cache").iterdir()] == ["race-k.npz"]  # no temporary left behind


@needs_real_data
def test_real_dataset_counts():
    fer = data.load("fer2013", SHARED_DATA)
    assert {s: int((fer.split == s).sum()) for s in set(fer.split)} == {"train": 28709, "public_test": 3589,
                                                                          "private_test": 3589}
    assert fer.checksum == "f9e170be34a546df7328720a5ea97d90237f3349001dbd4b0c9cfd57671da633"
    assert len(data.load("jaffe", SHARED_DATA)) == 213
    ck = data.load("ckplus", SHARED_DATA)
    assert len(ck) == 981 and len(set(ck.subjects)) == 118
    sfew = data.load("sfew", SHARED_DATA)
    assert (sfew.split == "train").sum() == 864 and (sfew.split == "val").sum() == 431
    assert len(ferplus.load(SHARED_DATA)) == 35887
    names, _, split = rafdb.load_labels(SHARED_DATA)
    assert (split == "train").sum() == 12271 and (split == "test").sum() == 3068
