"""The run store: compact records, their migration, budget queries, and one writer per run."""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from fer_lib.judge import assessment, claims
from fer_lib.store import results, migrations
from fer_lib.store.results import RunRecord, RunStore, config_hash, split_digest
from fer_lib.store.runlock import RunLock, RunLocked


def _legacy_run(root: Path, experiment: str, ids: dict, epochs: int = 4, profile: str = "cpu",
                accuracy: float = 0.5, finished_at: str = "2026-01-01T00:00:00", extra: dict | None = None) -> Path:
    """A finished record in the layout written before the compact store: split.json and predictions.csv."""
    config = {**dict(name=experiment, profile=profile, train=dict(epochs=epochs, seed=0),
                     data=dict(dataset="fer2013", protocol="official"), split_digest=split_digest(ids),
                     split_sizes={k: len(v) for k, v in ids.items()}), **(extra or {})}
    folder = root / experiment / config_hash(config)
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "split.json").write_text(json.dumps(ids))
    rows = [f"test,{i},0,{0 if n < accuracy * len(ids['test']) else 1},0.1234,0.8766" for n, i in enumerate(ids["test"])]
    (folder / "predictions.csv").write_text("role,id,true,pred,p_a,p_b\n" + "\n".join(rows) + "\n")
    (folder / "metrics.json").write_text(json.dumps(dict(test=dict(accuracy=accuracy), train_img_per_s=100.0)))
    (folder / "provenance.json").write_text(json.dumps(dict(finished_at=finished_at, wall_seconds=60)))
    return folder


IDS = {"train": [f"Training_{i}" for i in range(20)], "test": [f"PrivateTest_{i}" for i in range(10)]}


def test_compact_stores_each_split_once_and_keeps_every_number(tmp_path):
    a = _legacy_run(tmp_path, "x", IDS, epochs=4)
    b = _legacy_run(tmp_path, "x", IDS, epochs=8)
    before = {p: (RunRecord(p).predictions.copy(), RunRecord(p).split_ids) for p in (a, b)}
    assert migrations.compact(store=RunStore(tmp_path)) == dict(splits=2, predictions=2)
    assert sorted(p.name for p in (tmp_path / results.SPLITS).iterdir()) == [f"{split_digest(IDS)}.json.gz"]
    for p, (preds, ids) in before.items():
        assert not (p / "split.json").exists() and not (p / "predictions.csv").exists()
        record = RunRecord(p)
        pd.testing.assert_frame_equal(record.predictions, preds)
        assert record.split_ids == ids
    assert migrations.compact(store=RunStore(tmp_path)) == dict(splits=0, predictions=0)  # idempotent


def test_compact_refuses_a_split_that_does_not_match_its_digest(tmp_path):
    folder = _legacy_run(tmp_path, "x", IDS)
    (folder / "split.json").write_text(json.dumps({**IDS, "test": IDS["test"][:-1]}))
    with pytest.raises(ValueError, match="do not match the split_digest"):
        migrations.compact(store=RunStore(tmp_path))
    assert (folder / "split.json").exists()  # nothing half-done


def test_a_missing_shared_split_is_one_clear_error(tmp_path):
    folder = _legacy_run(tmp_path, "x", IDS)
    migrations.compact(store=RunStore(tmp_path))
    (tmp_path / results.SPLITS / f"{split_digest(IDS)}.json.gz").unlink()
    with pytest.raises(FileNotFoundError, match="missing from the run store"):
        RunRecord(folder).split_ids


def test_schema_migration_fills_old_data_specs_and_moves_the_run_to_its_new_hash(tmp_path):
    old = _legacy_run(tmp_path, "002-standard", IDS)
    cost = tmp_path / "cmp-cost" / "abc"
    cost.mkdir(parents=True)
    (cost / "config.json").write_text(json.dumps(dict(name="cmp-cost", models={})))
    moved = migrations.fill_data_schema(store=RunStore(tmp_path))
    assert len(moved) == 1 and moved[0][0] == old and not old.exists()
    new = RunRecord(moved[0][1])
    assert new.config["data"] == dict(dataset="fer2013", protocol="official", k=0, fold=0, by_subject=False,
                                      select_on="val")
    assert new.path.name == config_hash(new.config) and (cost / "config.json").exists()
    assert migrations.fill_data_schema(store=RunStore(tmp_path)) == []


def test_new_records_stay_small(tmp_path):
    """A FER2013 run's predictions: 7,178 rows of seven probabilities, well under 0.3 MB compressed."""
    import numpy as np
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(7) * 0.3, size=7178)
    frame = pd.DataFrame(dict(role="test", id=[f"PrivateTest_{10000000 + i}" for i in range(7178)],
                              true=rng.integers(0, 7, 7178), pred=probs.argmax(1)))
    frame[[f"p_{c}" for c in "abcdefg"]] = np.round(probs, 4)
    results.write_csv(tmp_path / "predictions.csv.gz", frame)
    assert (tmp_path / "predictions.csv.gz").stat().st_size < 300_000
    assert gzip.decompress((tmp_path / "predictions.csv.gz").read_bytes()).startswith(b"role,id,true,pred")


