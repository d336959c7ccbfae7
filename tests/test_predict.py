"""Published weights (hash-checked, loaded by name) and `fer predict`: faces found in a real photograph
(scikit-image's astronaut), generated images and a generated video, every output format."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from fakes import face, write_record
from fer_lib.cli import main
from fer_lib.models import build_model, published
from fer_lib.experiments.config import Preprocess, TrainConfig
from fer_lib.train.engine import Batches, Trainer
from fer_lib.predict import NO_FACE, FaceDetector, Predictor, expand, predict, read_image
from fer_lib.predict.predictor import BF16_TOLERANCE
from fer_lib.store.results import RunRecord

CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def _record(root: Path, dirty: bool = False) -> RunRecord:
    """A finished run of the plain CNN as the run store keeps it (44x44 crops, as a pushed recipe trains)."""
    torch.manual_seed(0)
    config = dict(name="cmp-plain-cnn", model="plain_cnn", model_args={}, profile="cpu", test_roles=["test"],
                  dataset_checksum="f9e1", train=dict(preprocess=dict(channels=1, size=None, crop=44, ten_crop=True,
                                                                      mean=0.5, std=0.5)))
    return RunRecord(write_record(root / "runs", "cmp-plain-cnn", "abc123", config=config,
                                  weights=build_model("plain_cnn").state_dict(),
                                  provenance=dict(git_commit="1234abcd", git_dirty=dirty),
                                  metrics=dict(test=dict(accuracy=0.61, classes=CLASSES),
                                               test_tencrop=dict(accuracy=0.63, classes=CLASSES))))


def _image(path: Path, mode: str, size: tuple[int, int]) -> Path:
    Image.fromarray(face(1, size[::-1], "RGB" if mode != "L" else "L")).convert(mode).save(path)
    return path


def _old_read(path: Path) -> np.ndarray:
    """How `fer predict` read an image before it found faces: the whole image, centre square, 48x48 grey."""
    from PIL import ImageOps
    with Image.open(path) as im:
        grey = ImageOps.exif_transpose(im).convert("L")
    return np.asarray(ImageOps.fit(grey, (48, 48), method=Image.Resampling.LANCZOS), dtype=np.uint8)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """An untrained plain CNN published as the default model, in a temporary folder."""
    monkeypatch.setattr(published, "PUBLISHED_DIR", tmp_path / "published")
    published.publish(_record(tmp_path), published.DEFAULT)
    return tmp_path


@pytest.fixture(scope="module")
def astronaut(tmp_path_factory) -> Path:
    skimage_data = pytest.importorskip("skimage.data")
    path = tmp_path_factory.mktemp("photos") / "astronaut.png"
    Image.fromarray(skimage_data.astronaut()).save(path)  # a photograph of a person, shipped in the wheel
    return path


def test_published_weights_load_by_name(tmp_path):
    folder = tmp_path / "published"
    entry = published.publish(_record(tmp_path), "tiny", folder)
    assert entry.run == "cmp-plain-cnn/abc123" and entry.classes == CLASSES
    assert entry.accuracy == {"test": 0.61, "test_tencrop": 0.63}  # the ten-crop score its recipe reports, too
    assert published.available(folder) == ["tiny"] and len(entry.sha256) == 64
    net, loaded = published.load("tiny", folder)
    assert loaded == entry and not net.training


def test_no_detect_reads_any_image_whole_as_before_and_bf16_agrees_with_fp32(tiny):
    images = [_image(tiny / "a.png", "L", (48, 48)), _image(tiny / "b.jpg", "RGB", (120, 90)),
              _image(tiny / "c.png", "RGBA", (30, 64)), _image(tiny / "d.gif", "P", (48, 48))]
    net, entry = published.load(published.DEFAULT)
    reference = Trainer(net, TrainConfig(preprocess=Preprocess(**entry.preprocess), bf16=False, channels_last=False),
                        device="cpu", log=lambda msg: None)
    before = reference.predict(Batches(np.stack([_old_read(p) for p in images]), np.zeros(4)), ten_crop=True)
    fp32 = predict(images, Predictor(precision="fp32"), detect=False).rows
    assert fp32.shape == (4, 15) and fp32["x"].isna().all() and (fp32["face"] == 0).all()
    assert np.abs(fp32[CLASSES].to_numpy() - before).max() < 1e-6  # --no-detect --fp32 is today's output
    fast = predict(images, Predictor(), detect=False).rows
    assert Predictor().trainer.bf16 and not Predictor(precision="fp32").trainer.bf16
    gap = np.abs(fast[CLASSES].to_numpy() - before).max()
    assert 0 < gap < BF16_TOLERANCE  # bf16 really ran, and stays within the stated tolerance
    assert np.allclose(fast[CLASSES].sum(axis=1), 1, atol=1e-5)


def test_every_face_of_a_photograph_gets_a_row_and_a_faceless_image_says_so(tiny, astronaut):
    noise = tiny / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (200, 300), dtype=np.uint8)).save(noise)
    small = _image(tiny / "small.png", "L", (40, 40))  # no bigger than the model's input: read whole
    result = predict([astronaut, noise, small], Predictor())
    rows = result.rows
    assert list(rows["file"]) == [str(astronaut), str(noise), str(small)]
    face = rows.iloc[0]
    width, height = Image.open(astronaut).size
    assert 0 <= face.x and face.x + face.w <= width and 0 <= face.y and face.y + face.h <= height
    # the astronaut's face: about 95 px, upper middle of the 512 x 512 picture
    assert 70 < face.w < 130 and 150 < face.x < 200 and 40 < face.y < 100
    assert rows.iloc[1]["predicted"] == NO_FACE and rows.iloc[1][CLASSES].isna().all()
    assert pd.isna(rows.iloc[2]["x"]) and rows.iloc[2]["predicted"] in CLASSES
    found = rows[rows["predicted"] != NO_FACE]
    assert np.allclose(found[CLASSES].sum(axis=1), 1, atol=1e-5) and result.failed
    assert FaceDetector()(read_image(noise).grey) == []


def test_the_cli_reads_folders_globs_and_videos_and_writes_csv_json_and_pictures(tiny, astronaut, capsys):
    cv2 = pytest.importorskip("cv2")
    folder = tiny / "in" / "nested"
    folder.mkdir(parents=True)
    for i in range(3):
        _image(folder / f"f{i}.png", "L", (48, 48))
    video = tiny / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 5, (256, 256))
    frame = cv2.resize(cv2.imread(str(astronaut)), (256, 256))
    for _ in range(15):  # three seconds at 5 frames per second
        writer.write(frame)
    writer.release()
    assert main(["predict", str(tiny / "in"), str(tiny / "in" / "**" / "f1.png"), "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [Path(r["file"]).name for r in table] == ["f0.png", "f1.png", "f2.png"]  # the glob repeats f1: once
    assert all(abs(sum(float(r[c]) for c in CLASSES) - 1) < 1e-5 for r in table)
    assert main(["predict", str(video), "--every", "1", "--format", "json", "--annotate", str(tiny / "marked")]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["time"] for r in rows] == [0.0, 1.0, 2.0] and all(r["w"] > 0 for r in rows)
    assert sorted(p.name for p in (tiny / "marked").iterdir()) == [
        "clip_t00000.000.png", "clip_t00001.000.png", "clip_t00002.000.png"]
    assert Image.open(tiny / "marked" / "clip_t00001.000.png").size == (256, 256)


def test_bad_inputs_get_one_line_each_and_the_good_ones_are_still_predicted(tiny, capsys):
    good = _image(tiny / "face.png", "L", (64, 64))
    bad = tiny / "notes.png"
    bad.write_text("not an image")
    broken = tiny / "broken.mp4"
    broken.write_bytes(b"\0" * 100)
    (tiny / "empty").mkdir()
    code = main(["predict", str(good), str(bad), str(broken), str(tiny / "empty"), str(tiny / "missing.png"),
                 "--no-detect"])
    out, err = capsys.readouterr()
    assert code == 1 and "face.png" in out and "run cmp-plain-cnn/abc123" in out and all(c in out for c in CLASSES)
    lines = err.strip().splitlines()
    assert len(lines) == 4
    assert any("notes.png: cannot read it as an image" in line for line in lines)
    assert any("broken.mp4: cannot decode it as a video" in line for line in lines)
    assert any("empty: no images or videos in this folder" in line for line in lines)
    assert any("missing.png: no such file" in line for line in lines)
    assert main(["predict", str(good), "--model", "nope"]) == 2
    assert "no published model named 'nope'" in capsys.readouterr().err
    assert expand([str(tiny / "*.none")])[1] == [f"{tiny / '*.none'}: the pattern matches no file."]


def test_an_annotated_image_opens_and_shows_its_box(tiny, astronaut):
    from fer_lib.predict.output import annotate
    result = predict([astronaut], Predictor(), keep_frames=True)
    frame, boxes, labels = result.frames[0]
    assert len(boxes) == len(labels) == len(result.rows) >= 1
    path = annotate(frame, boxes, labels, tiny / "marked")
    marked = np.asarray(Image.open(path).convert("RGB"))
    b = boxes[0]
    assert marked.shape == frame.rgb.shape
    assert (marked[b.y + b.h // 2, b.x] != frame.rgb[b.y + b.h // 2, b.x]).any()  # the box's left edge is drawn


def test_an_altered_or_missing_weights_file_is_refused_with_the_file_named(tmp_path):
    folder = tmp_path / "published"
    published.publish(_record(tmp_path), "tiny", folder)
    with (folder / "tiny.pt").open("ab") as f:
        f.write(b"\0")
    with pytest.raises(ValueError, match=r"tiny\.pt: sha256 .* differs"):
        published.load("tiny", folder)
    (folder / "tiny.pt").unlink()
    with pytest.raises(FileNotFoundError, match=r"tiny\.pt: the weights of 'tiny' are missing"):
        published.load("tiny", folder)
    with pytest.raises(FileNotFoundError, match=r"no published model named 'other' \(published: tiny\)"):
        published.load("other", folder)


def test_only_finished_clean_small_runs_are_published(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="uncommitted changes"):
        published.publish(_record(tmp_path / "d", dirty=True), "x", tmp_path / "p")
    record = _record(tmp_path / "s")
    monkeypatch.setattr(published, "MAX_BYTES", 1000)
    with pytest.raises(ValueError, match="above the 0 MB limit"):
        published.publish(record, "x", tmp_path / "p")
    (record.path / "model.pt").unlink()
    with pytest.raises(FileNotFoundError, match="weights are not on this machine"):
        published.publish(record, "x", tmp_path / "p")
    assert published.available(tmp_path / "p") == []


