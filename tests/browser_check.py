"""Open a built book page in headless Chromium as a reader would, at a given window width, and report what is
wrong: images that did not load, tables wider than their container with no scroll box around them, cells
tagged to be hidden (parameters, remove-cell) that show anyway, and verdicts a reader cannot see without
scrolling sideways (or whose word is cut off), what of the build shows through (local paths, execution notes,
Python reprs, snake_case headers, index columns) and images without a numbered caption. Optionally screenshots
the page.

Usage: python tests/browser_check.py _build/html/book/chapters/002_se_sepnet.html [screenshot.png] [width]

Chromium cannot be asked from the command line about a page's layout, so a copy of the page is made beside
it (same relative paths) with a script that, once the page has loaded, writes its findings into the DOM;
`--dump-dom` then prints that DOM.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--virtual-time-budget=10000"]
PROBE = """<script>
window.addEventListener("load", function () {
  var imgs = Array.from(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).map(function (i) { return i.src; });
  function scrolls(el) {
    for (var a = el.parentElement; a; a = a.parentElement) {
      var o = getComputedStyle(a).overflowX;
      if (o === "auto" || o === "scroll") return true;
    }
    return false;
  }
  var tables = Array.from(document.querySelectorAll("article table, main table"));
  var wide = tables.filter(function (t) {
    return t.offsetParent !== null && t.scrollWidth > t.parentElement.clientWidth + 1 && !scrolls(t);
  }).map(function (t) { return (t.innerText || "").trim().slice(0, 40).replace(/\\s+/g, "_"); });
  var hidden = Array.from(document.querySelectorAll(
      ".tag_parameters, .tag_injected-parameters, .tag_remove-cell, .tag_remove-input .cell_input"))
    .filter(function (e) { return e.offsetParent !== null && e.getBoundingClientRect().height > 0; });
  // a verdict cell a reader cannot see without scrolling sideways, or whose word is cut off
  var verdicts = [], unseen = [];
  tables.forEach(function (t) {
    if (t.offsetParent === null) return;
    var head = Array.from(t.querySelectorAll("thead th"));
    var col = head.findIndex(function (h) { return (h.innerText || "").trim() === "verdict"; });
    if (col < 0) return;
    var box = t.parentElement.getBoundingClientRect();
    var right = Math.min(box.right, document.documentElement.clientWidth);
    Array.from(t.querySelectorAll("tbody tr")).forEach(function (tr) {
      var cell = tr.children[col];
      if (!cell) return;
      verdicts.push(cell);
      var r = cell.getBoundingClientRect();
      if (r.right > right + 1 || r.left < box.left - 1 || cell.scrollWidth > cell.clientWidth + 1)
        unseen.push((cell.innerText || "").trim().replace(/\\s+/g, "_"));
    });
  });
  // what of the build shows through: local paths, execution notes, Python reprs, snake_case headers, an index
  // column, and figures (images in the text) without a numbered caption
  var main = document.querySelector("main") || document.body;
  var text = main.innerText || "";
  var leaks = [];
  [/\\/(work|home|tmp|Users)\\/[\\w.-]+\\//, /\\.\\.\\/shared\\//, /train ?= ?False/, /trained nothing/,
   /\\{'\\w+': /, /\\[\\d\\.\\d{8,}/].forEach(function (re) { var m = text.match(re); if (m) leaks.push(m[0]); });
  tables.forEach(function (t) {
    if (t.offsetParent === null) return;
    Array.from(t.querySelectorAll("thead th")).forEach(function (h) {
      var words = (h.innerText || "").trim();
      if (/[a-z]_[a-z]/.test(words)) leaks.push("header:" + words);
    });
    var first = t.querySelector("thead th");
    if (first && (first.innerText || "").trim() === "" && t.querySelector("tbody th")) leaks.push("index-column");
  });
  var uncaptioned = Array.from(main.querySelectorAll("img")).filter(function (i) {
    var fig = i.closest("figure");
    return !(fig && fig.querySelector("figcaption") && i.alt);
  }).length;
  // a chapter's main flow: from the top of its text to the end of its Takeaways (what follows is the
  // evidence one by one, the method, the assumptions, the fidelity audit and the records); the whole
  // text on pages without Takeaways
  var takeaways = Array.from(main.querySelectorAll("section > h2")).find(function (h) {
    return /^Takeaways/.test((h.innerText || "").trim()); });
  var flow = Math.round(takeaways ? takeaways.parentElement.getBoundingClientRect().bottom
                                    - main.getBoundingClientRect().top : main.scrollHeight);
  var out = document.createElement("pre"); out.id = "fer-page-probe";
  out.textContent = "IMAGES " + imgs.length + " BROKEN " + broken.length + " " + broken.join(" ") +
    " | TABLES " + tables.length + " WIDE " + wide.length + " " + wide.join(" ") + " | SHOWN " + hidden.length +
    " | VERDICTS " + verdicts.length + " UNSEEN " + unseen.length + " " + unseen.slice(0, 8).join(" ") +
    " | LEAKS " + leaks.length + " " + leaks.slice(0, 6).join(" ").replace(/\\|/g, "/") +
    " | UNCAPTIONED " + uncaptioned + " | HEIGHT " + Math.round(main.scrollHeight) + " | FLOW " + flow + " |";
  document.body.appendChild(out);
});
</script>"""


@dataclass
class PageCheck:
    images: int
    broken: list[str] = field(default_factory=list)       # image URLs that did not load
    tables: int = 0
    wide: list[str] = field(default_factory=list)         # tables overflowing their container, no scroll box
    shown_hidden: int = 0                                 # cells tagged to be hidden that are visible
    verdicts: int = 0                                     # verdict cells in the page's tables
    unseen: list[str] = field(default_factory=list)       # verdicts out of sight without scrolling, or cut off
    leaks: list[str] = field(default_factory=list)        # the build showing: paths, notes, reprs, snake_case
    uncaptioned: int = 0                                  # images in the text without a numbered caption
    height: int = 0                                       # the page's text in CSS pixels, collapsed blocks shut
    flow: int = 0                                         # its main flow: the text up to its Takeaways

    @property
    def screens(self) -> float:
        """How many laptop screens (800 px high) a reader scrolls through to read the page."""
        return round(self.height / 800, 1)

    @property
    def flow_screens(self) -> float:
        """How many laptop screens the main flow takes (the whole page where it has no Takeaways)."""
        return round(self.flow / 800, 1)

    @property
    def ok(self) -> bool:
        return (not self.broken and not self.wide and self.shown_hidden == 0 and not self.unseen
                and not self.leaks and self.uncaptioned == 0)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def check_page(page: Path, screenshot: Path | None = None, width: int = 1280) -> PageCheck:
    """What a reader at `width` pixels would find wrong on `page`; writes a screenshot when asked."""
    browser = chromium()
    if browser is None:
        raise RuntimeError("no chromium on PATH: apt-get install chromium")
    page = page.resolve()
    probe_page = page.with_name(f".probe-{page.name}")
    probe_page.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    with tempfile.TemporaryDirectory() as profile:
        flags = CHROMIUM_FLAGS + [f"--user-data-dir={profile}", f"--window-size={width},2400"]
        try:
            dom = subprocess.run([browser, *flags, "--dump-dom", probe_page.as_uri()], capture_output=True,
                                 text=True, timeout=120).stdout
            if screenshot is not None:
                subprocess.run([browser, *flags, f"--screenshot={screenshot.resolve()}", page.as_uri()],
                               capture_output=True, timeout=120)
        finally:
            probe_page.unlink(missing_ok=True)
    match = re.search(r"IMAGES (\d+) BROKEN \d+ ?([^|]*)\| TABLES (\d+) WIDE \d+ ?([^|]*)\| SHOWN (\d+) "
                      r"\| VERDICTS (\d+) UNSEEN \d+ ?([^|]*)\| LEAKS \d+ ?([^|]*)\| UNCAPTIONED (\d+) \| HEIGHT (\d+) \| FLOW (\d+) \|", dom)
    if match is None:
        raise RuntimeError(f"{page}: the page did not finish loading in Chromium (no probe output)")
    return PageCheck(int(match[1]), match[2].split(), int(match[3]), match[4].split(), int(match[5]),
                     int(match[6]), match[7].split(), match[8].split(), int(match[9]), int(match[10]),
                     int(match[11]))


if __name__ == "__main__":
    target = Path(sys.argv[1])
    shot = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    check = check_page(target, shot, int(sys.argv[3]) if len(sys.argv) > 3 else 1280)
    print(f"{target}: {check} ({check.screens} screens at 800 px, main flow {check.flow_screens})")
    sys.exit(0 if check.ok and check.images else 1)
