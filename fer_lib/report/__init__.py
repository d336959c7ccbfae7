"""Presentation for the chapters and the ledger page: tables, figures and sentences built from the run store.

A section function returns what the reader sees, in order: DataFrames (tables), strings (Markdown), matplotlib
figures, and `Note`s; `report.notebook.show_all` displays them. Only `report.notebook` talks to IPython.
"""
from __future__ import annotations

from dataclasses import dataclass

# What a section function returns: what the reader sees, in reading order (tables as DataFrames, Markdown as
# strings, matplotlib figures, Notes; None for a part with nothing to show), for report.notebook.show_all.
Section = list["pandas.DataFrame | str | matplotlib.figure.Figure | Note | None"]


@dataclass(frozen=True)
class Note:
    """A visible note in the rendered book (a warning when something is missing, an error when it failed)."""

    text: str
    kind: str = "note"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """"1 epoch", "4 epochs": a number with its noun in the right number (`plural` where "s" is wrong)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
