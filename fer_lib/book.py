"""`fer book run` executes chapter notebooks with papermill; `fer book build` renders the HTML with jupyter-book."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .store.results import RunStore

REPO = Path(__file__).resolve().parent.parent
BOOK = REPO / "book"
DOWNLOADS = BOOK / "_static" / "downloads"  # written at build time, copied into the HTML with the static files
SOURCE_PAGES = BOOK / "_static" / "source"  # the library's code as pages, written at build time the same way
# Execution order: chapters first, then the ledger and the intro page (they read every chapter's run records).
CHAPTERS = {
    "data": BOOK / "chapters" / "data.ipynb",
    "000": BOOK / "chapters" / "000_presnet_vgg.ipynb",
    "001": BOOK / "chapters" / "001_igc_net.ipynb",
    "002": BOOK / "chapters" / "002_se_sepnet.ipynb",
    "003": BOOK / "chapters" / "003_vgg16_lip.ipynb",
    "004": BOOK / "chapters" / "004_resnet_mlp.ipynb",
    "comparison": BOOK / "chapters" / "comparison.ipynb",
    "ledger": BOOK / "ledger.ipynb",
    "intro": BOOK / "intro.ipynb",  # the ledger at a glance, on the book's first page
    "execution": BOOK / "execution.ipynb",  # last: how every other page was executed
}


# the papers whose experiments each training chapter runs
CHAPTER_PAPERS = {"000": "000", "001": "001", "002": "002", "003": "003", "004": "004", "comparison": "cmp"}


def chapter_jobs(chapters, profile: str, *, store: RunStore = RunStore()) -> list:
    """Every run the chapters train under `profile` (all chapters when `chapters` is empty), including the
    comparison's follow-ups once its first runs have ranked the models (further seeds, the pushed recipe and its
    ingredient ablation) and priced them (the second budget of the models cheap enough for it). Here, not in
    `train.jobs`, because the follow-ups are the comparison's judging policy."""
    from .experiments import EXPERIMENTS
    from .judge.comparison import follow_up_variants, ingredient_variants, long_budget, long_budget_variants
    from .train.jobs import jobs_for
    papers = [CHAPTER_PAPERS[c] for c in (chapters or CHAPTER_PAPERS) if c in CHAPTER_PAPERS]
    jobs = [job for paper in papers for job in jobs_for(paper, EXPERIMENTS[paper][1], profile)]
    if "cmp" in papers:
        jobs += jobs_for("cmp", follow_up_variants(profile, store=store), profile)
        jobs += jobs_for("cmp", ingredient_variants(profile, store=store), profile)
        jobs += jobs_for("cmp", long_budget_variants(profile, store=store), profile, [long_budget(profile)])
    return jobs


@dataclass
class ChapterResult:
    chapter: str
    status: str        # "ok", "failed", "up to date"
    minutes: float
    error: str = ""
    output: Path | None = None


def executed_profile(notebook: Path) -> str | None:
    """The profile a notebook was last executed with, if papermill finished it without an error."""
    try:
        meta = json.loads(notebook.read_text())["metadata"].get("papermill", {})
    except (OSError, ValueError, KeyError):
        return None
    if meta.get("exception") or not meta.get("end_time"):
        return None
    return meta.get("parameters", {}).get("profile")


