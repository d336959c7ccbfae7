"""Paper 000: P-ResNet / P-ResNet-VGG, RReLU, the k-fold protocols with test- or validation-selection, fold claims."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from fer_lib.judge import assessment, claims, scoring
from fer_lib import experiments
from fer_lib.store import results
from fer_lib.train import runner
from fer_lib.report import tables
from fer_lib.data import splits
from fer_lib.data.base import FaceData
from fer_lib.train.engine import Trainer
from fer_lib.models import build_model, count_parameters
from fer_lib.models.presnet import PreActBottleneck, RReLU
from fer_lib.models.summary import layer_table
from fer_lib.store.results import RunStore

from fakes import write_record


# ---------------------------------------------------------------- models
@pytest.mark.parametrize("noise", ["element", "batch"])
def test_rrelu_is_random_in_training_and_fixed_in_evaluation(noise):
    torch.manual_seed(0)
    layer, x = RReLU(noise), -torch.ones(64, 8)
    layer.train()
    a, b = layer(x), layer(x)
    assert not torch.equal(a, b)
    slopes = -torch.cat([a, b])
    assert slopes.min() >= 1 / 8 and slopes.max() <= 1 / 3
    # per element: many slopes in one call; per step: one slope per call
    assert (len(torch.unique(a)) > 100) == (noise == "element") and (len(torch.unique(a)) == 1) == (noise == "batch")
    assert torch.equal(layer(torch.ones(3)), torch.ones(3))  # positives pass unchanged
    layer.eval()
    c, d = layer(x), layer(x)
    assert torch.equal(c, d) and torch.allclose(c, torch.full_like(c, -(1 / 8 + 1 / 3) / 2))


def test_rrelu_rejects_an_unknown_noise():
    with pytest.raises(ValueError, match="element' or 'batch"):
        RReLU("pixel")


def test_bottleneck_shortcut_is_identity_only_when_shapes_match():
    same, down = PreActBottleneck(128, 32), PreActBottleneck(128, 64, stride=2)
    assert isinstance(same.shortcut, torch.nn.Identity) and isinstance(down.shortcut, torch.nn.Conv2d)
    x = torch.randn(2, 128, 12, 12)
    assert same(x).shape == (2, 128, 12, 12) and down(x).shape == (2, 256, 6, 6)
    # three convolutions 1x1 -> 3x3 -> 1x1, each wrapped as BN, RReLU, conv, RReLU
    kinds = [type(m).__name__ for m in same.residual]
    assert kinds == ["BatchNorm2d", "RReLU", "Conv2d", "RReLU"] * 3
    assert [m.kernel_size for m in same.residual if isinstance(m, torch.nn.Conv2d)] == [(1, 1), (3, 3), (1, 1)]


def test_parameter_counts_and_outputs_of_both_models():
    presnet, fused = build_model("presnet"), build_model("presnet_vgg")
    assert count_parameters(presnet) == 3_495_527
    assert count_parameters(fused) == 10_746_919
    x = torch.randn(3, 1, 48, 48)
    assert presnet(x).shape == (3, 7) and fused(x).shape == (3, 7)
    table = layer_table(fused)
    shapes = dict(zip(table["layer"], table["output (C, H, W)"]))
    assert shapes["vgg.stage4"] == shapes["vgg.shallow"] == (512, 3, 3)  # fused at the same size
    assert shapes["vgg.stage5"] == (512, 1, 1) and shapes["resnet.features"] == (1024, 3, 3)
    assert fused.training  # layer_table leaves the mode as it found it


def test_both_branches_of_the_fused_model_get_gradients():
    torch.manual_seed(0)
    model = build_model("presnet_vgg", noise="batch")
    loss = torch.nn.functional.cross_entropy(model(torch.randn(4, 1, 48, 48)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    for branch in (model.vgg.stage1, model.vgg.shallow, model.resnet.features[1]):
        grads = [p.grad for p in branch.parameters()]
        assert all(g is not None and g.abs().sum() > 0 for g in grads)


# ---------------------------------------------------------------- protocols
def _toy(n=100, subjects=10) -> FaceData:
    labels = np.tile(np.arange(5), n // 5)
    return FaceData(name="toy", images=np.zeros((n, 4, 4), np.uint8), labels=labels, classes=tuple("abcde"),
                    split=np.full(n, "train"), ids=np.array([f"i{i}" for i in range(n)]),
                    subjects=np.array([f"s{i % subjects}" for i in range(n)]))


def _fold_exp(by_subject: bool, select_on: str) -> experiments.Experiment:
    return experiments.Experiment(
        name="toy", paper="000", title="", profile="cpu", model="presnet",
        data=experiments.DataSpec("toy", protocol="kfold", k=5, by_subject=by_subject, select_on=select_on,
                                  val_fraction=0.2))


@pytest.mark.parametrize("by_subject", [False, True])
def test_kfold_protocol_tests_every_image_once_and_validates_from_training(by_subject):
    data = _toy()
    exps = _fold_exp(by_subject, "val").folds()
    assert [e.data.fold for e in exps] == [0, 1, 2, 3, 4]
    parts = [runner.make_split(e, data) for e in exps]
    tested = np.concatenate([p["test"] for p in parts])
    assert sorted(tested) == list(range(100))
    for p in parts:
        assert not set(p["val"]) & set(p["test"]) and not set(p["val"]) & set(p["train"])
        if by_subject:  # nobody in two parts; validation is whole people (10 images each), ~20 % of them
            people = [set(data.subjects[p[part]]) for part in ("train", "val", "test")]
            assert not people[0] & people[1] and not people[0] & people[2] and not people[1] & people[2]
            assert len(p["val"]) in (10, 20)
        else:
            assert len(p["val"]) == 16  # 20 % of the 80 training-fold images
    assert len({runner.run_config(e, data, p)["split_digest"] for e, p in zip(exps, parts)}) == 5


def test_test_set_selection_is_explicit_and_labelled():
    data = _toy()
    split = runner.make_split(_fold_exp(False, "test").folds()[2], data)
    assert np.array_equal(split["val"], split["test"]) and len(split["train"]) == 80
    assert "TEST part" in split.description
    with pytest.raises(ValueError, match="select_on"):
        runner.make_split(_fold_exp(False, "train"), data)
    with pytest.raises(ValueError, match="fold must be in 0..4"):
        runner.make_split(replace(_fold_exp(False, "val"), data=replace(_fold_exp(False, "val").data, fold=5)), data)


def test_holdout_by_exact_counts():
    data = _toy()
    split = splits.holdout(data, {"train": 70, "val": 17, "test": 13}, seed=0)
    assert split.sizes() == {"train": 70, "val": 17, "test": 13}
    with pytest.raises(ValueError, match="must sum to the 100 images"):
        splits.holdout(data, {"train": 70, "test": 13}, seed=0)


def test_paper_000_experiments():
    exp = experiments.experiment("000", "presnetvgg-fer-paper", "paper")
    assert exp.model == "presnet_vgg" and exp.data.fractions == {"train": 28000, "val": 4387, "test": 3500}
    assert exp.train.epochs == 200 and exp.train.batch_size == 128 and exp.model_args.get("noise", "element") == "element"
    cpu = experiments.experiment("000", "presnet-jaffe-subject-testsel", "cpu")
    assert cpu.data.by_subject and cpu.data.select_on == "test" and cpu.train.epochs == 30
    assert cpu.model_args["noise"] == "batch" and len(cpu.folds()) == 5
    with pytest.raises(ValueError, match="no variant 'presnet-jaffe-random-best'; did you mean presnet-jaffe-random-testsel"):
        experiments.experiment("000", "presnet-jaffe-random-best", "cpu")
    with pytest.raises(ValueError, match="no variant 'resnet-fer-paper'; did you mean presnet-fer-paper"):
        experiments.experiment("000", "resnet-fer-paper", "cpu")


@pytest.mark.parametrize("epochs", [4, 6, 20])
def test_compressed_schedule_ends_at_the_papers_final_rate(epochs):
    cfg = replace(experiments.experiment("000", "presnet-fer-paper", "paper").train, epochs=epochs,
                  scheduler_args=experiments.compressed_000_schedule(epochs))
    trainer = Trainer(torch.nn.Linear(1, 1), cfg, device="cpu", log=lambda _: None)
    for _ in range(epochs - 1):
        trainer.optimizer.step()
        trainer.scheduler.step()
    final = trainer.optimizer.param_groups[0]["lr"]
    assert final == pytest.approx(0.01 * 0.9 ** 30, rel=0.02)  # the rate of the paper's epoch 200


# ---------------------------------------------------------------- claims and chapter helpers over folds
def _fake_fold(root: Path, experiment: str, fold: int, accuracy: float, finished_at: str, k: int = 5,
               seed: int = 0) -> None:
    data = dict(protocol="kfold", k=k, fold=fold, seed=seed)
    report = dict(accuracy=accuracy, macro_f1=accuracy, classes=["a", "b"], n=2,
                  per_class={"a": dict(recall=accuracy), "b": dict(recall=1.0)})
    write_record(root, experiment, f"f{fold}s{seed}{finished_at[-2:]}",
                 config=dict(name=experiment, profile="cpu", data=data, train=dict(epochs=30)),
                 metrics=dict(test=report, best_epoch=3), provenance=dict(finished_at=finished_at, wall_seconds=60),
                 predictions=f"role,id,true,pred\ntest,x{fold},0,{0 if accuracy > .5 else 1}\n")


def test_a_fold_claim_needs_every_fold_and_measures_their_mean(tmp_path):
    name = "000-presnet-jaffe-random-testsel"
    for fold, acc in enumerate([0.9, 0.8, 0.7, 0.6]):
        _fake_fold(tmp_path, name, fold, acc, f"2026-01-01T00:00:1{fold}")
    claim = [c for c in claims.claims_for("000") if c.experiment == name][0]
    assert assessment.assess([claim], store=RunStore(tmp_path))["verdict"].tolist() == ["not run"]  # 4 of 5 folds
    _fake_fold(tmp_path, name, 4, 0.5, "2026-01-01T00:00:20")
    # a newer rerun of fold 0 replaces the older one
    _fake_fold(tmp_path, name, 0, 1.0, "2026-01-01T00:00:30")
    row = assessment.assess([claim], store=RunStore(tmp_path)).iloc[0]
    assert row["measured"] == pytest.approx(100 * np.mean([1.0, 0.8, 0.7, 0.6, 0.5]))
    # folds from 50 to 100 %: the t interval over five folds reaches the claim, so the shortfall stays open
    assert row["run"].endswith("mean of 5 folds") and row["interval"] == "t over 5 folds"
    assert row["high"] >= claim.value - 1.5 and row["verdict"] == "open"
    recall = assessment.measured_value(replace(claim, metric="recall:b"), RunStore(tmp_path).runs_for(name, "cpu"))
    assert recall == 100.0


def test_folds_of_another_scheme_are_not_mixed_in(tmp_path):
    name = "000-presnet-jaffe-random-valsel"
    for fold in range(5):
        _fake_fold(tmp_path, name, fold, 0.5, f"2026-01-01T00:00:1{fold}", seed=0)
    _fake_fold(tmp_path, name, 0, 0.9, "2026-01-01T00:00:30", seed=1)  # newest, but another seed
    assert RunStore(tmp_path).folds(name, "cpu")[0].config["data"]["seed"] == 1
    assert RunStore(tmp_path).runs_for(name, "cpu") == []  # seed 1 has one fold of five


def test_fold_table_and_pooled_report(tmp_path):
    name = "000-presnet-jaffe-subject-valsel"
    for fold, acc in enumerate([1.0, 1.0, 0.0, 1.0, 0.0]):
        _fake_fold(tmp_path, name, fold, acc, f"2026-01-01T00:00:1{fold}")
    runs = tables.ProfileRuns(name, {}, {"cpu": RunStore(tmp_path).runs_for(name, "cpu")})
    row = tables.fold_table([runs], {name: "honest"}).iloc[0]
    assert row["folds"] == 5 and row["per fold"] == "100.0 / 100.0 / 0.0 / 100.0 / 0.0"
    assert row["accuracy (%) [95 % interval]"] == "60.00 [0.00, 100.00]" and row["wall (min)"] == 5.0
    pooled = scoring.pooled_report(runs.folds["cpu"])
    assert pooled["n"] == 5 and pooled["accuracy"] == pytest.approx(0.6)
    assert pooled["confusion"] == [[3, 2], [0, 0]]


def _fake_budget(root: Path, experiment: str, epochs: int, val_acc: list[float], val_loss: list[float],
                 test_acc: float, monitor: str | None = None, finished: str = "2026-01-01") -> None:
    """A finished hold-out record of `epochs` epochs: its history, and the epoch its rule kept (`monitor`; None:
    a record from before the field, which kept the lowest loss)."""
    rows = "\n".join(f"{e},{a},{l}" for e, (a, l) in enumerate(zip(val_acc, val_loss), start=1))
    train = dict(epochs=epochs, seed=0, **({"monitor": monitor} if monitor else {}))
    kept = int(np.argmax(val_acc) if monitor == "val_acc" else np.argmin(val_loss)) + 1
    write_record(root, experiment, f"b{epochs:03d}{monitor or ''}",
                 config=dict(name=experiment, profile="cpu", data=dict(protocol="holdout", seed=0), train=train),
                 metrics=dict(test=dict(accuracy=test_acc), best_epoch=kept, epochs_run=epochs),
                 provenance=dict(finished_at=f"{finished}T00:{epochs:02d}:00", wall_seconds=450 * epochs),
                 history="epoch,val_acc,val_loss\n" + rows + "\n")


def test_the_two_kept_epoch_rules_side_by_side_and_the_missing_reruns_priced(tmp_path):
    from fer_lib.report import chapter000
    name = "000-presnet-fer-paper"
    acc2, loss2 = [0.40, 0.50], [1.2, 1.1]
    acc4, loss4 = [0.45, 0.52, 0.53, 0.56], [1.2, 1.0, 1.05, 1.1]  # loss lowest at epoch 2, accuracy peaks at 4
    acc8, loss8 = [0.45, 0.52, 0.53, 0.56, 0.57, 0.58, 0.57, 0.57], [1.2, 1.0] + [1.1] * 6
    for epochs, acc, loss, test in ((2, acc2, loss2, 0.49), (4, acc4, loss4, 0.51), (8, acc8, loss8, 0.52)):
        _fake_budget(tmp_path, name, epochs, acc, loss, test_acc=test)  # the first edition: lowest loss
    # the paper's rule, trained later at two of the three budgets
    _fake_budget(tmp_path, name, 2, acc2, loss2, test_acc=0.49, monitor="val_acc", finished="2026-02-01")
    _fake_budget(tmp_path, name, 4, acc4, loss4, test_acc=0.55, monitor="val_acc", finished="2026-02-01")
    _fake_budget(tmp_path, "000-presnet-fer-standard", 4, acc4, loss4, test_acc=0.50)  # the other split, one rule
    frame, sentences = chapter000.selection_rules("cpu", store=RunStore(tmp_path))
    assert frame["split"].tolist() == ["paper"] * 3 + ["standard"]
    assert "- P-ResNet, standard protocol: the page shows the runs of the first edition's lowest validation loss" in sentences
    assert "`fer train 000 presnet-fer-standard --profile cpu --epochs 4` (about 0.5 CPU hours" in sentences
    frame = frame[frame["split"] == "paper"]
    assert frame["epochs"].tolist() == [2, 4, 8]
    assert frame["kept epoch, paper's rule"].tolist() == [2, 4, "not run"]
    assert frame["test (%), paper's rule"].tolist() == ["49.00", "55.00", "—"]
    assert frame["kept epoch, lowest loss"].tolist() == [2, 2, 2]
    assert frame["test (%), lowest loss"].tolist() == ["49.00", "51.00", "52.00"]
    # the paper's rule: +6 from 49 to 55 at 4 epochs, 55 + 6 * log2(200 / 4) = 88.9; the loss rule: +1 from 51 to
    # 52 at 8 epochs, 52 + 1 * log2(25) = 56.6
    assert "(highest validation accuracy): last doubling +6.00, projected 88.9 at 200 epochs" in sentences
    assert "lowest validation loss: last doubling +1.00, projected 56.6 at 200 epochs" in sentences
    assert "The verdict rests on the runs of the paper's rule" in sentences  # the newest rule trained
    # the budget the paper's rule lacks, priced at the records' 450 s per epoch: 8 epochs take 1.0 h
    assert "`fer train 000 presnet-fer-paper --profile cpu --epochs 8` (about 1.0 CPU hours" in sentences
    assert "P-ResNet-VGG" not in sentences  # no P-ResNet-VGG record, no sentence
