"""Pages that cannot go stale: every chapter, the ledger and the intro are executed afresh from the committed
run records (training nothing, into a temporary folder), and every number their outputs show must equal the
committed page's."""
from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest

from fakes import SHARED_DATA, needs_real_data
from fer_lib import book
from fer_lib.store.results import RunStore

NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")
# what a page may show that is not a measurement: execution timing, and the run-time environment
VOLATILE = re.compile(r"(executed|execution took|seconds? ago|wall time of this page)", re.I)


def page_numbers(path: Path) -> list[tuple[int, list[str]]]:
    """(cell index, the numbers of its text outputs in order) for every code cell that shows text. HTML is
    reduced to its visible text (pandas' random style ids and CSS are not numbers a reader sees); images are
    left out (figures draw the same records)."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        texts = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if out.get("output_type") == "stream":
                texts.append(out.get("text", ""))
            for kind in ("text/markdown", "text/html"):
                if kind in data:
                    text = data[kind] if isinstance(data[kind], str) else "".join(data[kind])
                    text = re.sub(r"<style.*?</style>", " ", text, flags=re.S)
                    texts.append(html.unescape(re.sub(r"<[^>]+>", " ", text)))
                    break
            else:
                if "text/plain" in data and "image/png" not in data:
                    texts.append(data["text/plain"] if isinstance(data["text/plain"], str) else "".join(data["text/plain"]))
        lines = [line for text in texts for line in text.splitlines() if not VOLATILE.search(line)]
        numbers = NUMBER.findall("\n".join(lines))
        if numbers:
            found.append((index, numbers))
    return found


def first_difference(committed: Path, fresh: Path) -> str | None:
    old, new = dict(page_numbers(committed)), dict(page_numbers(fresh))
    for index in sorted(set(old) | set(new)):
        a, b = old.get(index, []), new.get(index, [])
        if a != b:
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            return (f"{committed.relative_to(book.REPO)} cell {index}: committed shows {a[at:at + 6]}, a fresh "
                    f"execution {b[at:at + 6]} (number {at + 1} of {len(a)} / {len(b)})")
    return None


@pytest.mark.slow
@needs_real_data
def test_every_committed_page_shows_what_its_records_give_today(tmp_path):
    # the committed store and data, named explicitly: the test session points FER_RUNS at an empty folder
    results = book.run_chapters(None, "cpu", data_root=SHARED_DATA, parameters={"train": "false"},
                                output_dir=tmp_path, store=RunStore(book.REPO / "runs"))
    assert [r.status for r in results] == ["ok"] * len(book.CHAPTERS), book.format_results(results)
    # the execution page reports the execution itself (times, versions): it differs by design
    stale = [diff for name, source in book.CHAPTERS.items()
             if name != "execution" and (diff := first_difference(source, tmp_path / source.name))]
    assert stale == [], "re-execute these pages (fer book run --profile cpu -p train false):\n" + "\n".join(stale)


def test_a_planted_stale_number_is_found(tmp_path):
    source = book.CHAPTERS["ledger"]
    nb = nbformat.read(source, as_version=4)
    planted, old = tmp_path / "ledger.ipynb", None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/html")
            if text and (match := re.search(r">(\d+\.\d\d)<", text)):
                old, new = match.group(1), f"{float(match.group(1)) + 0.01:.2f}"
                out["data"]["text/html"] = text.replace(match.group(0), f">{new}<", 1)
                break
        if old:
            break
    assert old, "the ledger page shows no table cell with a number"
    nbformat.write(nb, planted)
    assert first_difference(source, source) is None
    found = first_difference(source, planted) or ""
    assert old in found and new in found