def run_chapters(names: list[str] | None, profile: str, *, data_root: str | None = None,
                 parameters: dict | None = None, output_dir: str | Path | None = None, stale_only: bool = False,
                 store: RunStore = RunStore()) -> list[ChapterResult]:
    """Execute chapters in order, writing each executed notebook back (or into output_dir); go on past failures.

    Args:
        names: chapter keys of `CHAPTERS` ("data", "000", ..., "ledger", "intro"); None executes all, in order.
        profile: the budget the chapters train (or reuse): "smoke", "cpu" or "paper".
        data_root: the folder holding the datasets (default: $FER_DATA, else data/).
        parameters: further notebook parameters, e.g. {"train": "false"} to only read finished runs.
        output_dir: write the executed notebooks here instead of over the book's pages.
        stale_only: skip a page last executed without error under `profile`.
        store: the run store; each notebook gets its folder as the `runs_root` parameter and builds its own
            `RunStore` from it.

    Returns:
        One result per chapter: ok, failed (with the error line and where the failed execution lies) or up to date.
    """
    import papermill as pm

    names = names or list(CHAPTERS)
    unknown = [n for n in names if n not in CHAPTERS]
    if unknown:
        raise ValueError(f"unknown chapter(s) {unknown}; the book has {list(CHAPTERS)}")
    params = dict(profile=profile, data_root=str(Path(data_root).resolve()) if data_root else None,
                  runs_root=str(store.root.resolve()))
    params.update({k: _parse_value(v) for k, v in (parameters or {}).items()})
    results = []
    for name in names:
        source = CHAPTERS[name]
        target = Path(output_dir) / source.name if output_dir else source
        if stale_only and executed_profile(target) == profile:
            results.append(ChapterResult(name, "up to date", 0.0, output=target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        print(f"== {name}: executing {source.relative_to(REPO)} ({profile} profile)", flush=True)
        # papermill writes into its output as it executes, so it executes into a scratch file beside the page
        # (.json: jupyter-book renders only .ipynb) and the page is replaced only when the execution finished;
        # a killed run leaves the page as it was.
        scratch = executing_path(target)
        # the page's way to the book's static files in the HTML (which mirrors the sources' folders), for the
        # links from its tables and figures to the code that made them (report.notebook.source_link)
        os.environ["FER_BOOK_STATIC"] = os.path.relpath(REPO / "_static", source.parent)
        try:
            pm.execute_notebook(str(source), str(scratch), parameters=params, cwd=str(REPO), kernel_name="python3",
                                progress_bar=False, log_output=True)
            os.replace(scratch, target)
            results.append(ChapterResult(name, "ok", (time.perf_counter() - start) / 60, output=target))
        except Exception as exc:  # noqa: BLE001  a failed chapter must not stop the others
            # the page keeps its last finished execution; the failed one, with its traceback, lies beside it
            failed = failed_path(target)
            if scratch.exists():
                os.replace(scratch, failed)
            line = f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}".splitlines()[0]
            where = f" (the failed execution: {_shown(failed)}; the page keeps its last finished one)"
            results.append(ChapterResult(name, "failed", (time.perf_counter() - start) / 60,
                                         line[:200] + where, failed))
    return results


def executing_path(page: Path) -> Path:
    """Where a page is executed before it replaces the page."""
    return page.with_name(f"{page.stem}.executing.json")


def failed_path(page: Path) -> Path:
    """Where a failed execution of a page is kept for inspection (git ignores it)."""
    return page.with_name(f"{page.stem}.failed.ipynb")


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def _parse_value(text: str):
    """-p values: JSON when they parse (numbers, true/false, null), else the string itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def format_results(results: list[ChapterResult]) -> str:
    lines = [f"{'chapter':<10} {'status':<11} {'minutes':>7}  error"]
    lines += [f"{r.chapter:<10} {r.status:<11} {r.minutes:>7.1f}  {r.error}" for r in results]
    return "\n".join(lines)


def build(strict: bool = False, output: str | Path | None = None) -> int:
    """jupyter-book HTML into <output>/_build/html (default: the repository); notebooks are rendered as
    executed, never re-run here."""
    from . import downloads
    downloads.write(DOWNLOADS)  # the ledger and every run's metrics, from the records, linked from the ledger page
    downloads.write_source_pages(SOURCE_PAGES)  # the code each table and figure links to
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe if exe.exists() else "jupyter-book"), "build", str(REPO), "--toc", str(BOOK / "_toc.yml"),
           "--config", str(REPO / "_config.yml")]
    if output is not None:
        cmd += ["--path-output", str(output)]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    print(" ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=REPO).returncode
