"""Trainer: learns, stops early onto its best epoch, and resumes exactly after kill -9."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from fer_lib.data.transforms import Augment, ten_crop
from fer_lib.experiments.config import TrainConfig
from fer_lib.train.engine import Batches, Trainer
from fer_lib.models import build_model


def _toy_batches(n=32, seed=0):
    """Images whose class is written into their brightness pattern: learnable, but not trivially."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 7
    images = rng.integers(0, 60, (n, 48, 48)).astype(np.uint8)
    for i, y in enumerate(labels):
        images[i, :, y * 6:(y + 1) * 6] += 150
    return Batches(images, labels)


def _small(config: TrainConfig, **kw):
    torch.manual_seed(config.seed)
    return Trainer(build_model("se_sepnet", widths=(16, 32, 32, 64), stem_width=8), config, device="cpu",
                   log=lambda _: None, **kw)


def test_overfits_a_tiny_batch():
    data = _toy_batches()
    # batch 8: enough steps for BatchNorm's running statistics to settle before evaluation
    trainer = _small(TrainConfig(epochs=25, batch_size=8, lr=3e-3, augment=Augment(hflip=False)))
    history = trainer.fit(data)
    assert history[-1]["train_loss"] < 0.2 * history[0]["train_loss"]
    assert trainer.evaluate(data)["accuracy"] == 1.0


def test_early_stopping_restores_the_best_epoch():
    train, val = _toy_batches(seed=0), _toy_batches(n=14, seed=1)
    # val labels shuffled: validation loss soon rises while training loss falls
    val.labels = val.labels[torch.randperm(len(val), generator=torch.Generator().manual_seed(0))]
    snapshots = {}

    class Snapshot:
        def on_epoch_end(self, trainer, row):
            snapshots[row["epoch"]] = {k: v.clone() for k, v in trainer.model.state_dict().items()}

    trainer = _small(TrainConfig(epochs=40, batch_size=16, lr=3e-3, early_stopping=3, augment=Augment(hflip=False)),
                     callbacks=[Snapshot()])
    history = trainer.fit(train, val)
    best = int(np.argmin([h["val_loss"] for h in history])) + 1
    assert trainer.stopped_early and len(history) == best + 3 < 40
    assert trainer.best_epoch == best
    final = trainer.model.state_dict()
    assert all(torch.equal(final[k], snapshots[best][k]) for k in final)
    assert not all(torch.equal(final[k], snapshots[len(history)][k]) for k in final)


@pytest.mark.parametrize("monitor", ["val_loss", "val_acc"])
def test_the_kept_epoch_follows_the_monitored_rule(monitor):
    # paper 000 keeps the highest validation accuracy (Algorithm 1), the others the lowest loss: the two rules
    # keep different epochs here, so a trainer that ignored `monitor` would fail one of the two cases
    rows = [dict(epoch=1, val_loss=1.0, val_acc=0.50), dict(epoch=2, val_loss=0.8, val_acc=0.55),
            dict(epoch=3, val_loss=0.9, val_acc=0.60), dict(epoch=4, val_loss=0.95, val_acc=0.60)]
    trainer = _small(TrainConfig(epochs=4, monitor=monitor))
    for row in rows:
        trainer._track_best(row)
    assert trainer.best_epoch == {"val_loss": 2, "val_acc": 3}[monitor]  # a tie keeps the earlier epoch


def test_watched_sets_are_logged_but_never_select():
    train, val = _toy_batches(seed=0), _toy_batches(n=14, seed=1)
    watched = _toy_batches(n=14, seed=2)
    config = TrainConfig(epochs=3, batch_size=16, lr=3e-3, augment=Augment(hflip=False))
    plain = _small(config)
    plain.fit(train, val)
    with_watch = _small(config)
    history = with_watch.fit(train, val, watch={"private_test": watched})
    assert all({"private_test_loss", "private_test_acc"} <= set(row) for row in history)
    # the logged value is the watched accuracy of that epoch's weights (the restored best one here)
    assert history[with_watch.best_epoch - 1]["private_test_acc"] == with_watch.evaluate(watched)["accuracy"]
    # watching changes nothing about training or selection
    assert with_watch.best_epoch == plain.best_epoch
    assert [r["val_loss"] for r in history] == [r["val_loss"] for r in plain.history]


def test_early_stopping_needs_validation():
    with pytest.raises(ValueError, match="needs a validation set"):
        _small(TrainConfig(epochs=2, early_stopping=1)).fit(_toy_batches())


