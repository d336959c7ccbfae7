"""Chapter 003's FER2013 ablation by budget: both models per budget, LIP's difference only where both ran."""
from __future__ import annotations

import pandas as pd

from pathlib import Path

from fer_lib.report import chapter003 as ch
from fer_lib.store.results import RunStore

from fakes import write_record


def _run(root: Path, variant: str, epochs: int, centre: float, tencrop: float) -> None:
    write_record(root, f"003-{variant}", f"e{epochs}",
                 config=dict(name=f"003-{variant}", profile="cpu", data=dict(protocol="official"),
                             train=dict(epochs=epochs)),
                 metrics=dict(test=dict(accuracy=centre, n=100), test_tencrop=dict(accuracy=tencrop, n=100)),
                 provenance=dict(finished_at=f"2026-01-01T00:00:{epochs:02d}"))


def test_lip_difference_per_budget_and_its_trend(tmp_path):
    assert ch.ablation_budget_table("cpu", store=RunStore(tmp_path)).empty and ch.ablation_trend("cpu", store=RunStore(tmp_path)) is None
    _run(tmp_path, "fer2013-vgg16", 1, 0.40, 0.41)
    _run(tmp_path, "fer2013-lip", 1, 0.32, 0.33)
    _run(tmp_path, "fer2013-vgg16", 2, 0.50, 0.52)
    _run(tmp_path, "fer2013-lip", 2, 0.48, 0.51)
    _run(tmp_path, "fer2013-vgg16", 4, 0.55, 0.56)  # LIP has no 4-epoch run yet
    table = ch.ablation_budget_table("cpu", store=RunStore(tmp_path))
    assert table["epochs"].tolist() == [1, 2, 4]
    assert table["LIP - max pool, centre crop (points)"].tolist()[:2] == [-8.0, -2.0]
    assert table["LIP - max pool, ten-crop (points)"].tolist()[:2] == [-8.0, -1.0]
    assert table["LIP - max pool, centre crop (points)"].isna().tolist() == [False, False, True]
    assert ch.ablation_trend("cpu", store=RunStore(tmp_path)).endswith(
        ": -8.00 after 1 epoch, -2.00 after 2 epochs; the gap narrows as training grows. VGG16 + LIP has no "
        "4-epoch run yet: `fer train 003 fer2013-lip --profile cpu --epochs 4` completes that pair.")
    curves = ch.ablation_budget_figure("cpu", store=RunStore(tmp_path)).axes[0].containers
    assert sorted(len(c.lines[0].get_xdata()) for c in curves) == [2, 2, 3, 3]
    # each point's Wilson interval on its 100 test images: 40 of 100 right is [30.94, 49.80]
    assert any([(round(lo, 2), round(hi, 2)) for (_, lo), (_, hi) in c.lines[2][0].get_segments()][0] == (30.94, 49.8)
               for c in curves)
    _run(tmp_path, "fer2013-lip", 4, 0.57, 0.58)
    assert ch.ablation_trend("cpu", store=RunStore(tmp_path)).endswith("the sign reverses as training grows.")


def test_sfew_findings_compare_the_initialisation_only_like_for_like():
    from types import SimpleNamespace

    def record(size, epochs, acc, n=10_000):
        # the first acc * n of n shared Val images right: what the paired comparison lines up
        right = pd.Series([i < round(acc * n) for i in range(n)], index=range(n))
        return SimpleNamespace(config=dict(train=dict(epochs=epochs, preprocess=dict(size=size, crop=None))),
                               metrics=dict(test=dict(accuracy=acc)), correct=lambda role: right)
    scratch_56, init_56 = record(56, 12, 0.1485), record(56, 12, 0.2761)
    same = ch.findings({}, {"sfew-lip": scratch_56, "sfew-lip-ferinit": init_56})
    assert "+12.76 points" in same and "both 56x56, 12 epochs" in same
    mixed = ch.findings({}, {"sfew-lip": record(112, 30, 0.30), "sfew-lip-ferinit": init_56})
    assert "not measured yet" in mixed and "(112x112, 30 epochs)" in mixed and "points" not in mixed


def test_ablation_pair_is_the_largest_budget_both_models_trained(tmp_path):
    assert ch.ablation_records(store=RunStore(tmp_path)) == {}
    _run(tmp_path, "fer2013-vgg16", 1, 0.40, 0.41)
    _run(tmp_path, "fer2013-lip", 1, 0.32, 0.33)
    _run(tmp_path, "fer2013-vgg16", 2, 0.50, 0.52)
    _run(tmp_path, "fer2013-lip", 2, 0.48, 0.51)
    _run(tmp_path, "fer2013-lip", 4, 0.57, 0.58)  # VGG16 has no 4-epoch run yet: the pair stays at 2
    pair = ch.ablation_records(store=RunStore(tmp_path))
    assert {v: r.epochs for v, r in pair.items()} == {"fer2013-vgg16": 2, "fer2013-lip": 2}
    assert ch.accuracy(pair["fer2013-lip"], "test") == 48.0
    _run(tmp_path, "fer2013-vgg16", 4, 0.55, 0.56)
    assert {r.epochs for r in ch.ablation_records(store=RunStore(tmp_path)).values()} == {4}
