"""The comparison table: one row per model, summarised over its seeds (newest run per seed, one profile only)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fer_lib.judge import comparison
from fer_lib.store.results import RunStore

from fakes import write_record


def _fake_run(root: Path, seed: int, accuracy: float, finished_at: str, wall_seconds: float,
              profile: str = "cpu", variant: str = "plain-cnn", epochs: int = 3) -> None:
    """A finished run record of `cmp-<variant>`: 10 PrivateTest images, the first `10 * accuracy` right; images
    p0 and p1 (both right) are the ones with a twin in Training."""
    right = round(10 * accuracy)
    rows = [f"test,p{i},0,{0 if i < right else 1}" for i in range(10)]
    write_record(root, f"cmp-{variant}", f"s{seed}{finished_at[-2:]}{profile}e{epochs}",
                 config=dict(name=f"cmp-{variant}", profile=profile, train=dict(seed=seed, epochs=epochs),
                             data=dict(roles=dict(train="train", val="public_test", test="private_test"))),
                 metrics=dict(test=dict(accuracy=accuracy, macro_f1=accuracy / 2, n=10), epochs_run=epochs,
                              best_epoch=2),
                 history=f"epoch,val_acc\n1,0.1\n2,{accuracy - 0.05}\n3,0.2\n",
                 predictions="role,id,true,pred\n" + "\n".join(rows) + "\n",
                 provenance=dict(finished_at=finished_at, wall_seconds=wall_seconds))


def test_the_table_takes_the_newest_run_per_seed_of_one_profile(tmp_path):
    _fake_run(tmp_path, 0, 0.5, "2026-01-01T00:00:10", wall_seconds=600)
    _fake_run(tmp_path, 1, 0.9, "2026-01-01T00:00:11", wall_seconds=300)  # replaced by the newer seed-1 run
    _fake_run(tmp_path, 1, 0.6, "2026-01-01T00:00:20", wall_seconds=900)
    _fake_run(tmp_path, 2, 0.7, "2026-01-01T00:00:12", wall_seconds=1200)
    _fake_run(tmp_path, 3, 1.0, "2026-01-01T00:00:30", wall_seconds=60, profile="smoke")  # another profile

    assert list(comparison.model_seed_runs("plain-cnn", "cpu", store=RunStore(tmp_path))) == [0, 1, 2]
    row = comparison.comparison_table("cpu", {"p0", "p1"}, store=RunStore(tmp_path), variants=["plain-cnn"]).iloc[0]
    assert row["seeds"] == 3
    assert row["PrivateTest acc (%)"] == pytest.approx(60.0)
    # t over the seeds 50, 60, 70: 60 ± 4.30 * 10 / sqrt(3) = [35.16, 84.84], wider than one run's Wilson
    # interval on 10 images above, narrower below (Wilson 6/10: [31.27, 83.18]): the wider end of each
    assert (row["95 % low"], row["95 % high"]) == (pytest.approx(31.27, abs=0.01), pytest.approx(84.84, abs=0.01))
    assert row["macro-F1 (%)"] == pytest.approx(30.0)
    assert row["PublicTest acc, selected epoch (%)"] == pytest.approx(55.0)  # val_acc at the best epoch (2)
    # without p0, p1 (both right): 3/8, 4/8, 5/8
    assert row["de-dup PrivateTest acc (%)"] == pytest.approx(np.mean([37.5, 50.0, 62.5]))
    assert row["train min / run"] == pytest.approx(10.0)  # the fastest kept seed, 600 s
    assert row["best epochs"] == "2 / 2 / 2"
    assert np.isnan(row["MFLOPs / image"])  # no cost record under tmp_path


def test_a_model_without_runs_gets_the_command_to_run(tmp_path):
    row = comparison.comparison_table("cpu", None, store=RunStore(tmp_path), variants=["igc"]).iloc[0]
    assert row["seeds"] == 0 and row["to run"] == "fer train cmp igc --profile cpu"
    assert row["parameters"] > 0 and "PrivateTest acc (%)" not in row.index


def test_an_unknown_variant_is_refused_with_the_list():
    with pytest.raises(ValueError, match="plain-cnn"):
        comparison.comparison("no-such-model", "cpu")


def test_the_follow_up_policy_ranks_by_publictest_and_pushes_the_best(tmp_path):
    """Seeds 1-2 go to the best two by PublicTest (never PrivateTest); the push goes to the best."""
    # PublicTest (val_acc at the best epoch) = accuracy - 0.05; PrivateTest accuracy ranks them the other way
    _fake_run(tmp_path, 0, 0.60, "2026-01-01T00:00:10", 60, variant="plain-cnn")
    _fake_run(tmp_path, 0, 0.80, "2026-01-01T00:00:11", 60, variant="igc")
    _fake_run(tmp_path, 0, 0.70, "2026-01-01T00:00:12", 60, variant="resnet18")
    assert comparison.ranked_by_publictest("cpu", store=RunStore(tmp_path)) == ["igc", "resnet18", "plain-cnn"]
    assert comparison.seed_variants("cpu", store=RunStore(tmp_path)) == ["igc-s1", "igc-s2", "resnet18-s1", "resnet18-s2"]
    assert comparison.push_variant("cpu", store=RunStore(tmp_path)) == ["igc-push"]
    assert comparison.push_variant("cpu", store=RunStore(tmp_path), variants=["resnet18", "plain-cnn"]) == ["resnet18-push"]
    assert comparison.follow_up_variants("cpu", store=RunStore(tmp_path), extra_seeds=1) == ["igc-s1", "resnet18-s1", "igc-push"]
    assert comparison.follow_up_variants("paper", store=RunStore(tmp_path)) == []  # nothing finished under that profile


def test_fer_train_cmp_follow_ups_trains_what_the_chapter_adds(tmp_path, capsys):
    from fakes import fer_entries, write_fer_zip
    from fer_lib.cli import main
    from fer_lib.store.results import RunStore
    write_fer_zip(tmp_path, fer_entries((21, 7, 7)))
    runs = tmp_path / "runs"
    args = ["train", "cmp", "plain-cnn", "traditional-cnn", "--profile", "smoke", "--data-root", str(tmp_path),
            "--runs-root", str(runs), "--follow-ups"]
    assert main(args) == 0
    best = comparison.ranked_by_publictest("smoke", store=RunStore(runs))[0]
    assert sorted(comparison.model_seed_runs("plain-cnn", "smoke", store=RunStore(runs))) == [0, 1, 2]
    assert sorted(comparison.model_seed_runs("traditional-cnn", "smoke", store=RunStore(runs))) == [0, 1, 2]
    assert len(RunStore(runs).find(f"cmp-{best}-push")) == 1
    assert [p.name for p in runs.iterdir() if p.name.endswith("-push")] == [f"cmp-{best}-push"]
    with pytest.raises(ValueError, match="belongs to the comparison"):
        main(["train", "002", "standard", "--profile", "smoke", "--follow-ups"])


def test_the_second_budget_goes_to_cheap_models_and_ranks_are_compared_among_models_with_both(tmp_path):
    """PublicTest = accuracy - 0.05 at the selected epoch; 3-epoch wall times price the 12-epoch runs."""
    _fake_run(tmp_path, 0, 0.60, "2026-01-01T00:00:10", 600, variant="plain-cnn")     # 12 ep: about 40 min
    _fake_run(tmp_path, 0, 0.70, "2026-01-01T00:00:11", 300, variant="igc")           # about 20 min
    _fake_run(tmp_path, 0, 0.80, "2026-01-01T00:00:12", 1200, variant="resnet18")     # about 80 min: too slow
    assert comparison.long_budget_variants("cpu", store=RunStore(tmp_path)) == ["plain-cnn", "igc"]
    assert comparison.long_budget_variants("paper", store=RunStore(tmp_path)) == []  # its 30 epochs need no second budget
    _fake_run(tmp_path, 0, 0.75, "2026-01-01T00:00:20", 2400, variant="plain-cnn", epochs=12)
    _fake_run(tmp_path, 0, 0.72, "2026-01-01T00:00:21", 1200, variant="igc", epochs=12)
    # a 12-epoch run is not a seed of the 3-epoch row
    assert list(comparison.model_seed_runs("plain-cnn", "cpu", store=RunStore(tmp_path))) == [0]
    assert comparison.model_seed_runs("plain-cnn", "cpu", store=RunStore(tmp_path))[0].epochs == 3
    table = comparison.budget_table("cpu", store=RunStore(tmp_path), variants=["plain-cnn", "igc", "resnet18"]).set_index("variant")
    assert table["rank"].tolist() == [3, 2, 1]
    assert table.loc["plain-cnn", "12 ep: PrivateTest (%)"] == pytest.approx(75.0)
    assert table.loc["plain-cnn", "rank change"] == "+1" and table.loc["igc", "rank change"] == "-1"
    assert table.loc["resnet18", "12-epoch run"] == "too slow here: about 80 min > 60"
    assert table.loc["plain-cnn", "rank with both budgets"] == "2 → 1"
    assert pd.isna(table.loc["resnet18", "rank with both budgets"])

    from fer_lib.report import chapter_comparison as ch
    items = ch.budget_section("cpu", store=RunStore(tmp_path), chosen=["plain-cnn", "igc", "resnet18"])
    assert items[1] == "Among the 2 models with both budgets, ranked by PublicTest: plain CNN +1, IGC network -1 " \
                       "places from 3 to 12 epochs; 0 kept their place."
    curves = items[2].axes[0].containers
    assert sorted(len(c.lines[0].get_xdata()) for c in curves) == [1, 2, 2]  # resnet18 has one budget
    assert all(lo < y < hi for c in curves for ((_, lo), (_, hi)), y in
               zip(c.lines[2][0].get_segments(), c.lines[0].get_ydata()))  # each point inside its interval


def test_the_push_figure_sets_pushed_runs_against_cpu_hours_beside_the_marks(tmp_path):
    from fer_lib.report import chapter_comparison as ch
    assert ch.push_cost_figure("plain-cnn", "cpu", store=RunStore(tmp_path)) is None
    for seed, acc in enumerate([0.5, 0.6, 0.7]):
        _fake_run(tmp_path, seed, acc, f"2026-01-01T00:00:1{seed}", 360 * (seed + 1))
    _fake_run(tmp_path, 0, 0.66, "2026-01-01T00:00:20", 3600, variant="plain-cnn-push", epochs=12)
    _fake_run(tmp_path, 1, 0.68, "2026-01-01T00:00:21", 5400, variant="plain-cnn-push", epochs=12)
    ax = ch.push_cost_figure("plain-cnn", "cpu", store=RunStore(tmp_path)).axes[0]
    labels = [t.get_text() for t in ax.texts]
    assert labels[:3] == ["one protocol, 3 seeds, 3 epochs", "push, seed 0, 12 epochs", "push, seed 1, 12 epochs"]
    assert [t.xy for t in ax.texts[:3]] == [(0.1, 60.0), (1.0, 66.0), (1.5, 68.0)]  # fastest seed's hours, mean
    assert sum("(claimed)" in label for label in labels) == len(ch.literature())


def test_the_ingredient_table_reads_each_ingredient_against_the_push(tmp_path):
    _fake_run(tmp_path, 0, 0.60, "2026-01-01T00:00:10", 1200, variant="plain-cnn-push", epochs=12)
    _fake_run(tmp_path, 0, 0.70, "2026-01-01T00:00:11", 1260, variant="plain-cnn-push-ema", epochs=12)
    _fake_run(tmp_path, 1, 0.90, "2026-01-01T00:00:12", 1260, variant="plain-cnn-push-mixup", epochs=12)  # seed 1
    table = comparison.ingredient_table("plain-cnn", "cpu", store=RunStore(tmp_path)).set_index("recipe")
    assert list(table.index) == ["push", "push + ema", "push + mixup", "push + cutmix", "push + erase",
                                 "push + warmup", "push + all"]
    assert table.loc["push + ema", "PrivateTest change (points)"] == pytest.approx(10.0)
    assert table.loc["push + ema", "PublicTest change (points)"] == pytest.approx(10.0)
    assert table.loc["push + ema", "changes"] == "ema_decay=0.999"
    assert table.loc["push + mixup", "run"] == "fer train cmp plain-cnn-push-mixup --profile cpu"  # seed 0 only
    assert set(table.loc["push + all", "changes"].split(", ")) == {
        "ema_decay=0.999", "mixup=0.2", "augment.erase=0.5", "warmup_epochs=1"}


def test_the_push_record_is_chosen_by_publictest_within_the_hour_limit(tmp_path):
    from fer_lib.report import chapter_comparison as ch
    assert comparison.push_record("plain-cnn", "cpu", store=RunStore(tmp_path)) is None
    assert comparison.long_push_command("plain-cnn", "cpu", store=RunStore(tmp_path)) is None
    # PublicTest of the selected epoch is accuracy - 0.05 in these fakes
    _fake_run(tmp_path, 0, 0.60, "2026-01-01T00:00:10", 1200, variant="plain-cnn-push", epochs=12)
    _fake_run(tmp_path, 0, 0.70, "2026-01-01T00:00:11", 1260, variant="plain-cnn-push-ema", epochs=12)
    _fake_run(tmp_path, 0, 0.72, "2026-01-01T00:00:12", 4000, variant="plain-cnn-push-ema", epochs=40)
    _fake_run(tmp_path, 0, 0.90, "2026-01-01T00:00:13", 12000, variant="plain-cnn-push", epochs=80)  # 3.3 h
    record = comparison.push_record("plain-cnn", "cpu", store=RunStore(tmp_path))
    assert (record.config["name"], record.epochs) == ("cmp-plain-cnn-push-ema", 40)  # the 80-epoch run is too long
    # the best 12-epoch recipe (ema, 105 s per epoch) for nine tenths of LONG_PUSH_HOURS: 8100 // 105 = 77 epochs
    assert comparison.LONG_PUSH_HOURS == 2.5
    assert comparison.long_push_command("plain-cnn", "cpu", store=RunStore(tmp_path)).startswith(
        "fer train cmp plain-cnn-push-ema --profile cpu --epochs 77  # about 2.2 h")
    table = ch.push_record_table("plain-cnn", "cpu", {"p0"}, store=RunStore(tmp_path))
    assert table["recipe"].tolist() == ["push", "push + ema", "push + ema", "push"]
    assert table["epochs"].tolist() == [12, 12, 40, 80] and table["within 3 h"].tolist() == [True, True, True, False]
    assert table["de-dup PrivateTest (%)"].tolist() == pytest.approx([500 / 9, 600 / 9, 600 / 9, 800 / 9], abs=0.01)
    sentence = next(i for i in ch.push_record_section("plain-cnn", "cpu", None, store=RunStore(tmp_path)) if "push record" in str(i))
    assert "`cmp-plain-cnn-push-ema/" in sentence and "40 epochs in 1.11 h, PrivateTest **72.00 %**" in sentence
    assert "It reaches the 70 % goal" in sentence
    _fake_run(tmp_path, 0, 0.74, "2026-01-01T00:00:14", 8000, variant="plain-cnn-push-ema", epochs=77)
    assert comparison.long_push_command("plain-cnn", "cpu", store=RunStore(tmp_path)) is None  # trained: nothing left to name
