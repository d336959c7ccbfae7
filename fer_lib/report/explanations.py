"""Chapter 004's investigation: which explanation of a reported 85.71 % a run record can reproduce."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import experiments
from ..judge import claims, scoring
from ..store.results import RunRecord, RunStore
from ..judge.verdicts import TOLERANCE_PP, pair_matches
from . import made_by


def _claimed(experiment: str, role: str, metric: str) -> float:
    return next(c.value for c in claims.CLAIMS if c.experiment == experiment and c.role == role and c.metric == metric)


def best_by_validation(records: dict[str, RunRecord]) -> str:
    """The name of the run with the highest validation accuracy: the 'best honest run' never looks at a test set."""
    return max(records, key=lambda name: records[name].metrics["val"]["accuracy"])


@made_by
def explanations_table(best: RunRecord, frozen: RunRecord | None, twin_ids: set[str],
                       experiment: str = experiments.name("004", "resnet50-all")) -> pd.DataFrame:
    """One row per explanation of the paper's test number: the score it gives on our records and whether it
    reproduces the paper's number. A binary-accuracy explanation must match the paper's (accuracy, loss) pair,
    since every softmax model scores at least 5/7 binary accuracy; the others must reach the accuracy."""
    acc_claim = _claimed(experiment, "private_test", "accuracy")
    loss_claim = _claimed(experiment, "private_test", "loss")

    def reaches(value: float) -> str:
        return "yes" if value >= acc_claim - TOLERANCE_PP else "no"

    def pair(table: pd.DataFrame) -> tuple[str, str]:
        binary, loss = table.loc["private_test", "binary accuracy (%)"], table.loc["private_test", "loss"]
        verdict = "yes" if pair_matches((acc_claim, loss_claim), (binary, loss)) else "no"
        return verdict, f"binary accuracy {binary:.2f} % with loss {loss:.2f} (paper: {acc_claim:.2f} % with {loss_claim:.2f})"

    bt = scoring.metric_table(best.predictions).set_index("role")
    tw = scoring.accuracy_by_twin(best.predictions, twin_ids, "private_test")
    sel = scoring.epoch_selection(best.history, "private_test_acc")
    rows = []
    ok, how = pair(bt)
    rows.append(dict(explanation="binary (element-wise) accuracy of the best honest run",
                     score=bt.loc["private_test", "binary accuracy (%)"], how=how, reproduces=ok))
    if frozen is not None:
        ft = scoring.metric_table(frozen.predictions).set_index("role")
        ok, how = pair(ft)
        rows.append(dict(explanation="binary accuracy, the paper's frozen configuration (random weights)",
                         score=ft.loc["private_test", "binary accuracy (%)"], how=how, reproduces=ok))
    rows += [
        dict(explanation="test images copied from Training", score=tw["ceiling: all twins right (%)"],
             how=f"{tw['share (%)']:.1f} % of PrivateTest twinned, every twin answered right",
             reproduces=reaches(tw["ceiling: all twins right (%)"])),
        dict(explanation="evaluating on training images", score=100 * best.metrics["train"]["accuracy"],
             how="the final weights on the training images", reproduces=reaches(100 * best.metrics["train"]["accuracy"])),
        dict(explanation="epoch chosen on the test set", score=sel["highest accuracy (%)"],
             how=f"best epoch of the PrivateTest curve (epoch {sel['epoch with the highest accuracy']} of "
                 f"{sel['last epoch']})", reproduces=reaches(sel["highest accuracy (%)"])),
    ]
    table = pd.DataFrame(rows)
    table["score"] = table["score"].round(2)
    return table.rename(columns={"score": "score it gives (%)", "reproduces": f"gives {acc_claim:.2f} %?"})


@made_by
def other_fer_runs(*, store: RunStore = RunStore(), exclude_paper: str = "004") -> pd.DataFrame:
    """Accuracy, binary accuracy and loss on the test role of every other finished, non-smoke FER2013 run in
    the store: the newest run per experiment, profile and budget (one row per run)."""
    rows = []
    for name in store.experiments():
        if name.startswith(f"{exclude_paper}-"):
            continue
        for record in store.find(name):
            cfg = record.config
            if cfg.get("profile") == "smoke" or cfg.get("data", {}).get("dataset") != "fer2013":
                continue
            t = scoring.metric_table(record.predictions).iloc[0]
            rows.append({"run": f"{name}/{record.config_hash}", "chapter": cfg.get("paper", name.split("-")[0]),
                         "images": t["images"], "accuracy (%)": t["accuracy (%)"],
                         "binary accuracy (%)": t["binary accuracy (%)"], "loss": t["loss"]})
    return pd.DataFrame(rows)


def other_runs_sentence(table: pd.DataFrame) -> str:
    """What the other FER2013 runs say about binary accuracy, in one sentence computed from `table`."""
    if table.empty:
        return "No other FER2013 run record is in the store."
    chapters = ", ".join(sorted(set(table["chapter"])))
    return (f"**Every other FER2013 run record in the store** ({len(table)} runs, chapters {chapters}; the first "
            f"evaluation set of each): accuracy {table['accuracy (%)'].min():.1f}-{table['accuracy (%)'].max():.1f} %, "
            f"binary accuracy {table['binary accuracy (%)'].min():.1f}-{table['binary accuracy (%)'].max():.1f} %, "
            f"loss {table['loss'].min():.2f}-{table['loss'].max():.2f}.")