def test_budget_queries_and_the_ledger_curve(tmp_path):
    name = "000-presnetvgg-fer-paper"
    _legacy_run(tmp_path, name, IDS, epochs=4, accuracy=0.5, finished_at="2026-01-01T00:00:03")
    _legacy_run(tmp_path, name, IDS, epochs=8, accuracy=0.6, finished_at="2026-01-01T00:00:01")
    _legacy_run(tmp_path, name, IDS, epochs=8, accuracy=0.62, finished_at="2026-01-01T00:00:02",
                extra=dict(rerun=True))
    assert RunStore(tmp_path).latest(name, "cpu").metrics["test"]["accuracy"] == 0.62  # largest budget
    assert RunStore(tmp_path).latest(name, "cpu", epochs=4).epochs == 4
    assert sorted(RunStore(tmp_path).budgets(name, "cpu")) == [4, 8]
    claim = next(c for c in claims.CLAIMS if c.key == "presnetvgg-fer")
    assert assessment.budget_curve(claim, "cpu", store=RunStore(tmp_path)) == {4: 50.0, 8: 62.0}
    row = assessment.assess([claim], profiles=("cpu",), store=RunStore(tmp_path)).iloc[0]
    assert (row["epochs"], row["paper_epochs"], row["gain"]) == (8, 200, 12.0)
    assert row["verdict"] == "open" and row["ceiling"] == pytest.approx(62 + 12 * 4.64, abs=0.1)


def test_verdict_counts_per_paper():
    table = pd.DataFrame([dict(paper="000", claim="a", profile="cpu", verdict="open"),
                          dict(paper="000", claim="a", profile="paper", verdict="reproduced"),
                          dict(paper="000", claim="b", profile="", verdict="not run"),
                          dict(paper="002", claim="c", profile="cpu", verdict="not reproduced"),
                          dict(paper="002", claim="d", profile="smoke", verdict="no verdict (smoke)"),
                          dict(paper="004", claim="e", profile="cpu", verdict="no verdict (baseline)")])
    counts = assessment.verdict_counts(table).set_index("paper")
    assert counts.loc["000"].tolist() == [1, 0, 0, 1, 0, 2]  # the paper profile decides claim a
    assert counts.loc["002"].tolist() == [0, 1, 0, 1, 0, 2]  # a smoke-only claim is as good as not run
    assert counts.loc["004"].tolist() == [0, 0, 0, 0, 1, 1]  # a baseline is measured, not "not run"


# ---------------------------------------------------------------- one writer per run
def test_a_second_writer_is_stopped_naming_the_first(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / RunLock.NAME).write_text(json.dumps(dict(pid=holder.pid, host=os.uname().nodename,
                                                              started="then")))
        with pytest.raises(RunLocked, match=f"being trained by process {holder.pid}"):
            with RunLock(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()
    with RunLock(tmp_path) as lock:  # its process is gone: a stale lock is taken over
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    assert not (tmp_path / RunLock.NAME).exists()  # released on exit


def test_two_processes_training_one_run_do_not_both_train(tmp_path):
    """Two `fer train` processes at once on one tiny run: exactly one trains, the other stops or reuses."""
    from fakes import fer_entries, write_fer_zip
    write_fer_zip(tmp_path, fer_entries((21, 7, 7)))
    script = (
        "import sys; sys.path.insert(0, {tests!r})\n"
        "from dataclasses import replace\n"
        "from fer_lib import experiments\n"
        "from fer_lib.train import runner\n"
        "from fer_lib.store.runlock import RunLocked\n"
        "from fer_lib.store.results import RunStore\n"
        "exp = experiments.experiment('002', 'standard', 'smoke')\n"
        "exp = replace(exp, data=replace(exp.data, subset=None), train=replace(exp.train, epochs=3),\n"
        "              model_args=dict(num_classes=7, in_channels=1, widths=(16, 16, 32, 32), stem_width=8))\n"
        "try:\n"
        "    runner.run(exp, {data!r}, store=RunStore({runs!r}), log=lambda line: print(line, flush=True))\n"
        "except RunLocked as exc:\n"
        "    print('LOCKED', exc); sys.exit(3)\n"
    ).format(tests=str(Path(__file__).parent), data=str(tmp_path), runs=str(tmp_path / "runs"))
    script = script.replace("epochs=3", "epochs=40")  # long enough to still be training when the second starts
    first = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not list((tmp_path / "runs").glob("002-standard/*/.lock")) and time.time() < deadline:
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGSTOP)  # frozen while it holds the run, so the second surely meets the lock
    try:
        second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out = first.communicate(timeout=600)[0]
    # the first trains to the end; the second, started while the first holds the run, stops naming it
    assert "finished 002-standard" in out and first.returncode == 0, out
    assert second.returncode == 3 and "LOCKED" in second.stdout and "finished 002-standard" not in second.stdout


