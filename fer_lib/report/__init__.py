"""Presentation for the chapters and the ledger page: tables, figures and sentences built from the run store.

A section function returns what the reader sees, in order: DataFrames (tables), strings (Markdown), matplotlib
figures, `Note`s and `Folded` groups of secondary items; `report.notebook.show_all` displays them. Only
`report.notebook` talks to IPython.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent.parent

# What a section function returns: what the reader sees, in reading order (tables as DataFrames, Markdown as
# strings, matplotlib figures, Notes, Folded secondary items; None for a part with nothing to show), for
# report.notebook.show_all.
Section = list["pandas.DataFrame | str | matplotlib.figure.Figure | Note | Folded | None"]


@dataclass(frozen=True)
class Note:
    """A visible note in the rendered book (a warning when something is missing, an error when it failed)."""

    text: str
    kind: str = "note"


@dataclass(frozen=True)
class Folded:
    """Secondary items of a section (tables, Markdown) shown shut under a one-line summary the reader opens."""

    summary: str
    items: tuple = ()


def count(n: int, noun: str, plural: str | None = None) -> str:
    """"1 epoch", "4 epochs": a number with its noun in the right number (`plural` where "s" is wrong)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


@dataclass(frozen=True)
class Source:
    """The function that made part of a page: its dotted name, its file (relative to the repository) and line."""

    name: str
    path: str
    line: int


def made_by(func):
    """Decorate a function that makes what a reader sees (a Section, a table or a figure) so that what it returns
    names it: the page then links each table and figure to the code that made it (`report.notebook`)."""
    source = Source(f"{func.__module__}.{func.__qualname__}",
                    Path(inspect.getsourcefile(func)).resolve().relative_to(_REPO).as_posix(),
                    inspect.getsourcelines(func)[1])

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return with_source(func(*args, **kwargs), source)
    wrapper.source = source
    return wrapper


class MadeSection(list):
    """A Section that knows the function that made it (see `made_by`)."""

    def __init__(self, items, source: Source):
        super().__init__(items)
        self.source = source


def with_source(made, source: Source):
    """`made` (a Section, DataFrame or figure, or a tuple of them) marked as made by `source`; anything else as it is."""
    if isinstance(made, list):
        return MadeSection(made, source)
    if isinstance(made, tuple):  # e.g. a table and the sentence that reads it
        return tuple(with_source(part, source) for part in made)
    if hasattr(made, "attrs"):  # a DataFrame: pandas keeps `attrs` for metadata like this
        made.attrs["made_by"] = source
    elif hasattr(made, "savefig"):  # a matplotlib figure
        made.fer_made_by = source
    return made


def source_of(made) -> Source | None:
    """The function that made `made`, if it was marked (see `made_by`)."""
    if isinstance(made, MadeSection):
        return made.source
    if hasattr(made, "attrs"):
        return made.attrs.get("made_by")
    return getattr(made, "fer_made_by", None)
