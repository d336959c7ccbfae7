"""Paper 003: LIP pooling (Eqs. 1-2), the VGG16 variants, and ten-crop evaluation."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from fer_lib import experiments
from fer_lib.models import build_model, count_parameters
from fer_lib.models.lip_vgg import LIP2d, logit_module
from fer_lib.store.results import RunStore


class _Fn(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def test_lip_with_constant_logit_is_average_pooling():
    x = torch.randn(2, 3, 9, 8)
    out = LIP2d(_Fn(lambda t: torch.full_like(t, 3.0)))(x)
    assert torch.allclose(out, F.avg_pool2d(x, 2), atol=1e-6)
    assert out.shape == (2, 3, 4, 4)


def test_lip_with_a_sharp_logit_approaches_max_pooling():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 8, 8)
    gaps = [(LIP2d(_Fn(lambda t, b=b: b * t))(x) - F.max_pool2d(x, 2)).abs().max().item() for b in (1, 10, 1000)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3
    assert torch.isfinite(LIP2d(_Fn(lambda t: 1e6 * t))(x)).all()  # no overflow or 0/0 however sharp


def test_gradients_reach_the_logit_module():
    lip = LIP2d(logit_module(4))
    lip(torch.randn(2, 4, 6, 6)).sum().backward()
    conv = lip.logit[0]
    assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0


def test_vgg16_variants_shapes_and_parameter_counts():
    lip, plain = build_model("vgg16_lip"), build_model("vgg16_plain")
    for net in (lip, plain):
        net.eval()
        assert net(torch.zeros(2, 3, 44, 44)).shape == (2, 7)
        assert net(torch.zeros(1, 3, 90, 90)).shape == (1, 7)
    assert sum(isinstance(m, LIP2d) for m in lip.modules()) == 5
    assert sum(isinstance(m, torch.nn.MaxPool2d) for m in plain.modules()) == 5
    # VGG16-BN conv layers 14,723,136; head: conv 3x3 + BN, conv 1x1 + BN, FC
    assert count_parameters(plain) == 14_723_136 + 2_359_296 + 1_024 + 262_144 + 1_024 + 3_591
    # five logit modules: depthwise 3x3 (9 weights) + BN (2) per channel of 64, 128, 256, 512, 512
    assert count_parameters(lip) - count_parameters(plain) == 11 * (64 + 128 + 256 + 512 + 512)


def test_missing_vgg_weights_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_WEIGHTS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"vgg16_bn-6c64b313\.pth"):
        build_model("vgg16_lip", weights="vgg16_bn-6c64b313.pth")


def _tiny_003(variant: str):
    """Paper 003's FER2013 / SFEW experiment, smoke profile, with a VGG16 small enough to train in seconds."""
    from dataclasses import replace
    from fer_lib import experiments
    exp = experiments.experiment("003", variant, "smoke")
    return replace(exp, data=replace(exp.data, subset=None))


def test_crop_trained_run_reports_centre_and_ten_crop_and_an_init_run_loads_weights(tmp_path, monkeypatch):
    from fakes import fer_entries, write_fer_zip
    from fer_lib.train import runner
    write_fer_zip(tmp_path, fer_entries((21, 7, 7)))
    first = runner.run(_tiny_003("fer2013-lip"), tmp_path, store=RunStore(tmp_path / "runs"), log=lambda _: None)
    metrics = first.metrics
    assert {"test", "test_tencrop"} <= set(metrics)
    assert metrics["test"]["n"] == metrics["test_tencrop"]["n"] == 7
    assert first.config["train"]["preprocess"]["crop"] == 44
    # the ten-crop predictions are kept beside the centre-crop ones, agreeing with their metrics
    preds = first.predictions
    assert preds["role"].value_counts().to_dict() == {"test": 7, "test_tencrop": 7}
    tencrop = preds[preds["role"] == "test_tencrop"]
    assert (tencrop["pred"] == tencrop["true"]).mean() == pytest.approx(metrics["test_tencrop"]["accuracy"])

    from dataclasses import replace
    follow = replace(_tiny_003("fer2013-lip"), name="003-follow", init_from="003-fer2013-lip",
                     train=replace(_tiny_003("fer2013-lip").train, epochs=0))
    logs = []
    second = runner.run(follow, tmp_path, store=RunStore(tmp_path / "runs"), log=logs.append)
    assert second.config["init_run"] == f"003-fer2013-lip/{first.config_hash}"
    assert any("initialised from" in line for line in logs)
    # zero epochs after loading: the same weights, so the same predictions
    assert (second.predictions["pred"].to_numpy() == first.predictions["pred"].to_numpy()).all()


def test_init_from_a_missing_run_says_what_to_train(tmp_path):
    from fakes import fer_entries, write_fer_zip
    from fer_lib.train import runner
    write_fer_zip(tmp_path, fer_entries((21, 7, 7)))
    with pytest.raises(FileNotFoundError, match=r"fer train 003 fer2013-lip --profile smoke"):
        runner.run(_tiny_003("sfew-lip-ferinit"), tmp_path, store=RunStore(tmp_path / "runs"), log=lambda _: None)


def test_sfew_cpu_profile_keeps_the_paper_resolution_and_epochs():
    paper = experiments.experiment("003", "sfew-lip", "paper").train
    cpu = experiments.experiment("003", "sfew-lip-ferinit", "cpu")
    assert (cpu.train.preprocess.size, cpu.train.epochs) == (paper.preprocess.size, paper.epochs) == (112, 30)
    assert cpu.train.bf16 is True and cpu.init_from == "003-fer2013-lip"
    # FER2013's ablation stays fp32 (the model's CPU default), so its budgets stay comparable with each other.
    assert experiments.experiment("003", "fer2013-lip", "cpu").train.bf16 is None


