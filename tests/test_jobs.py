"""Runs as jobs: the job list, N worker processes (a failing job does not stop the others), `fer plan`'s
commands and cost estimates, and `fer book run --jobs` training first and executing on finished runs only."""
from __future__ import annotations

import dataclasses

import nbformat
import pytest
import torch

from fakes import SHARED_DATA, fer_entries, needs_real_data, write_fer_zip
from fer_lib import book, experiments
from fer_lib.train import jobs, plan, runner
from fer_lib.cli import main
from fer_lib.train.jobs import Job
from fer_lib.store.results import RunStore


@pytest.fixture
def fer_root(tmp_path):
    write_fer_zip(tmp_path, fer_entries((21, 7, 7)))
    return tmp_path


def test_jobs_for_lists_every_fold_and_budget_as_a_train_command():
    todo = jobs.jobs_for("001", ["igc-ckplus-subject", "igc-fer2013-standard"], "cpu", epochs=[4, 8])
    k = experiments.experiment("001", "igc-ckplus-subject", "cpu").data.k
    assert len(todo) == 2 * k + 2
    assert todo[0].command() == "fer train 001 igc-ckplus-subject --profile cpu --epochs 4 --fold 0"
    assert todo[-1].command() == "fer train 001 igc-fer2013-standard --profile cpu --epochs 8"
    assert todo[3].experiment.data.fold == 3 and todo[3].experiment.train.epochs == 4
    assert [j.fold for j in jobs.jobs_for("001", ["igc-ckplus-subject"], "cpu", fold=2)] == [2]
    with pytest.raises(ValueError, match="has folds 0 to 4"):
        jobs.jobs_for("001", ["igc-ckplus-subject"], "cpu", fold=5)
    with pytest.raises(ValueError, match="not a k-fold experiment"):
        jobs.jobs_for("002", ["standard"], "cpu", fold=0)


def test_chapter_jobs_cover_the_chapters_that_train():
    todo = book.chapter_jobs(["data", "002", "ledger"], "paper")
    assert [j.command() for j in todo] == ["fer train 002 paper-split --profile paper",
                                           "fer train 002 standard --profile paper"]


