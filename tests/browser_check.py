"""Open a built book page in headless Chromium, screenshot it, and fail if any image did not load.

Usage: python tests/browser_check.py _build/html/book/chapters/002_se_sepnet.html [screenshot.png]

Chromium cannot be asked from the command line whether images loaded, so a copy of the page is made
beside it (same relative paths) with a script that, once the page has loaded, writes each image's state
into the DOM; `--dump-dom` then prints that DOM.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--virtual-time-budget=10000"]
PROBE = """<script>
window.addEventListener("load", function () {
  var imgs = Array.from(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).map(function (i) { return i.src; });
  var out = document.createElement("pre"); out.id = "fer-image-probe";
  out.textContent = "IMAGES " + imgs.length + " BROKEN " + broken.length + " " + broken.join(" ");
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def check_page(page: Path, screenshot: Path | None = None) -> tuple[int, list[str]]:
    """(number of images, list of broken image URLs) for `page`; writes a screenshot when asked."""
    browser = chromium()
    if browser is None:
        raise RuntimeError("no chromium on PATH: apt-get install chromium")
    page = page.resolve()
    probe_page = page.with_name(f".probe-{page.name}")
    probe_page.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    with tempfile.TemporaryDirectory() as profile:
        flags = CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]
        try:
            dom = subprocess.run([browser, *flags, "--dump-dom", probe_page.as_uri()], capture_output=True,
                                 text=True, timeout=120).stdout
            if screenshot is not None:
                subprocess.run([browser, *flags, f"--screenshot={screenshot.resolve()}", "--window-size=1280,2400",
                                page.as_uri()], capture_output=True, timeout=120)
        finally:
            probe_page.unlink(missing_ok=True)
    match = re.search(r"IMAGES (\d+) BROKEN (\d+) ?([^<]*)", dom)
    if match is None:
        raise RuntimeError(f"{page}: the page did not finish loading in Chromium (no probe output)")
    return int(match[1]), match[3].split()


if __name__ == "__main__":
    target = Path(sys.argv[1])
    shot = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    count, broken = check_page(target, shot)
    print(f"{target}: {count} images, {len(broken)} broken" + (f": {broken}" if broken else ""))
    sys.exit(1 if broken or count == 0 else 0)
