"""Files the book links to, written when it is built: the ledger and every run's metrics as CSV and JSON (from the
records), and the library's source as highlighted pages that each table and figure links to."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .judge import assessment, claims
from .store.results import RunRecord, RunStore

PROFILES = assessment.VERDICT_PROFILES


def ledger_frame(*, store: RunStore = RunStore()) -> pd.DataFrame:
    """Every claim (cited numbers included) with its best-informed measurement, interval and verdict."""
    table = assessment.assess(list(claims.CLAIMS), profiles=PROFILES, store=store)
    return assessment.decisive_rows(table).reset_index(drop=True)


def runs_frame(*, store: RunStore = RunStore()) -> pd.DataFrame:
    """One row per finished run in the store: what it was, its accuracy on each evaluated role, and its provenance."""
    root = store.root
    rows = []
    for folder in sorted(p for p in root.glob("*/*") if p.is_dir() and not p.parent.name.startswith("_")):
        record = RunRecord(folder)
        if not record.finished:
            continue
        c, p = record.config, record.provenance
        row = {"experiment": c.get("name"), "config_hash": record.config_hash, "profile": c.get("profile"),
               "model": c.get("model"), "epochs": record.epochs, "seed": c.get("train", {}).get("seed", 0),
               "fold": c.get("data", {}).get("fold"), "commit": p.get("git_commit"), "dirty": p.get("git_dirty"),
               "device": p.get("gpu") or p.get("cpu"), "wall_minutes": round(p.get("wall_seconds", 0) / 60, 1)}
        for role, report in record.metrics.items():
            if isinstance(report, dict) and "accuracy" in report:
                row[f"{role}_accuracy"] = report["accuracy"]
        rows.append(row)
    return pd.DataFrame(rows)


def write(folder: Path, *, store: RunStore = RunStore()) -> list[Path]:
    """ledger.csv / .json and runs.csv / .json in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("ledger", ledger_frame(store=store)), ("runs", runs_frame(store=store))):
        frame.to_csv(folder / f"{name}.csv", index=False)
        frame.to_json(folder / f"{name}.json", orient="records", indent=1)
        written += [folder / f"{name}.csv", folder / f"{name}.json"]
    return written


def write_source_pages(folder: Path) -> list[Path]:
    """One HTML page per module of `fer_lib` (`<folder>/fer_lib/<path>.py.html`), numbered lines anchored as
    `#line-<n>`, so that a page can link a table to the line where its function starts."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    package = Path(__file__).resolve().parent
    written = []
    for module in sorted(package.rglob("*.py")):
        relative = module.relative_to(package.parent).as_posix()
        target = folder / f"{relative}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        formatter = HtmlFormatter(full=True, title=relative, linenos="inline", lineanchors="line", anchorlinenos=True)
        target.write_text(highlight(module.read_text(), PythonLexer(), formatter))
        written.append(target)
    return written
