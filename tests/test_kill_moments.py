"""A run killed with kill -9 at any moment (a checkpoint write, an evaluation, the final record write) resumes or
re-finishes to the same metrics, and a half-written run directory is never taken for a finished one."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fakes import fer_entries, write_fer_zip

SCRIPT = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from dataclasses import replace
    import torch
    from fer_lib import experiments
    from fer_lib.store import results
    from fer_lib.store.results import RunStore
    from fer_lib.train import runner, engine

    KILL = {kill!r}
    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if KILL == "checkpoint":  # during the second checkpoint write: the temporary file half there
        real_save, calls = torch.save, []
        def save(obj, path, *a, **k):
            calls.append(path)
            if str(path).endswith("checkpoint.pt.tmp") and len(calls) == 2:
                open(path, "wb").write(b"half")
                die()
            return real_save(obj, path, *a, **k)
        torch.save = save
    elif KILL == "evaluation":  # inside the second epoch's validation
        real_eval, seen = engine.Trainer.evaluate, []
        def evaluate(self, data):
            seen.append(1)
            if len(seen) == 2:
                die()
            return real_eval(self, data)
        engine.Trainer.evaluate = evaluate
    elif KILL == "record":  # during the final record: provenance written, metrics.json not yet
        real_json = results.write_json
        def write_json(path, obj):
            if path.name == "metrics.json":
                die()
            return real_json(path, obj)
        results.write_json = runner.write_json = write_json  # the record writer and the runner's config

    exp = experiments.experiment("002", "standard", "smoke")
    exp = replace(exp, data=replace(exp.data, subset=None), train=replace(exp.train, epochs=3),
                  model_args=dict(num_classes=7, in_channels=1, widths=(16, 16, 32, 32), stem_width=8))
    record = runner.run(exp, {data!r}, store=RunStore({runs!r}), log=lambda line: None)
    print(record.path)
""")


def _train(tmp_path: Path, runs: Path, kill: str | None) -> subprocess.CompletedProcess:
    script = SCRIPT.format(tests=str(Path(__file__).parent), kill=kill, data=str(tmp_path), runs=str(runs))
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def clean_metrics(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    write_fer_zip(root, fer_entries((21, 7, 7)))
    done = _train(root, root / "runs", None)
    assert done.returncode == 0, done.stderr
    return json.loads((Path(done.stdout.strip()) / "metrics.json").read_text())


@pytest.mark.parametrize("moment", ["checkpoint", "evaluation", "record"])
def test_a_kill_at_any_moment_resumes_to_the_same_metrics(tmp_path, clean_metrics, moment):
    write_fer_zip(tmp_path, fer_entries((21, 7, 7)))
    runs = tmp_path / "runs"
    killed = _train(tmp_path, runs, moment)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    folder = next(p for p in runs.glob("002-standard/*") if p.is_dir())
    assert not (folder / "metrics.json").exists()  # never taken for a finished run
    from fer_lib.store.results import RunStore
    assert RunStore(runs).find("002-standard") == []
    again = _train(tmp_path, runs, None)  # the stale lock of the killed process does not block
    assert again.returncode == 0, again.stderr
    metrics = json.loads((Path(again.stdout.strip()) / "metrics.json").read_text())
    for key in ("test", "epochs_run", "best_epoch"):
        assert metrics[key] == clean_metrics[key], (moment, key)
    assert (folder / "model.pt").exists() and not (folder / ".lock").exists()
