"""What a chapter notebook calls to show things: notes, figures, tables, logs, training or reusing runs, verdicts.

The one module of the library that talks to IPython; everything it shows is computed below it.
"""
from __future__ import annotations

import base64
import io
import itertools
import os
from html import escape

import pandas as pd
from IPython.display import HTML, Markdown, display
from markdown_it import MarkdownIt

from ..judge import claims
from .. import data as datasets
from ..train import runner
from ..data.base import DatasetError, FaceData
from ..experiments import Experiment
from . import Folded, Note, source_of
from . import ledger as report_ledger
from .tables import ProfileRuns, profile_runs, styled
from ..store.results import RunStore


# The data folders this page was given: a message naming a file there shows it below "<data root>", since where
# the datasets sit on the machine that executed the page is nothing a reader can use.
_data_roots: set[str] = set()


def without_local_paths(text: str) -> str:
    for root in sorted(_data_roots, key=len, reverse=True):
        text = text.replace(root.rstrip("/") + "/", "<data root>/")
    return text


def note(text: str, kind: str = "note") -> None:
    """A visible note in the rendered book: a plain-Markdown blockquote, since cell outputs are not parsed as MyST."""
    lines = f"**{kind.capitalize()}.** {without_local_paths(text)}".splitlines()
    display(Markdown("\n".join(f"> {line}" for line in lines)))


_MARKDOWN = MarkdownIt("commonmark").enable("table")  # renders the Markdown that `folded` puts inside HTML


def folded(summary: str, content) -> None:
    """Secondary evidence a reader opens on request: a table (DataFrame), Markdown, or a sequence of both,
    shut inside a <details> block under `summary`. The Markdown is rendered here (markdown-it, CommonMark with
    tables), since a cell's Markdown output is not parsed inside the HTML around it."""
    parts = []
    for item in content if isinstance(content, (list, tuple)) else [content]:
        if isinstance(item, pd.DataFrame):
            parts.append(f'<div class="fer-scroll">{styled(item)}</div>{source_link(item)}')
        elif item is not None:
            parts.append(_MARKDOWN.render(without_local_paths(item)))
    display(HTML(f'<details class="fer-more"><summary>{escape(summary)}</summary>{"".join(parts)}</details>'))


def source_link(made) -> str:
    """A line naming the library function that made `made` (see `report.made_by`), linked to its source: the
    pages `downloads.write_source_pages` writes at build time, reached through $FER_BOOK_STATIC (the page's path
    to the book's static files, which `fer book run` sets). Empty when `made` names no function."""
    source = source_of(made)
    if source is None:
        return ""
    name = f"<code>{escape(source.name)}</code>"
    static = os.environ.get("FER_BOOK_STATIC")
    if static:
        name = f'<a href="{static}/source/{source.path}.html#line-{source.line}">{name}</a>'
    return f'<p class="fer-source">Code: {name}</p>'


# Each page executes in its own kernel, so a module-level counter numbers the figures of one page.
_figure_numbers = itertools.count(1)


def show(fig, caption: str | None = None) -> None:
    """Display a figure where it is made (inside a loop or among tables) as a numbered figure with a caption
    and alt text, and close it, so the inline backend does not draw it a second time at the end of the cell.
    The caption is `caption`, else the figure's suptitle (taken off the image, which keeps the axes' own
    titles), else its axes' titles."""
    import matplotlib.pyplot as plt
    number = next(_figure_numbers)
    caption = caption or figure_caption(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=100)
    plt.close(fig)
    image = base64.b64encode(buffer.getvalue()).decode()
    alt = f"Figure {number}: {caption}. {figure_axes_text(fig)}".strip()
    display(HTML(f'<figure class="fer-figure" id="figure-{number}"><img src="data:image/png;base64,{image}" '
                 f'alt="{escape(alt)}"><figcaption><strong>Figure {number}.</strong> {escape(caption)}'
                 f'{source_link(fig)}</figcaption></figure>'))


def figure_caption(fig) -> str:
    """The figure's suptitle (hidden on the image, since the caption carries it), else its axes' titles."""
    title = fig._suptitle.get_text() if fig._suptitle is not None else ""
    if title:
        fig._suptitle.set_visible(False)
        return title
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return "; ".join(dict.fromkeys(titles)) or "Figure"


def figure_axes_text(fig) -> str:
    """What a screen reader is told the axes show: each panel's y label against its x label."""
    panels = [f"{ax.get_ylabel()} against {ax.get_xlabel()}" for ax in fig.axes
              if ax.get_visible() and ax.get_xlabel() and ax.get_ylabel()]
    return ("Shows " + "; ".join(dict.fromkeys(panels)) + ".") if panels else ""