# ---------------------------------------------------------------- provenance: what counts as a dirty tree
def test_untracked_code_makes_a_run_dirty_and_the_diff_is_hashed(tmp_path):
    from fer_lib.store.results import RunStore, _read_code_version
    git = lambda *a: subprocess.run(["git", "-C", str(tmp_path), *a], check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    (tmp_path / "fer_lib").mkdir()
    (tmp_path / "fer_lib" / "a.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("not code\n")
    git("add", "fer_lib/a.py")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    assert _read_code_version(tmp_path)["git_dirty"] is False  # an untracked file outside fer_lib/ and book/
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "new.ipynb").write_text("{}")
    first = _read_code_version(tmp_path)
    assert first["git_dirty"] is True and len(first["git_diff_sha256"]) == 64
    (tmp_path / "book" / "new.ipynb").write_text('{"cells": []}')
    second = _read_code_version(tmp_path)
    assert second["git_dirty"] is True and second["git_diff_sha256"] != first["git_diff_sha256"]
    (tmp_path / "book" / "new.ipynb").unlink()
    (tmp_path / "fer_lib" / "a.py").write_text("x = 2\n")  # a tracked change
    assert _read_code_version(tmp_path)["git_dirty"] is True


def _write_split_in_step(barrier, root, results):
    """One process's write_split, with both processes' temporary files on disk before either renames."""
    import os as _os
    from fer_lib.store.results import RunStore
    real_replace = _os.replace

    def replace_after_barrier(src, dst):
        barrier.wait(timeout=60)
        real_replace(src, dst)
    _os.replace = replace_after_barrier
    results.put(RunStore(root).write_split({"train": ["a", "b"], "test": ["c"]}).name)


def test_two_workers_writing_one_shared_split_both_succeed(tmp_path):
    """--jobs workers training models on the same split store it at the same moment."""
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_write_split_in_step, args=(barrier, tmp_path, results)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    names = {results.get(timeout=5) for _ in procs}
    assert len(names) == 1 and [f.name for f in (tmp_path / "_splits").iterdir()] == list(names)


def test_a_further_seed_never_replaces_the_run_a_page_shows(tmp_path):
    name = "004-cnn"
    _legacy_run(tmp_path, name, IDS, epochs=50, accuracy=0.57, finished_at="2026-01-01T00:00:01")
    _legacy_run(tmp_path, name, IDS, epochs=50, accuracy=0.63, finished_at="2026-01-01T00:00:02",
                extra=dict(seed_note=1))
    # the newer record is seed 1: rewrite its config's training seed
    seeded = [p for p in (tmp_path / name).iterdir() if "seed_note" in (p / "config.json").read_text()][0]
    config = json.loads((seeded / "config.json").read_text())
    config["train"]["seed"] = 1
    (seeded / "config.json").write_text(json.dumps(config))
    assert RunStore(tmp_path).latest(name, "cpu").metrics["test"]["accuracy"] == 0.57
    assert RunStore(tmp_path).latest(name, "cpu", seed=1).metrics["test"]["accuracy"] == 0.63
    assert RunStore(tmp_path).latest(name, "cpu", seed=None).metrics["test"]["accuracy"] == 0.63
    assert sorted(RunStore(tmp_path).seeds(name, "cpu")) == [0, 1]


def test_each_measurement_carries_its_interval_wilson_t_over_folds_or_seeds(tmp_path):
    ids = {"train": [f"Training_{i}" for i in range(20)], "test": [f"PrivateTest_{i}" for i in range(400)]}
    claim = claims.Claim("004", "t", "Table 2", "fer2013", "accuracy", 64.2, "test accuracy", experiment="004-cnn")
    one = RunRecord(_legacy_run(tmp_path, "004-cnn", ids, epochs=50, accuracy=0.6))
    ci = assessment.measured_interval(claim, [one])
    assert ci.method == "Wilson, n=400" and ci.estimate == pytest.approx(60.0)
    assert (ci.low, ci.high) == (pytest.approx(55.13, abs=0.01), pytest.approx(64.68, abs=0.01))
    # three seeds that agree closely: the interval is no narrower than one run's Wilson interval
    seeds = [one] + [RunRecord(_legacy_run(tmp_path, "004-cnn", ids, epochs=50, accuracy=a,
                                           finished_at=f"2026-01-0{n + 2}T00:00:00", extra=dict(s=n)))
                     for n, a in enumerate((0.6025, 0.5975))]
    ci = assessment.measured_interval(claim, seeds)
    assert ci.estimate == pytest.approx(60.0) and ci.method.startswith("t over 3 seeds")
    assert ci.low <= 55.14 and ci.high >= 64.67
    folds = [RunRecord(_legacy_run(tmp_path, f"f{k}", ids, accuracy=a, extra=dict(data=dict(protocol="kfold"))))
             for k, a in enumerate((0.9, 0.95, 1.0))]
    ci = assessment.measured_interval(claim, folds)
    assert ci.method == "t over 3 folds" and ci.high == 100.0 and ci.low < 95.0  # clipped to a percentage


def test_a_corrected_model_edition_never_mixes_with_the_superseded_one(tmp_path):
    name = "003-fer2013-lip"
    for epochs, acc in ((1, 0.30), (2, 0.40), (4, 0.49)):  # the first edition of LIP
        _legacy_run(tmp_path, name, IDS, epochs=epochs, accuracy=acc, extra=dict(model_args={}))
    for epochs, acc in ((1, 0.45), (2, 0.50)):  # the corrected one, trained later
        _legacy_run(tmp_path, name, IDS, epochs=epochs, accuracy=acc, finished_at="2026-02-01T00:00:00",
                    extra=dict(model_args={"logit": "authors"}))
    assert sorted(RunStore(tmp_path).budgets(name, "cpu")) == [1, 2]
    assert RunStore(tmp_path).latest(name, "cpu").metrics["test"]["accuracy"] == 0.5
    # the superseded edition's curve still tests the projection rule
    from fer_lib.judge import backtest
    curves = backtest.curves(store=RunStore(tmp_path))
    assert curves[(f"{name} (superseded edition)", "cpu")] == {1: 30.0, 2: 40.0, 4: 49.0}
    assert (name, "cpu") not in curves  # the corrected edition has two budgets: nothing to check yet


def test_a_corrected_selection_rule_is_an_edition_of_its_own(tmp_path):
    # paper 000's FER2013 runs kept the lowest validation loss until the paper's rule (highest accuracy) replaced
    # it: same model arguments, other monitor. The two rules' runs must never share one budget curve.
    name = "000-presnet-fer-paper"
    for epochs, acc in ((6, 0.51), (12, 0.57), (24, 0.58)):  # no monitor recorded: the loss, the default then
        _legacy_run(tmp_path, name, IDS, epochs=epochs, accuracy=acc)
    for epochs, acc in ((6, 0.52), (12, 0.60)):
        _legacy_run(tmp_path, name, IDS, epochs=epochs, accuracy=acc, finished_at="2026-02-01T00:00:00",
                    extra=dict(train=dict(epochs=epochs, seed=0, monitor="val_acc")))
    store = RunStore(tmp_path)
    assert {b: runs[0].metrics["test"]["accuracy"] for b, runs in store.budgets(name, "cpu").items()} == {6: 0.52, 12: 0.60}
    assert results.edition(store.latest(name, "cpu")) == (None, "val_acc")
    from fer_lib.judge import backtest
    assert backtest.curves(store=store) == {(f"{name} (superseded edition)", "cpu"): {
        6: pytest.approx(51.0), 12: pytest.approx(57.0), 24: pytest.approx(58.0)}}


def test_the_backtest_projects_every_doubling_to_every_later_budget(tmp_path):
    from fer_lib.judge import backtest
    name = "001-plain-fer2013-standard"
    for epochs, acc in ((4, 0.55), (8, 0.58), (16, 0.60), (32, 0.63)):
        _legacy_run(tmp_path, name, IDS, epochs=epochs, accuracy=acc)
    table = backtest.cases(backtest.curves(store=RunStore(tmp_path)))
    # 4 -> 8 projected to 16 and 32, 8 -> 16 projected to 32
    assert list(zip(table["doubling"], table["to"])) == [("4 -> 8", 16), ("4 -> 8", 32), ("8 -> 16", 32)]
    row = table.iloc[2]  # gain 2, projected 62 at 32, measured 63: beaten by 1 point in one doubling
    assert (row["projected"], row["measured"], row["excess"]) == (62.0, 63.0, 1.0)
    assert backtest.margin_per_doubling(table) == pytest.approx(1.0)
    summary = backtest.summary(table)
    assert summary["projections"].tolist() == [2, 1] and summary["measurement beat it"].tolist() == [1, 0]


def test_comparative_claims_are_judged_on_paired_evidence(tmp_path, monkeypatch):
    from fer_lib.judge import comparative
    ids = {"train": IDS["train"], "test": [f"PrivateTest_{i}" for i in range(400)]}
    # one run each on the same 400 images: A right on 60 %, B on 50 % (B's right images are a subset of A's)
    _legacy_run(tmp_path, "003-fer2013-lip", ids, epochs=50, accuracy=0.60)
    _legacy_run(tmp_path, "003-fer2013-vgg16", ids, epochs=50, accuracy=0.50)
    c = next(x for x in comparative.COMPARISONS if x.key == "lip-beats-maxpool-fer2013")
    v = comparative.judge(c, "cpu", store=RunStore(tmp_path))
    assert v.verdict == "reproduced" and v.difference.estimate == pytest.approx(10.0) and v.p_value < 1e-10
    flipped = comparative.judge(comparative.Comparison(**{**c.__dict__, "better": c.worse, "worse": c.better}),
                                "cpu", store=RunStore(tmp_path))
    assert flipped.verdict == "not reproduced"  # the baseline ahead beyond the interval at the paper's budget
    # five folds each: differences +2, -1, +1, -2, +1 points: the interval contains 0
    for k, (a, b) in enumerate(((0.62, 0.60), (0.59, 0.60), (0.61, 0.60), (0.58, 0.60), (0.61, 0.60))):
        for name, acc in (("001-igc-ckplus-random", a), ("001-plain-ckplus-random", b)):
            _legacy_run(tmp_path, name, IDS, epochs=50, accuracy=acc,
                        extra=dict(data=dict(dataset="ckplus", protocol="kfold", k=5, fold=k)))
    c = next(x for x in comparative.COMPARISONS if x.key == "igc-beats-plain-ckplus")
    v = comparative.judge(c, "cpu", store=RunStore(tmp_path))
    assert v.verdict == "open" and v.difference.method == "t over 5 folds" and "not evidence either way" in v.basis
    assert v.difference.estimate == pytest.approx(0.2)
    table = comparative.comparative_table("cpu", store=RunStore(tmp_path))
    assert table.loc[table["claim"].str.contains("RAF-DB$"), "verdict"].tolist() == ["not run", "not run"]
    assert table.loc[table["claim"].str.contains("FER2013 PrivateTest \\(substitute"), "verdict"].iloc[0] == \
        "evidence (reproduced)"


def test_one_policy_an_unspecified_baseline_gets_no_verdict_and_an_explanation_decides_its_claim(tmp_path,
                                                                                                  monkeypatch):
    from fer_lib.judge import scoring
    folder = _legacy_run(tmp_path, "004-cnn", IDS, epochs=50, accuracy=0.5)
    (folder / "metrics.json").write_text(json.dumps(dict(private_test=dict(accuracy=0.5))))
    cnn = next(c for c in claims.CLAIMS if c.key == "cnn-private_test-accuracy")
    v = assessment.judge(cnn, "cpu", store=RunStore(tmp_path))
    assert v.verdict == assessment.NO_VERDICT_BASELINE and "does not describe this baseline" in v.reason
    resnet = next(c for c in claims.CLAIMS if c.key == "resnet50-all-private_test-accuracy")
    assert assessment.judge(resnet, "cpu", store=RunStore(tmp_path)).verdict == "not run"  # no run of the frozen configuration
    _legacy_run(tmp_path, "004-resnet50-last4", IDS, epochs=50)
    pairs = iter([(85.73, 1.70), (60.0, 1.0)])

    def fake_table(predictions, roles=None):
        binary, loss = next(pairs)
        return pd.DataFrame([{"role": roles[0], "binary accuracy (%)": binary, "loss": loss}])
    monkeypatch.setattr(scoring, "metric_table", fake_table)
    v = assessment.judge(resnet, "cpu", store=RunStore(tmp_path))
    assert v.verdict == "reproduced" and v.reason.startswith("as element-wise (binary) accuracy: 85.73 % with loss 1.70")
    v = assessment.judge(resnet, "cpu", store=RunStore(tmp_path))
    assert v.verdict == "not run" and "does not match" in v.reason


def test_the_downloads_hold_every_finished_run_and_every_claim(tmp_path):
    from fer_lib import downloads
    _legacy_run(tmp_path / "runs", "002-paper-split", IDS, epochs=12, accuracy=0.6)
    written = downloads.write(tmp_path / "out", store=RunStore(tmp_path / "runs"))
    assert sorted(p.name for p in written) == ["ledger.csv", "ledger.json", "runs.csv", "runs.json"]
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    assert runs[["experiment", "epochs", "test_accuracy"]].values.tolist() == [["002-paper-split", 12, 0.6]]
    ledger = pd.read_json(tmp_path / "out" / "ledger.json")
    assert len(ledger) == len({(c.paper, c.description) for c in claims.CLAIMS})
    assert ledger.loc[ledger["paper"] == "002", "measured"].notna().any()  # the run above measures 002


def test_a_test_set_with_training_twins_is_also_judged_without_them(tmp_path, monkeypatch):
    from fer_lib.report import ledger
    ids = {"train": [f"Training_{i}" for i in range(20)], "test": [f"PrivateTest_{i}" for i in range(400)]}
    claim = next(c for c in claims.CLAIMS if c.key == "test-accuracy" and c.paper == "002")  # 65.20 at the paper's 50 epochs
    _legacy_run(tmp_path, claim.experiment, ids, epochs=50, accuracy=0.66)  # images 0..263 right
    twins = {f"PrivateTest_{i}" for i in range(40)}  # 40 of the right answers were remembered
    row = assessment.assess([claim], profiles=("cpu",), store=RunStore(tmp_path),
                            twins={(claim.experiment, "cpu"): twins}).iloc[0]
    assert (row["measured"], row["verdict"]) == (66.0, "reproduced")
    assert row["dedup_removed"] == 40 and row["dedup"] == round(100 * 224 / 360, 2)  # 62.22: below 63.70
    assert row["dedup_verdict"] == "open"  # ... but its Wilson interval on 360 images reaches the bar
    assert (row["dedup_low"], row["dedup_high"]) == (pytest.approx(57.1, abs=0.1), pytest.approx(67.1, abs=0.1))
    # another profile's twins are not this row's
    other = assessment.assess([claim], profiles=("cpu",), store=RunStore(tmp_path),
                              twins={(claim.experiment, "paper"): twins}).iloc[0]
    assert other["dedup"] is None
    monkeypatch.setattr(ledger, "claim_twins", lambda claim_list, data, profiles: {(claim.experiment, "cpu"): twins})
    table = ledger.verdict_table([claim], store=RunStore(tmp_path), profiles=("cpu",))
    columns = list(table.columns)
    assert columns.index("verdict") == columns.index("claim") + 1  # in sight before any scrolling
    assert columns.index(ledger.DEDUP) == columns.index("ours [95 % interval]") + 1  # beside the headline number
    assert table[ledger.DEDUP].iloc[0] == "62.22 [57.11, 67.08] (40 twins left out): verdict would be open"
    box = ledger.headline_table("002", store=RunStore(tmp_path))
    assert box[ledger.DEDUP].iloc[0].endswith("verdict would be open")
    monkeypatch.setattr(ledger, "claim_twins", lambda claim_list, data, profiles: {})
    assert ledger.DEDUP not in ledger.verdict_table([claim], store=RunStore(tmp_path), profiles=("cpu",)).columns


def test_split_twins_are_the_test_images_with_a_pixel_twin_in_training(tmp_path):
    from types import SimpleNamespace
    from fer_lib.data.splits import DataSpec
    from fer_lib.judge.scoring import split_twins
    from fakes import fer_with_twins
    fer = fer_with_twins(tmp_path)
    spec = DataSpec("fer2013", roles={"train": "train", "test": "private_test"})
    assert split_twins(SimpleNamespace(data=spec), fer) == {"PrivateTest_1010"}
    public = DataSpec("fer2013", roles={"train": "train", "test": "public_test"})
    assert split_twins(SimpleNamespace(data=public), fer) == {"PublicTest_1007"}  # a twin under another label too
    no_test = DataSpec("fer2013", roles={"train": "train", "private": "private_test"})
    assert split_twins(SimpleNamespace(data=no_test), fer) == set()


def test_complete_provenance_expands_a_short_commit_and_names_the_directory_a_record_was_first_stored_in(tmp_path):
    """The 002 GPU records: written with a 7-digit commit and no clean-tree flag, then moved to a new hash by
    the data-schema migration while their commit message still names the old directory."""
    repo = tmp_path / "repo"
    runs = repo / "runs"
    ids = {"train": ["Training_0"], "test": ["PrivateTest_0"]}
    old = _legacy_run(runs, "002-standard", ids, epochs=50, profile="paper")
    git = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True, text=True).stdout
    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "the GPU run")
    full = git("rev-parse", "HEAD").strip()
    provenance = json.loads((old / "provenance.json").read_text())
    (old / "provenance.json").write_text(json.dumps(dict(provenance, git_commit=full[:7], git_dirty=None)))
    config = json.loads((old / "config.json").read_text())
    config["data"] = {k: v for k, v in config["data"].items() if k != "k"}  # written before DataSpec had k
    (old / "config.json").write_text(json.dumps(config))
    old = old.rename(old.parent / config_hash(config))
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "as first stored")
    (new, ) = [n for _, n in migrations.fill_data_schema(store=RunStore(runs))]
    # the record as the store held it before the data-schema migration learnt to say where it came from
    moved = json.loads((new / "provenance.json").read_text())
    del moved["stored_first_as"]
    (new / "provenance.json").write_text(json.dumps(moved))

    assert migrations.complete_provenance(store=RunStore(runs), repo=repo) == [new]
    record = json.loads((new / "provenance.json").read_text())
    assert record["git_commit"] == full and record["git_commit_recorded"] == full[:7]
    assert record["stored_first_as"] == f"002-standard/{old.name}" and old.name != new.name
    assert record["git_dirty"] is None and record["git_dirty_note"].startswith("not recorded")
    assert migrations.complete_provenance(store=RunStore(runs), repo=repo) == []  # a second pass changes nothing
    # a record that never moved and whose commit git does not know stays as it was, bar the note
    unknown = _legacy_run(runs, "002-paper-split", ids, epochs=50)
    (unknown / "provenance.json").write_text(json.dumps(dict(finished_at="x", git_commit="abcdef1", git_dirty=False)))
    migrations.complete_provenance(store=RunStore(runs), repo=repo)
    assert json.loads((unknown / "provenance.json").read_text()) == dict(finished_at="x", git_commit="abcdef1",
                                                                          git_dirty=False)