def test_lip_as_its_authors_initialise_it_starts_as_average_pooling():
    # github.com/sebgao/LIP imagenet/lip_resnet.py, SimplifiedLIP.init_layer: the logit conv starts at zero
    torch.manual_seed(1)
    lip = LIP2d(logit_module(6, "authors"))
    for mode in (lip.train, lip.eval):
        mode()
        x = torch.randn(3, 6, 10, 10) * 5 + torch.linspace(0, 20, 10)  # any input, even a steep one
        assert torch.allclose(lip(x), F.avg_pool2d(x, 2), atol=1e-5)
    first = LIP2d(logit_module(6, "depthwise-bn"))  # the first edition does not: a random hard selection
    assert not torch.allclose(first(x), F.avg_pool2d(x, 2), atol=1e-2)


def test_lip_logit_module_follows_the_authors_layers_and_rejects_unknown_kinds():
    g = logit_module(8, "authors")
    assert [type(m).__name__ for m in g] == ["Conv2d", "InstanceNorm2d", "SoftGate"]
    assert g[0].groups == 1 and g[0].kernel_size == (3, 3) and g[1].affine and g[2].gamma == 12.0
    with pytest.raises(ValueError, match="depthwise-bn"):
        logit_module(8, "random")


def test_paper_003_and_the_comparison_name_the_authors_lip():
    for variant in ("fer2013-lip", "sfew-lip", "sfew-lip-ferinit", "rafdb-lip"):
        assert experiments.experiment("003", variant, "cpu").model_args["logit"] == "authors"
    assert "logit" not in experiments.experiment("003", "fer2013-vgg16", "cpu").model_args
    assert experiments.experiment("cmp", "vgg16-lip", "cpu").model_args["logit"] == "authors"
    net = build_model("vgg16_lip", logit="authors")
    # five authors' logit modules: full 3x3 conv (9 C^2) + affine InstanceNorm (2 C)
    assert count_parameters(net) - count_parameters(build_model("vgg16_plain")) == sum(
        9 * c * c + 2 * c for c in (64, 128, 256, 512, 512))


def _sfew_run(root, experiment: str, name: str, right: int, *, logit: str | None = None, finished: str = "2026-01-02"):
    """A finished 30-epoch SFEW record scored on 100 shared Val images, the first `right` of them right."""
    from fakes import write_record
    args = dict(num_classes=7, **({"logit": logit} if logit else {}))
    rows = [f"test,val_{i},0,{0 if i < right else 1}" for i in range(100)]
    write_record(root, experiment, name, config=dict(name=experiment, profile="cpu", model_args=args,
                                                     train=dict(epochs=30, preprocess=dict(size=112))),
                 metrics=dict(test=dict(accuracy=right / 100, n=100), best_epoch=30),
                 predictions="role,id,true,pred\n" + "\n".join(rows),
                 provenance=dict(finished_at=f"{finished}T00:00:00", wall_seconds=60))


def test_sfew_shows_each_lip_edition_beside_max_pooling_on_the_same_val_images(tmp_path):
    from fer_lib.report import chapter003 as ch
    from fer_lib.report import Note
    store = RunStore(tmp_path)
    _sfew_run(tmp_path, "003-sfew-vgg16", "max", 50)
    _sfew_run(tmp_path, "003-sfew-lip", "first", 40)
    _sfew_run(tmp_path, "003-sfew-lip-ferinit", "first", 45)
    [note] = ch.sfew_editions_section("cpu", store=store)
    assert isinstance(note, Note) and "fer train 003 sfew-lip --profile cpu" in note.text

    _sfew_run(tmp_path, "003-sfew-lip", "authors-old", 20, logit="authors", finished="2026-01-01")
    _sfew_run(tmp_path, "003-sfew-lip", "authors", 55, logit="authors", finished="2026-01-03")  # the newest counts
    [table] = ch.sfew_editions_section("cpu", store=store)
    scratch, ferinit = table.to_dict("records")
    assert scratch["max pooling, same init (%) [95 %]"].startswith("50.00 [")
    assert scratch["LIP, first edition (random logit init) (%) [95 %]"].startswith("40.00 [")
    assert scratch["LIP, authors' init (%) [95 %]"].startswith("55.00 [")
    # paired on the same 100 images: the fixed LIP got 15 more right than the first edition and none fewer
    assert scratch["the fix: authors' init − first edition (points) [95 %]"].startswith("+15.00 [")
    assert scratch["the fix: authors' init − first edition (points) [95 %]"].endswith(", McNemar p = 6.1e-05")
    assert scratch["authors' init − max pooling (points) [95 %]"].startswith("+5.00 [")
    assert ferinit["LIP, first edition (random logit init) (%) [95 %]"].startswith("45.00 [")
    assert ferinit["max pooling, same init (%) [95 %]"] == "—"  # no VGG16 starts from FER2013: no pair
    assert ferinit["LIP, authors' init (%) [95 %]"] == "—" and ferinit["authors' init − max pooling (points) [95 %]"] == "—"
    from fer_lib.store.results import RunRecord
    findings = ch.findings({}, {"sfew-vgg16": RunRecord(tmp_path / "003-sfew-vgg16" / "max"),
                                "sfew-lip": RunRecord(tmp_path / "003-sfew-lip" / "authors")})
    assert ("**LIP on SFEW from scratch**, Val accuracy against max pooling on the same images: +5.00 points "
            "[+2.00, +11.00], McNemar p = 0.062 (55.0 % vs 50.0 %, both 112x112, 30 epochs") in findings