RUN_SCRIPT = textwrap.dedent("""
    import os, signal, sys, json
    import numpy as np, torch
    sys.path.insert(0, {tests!r})
    from test_engine import _toy_batches, _small
    from fer_lib.experiments.config import TrainConfig
    from fer_lib.data.transforms import Augment

    class KillAt:
        def on_batch_end(self, trainer, epoch, batch):
            if (epoch, batch) == ({kill_epoch}, 1):
                os.kill(os.getpid(), signal.SIGKILL)  # a real kill -9, mid-epoch

        def on_epoch_end(self, trainer, row):  # which process trained which epoch
            with open(os.path.join(sys.argv[1], "epochs.log"), "a") as f:
                f.write(f"{{os.getpid()}} {{row['epoch']}}\\n")

    os.makedirs(sys.argv[1], exist_ok=True)
    config = {config}
    trainer = _small(config, run_dir=sys.argv[1], callbacks=[KillAt()])
    trainer.fit(_toy_batches(seed=0), _toy_batches(n=14, seed=1))
    torch.save(trainer.model.state_dict(), os.path.join(sys.argv[1], "final.pt"))
    json.dump(trainer.history, open(os.path.join(sys.argv[1], "history.json"), "w"))
""")


PLAIN = "TrainConfig(epochs=4, batch_size=8, lr=2e-3, seed=5, augment=Augment(hflip=True, rotate=10, shift=0.1))"
# Every training ingredient that draws random numbers or keeps state across epochs.
EVERYTHING = ("TrainConfig(epochs=4, batch_size=8, lr=2e-3, seed=5, scheduler='cosine', warmup_epochs=1, mixup=0.4, "
              "cutmix=1.0, ema_decay=0.9, label_smoothing=0.1, "
              "augment=Augment(hflip=True, rotate=10, shift=0.1, erase=0.5))")


def _script(kill_epoch, config):
    return RUN_SCRIPT.format(tests=os.path.dirname(__file__), kill_epoch=kill_epoch, config=config)


def _run(tmp_path, name, kill_epoch, config=PLAIN):
    script = tmp_path / f"{name}.py"
    script.write_text(_script(kill_epoch, config))
    run_dir = tmp_path / name
    return subprocess.run([sys.executable, str(script), str(run_dir)], capture_output=True, text=True), run_dir