def test_a_page_names_every_record_it_rests_on_that_was_not_trained_from_a_clean_tree(tmp_path):
    from fer_lib.report import ledger
    from fer_lib.report.tables import provenance_caveats
    ids = {"train": ["Training_0"], "test": [f"PrivateTest_{i}" for i in range(10)]}
    clean = _legacy_run(tmp_path, "000-presnet-fer-paper", ids, epochs=50)
    dirty = _legacy_run(tmp_path, "000-presnetvgg-fer-paper", ids, epochs=6)
    unknown = _legacy_run(tmp_path, "000-presnet-jaffe-random-testsel", ids, epochs=6)
    for folder, flag in ((clean, False), (dirty, True), (unknown, None)):
        p = json.loads((folder / "provenance.json").read_text())
        (folder / "provenance.json").write_text(json.dumps(dict(p, git_commit="a" * 40, git_dirty=flag)))
    text = provenance_caveats("000", store=RunStore(tmp_path))
    assert f"000-presnetvgg-fer-paper/{dirty.name}" in text and f"000-presnet-jaffe-random-testsel/{unknown.name}" in text
    assert f"000-presnet-fer-paper/{clean.name}" not in text
    assert "- Trained from commit aaaaaaaaaa with uncommitted" in text and "- Commit aaaaaaaaaa; whether" in text
    assert provenance_caveats("003", store=RunStore(tmp_path)) is None
    presnet, presnetvgg = (next(c for c in claims.CLAIMS if c.key == key) for key in ("presnet-fer", "presnetvgg-fer"))
    table = ledger.verdict_table([presnet, presnetvgg], store=RunStore(tmp_path), profiles=("cpu",)).set_index("claim")
    assert table.loc[presnet.description, "record caveat"] == ""
    assert table.loc[presnetvgg.description, "record caveat"].startswith(
        f"000-presnetvgg-fer-paper/{dirty.name}: trained from commit aaaaaaaaaa with uncommitted changes")


