"""One run on two processes under torchrun (gloo on the CPU): it finishes with one record, resumes after the
whole process group is killed, resumes on another number of processes, and its metrics are the ones a single
process computes from the same weights."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from fakes import fer_entries, write_fer_zip
from fer_lib import data as datasets, experiments
from fer_lib.train import runner
from fer_lib.train.engine import Batches, Trainer
from fer_lib.models import REGISTRY, build_model
from fer_lib.store.results import RunStore

TORCHRUN = Path(sys.executable).with_name("torchrun")
ARGS = ["train", "002", "standard", "--profile", "smoke", "--epochs", "3"]

# Rank 0 (the one that saves) is killed with SIGKILL right after the second checkpoint is on disk, and
# torchrun then stops the other rank: a deterministic "the job was killed mid-run".
KILLER = textwrap.dedent("""
    import os, signal, sys
    from fer_lib import cli
    from fer_lib.train import engine
    real_save, saves = engine.Trainer._save_checkpoint, []
    def save(self):
        real_save(self)
        saves.append(1)
        if len(saves) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
    engine.Trainer._save_checkpoint = save
    sys.exit(cli.main(sys.argv[1:]))
""")


def _torchrun(tmp_path: Path, script: list[str], args: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, FER_DATA=str(tmp_path), FER_RUNS=str(tmp_path / "runs"), OMP_NUM_THREADS="1")
    cmd = [str(TORCHRUN), "--standalone", "--nproc_per_node", "2", *script, *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def killed_then_resumed(tmp_path_factory):
    """A 2-process run killed after epoch 2 (a copy of its directory kept), then resumed by 2 processes."""
    root = tmp_path_factory.mktemp("ddp")
    write_fer_zip(root, fer_entries((42, 14, 14)))
    script = root / "killer.py"
    script.write_text(KILLER)
    killed = _torchrun(root, [str(script)], ARGS)
    assert killed.returncode != 0
    folders = [p for p in (root / "runs" / "002-standard").iterdir() if p.is_dir()]
    assert len(folders) == 1 and (folders[0] / "checkpoint.pt").exists()
    assert not (folders[0] / "metrics.json").exists()
    shutil.copytree(folders[0], root / "killed-copy")
    resumed = _torchrun(root, ["-m", "fer_lib.cli"], ARGS)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return root, folders[0], resumed


def test_torchrun_resumes_after_the_process_group_is_killed_and_writes_one_record(killed_then_resumed):
    root, folder, resumed = killed_then_resumed
    log = resumed.stdout + resumed.stderr
    assert "resumed from" in log and "after epoch 2" in log
    assert log.count("finished 002-standard") == 1  # rank 0 alone reports and writes
    records = RunStore(root / "runs").find("002-standard")
    assert [r.path for r in records] == [folder]
    assert records[0].provenance["world_size"] == 2
    assert records[0].history["epoch"].tolist() == [1, 2, 3] and records[0].metrics["epochs_run"] == 3
    assert not (folder / "checkpoint.pt").exists() and not (folder / ".lock").exists()


def test_metrics_of_a_torchrun_run_equal_a_single_process_evaluation(killed_then_resumed):
    root, folder, _ = killed_then_resumed
    record = RunStore(root / "runs").find("002-standard")[0]
    exp = experiments.experiment("002", "standard", "smoke", 3)
    data = datasets.load("fer2013", root)
    test = runner.make_split(exp, data)["test"]
    model = build_model(exp.model, **exp.model_args)
    model.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
    trainer = Trainer(model, exp.train, device="cpu", cpu_bf16_default=REGISTRY[exp.model].cpu_bf16, log=lambda _: None)
    probs = trainer.predict(Batches(data.images[test], data.labels[test]))
    assert record.metrics["test"]["accuracy"] == pytest.approx(float((probs.argmax(1) == data.labels[test]).mean()))
    rows = record.predictions
    assert rows["id"].tolist() == data.ids[test].tolist()  # gathered back in the split's order
    recorded = rows[[f"p_{c}" for c in data.classes]].to_numpy()
    assert recorded.shape == probs.shape and np.abs(recorded - probs).max() < 5e-3  # bf16 and 4-decimal rounding


def test_a_checkpoint_from_two_processes_resumes_in_one(killed_then_resumed, tmp_path):
    """The checkpoint holds the unwrapped weights, so another world size picks it up."""
    root, folder, _ = killed_then_resumed
    runs = tmp_path / "runs"
    shutil.copytree(root / "killed-copy", runs / "002-standard" / folder.name)
    shutil.copytree(root / "runs" / "_splits", runs / "_splits")
    logs: list[str] = []
    exp = experiments.experiment("002", "standard", "smoke", 3)
    record = runner.run(exp, root, store=RunStore(runs), log=logs.append)
    assert any("resumed from" in line and "after epoch 2" in line for line in logs)
    assert record.finished and record.provenance["world_size"] == 1 and record.metrics["epochs_run"] == 3


def test_jobs_are_refused_under_torchrun(monkeypatch, capsys):
    from fer_lib.cli import main
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match="under torchrun"):
        main(ARGS + ["--jobs", "2"])


def test_single_process_is_not_distributed():
    from fer_lib.train import distributed
    assert not distributed.launched() and distributed.world_size() == 1 and distributed.is_main()
    index = torch.arange(5)
    assert torch.equal(distributed.shard(index), index)
    rows = np.ones((3, 7))
    assert distributed.gather_rows(rows) is rows
