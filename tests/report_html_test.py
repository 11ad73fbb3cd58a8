"""`tagguard log --html`: one self-contained page, rendered by a real headless Chromium."""

from __future__ import annotations

import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from testing.ml import CHROMIUM, require
from testing.tools import commit, isolated, run, tag, tagguard

HOSTILE = '"></title></circle></svg><script>document.title="pwned"</script><img src=x onerror=alert(1)>'
# A page of the test's own (not the report) loads the report in a frame and asks the
# browser's layout which points are really painted where a person would hover them.
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:1000px;height:4000px;border:0"></iframe>
<pre id="out">pending</pre><script>
document.getElementById("f").onload = () => {
  const doc = document.getElementById("f").contentDocument;
  const points = [...doc.querySelectorAll("circle.point")];
  const painted = points.filter(c => {
    const r = c.getBoundingClientRect();
    return r.width > 0 && doc.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === c;
  });
  const perChart = [...doc.querySelectorAll("svg.chart")].map(
    s => s.dataset.metric + "=" + s.querySelectorAll("circle.point").length);
  document.getElementById("out").textContent = JSON.stringify({
    points: points.length, painted: painted.length, charts: perChart,
    scripts: doc.querySelectorAll("script").length, images: doc.querySelectorAll("img").length,
    title: doc.title, tips: points.map(c => c.querySelector("title").textContent)});
};
</script></body></html>
"""


def chromium(tmp_path: Path, *args: str) -> str:
    result = run(
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}", *args,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, templates: Path) -> Path:
    """25 tags: acc on all of them, loss on every other one, one hostile message. One page for
    the module's tests, which only read it."""
    base = tmp_path_factory.mktemp("report")
    repo = Path(shutil.copytree(templates / "repo", base / "repo", symlinks=True))
    with isolated(base / "home"):
        return make_report(repo, base / "site" / "report.html")


def make_report(repo: Path, out: Path) -> Path:
    for n in range(25):
        commit(repo, f"step {n}", f"2025-01-{n + 1:02d}T08:00:00Z")
        loss = f"\nloss: {2.0 - n * 0.05:.2f}" if n % 2 == 0 else ""
        message = f"run {n}\n\nacc={0.6 + n * 0.01:.2f}{loss}"
        tag(repo, f"v2.8-ft-run{n}", message, f"2025-01-{n + 1:02d}T09:00:00Z")
    tag(repo, "v2.8-prod-ready", f"{HOSTILE}\nacc=0.95", "2025-02-01T00:00:00Z")
    tag(repo, "v2.8-eval-nometrics", "no numbers here", "2025-02-02T00:00:00Z")
    out.parent.mkdir()
    result = tagguard("log", "--html", str(out), cwd=repo)
    assert (result.returncode, result.stdout) == (0, f"wrote {out}: 27 tags, 2 metrics\n")
    return out


def test_the_page_is_self_contained_and_escapes_tag_messages(report: Path) -> None:
    page = report.read_text()
    elements = start_tags(page)
    assert {name for name, _ in elements} <= {
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "svg", "line", "text",
        "polyline", "circle", "table", "thead", "tbody", "tr", "th", "td"}
    assert not [a for _, attrs in elements for a in attrs if a in ("src", "href") or a.startswith("on")]
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in page
    assert page.count('<circle class="point"') == 26 + 13


def test_chromium_renders_every_point_with_its_message(report: Path, tmp_path: Path) -> None:
    require(CHROMIUM, "chromium (apt-get install chromium)")
    import json

    probe = report.parent / "probe.html"
    probe.write_text(PROBE)
    dom = chromium(tmp_path, "--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom",
                   probe.as_uri())
    found = json.loads(re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)[1].replace("&amp;", "&")
                       .replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"'))
    assert found["charts"] == ["acc=26", "loss=13"]
    assert found["points"] == found["painted"] == 39
    assert (found["scripts"], found["images"], found["title"]) == (0, 0, "Tag history")
    prod = [tip for tip in found["tips"] if tip.startswith("v2.8-prod-ready\n")]
    assert prod == [f"v2.8-prod-ready\nacc = 0.95\n\n{HOSTILE}\nacc=0.95"]


def test_chromium_screenshot_shows_the_chart(report: Path, tmp_path: Path) -> None:
    require(CHROMIUM, "chromium (apt-get install chromium)")
    shot = tmp_path / "report.png"
    chromium(tmp_path, "--window-size=1000,1400", f"--screenshot={shot}", report.as_uri())
    width, height, pixels = read_png(shot.read_bytes())
    assert (width, height) == (1000, 1400)
    acc_blue, loss_red = (0x1F, 0x77, 0xB4), (0xD6, 0x27, 0x28)
    assert pixels.count(acc_blue) > 26 * 40  # 26 dots of about 78 pixels, and the line
    assert pixels.count(loss_red) > 13 * 40


def start_tags(page: str) -> list[tuple[str, list[str]]]:
    """Every element as an HTML parser sees it: (tag, attribute names)."""
    from html.parser import HTMLParser

    found: list[tuple[str, list[str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, [name for name, _ in attrs]))

    Collector().feed(page)
    return found


def read_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Decode an 8-bit RGB or RGBA PNG (what Chromium writes) into RGB pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6)
    size = 3 if color == 2 else 4
    raw, stride = zlib.decompress(chunks), width * size
    previous, pixels = bytearray(stride), []
    for row in range(height):
        kind, line = raw[row * (stride + 1)], bytearray(raw[row * (stride + 1) + 1 : (row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, corner = previous[i], previous[i - size] if i >= size else 0
            line[i] = (line[i] + _predict(kind, left, up, corner)) & 0xFF
        pixels += [tuple(line[i : i + 3]) for i in range(0, stride, size)]
        previous = line
    return width, height, pixels  # type: ignore[return-value]


def _predict(kind: int, left: int, up: int, corner: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    p = left + up - corner  # Paeth: the nearest of the three, ties in this order
    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
    return left if pa <= pb and pa <= pc else up if pb <= pc else corner


def test_a_history_without_metrics_still_makes_a_page(repo: Path, tmp_path: Path) -> None:
    tag(repo, "v2.8-base", "converged, numbers to follow")
    out = tmp_path / "empty.html"
    result = tagguard("log", "--html", str(out), cwd=repo)
    assert (result.returncode, result.stdout) == (0, f"wrote {out}: 1 tag, 0 metrics\n")
    page = out.read_text()
    assert "No metrics found in the tag messages" in page and "<circle" not in page
    assert "<td>v2.8-base</td>" in page
