"""Chapter 001's FER2013 comparison pairs the two models fold by fold at the same budget only."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fer_lib.store import results
from fer_lib.report import chapter001 as ch
from fer_lib.report import tables
from fer_lib.store.results import RunStore

from fakes import write_record

CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def _fold(root: Path, model: str, fold: int, epochs: int, accuracy: float, protocol: str = "random") -> None:
    """A finished run record of fold `fold` (or, with protocol="standard", of the one standard-split run)."""
    experiment = f"001-{model}-fer2013-{protocol}"
    data = (dict(protocol="kfold", k=5, fold=fold, seed=0) if protocol == "random"
            else dict(protocol="official", k=0, fold=0, seed=0, roles=dict(test="private_test")))
    per_class = {c: dict(precision=accuracy, recall=accuracy, f1=accuracy, support=10) for c in CLASSES}
    report = dict(accuracy=accuracy, macro_f1=accuracy, classes=CLASSES, n=70, per_class=per_class,
                  confusion=[[10 if i == j else 0 for j in range(7)] for i in range(7)])
    # 100 shared test images, the first `accuracy` share of them right: what a paired comparison reads
    rows = [f"test,PrivateTest_{i},0,{0 if i < round(accuracy * 100) else 1}" for i in range(100)]
    write_record(root, experiment, f"{model}{fold}e{epochs}",
                 config=dict(name=experiment, profile="cpu", data=data, train=dict(epochs=epochs)),
                 metrics=dict(test=report, best_epoch=epochs), predictions="role,id,true,pred\n" + "\n".join(rows),
                 provenance=dict(finished_at=f"2026-01-0{epochs % 9 + 1}T00:00:0{fold}", wall_seconds=60))


def test_models_are_paired_only_at_budgets_where_both_have_every_fold(tmp_path):
    for fold in range(5):
        _fold(tmp_path, "igc", fold, 4, 0.50)
        _fold(tmp_path, "plain", fold, 4, 0.52)
        _fold(tmp_path, "plain", fold, 8, 0.60)  # the plain CNN alone has 8 epochs
        _fold(tmp_path, "igc", fold, 8, 0.62) if fold < 4 else None  # IGC misses a fold at 8
    profile, budgets = ch.budget_pairs("fer2013", "random", store=RunStore(tmp_path))
    assert profile == "cpu" and list(budgets) == [4]
    table = ch.paired_table(store=RunStore(tmp_path))[0]
    assert table[["epochs", "IGC accuracy", "plain accuracy"]].values.tolist() == [[4, 50.0, 52.0]]
    assert table["folds IGC ahead"].tolist() == ["0 of 5"]

    _fold(tmp_path, "igc", 4, 8, 0.62)  # the last fold lands: 8 epochs is paired too, and the ordering flips
    table = ch.paired_table(store=RunStore(tmp_path))[0]
    assert table["epochs"].tolist() == [4, 8] and table["IGC accuracy"].tolist() == [50.0, 62.0]
    assert table["IGC - plain [95 % interval]"].tolist() == ["-2.00 [-2.00, -2.00], paired over 5 folds",
                                                             "+2.00 [+2.00, +2.00], paired over 5 folds"]
    assert "the ordering changes as training grows" in ch.ordering_sentences(store=RunStore(tmp_path))


def test_budget_table_gives_fold_means_per_budget_and_the_claimed_row(tmp_path):
    for fold, acc in enumerate([0.4, 0.5, 0.6, 0.5, 0.5]):
        _fold(tmp_path, "igc", fold, 4, acc)
    table = ch.fer_budget_table("cpu", store=RunStore(tmp_path))
    assert table["model"].tolist() == ["improved CNN (IGC)", "improved CNN (IGC): Table 3 (claimed)"]
    assert table["accuracy"].iloc[0] == pytest.approx(50.0) and table["happy precision"].iloc[0] == pytest.approx(50.0)
    assert table["happy precision"].iloc[1] == 86.0 and table["angry precision"].iloc[1] == 65.0
    assert ch.fer_budget_figure("cpu", store=RunStore(tmp_path)) is not None
    assert ch.fer_budget_table("cpu", store=RunStore(tmp_path / "empty")).empty and ch.fer_budget_figure("cpu", store=RunStore(tmp_path / "empty")) is None


def test_the_standard_split_joins_the_budget_table_and_the_paired_comparison(tmp_path):
    for fold in range(5):
        _fold(tmp_path, "igc", fold, 8, 0.50)
    for model, accuracy in (("igc", 0.55), ("plain", 0.58)):
        _fold(tmp_path, model, 0, 16, accuracy, protocol="standard")
    table = ch.fer_budget_table("cpu", store=RunStore(tmp_path))
    assert table[["model", "epochs", "folds"]].values.tolist()[:3] == [
        ["improved CNN (IGC)", 8, 5], ["improved CNN (IGC), standard split", 16, 1], ["plain CNN, standard split", 16, 1]]
    assert table["accuracy"].tolist()[:3] == [50.0, 55.0, 58.0]
    paired = ch.paired_table(store=RunStore(tmp_path))[0]
    assert paired[["folds", "epochs"]].values.tolist() == [["standard", 16]]
    # 55 against 58 of the same 100 images: the plain CNN got 3 more right, none fewer
    assert paired["IGC - plain [95 % interval]"].tolist() == ["-3.00 [-8.00, -1.00], paired over 100 test images"]
    assert ("- fer2013, standard split, PrivateTest (cpu): IGC - plain = -3.00 points after 16 epochs; the only "
            "budget both models have.") in ch.ordering_sentences(store=RunStore(tmp_path))


def test_a_budget_still_in_training_does_not_hide_the_last_complete_one(tmp_path):
    for fold in range(5):
        _fold(tmp_path, "igc", fold, 16, 0.61)
    _fold(tmp_path, "igc", 0, 32, 0.64)  # the first fold of the next budget, newest of all
    measured = RunStore(tmp_path).runs_for("001-igc-fer2013-random", "cpu")
    assert [r.epochs for r in measured] == [16] * 5
    runs = tables.profile_runs("001-igc-fer2013-random", store=RunStore(tmp_path))
    assert [r.epochs for r in runs.folds["cpu"]] == [16] * 5 and runs.records["cpu"].epochs == 16
    assert tables.fold_table([runs], {})["accuracy (%) [95 % interval]"].tolist() == ["61.00 [61.00, 61.00]"]
    assert list(RunStore(tmp_path).budgets("001-igc-fer2013-random", "cpu")) == [16]


def test_the_standard_split_table_has_every_budget_and_the_deduplicated_privatetest(tmp_path):
    for model, epochs, accuracy in (("igc", 16, 0.55), ("igc", 32, 0.60), ("plain", 16, 0.58)):
        _fold(tmp_path, model, 0, epochs, accuracy, protocol="standard")
        # Four PrivateTest predictions, the last one wrong; image "a" has a twin in Training.
        predictions = pd.DataFrame({"role": ["test"] * 4, "id": ["a", "b", "c", "d"],
                                    "pred": [0, 1, 2, 0], "true": [0, 1, 2, 3]})
        predictions.to_csv(tmp_path / f"001-{model}-fer2013-standard" / f"{model}0e{epochs}" / "predictions.csv.gz",
                           index=False)
    table = ch.standard_table({"a"}, "cpu", store=RunStore(tmp_path))
    assert table[["model", "epochs"]].values.tolist() == [
        ["improved CNN (IGC)", 16], ["improved CNN (IGC)", 32], ["plain CNN", 16]]
    assert table["PrivateTest accuracy (%)"].tolist() == [55.0, 60.0, 58.0] and table["test images"].tolist() == [70] * 3
    assert table["de-duplicated PrivateTest accuracy (%)"].tolist() == [66.67] * 3  # b, c right, d wrong
    assert table["run"].iloc[1] == "001-igc-fer2013-standard/igc0e32"
    assert ch.standard_table(set(), "cpu", store=RunStore(tmp_path / "empty")).empty