def test_the_execution_page_sums_each_chapters_training_hours_per_profile(tmp_path):
    from fer_lib.report.execution import training_table
    ids = {"train": ["Training_0"], "test": ["PrivateTest_0"]}
    for experiment, profile, seconds, dirty in (("001-igc-ckplus-random", "cpu", 3600, False),
                                                ("001-plain-ckplus-random", "cpu", 1800, True),
                                                ("001-igc-ckplus-random", "paper", 720, False),
                                                ("cmp-igc", "cpu", 360, False)):
        folder = _legacy_run(tmp_path, experiment, ids, profile=profile, extra=dict(s=seconds))
        p = json.loads((folder / "provenance.json").read_text())
        (folder / "provenance.json").write_text(json.dumps(dict(p, wall_seconds=seconds, git_dirty=dirty, cpu="X")))
    table = training_table(store=RunStore(tmp_path))
    assert table[["chapter", "profile", "records", "training hours", "not from a clean tree"]].values.tolist() == [
        ["001", "cpu", 2, 1.5, 1], ["001", "paper", 1, 0.2, 0], ["comparison", "cpu", 1, 0.1, 0]]


def test_a_number_judged_as_binary_accuracy_carries_that_numbers_interval_and_its_run(tmp_path):
    """The ledger row of 004's ResNet50 claim shows the element-wise accuracy of the frozen run it is tested on,
    with a bootstrap interval over images, never the 7-class accuracy's interval of another run."""
    folder = _legacy_run(tmp_path, "004-resnet50-last4", IDS, epochs=50)
    columns = ",".join(f"p_{k}" for k in range(7))
    unsure = ",".join(["0.18"] + ["0.1367"] * 6)            # every output under 0.5: 6 of 7 outputs right
    wrong = ",".join(["0.10", "0.60"] + ["0.06"] * 5)      # one wrong output over 0.5: 5 of 7 right
    rows = [f"private_test,PrivateTest_{i},0,0,{unsure}" for i in range(9)] + [f"private_test,PrivateTest_9,0,1,{wrong}"]
    (folder / "predictions.csv").write_text(f"role,id,true,pred,{columns}\n" + "\n".join(rows) + "\n")
    resnet = next(c for c in claims.CLAIMS if c.key == "resnet50-all-private_test-accuracy")
    record, interval = assessment.explained_measurement(resnet, "cpu", store=RunStore(tmp_path))
    assert record.path == folder and interval.estimate == pytest.approx(100 * (9 * 6 / 7 + 5 / 7) / 10)  # 84.29
    assert interval.method == "bootstrap over 10 images"
    # resamples hold 0 to 10 copies of the one 5-of-7 image: the interval lies inside [71.43, 85.71]
    assert (round(interval.low, 2), round(interval.high, 2)) == (81.43, 85.71)
    other = _legacy_run(tmp_path, "004-resnet50-all", IDS, epochs=50)  # the claim's own experiment: another number
    (other / "metrics.json").write_text(json.dumps(dict(private_test=dict(accuracy=0.43, n=10))))
    row = assessment.assess([resnet], profiles=("cpu",), store=RunStore(tmp_path)).iloc[0]
    assert row["verdict"] == "reproduced" and row["run"] == f"004-resnet50-last4/{folder.name}"
    assert (row["low"], row["high"]) == (round(interval.low, 2), round(interval.high, 2))
    from fer_lib.report import ledger
    shown = ledger.verdict_table([resnet], store=RunStore(tmp_path), profiles=("cpu",))
    assert shown["verdict"].tolist() == ["reproduced (as element-wise accuracy)"]  # said in the verdict cell