def test_workers_are_pinned_round_robin_to_the_visible_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert jobs._worker_devices(3, None) == ["cpu"] * 3
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert jobs._worker_devices(5, None) == ["cuda:0", "cuda:1", "cuda:0", "cuda:1", "cuda:0"]
    assert jobs._worker_devices(2, "cpu") == ["cpu", "cpu"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA device"):
        jobs._worker_devices(2, "cuda")


def test_two_workers_train_independent_runs_and_a_failure_stops_nothing(fer_root, tmp_path):
    runs = tmp_path / "runs"
    todo = [Job("002", "standard", "smoke"), Job("001", "igc-ckplus-subject", "smoke", fold=0),
            Job("002", "paper-split", "smoke")]
    outcomes = jobs.run_jobs(todo, 2, fer_root, store=RunStore(runs))
    assert [o.job for o in outcomes] == todo
    assert [o.status for o in outcomes] == ["finished", "failed", "finished"]
    assert "CK+" in outcomes[1].error and "not found" in outcomes[1].error
    for name in ("002-standard", "002-paper-split"):
        (record,) = RunStore(runs).find(name)
        assert record.provenance["cpu_threads"] == 1  # the machine's cores split between the two workers
    summary = jobs.format_results(outcomes)
    assert len(summary.splitlines()) == 4 and "test 0." in summary and "failed" in summary
    again = jobs.run_jobs(todo[:1], 2, fer_root, store=RunStore(runs))
    assert again[0].status == "reused" and len(RunStore(runs).find("002-standard")) == 1


def test_plan_lists_only_unfinished_runs_with_their_measured_cost(fer_root, tmp_path, capsys):
    runs = tmp_path / "runs"
    done_exp = experiments.experiment("002", "standard", "smoke")
    done = runner.run(done_exp, fer_root, store=RunStore(runs), log=lambda _: None)
    todo = jobs.jobs_for("002", ["standard", "paper-split"], "smoke", epochs=[1, 3])
    lines, total = plan.format_plan(todo, store=RunStore(runs))
    assert [line.split("  #")[0] for line in lines] == ["fer train 002 standard --profile smoke --epochs 3",
                                                        "fer train 002 paper-split --profile smoke --epochs 1",
                                                        "fer train 002 paper-split --profile smoke --epochs 3"]
    img_per_s = done.metrics["train_img_per_s"]
    hours = 3 * done.config["split_sizes"]["train"] / img_per_s / 3600
    assert lines[0].endswith(f"# {hours:.2f} h at {img_per_s:.0f} img/s (cpu)")
    assert "training-set size unknown" in lines[1]  # no run of that split yet
    assert total.startswith("3 runs to go (1 of 4 finished)") and "2 without an estimate" in total
    # another experiment on the same data protocol takes its training-set size from the finished run
    recipe = dataclasses.replace(done_exp, name="002-another-recipe")
    assert plan.Measurements(RunStore(runs)).train_images(recipe) == done.config["split_sizes"]["train"]

    assert main(["plan", "002", "--profile", "smoke", "--runs-root", str(runs)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [lines[1].replace(" --epochs 1", "")]
    assert err.startswith("1 runs to go (1 of 2 finished)")


@pytest.mark.slow
@needs_real_data
def test_book_run_with_jobs_trains_first_then_executes_on_finished_runs(tmp_path):
    runs = tmp_path / "runs"
    assert main(["book", "run", "002", "--profile", "smoke", "--jobs", "2", "--data-root", str(SHARED_DATA),
                 "--runs-root", str(runs), "--output-dir", str(tmp_path / "out")]) == 0
    assert len(RunStore(runs).find("002-standard")) == 1 and len(RunStore(runs).find("002-paper-split")) == 1
    nb = nbformat.read(tmp_path / "out" / book.CHAPTERS["002"].name, as_version=4)
    assert nb.metadata.papermill.parameters["train"] is False
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]


def test_plan_estimates_cpu_runs_from_cpu_speeds_and_paper_runs_from_gpu_speeds():
    class Measured:  # both kinds of hardware measured the model: 1000 img/s on a GPU, 100 img/s here
        def speeds(self, exp):
            return {"gpu": [1000.0], "cpu": [100.0]}

        def train_images(self, exp):
            return 3600

    cpu = plan.estimate(Job("002", "standard", "cpu"), Measured())
    paper = plan.estimate(Job("002", "standard", "paper"), Measured())
    assert (cpu.measured_on, cpu.img_per_s) == ("cpu", 100.0)
    assert cpu.hours == pytest.approx(Job("002", "standard", "cpu").experiment.train.epochs * 36 / 3600)
    assert (paper.measured_on, paper.img_per_s) == ("gpu", 1000.0)
    assert paper.hours == pytest.approx(Job("002", "standard", "paper").experiment.train.epochs * 3.6 / 3600)


def test_a_seeded_job_is_its_own_run_and_watches_its_test_roles():
    from fer_lib.store.results import RunStore, config_hash
    base = experiments.experiment("002", "paper-split", "cpu")
    seeded = jobs.jobs_for("002", ["paper-split"], "cpu", seeds=[0, 1, 2])
    assert [j.seed for j in seeded] == [0, 1, 2]
    assert seeded[0].experiment == base  # seed 0 is the experiment's own: the committed run is reused
    hashes = {config_hash(j.experiment.to_dict()) for j in seeded}
    assert len(hashes) == 3
    assert seeded[1].experiment.train.seed == 1 and seeded[1].experiment.watch_roles == ("test",)
    assert seeded[2].command() == "fer train 002 paper-split --profile cpu --seed 2"
    assert experiments.experiment("004", "cnn", "cpu", 50, 1).watch_roles == ("private_test", "public_test")
    with pytest.raises(ValueError, match="non-negative"):
        experiments.experiment("004", "cnn", "cpu", seed=-1)