def training_log(lines: list[str], title: str) -> None:
    """The trainer's log lines folded into one collapsible block."""
    if lines:
        body = escape("\n".join(lines))
        display(HTML(f"<details><summary>{escape(title)}</summary><pre>{body}</pre></details>"))


def load_or_note(name: str, data_root=None, consequence: str = "this section uses only committed run records"
                 ) -> FaceData | None:
    """The dataset, or None after printing a visible note saying what is missing, what follows, and what to do."""
    root = datasets.data_root(data_root)
    _data_roots.update({str(root), str(root.resolve())})
    try:
        return datasets.load(name, data_root)
    except DatasetError as exc:
        from ..data.check import present
        state = "is broken here" if present(name, datasets.data_root(data_root)) else "is not available here"
        note(f"**{name} {state}, so {consequence}.**\n\n{exc}\n\n(<data root> is the folder given as `data_root`, "
             "else `$FER_DATA`, else `data/`.)", "warning" if "not available" in state else "error")
        return None


def run_or_reuse(exp: Experiment, data: FaceData | None, *, store: RunStore = RunStore(), force: bool = False,
                 train: bool = True) -> ProfileRuns:
    """Train `exp` (or reuse its finished run) when `train` is set and the data is here; always gather every
    profile's latest run. With `train=False` nothing is trained: the chapter shows the committed records."""
    if train and data is not None:
        lines: list[str] = []
        try:
            for fold in exp.folds():
                runner.run(fold, store=store, force=force, data=data, log=lines.append)
        except Exception as exc:  # noqa: BLE001  show the error in the chapter, keep the other sections
            note(f"Training `{exp.name}` ({exp.profile}) failed: `{type(exc).__name__}: {exc}`", "error")
        training_log(lines, f"log of {exp.name} ({exp.profile} profile)")
    return profile_runs(exp.name, store=store)


def run_all(exps: list[Experiment], data: FaceData | None, *, store: RunStore = RunStore(), force: bool = False,
            train: bool = True) -> list[ProfileRuns]:
    """`run_or_reuse` for each experiment, in order."""
    return [run_or_reuse(exp, data, store=store, force=force, train=train) for exp in exps]


def show_all(items) -> None:
    """Display a section's items in order: tables (DataFrames, without their index), Markdown strings,
    `Note`s and matplotlib figures; None is skipped."""
    for item in items:
        if item is None:
            continue
        if isinstance(item, pd.DataFrame):
            table(item)
        elif isinstance(item, str):
            display(Markdown(without_local_paths(item)))
        elif isinstance(item, Note):
            note(item.text, item.kind)
        elif isinstance(item, Folded):
            folded(item.summary, item.items)
        else:
            show(item)
    if link := source_link(items):
        display(HTML(link))


def table(frame: pd.DataFrame) -> None:
    """Show a table as the reader should see it (see `report.tables.styled`), scrolling inside the page when
    it is wider than the text."""
    display(HTML(f'<div class="fer-scroll">{styled(frame)}</div>{source_link(frame)}'))


def summary_box(paper: str, *, store: RunStore = RunStore(), data: FaceData | None = None) -> None:
    """The box a chapter opens with: each headline claim, our best measurement, its budget and verdict (with
    `data`, also without the test images that have twins in training; see `ledger.verdict_table`)."""
    headline = report_ledger.headline_table(paper, store=store, data=data)
    words = headline["verdict"].value_counts()
    tally = ", ".join(f"{n} {word}" for word, n in words.items())
    body = styled(headline)
    claims_word = "headline claim" if len(headline) == 1 else "headline claims"
    display(HTML(f'<div class="fer-summary"><p><strong>In short.</strong> {len(headline)} {claims_word}: {tally}. '
                 f'The verdicts section below gives the rule and the evidence.</p><div class="fer-scroll">{body}'
                 f'</div>{source_link(headline)}</div>'))


def verdict_section(paper: str, *, store: RunStore = RunStore(), curve_datasets: tuple[str, ...] = ("fer2013",),
                    profile: str = "cpu", data: FaceData | None = None) -> None:
    """A chapter's verdicts (each is also in the "In short" box at the top): the table with budgets and the
    sentence per claim, folded under their summaries, then the budget curves of the claims on `curve_datasets`
    (accuracy against epochs trained, the claim and the paper's budget marked)."""
    claim_list = claims.claims_for(paper)
    folded("The verdict table: each claim's budget, last gain and projected ceiling",
           report_ledger.verdict_table(claim_list, store=store, data=data).drop(columns=["paper"]))
    folded("Why each verdict: one sentence per claim",
           report_ledger.verdict_sentences(claim_list, profile, store=store))
    curved = [c for c in claim_list if c.dataset in curve_datasets]
    fig = report_ledger.budget_figure(curved, profile, store=store, title=f"{paper}: budget curves ({profile} profile)")
    if fig is not None:
        show(fig)
