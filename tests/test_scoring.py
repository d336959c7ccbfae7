"""Scoring predictions (fer_lib.judge.scoring) and the report tables built on it."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from fer_lib.store.results import RunStore

from fakes import fer_with_twins


def _predictions():
    """Four test images (two twinned, one of them right) and two train images, with stored probabilities."""
    probs = np.array([[0.9, 0.05, 0.05], [0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.4, 0.3, 0.3],
                      [0.6, 0.2, 0.2], [0.1, 0.8, 0.1]])
    frame = pd.DataFrame({"role": ["test"] * 4 + ["train"] * 2, "id": list("abcdef"),
                          "true": [0, 2, 2, 1, 0, 1], "pred": probs.argmax(1)})
    frame[["p_x", "p_y", "p_z"]] = probs
    return frame


def test_scoring_metric_table_and_twins():
    from fer_lib.judge import scoring
    table = scoring.metric_table(_predictions()).set_index("role")
    assert table.loc["test", "accuracy (%)"] == 50.0 and table.loc["train", "accuracy (%)"] == 100.0
    # test: image a sure and right (3/3 elements), b sure and wrong (1/3), c and d unsure (2/3 each)
    assert table.loc["test", "binary accuracy (%)"] == pytest.approx(100 * (3 + 1 + 2 + 2) / 12)
    assert table.loc["test", "images with max p > 0.5 (%)"] == 50.0
    twins = scoring.accuracy_by_twin(_predictions(), {"a", "b"}, "test")
    assert twins["with a twin in training"] == 2 and twins["accuracy on twins (%)"] == 50.0
    assert twins["accuracy on the rest (%)"] == 50.0 and twins["ceiling: all twins right (%)"] == 75.0


def test_epoch_selection_on_a_watched_set():
    from fer_lib.judge import scoring
    history = pd.DataFrame({"epoch": [1, 2, 3], "private_test_acc": [0.4, 0.6, 0.5]})
    sel = scoring.epoch_selection(history, "private_test_acc")
    assert sel["epoch with the highest accuracy"] == 2 and sel["highest accuracy (%)"] == pytest.approx(60.0)
    assert sel["accuracy at the last epoch (%)"] == pytest.approx(50.0) and sel["set"] == "private_test"


def test_results_table_adds_the_deduplicated_private_test_column(tmp_path):
    from dataclasses import replace
    from fer_lib import experiments
    from fer_lib.train import runner
    from fer_lib.report.tables import ProfileRuns, results_table
    from fer_lib.judge.scoring import training_twins
    fer = fer_with_twins(tmp_path)
    exp = experiments.experiment("002", "standard", "smoke")
    exp = replace(exp, model_args=dict(num_classes=7, in_channels=1, widths=(16, 16, 32, 32), stem_width=8),
                  data=replace(exp.data, subset=None))
    record = runner.run(exp, tmp_path, store=RunStore(tmp_path / "runs"), log=lambda _: None, data=fer)
    twins = training_twins(fer)
    assert twins == {"PrivateTest_1010", "PublicTest_1007"}
    table = results_table([ProfileRuns(exp.name, {"smoke": record})], {}, twins=twins)
    preds = record.predictions
    kept = preds[preds["id"] != "PrivateTest_1010"]
    assert len(kept) == 2
    assert table["de-duplicated PrivateTest accuracy (%)"].iloc[0] == round(100 * (kept["pred"] == kept["true"]).mean(), 2)
    assert "de-duplicated PrivateTest accuracy (%)" not in results_table([ProfileRuns(exp.name, {"smoke": record})], {})


def test_deduplicated_accuracy_scores_ten_crop_predictions_and_needs_them():
    from types import SimpleNamespace
    from fer_lib.judge.scoring import deduplicated_accuracy
    centre = _predictions()[lambda f: f["role"] == "test"]
    tencrop = centre.assign(role="test_tencrop", pred=[0, 2, 2, 0])  # right on a, b, c
    config = {"data": {"roles": {"train": "train", "val": "public_test", "test": "private_test"}}}
    record = SimpleNamespace(config=config, predictions=pd.concat([centre, tencrop]))
    assert deduplicated_accuracy(record, "test", {"a"}) == round(100 / 3, 2)  # b, c, d: c right
    assert deduplicated_accuracy(record, "test_tencrop", {"a"}) == round(200 / 3, 2)  # b, c right
    assert deduplicated_accuracy(record, "val", {"a"}) is None  # PublicTest is no PrivateTest
    older = SimpleNamespace(config=config, predictions=centre)  # recorded before ten-crop predictions were kept
    assert deduplicated_accuracy(older, "test_tencrop", {"a"}) is None


def test_styled_tables_have_no_index_fixed_decimals_right_aligned_numbers_and_no_nan():
    from fer_lib.report.tables import styled
    frame = pd.DataFrame({"model": ["a<b", None], "accuracy (%)": [56.9, 12.345], "images": [3589, 28709],
                          "note": [np.nan, "x"]}, index=[7, 3])
    html = styled(frame)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert cells == ["a&lt;b", "56.900", "3,589", "—", "—", "12.345", "28,709", "x"]  # row order kept, no index; thousands grouped
    assert "NaN" not in html and "None" not in html and "<th" in html and ">7<" not in html
    style = html[:html.index("</style>")]
    cells = re.findall(r"#T_\w+_row\d+_(col\d+)", style)
    assert sorted(set(cells)) == ["col1", "col2"] and len(cells) == 4  # the two numeric columns only, right-aligned
    assert sorted(re.findall(r"th\.(col\d+)", style)) == ["col1", "col2"]  # with their headers
    assert styled(frame) == html  # the same table renders the same bytes at every execution


def test_headline_table_has_one_row_per_headline_claim_with_its_budget(tmp_path):
    from fer_lib.judge import claims
    from fer_lib.report.ledger import headline_table
    table = headline_table(store=RunStore(tmp_path))  # an empty store: every claim not run
    headline = [c for c in claims.CLAIMS if not c.cited and not c.detail]
    assert len(table) == len(headline) and set(table["verdict"]) == {"not run"}
    assert (table["ours (%) [95 % interval]"] == "—").all() and (table["budget"] == "—").all()
    # the verdict next to the claim: on a phone the box shows it before the table has to scroll
    assert list(headline_table("002", store=RunStore(tmp_path)).columns) == ["claim", "verdict", "claimed (%)",
                                                                       "ours (%) [95 % interval]", "budget"]


def test_a_confusion_summary_says_what_this_matrix_shows_and_only_that():
    from fer_lib.report.tables import confusion_summary

    lopsided = {"classes": ["angry", "sad", "happy", "fear"],
                "confusion": [[50, 2, 3, 0], [10, 5, 20, 0], [1, 2, 30, 1], [0, 0, 3, 0]]}
    text = confusion_summary(lopsided)
    assert text.startswith("Easiest: *angry*, recall 91 % [80, 96]; hardest: *fear*, 0 % [0, 56].")
    assert "Most *fear* images that are missed go to *happy* (100 % of all *fear* images)." in text
    assert "over-predicts *happy*: 44 % of its answers, for 27 % of the images" in text
    assert "never gets *fear* right" in text and "*fear* has only 3 test images" in text
    assert "even" not in text

    even = {"classes": ["angry", "sad", "happy"], "confusion": [[80, 10, 10], [9, 82, 9], [10, 12, 78]]}
    text = confusion_summary(even)
    assert "Recall is even across the classes" in text and "*sad* taking the most (12 %)" in text
    for absent in ("over-predicts", "never", "only", "Most "):
        assert absent not in text