def test_a_dirty_record_that_a_clean_rerun_or_a_new_edition_replaces_is_named_as_replaced_not_as_shown(tmp_path):
    from fer_lib.report.tables import provenance_caveats
    ids = {"train": ["Training_0"], "test": [f"PrivateTest_{i}" for i in range(10)]}
    seeded = dict(train=dict(epochs=3, seed=1))
    dirty = _legacy_run(tmp_path, "cmp-resnet18", ids, epochs=3, extra=seeded, finished_at="2026-01-01")
    rerun = _legacy_run(tmp_path, "cmp-resnet18", ids, epochs=3, finished_at="2026-02-01",
                        extra=dict(seeded, watch_roles=["test"]))  # same measurement, a new config hash
    other_seed = _legacy_run(tmp_path, "cmp-resnet18", ids, epochs=3, extra=dict(train=dict(epochs=3, seed=2)))
    first = _legacy_run(tmp_path, "cmp-vgg16-lip", ids, epochs=3, finished_at="2026-01-01",
                        extra=dict(model_args=dict(init="random")))
    second = _legacy_run(tmp_path, "cmp-vgg16-lip", ids, epochs=3, finished_at="2026-02-01",
                         extra=dict(model_args=dict(init="authors")))
    for folder, flag in ((dirty, True), (rerun, False), (other_seed, True), (first, True), (second, False)):
        p = json.loads((folder / "provenance.json").read_text())
        (folder / "provenance.json").write_text(json.dumps(dict(p, git_commit="a" * 40, git_dirty=flag)))
    store = RunStore(tmp_path)
    assert rerun.name != dirty.name
    assert store.superseded_by(RunRecord(dirty)).path == rerun
    assert store.superseded_by(RunRecord(first)).path == second
    assert store.superseded_by(RunRecord(other_seed)) is None  # another seed is its own measurement
    assert store.superseded_by(RunRecord(rerun)) is None and store.superseded_by(RunRecord(second)) is None
    shown, replaced = provenance_caveats("cmp", store=store).split("\n\n")
    assert f"cmp-resnet18/{other_seed.name}" in shown and f"cmp-resnet18/{dirty.name}" not in shown
    assert replaced.endswith(f"`cmp-resnet18/{dirty.name}` by `{rerun.name}`; `cmp-vgg16-lip/{first.name}` by "
                             f"`{second.name}`.")
    (other_seed / "provenance.json").write_text(json.dumps(dict(finished_at="2026-01-01", wall_seconds=60,
                                                               git_commit="a" * 40, git_dirty=False)))
    shown, _ = provenance_caveats("cmp", store=store).split("\n\n")
    assert shown == "**Every record behind this page was trained from a clean, committed tree.**"
