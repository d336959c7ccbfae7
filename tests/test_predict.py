"""Published weights (hash-checked, loaded by name) and `fer predict` on generated images."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import face
from fer_lib.cli import main
from fer_lib.models import build_model, published
from fer_lib.predict import ImageError, predict_files, read_face
from fer_lib.results import RunRecord

CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def _record(root: Path, dirty: bool = False) -> RunRecord:
    """A finished run of the plain CNN as the run store keeps it (44x44 crops, as a pushed recipe trains)."""
    folder = root / "runs" / "cmp-plain-cnn" / "abc123"
    folder.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(build_model("plain_cnn").state_dict(), folder / "model.pt")
    config = dict(name="cmp-plain-cnn", model="plain_cnn", model_args={}, profile="cpu", test_roles=["test"],
                  dataset_checksum="f9e1", train=dict(preprocess=dict(channels=1, size=None, crop=44, ten_crop=True,
                                                                      mean=0.5, std=0.5)))
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "provenance.json").write_text(json.dumps(dict(git_commit="1234abcd", git_dirty=dirty)))
    (folder / "metrics.json").write_text(json.dumps(dict(test=dict(accuracy=0.61, classes=CLASSES),
                                                         test_tencrop=dict(accuracy=0.63, classes=CLASSES))))
    return RunRecord(folder)


def _image(path: Path, mode: str, size: tuple[int, int]) -> Path:
    Image.fromarray(face(1, size[::-1], "RGB" if mode != "L" else "L")).convert(mode).save(path)
    return path


def test_published_weights_load_by_name_and_predict_any_image(tmp_path):
    folder = tmp_path / "published"
    entry = published.publish(_record(tmp_path), "tiny", folder)
    assert entry.run == "cmp-plain-cnn/abc123" and entry.classes == CLASSES
    assert entry.accuracy == {"test": 0.61, "test_tencrop": 0.63}  # the ten-crop score its recipe reports, too
    assert published.available(folder) == ["tiny"] and len(entry.sha256) == 64
    net, loaded = published.load("tiny", folder)
    assert loaded == entry and not net.training
    images = [_image(tmp_path / "a.png", "L", (48, 48)), _image(tmp_path / "b.jpg", "RGB", (120, 90)),
              _image(tmp_path / "c.png", "RGBA", (30, 64)), _image(tmp_path / "d.gif", "P", (48, 48))]
    assert all(read_face(p).shape == (48, 48) and read_face(p).dtype == np.uint8 for p in images)
    table = predict_files(images, "tiny", folder)
    probs = table[CLASSES].to_numpy()
    assert table.shape == (4, 9) and np.allclose(probs.sum(1), 1, atol=1e-5) and (probs > 0).all()
    assert (table["predicted"] == [CLASSES[i] for i in probs.argmax(1)]).all()
    # a model trained on 44x44 crops reads a face with ten crops, as its run's reported score did
    from fer_lib.engine import Batches, Preprocess, TrainConfig, Trainer
    trainer = Trainer(net, TrainConfig(preprocess=Preprocess(**entry.preprocess), bf16=False, channels_last=False),
                      device="cpu", log=lambda msg: None)
    faces = Batches(np.stack([read_face(p) for p in images]), np.zeros(4))
    assert np.abs(trainer.predict(faces, ten_crop=True) - probs).max() < 1e-7
    assert np.abs(trainer.predict(faces, ten_crop=False) - probs).max() > 1e-6  # untrained: near-uniform outputs
    # the same face at 48x48 grey and as an RGB copy gets the same probabilities
    again = predict_files([images[0], _image(tmp_path / "e.png", "RGB", (48, 48))], "tiny", folder)
    assert np.allclose(again[CLASSES].iloc[0], probs[0], atol=1e-6)


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


def test_fer_predict_prints_probabilities_and_names_an_unreadable_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(published, "PUBLISHED_DIR", tmp_path / "published")
    record = _record(tmp_path)
    assert main(["publish", str(record.path), "--name", "fer2013-pushed"]) == 0
    assert "published fer2013-pushed" in capsys.readouterr().out
    img = _image(tmp_path / "face.png", "L", (64, 64))
    assert main(["predict", str(img)]) == 0
    out = capsys.readouterr().out
    assert "run cmp-plain-cnn/abc123" in out and "face.png" in out and all(c in out for c in CLASSES)
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    assert main(["predict", str(img), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "notes.png: cannot read it as an image" in err and err.count("\n") == 1
    with pytest.raises(ImageError, match="missing.png: no such file"):
        read_face(tmp_path / "missing.png")
    assert main(["predict", str(img), "--model", "nope"]) == 2
    assert "no published model named 'nope'" in capsys.readouterr().err