@pytest.mark.parametrize("config", [PLAIN, EVERYTHING], ids=["plain", "ema-mixup-cutmix-erase-warmup"])
def test_resume_after_kill_9_is_exact(tmp_path, config):
    clean, clean_dir = _run(tmp_path, "clean", kill_epoch=-1, config=config)
    assert clean.returncode == 0, clean.stderr
    killed, killed_dir = _run(tmp_path, "killed", kill_epoch=2, config=config)
    assert killed.returncode == -signal.SIGKILL
    assert (killed_dir / "checkpoint.pt").exists() and not (killed_dir / "final.pt").exists()
    assert torch.load(killed_dir / "checkpoint.pt", weights_only=False)["epoch"] == 2  # epochs 1-2 were saved
    # the same script again, without the kill, resumes from the checkpoint
    script = tmp_path / "killed.py"
    script.write_text(_script(-1, config))
    resumed = subprocess.run([sys.executable, str(script), str(killed_dir)], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    pids_epochs = [line.split() for line in (killed_dir / "epochs.log").read_text().splitlines()]
    assert [int(e) for _, e in pids_epochs] == [1, 2, 3, 4]
    assert pids_epochs[0][0] == pids_epochs[1][0] != pids_epochs[2][0] == pids_epochs[3][0]  # resumed at epoch 3
    a, b = torch.load(clean_dir / "final.pt"), torch.load(killed_dir / "final.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    ha = (clean_dir / "history.json").read_text()
    hb = (killed_dir / "history.json").read_text()
    import json
    strip = lambda h: [{k: v for k, v in row.items() if k not in ("seconds", "img_per_s", "wall_seconds")}
                       for row in json.loads(h)]
    assert strip(ha) == strip(hb) and len(strip(ha)) == 4


def test_hold_then_decay_schedule_matches_paper_000():
    config = TrainConfig(epochs=60, optimizer="sgd", lr=0.01, scheduler="hold_then_decay",
                         scheduler_args=dict(hold=50, every=5, gamma=0.9))
    trainer = _small(config)
    lrs = []
    for _ in range(60):
        lrs.append(trainer.optimizer.param_groups[0]["lr"])
        trainer.optimizer.step()  # the order training uses (no gradients: weights stay put)
        trainer.scheduler.step()
    assert lrs[49] == pytest.approx(0.01) and lrs[50] == pytest.approx(0.009) and lrs[54] == pytest.approx(0.009)
    assert lrs[55] == pytest.approx(0.0081)


def test_ten_crop_shapes_and_mirror():
    x = torch.arange(2 * 1 * 5 * 5, dtype=torch.float32).view(2, 1, 5, 5)
    crops = ten_crop(x, 3)
    assert crops.shape == (2, 10, 1, 3, 3)
    assert torch.equal(crops[:, 0], x[:, :, :3, :3]) and torch.equal(crops[:, 4], x[:, :, 1:4, 1:4])
    assert torch.equal(crops[:, 5], crops[:, 0].flip(-1))


def test_random_erasing_blanks_one_bounded_rectangle_per_hit_image():
    from fer_lib.data.transforms import augment, random_erase
    x = torch.ones(64, 1, 48, 48)
    out = random_erase(x, 1.0, torch.Generator().manual_seed(0))
    blank = (out == 0).float().sum(dim=(1, 2, 3)) / (48 * 48)
    assert (blank > 0).all() and (blank <= 0.25 + 2 / 48).all()
    rows = (out == 0).any(dim=3).squeeze(1).float().sum(1)  # height of each blank rectangle
    cols = (out == 0).any(dim=2).squeeze(1).float().sum(1)
    assert torch.allclose(rows * cols / (48 * 48), blank)  # one solid rectangle per image
    assert torch.equal(random_erase(x, 0.0, torch.Generator().manual_seed(0)), x)
    again = random_erase(x, 1.0, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)  # the draws come from the generator
    # without erasing, augment makes exactly the draws it made before erasing existed
    spec = Augment(hflip=True, rotate=10, shift=0.1)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    augment(torch.rand(8, 1, 48, 48), spec, g1)
    augment(torch.rand(8, 1, 48, 48), Augment(hflip=True, rotate=10, shift=0.1, erase=0.0), g2)
    assert torch.equal(g1.get_state(), g2.get_state())


def test_mixup_and_cutmix_mix_images_and_say_how_much():
    from fer_lib.train.mixing import mix_batch
    x = torch.arange(4, dtype=torch.float32).view(4, 1, 1, 1).expand(4, 1, 8, 8).contiguous()
    y = torch.arange(4)
    mixed, partner, lam = mix_batch(x, y, mixup=0.4, cutmix=0.0, generator=torch.Generator().manual_seed(0))
    assert 0 <= lam <= 1 and torch.allclose(mixed, lam * x + (1 - lam) * x[partner])
    mixed, partner, lam = mix_batch(x, y, mixup=0.0, cutmix=1.0, generator=torch.Generator().manual_seed(1))
    kept = (mixed == x).float().mean(dim=(1, 2, 3))
    moved = partner != y
    assert torch.allclose(kept[moved], torch.full_like(kept[moved], lam))  # lam is the share left in place
    with pytest.raises(ValueError, match="mixup > 0 or cutmix > 0"):
        mix_batch(x, y, 0.0, 0.0, torch.Generator())


def test_ema_weights_are_evaluated_selected_and_kept():
    train, val = _toy_batches(seed=0), _toy_batches(n=14, seed=1)
    trainer = _small(TrainConfig(epochs=3, batch_size=8, lr=3e-3, ema_decay=0.8, restore_best=False,
                                 augment=Augment(hflip=False)))
    trainer.fit(train, val)
    ema = trainer.ema.module.state_dict()
    kept = trainer.model.state_dict()
    assert all(torch.equal(kept[k], ema[k]) for k in kept)  # the average is the model kept
    raw = _small(TrainConfig(epochs=3, batch_size=8, lr=3e-3, restore_best=False, augment=Augment(hflip=False)))
    raw.fit(train, val)
    assert not all(torch.equal(kept[k], raw.model.state_dict()[k]) for k in kept)  # same steps, other weights
    assert trainer.history[-1]["val_loss"] == pytest.approx(trainer.evaluate(val)["loss"])


def test_warmup_then_cosine_learning_rates():
    trainer = _small(TrainConfig(epochs=6, lr=0.1, scheduler="cosine", warmup_epochs=2))
    lrs = []
    for _ in range(6):
        lrs.append(trainer.optimizer.param_groups[0]["lr"])
        trainer.optimizer.step()
        trainer.scheduler.step()
    assert lrs == pytest.approx([0.05, 0.1, 0.1, 0.1 * 0.5 * (1 + np.cos(np.pi / 4)), 0.05,
                                 0.1 * 0.5 * (1 + np.cos(3 * np.pi / 4))])


def test_the_moving_average_warms_up_so_the_initial_weights_fade():
    from fer_lib.train.engine import _ema_update
    update = _ema_update(0.999)
    averaged, current = [torch.zeros(3)], [torch.ones(3)]
    for n in range(1, 201):  # after AveragedModel's first update, which copies
        update(averaged, current, torch.tensor(n))
    # a fixed 0.999 would leave 0.999 ** 200 = 82 % of the zeros; the warm-up leaves almost none
    assert averaged[0].min() > 0.9
    late = [torch.zeros(1)]
    update(late, [torch.ones(1)], torch.tensor(10**6))
    assert late[0].item() == pytest.approx(0.001)  # later, the configured decay
