"""`tagguard log --html`: one self-contained page, rendered by a real headless Chromium."""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
import shutil
import struct
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from testing.ml import CHROMIUM, require
from testing.tools import commit, git, isolated, run, tag, tagguard

from tagguard.ml.weights import hash_weights, weights_trailer

HOSTILE = '"></title></circle></svg><script>document.title="pwned"</script><img src=x onerror=alert(1)>'
WIDTHS = (800, 1400)
V28_BLUE, V29_RED, BEST_GOLD = (0x1F, 0x77, 0xB4), (0xD6, 0x27, 0x28), (0xE0, 0xA0, 0x00)
# A page of the test's own (not the report) loads the report in a frame per width and asks the
# browser's layout what a person would see: which points are painted where they would hover,
# whether the page is wider than the window, and the charts' ticks, lines and marks.
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="800" src="report.html" style="width:800px;height:5000px;border:0"></iframe>
<iframe id="1400" src="report.html" style="width:1400px;height:5000px;border:0"></iframe>
<pre id="out">pending</pre><script>
const texts = (root, selector) => [...root.querySelectorAll(selector)].map(e => e.firstChild.textContent);
const data = (root, selector, key) => [...root.querySelectorAll(selector)].map(e => e.dataset[key]);
window.onload = () => {
  const found = {};
  for (const frame of document.querySelectorAll("iframe")) {
    const doc = frame.contentDocument;
    const points = [...doc.querySelectorAll("circle.point")];
    const painted = points.filter(c => {
      const r = c.getBoundingClientRect();
      return r.width > 0 && doc.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === c;
    });
    found[frame.id] = {
      overflow: doc.documentElement.scrollWidth - doc.documentElement.clientWidth,
      tableOverflow: [...doc.querySelectorAll(".table-wrap")].map(w => w.scrollWidth - w.clientWidth),
      points: points.length, painted: painted.length,
      scripts: doc.querySelectorAll("script").length, images: doc.querySelectorAll("img").length,
      title: doc.title, tips: points.map(c => c.querySelector("title").textContent),
      legend: [...doc.querySelectorAll(".legend li")].map(li => li.textContent),
      charts: [...doc.querySelectorAll("svg.chart")].map(svg => ({
        metric: svg.dataset.metric, top: Math.round(svg.getBoundingClientRect().top),
        width: Math.round(svg.getBoundingClientRect().width),
        points: svg.querySelectorAll("circle.point").length,
        y: texts(svg, "text.tick.y"), x: texts(svg, "text.tick.x"),
        lines: [...svg.querySelectorAll("polyline.series")].map(p => [p.dataset.line, p.points.numberOfItems]),
        best: data(svg, "circle.mark-best", "tag"), protected: data(svg, "line.mark-protected", "tag")}))};
  }
  document.getElementById("out").textContent = JSON.stringify(found);
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
    """25 tags, v2.8 then v2.9: acc on all but two, loss on every other one, a protected tag
    with a hostile message. One page for the module's tests, which only read it."""
    base = tmp_path_factory.mktemp("report")
    repo = Path(shutil.copytree(templates / "repo", base / "repo", symlinks=True))
    with isolated(base / "home"):
        return make_report(repo, base / "site" / "report.html")


ACC_GAPS = (5, 12)
WEIGHTS = "ckpt/<i>model.pth"  # the path as the tag records it, untrusted like all of it
WEIGHTS_BYTES = b"\x80weights" * 1000
WEIGHTS_SHA = hashlib.sha256(WEIGHTS_BYTES).hexdigest()


def make_report(repo: Path, out: Path, *options: str) -> Path:
    for n in range(25):
        commit(repo, f"step {n}", f"2025-01-{n + 1:02d}T08:00:00Z")
        acc = "" if n in ACC_GAPS else f"acc={0.6 + n * 0.01:.2f}"
        loss = f"\nloss={2.0 - n * 0.05:.2f}" if n % 2 == 0 else ""
        tag(repo, f"v{'2.8' if n < 18 else '2.9'}-ft-run{n}", f"run {n}\n\n{acc}{loss}", f"2025-01-{n + 1:02d}T09:00:00Z")
    (repo / "ckpt").mkdir(exist_ok=True)
    (repo / WEIGHTS).write_bytes(WEIGHTS_BYTES)
    trailer = weights_trailer(hash_weights(str(repo / WEIGHTS))._replace(path=WEIGHTS))
    tag(repo, "v2.8-prod-ready", f"{HOSTILE}\nacc=0.95\n\n{trailer}", "2025-02-01T00:00:00Z")
    long_name = {"GIT_COMMITTER_NAME": "Unbroken" * 20, "GIT_COMMITTER_DATE": "2025-02-02T00:00:00Z"}
    git("tag", "-a", "v2.8-eval-nometrics", "-m", "no numbers here", cwd=repo, env=long_name)  # the table must wrap it
    out.parent.mkdir(exist_ok=True)
    result = tagguard("log", "--html", str(out), *options, cwd=repo)
    assert (result.returncode, result.stdout) == (0, f"wrote {out}: 27 tags, 2 metrics\n")
    return out


def test_the_page_is_self_contained_and_escapes_tag_messages(report: Path) -> None:
    page = report.read_text()
    elements = start_tags(page)
    assert {name for name, _ in elements} <= {
        "html", "head", "meta", "title", "style", "body", "h1", "p", "ul", "li", "span", "div", "figure",
        "figcaption", "b", "svg", "line", "text", "polyline", "circle", "table", "thead", "tbody", "tr", "th", "td",
        "code"}
    assert not [a for _, attrs in elements for a in attrs if a in ("src", "href") or a.startswith("on")]
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in page
    assert page.count('<circle class="point"') == 24 + 13


def probe(report: Path, tmp_path: Path) -> dict[str, Any]:
    """What Chromium lays out at each of WIDTHS (see PROBE)."""
    require(CHROMIUM, "chromium (apt-get install chromium)")
    probe_page = report.parent / "probe.html"
    probe_page.write_text(PROBE)
    dom = chromium(tmp_path, "--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom",
                   probe_page.as_uri())
    return json.loads(html.unescape(re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)[1]))


@pytest.fixture(scope="module")
def laid_out(report: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return probe(report, tmp_path_factory.mktemp("probe"))


@pytest.mark.parametrize("width", WIDTHS)
def test_chromium_paints_every_point_with_its_message_and_fits_the_window(
        laid_out: dict[str, Any], width: int) -> None:
    page = laid_out[str(width)]
    assert page["overflow"] <= 0 and page["tableOverflow"] == [0]  # no sideways scrolling, not even the table's
    assert [(c["metric"], c["points"]) for c in page["charts"]] == [("acc", 24), ("loss", 13)]
    assert page["points"] == page["painted"] == 37
    assert (page["scripts"], page["images"], page["title"]) == (0, 0, "Tag history")
    prod = [tip for tip in page["tips"] if tip.startswith("v2.8-prod-ready\n")]
    assert len(prod) == 1
    head, message = prod[0].split("\n\n", 1)
    assert message.startswith(f"{HOSTILE}\nacc=0.95\n\nCheckpoint: sha256:")
    name, value, when, weights = head.split("\n")
    assert (name, value, weights) == ("v2.8-prod-ready", "acc = 0.95", f"weights: {WEIGHTS} (sha256 {WEIGHTS_SHA[:12]}, 8,000 bytes)")
    assert re.fullmatch(r"2025-02-01 00:00, commit [0-9a-f]{12}", when)
    assert page["legend"] == ["v2.8", "v2.9", "best value", "protected tag"]


def test_charts_share_a_row_when_the_window_is_wide(laid_out: dict[str, Any]) -> None:
    narrow, wide = ([c["top"] for c in laid_out[str(w)]["charts"]] for w in WIDTHS)
    assert narrow[0] < narrow[1] and wide[0] == wide[1]
    assert all(c["width"] >= 500 for w in WIDTHS for c in laid_out[str(w)]["charts"])


def test_value_ticks_are_nice_numbers_that_hug_the_data(laid_out: dict[str, Any]) -> None:
    values = {"acc": [round(0.6 + n * 0.01, 2) for n in range(25) if n not in ACC_GAPS] + [0.95],
              "loss": [round(2.0 - n * 0.05, 2) for n in range(0, 25, 2)]}
    for chart in laid_out["800"]["charts"]:
        ticks = [float(label) for label in chart["y"]]
        step = ticks[1] - ticks[0]
        assert all(abs(b - a - step) < 1e-9 for a, b in zip(ticks, ticks[1:]))
        assert round(step / 10 ** math.floor(math.log10(step)), 6) in (1, 2, 5)
        data = values[chart["metric"]]
        assert ticks[0] <= min(data) < ticks[1] and ticks[-2] < max(data) <= ticks[-1]
        decimals = {len(label.partition(".")[2]) for label in chart["y"]}
        assert decimals == {max(0, -math.floor(math.log10(step) + 1e-9))}


def test_one_line_per_version_line_broken_where_a_tag_has_no_value(laid_out: dict[str, Any]) -> None:
    acc, loss = laid_out["1400"]["charts"]
    # v2.8: runs 0-4, 6-11, then 13-17 with the prod-ready tag (the v2.9 tags between are another line)
    assert acc["lines"] == [["v2.8", 5], ["v2.8", 6], ["v2.8", 6], ["v2.9", 7]]
    assert loss["lines"] == []  # every other tag has no loss: no two neighbours to join


def test_the_best_and_the_protected_tags_are_marked(laid_out: dict[str, Any], report: Path) -> None:
    acc, loss = laid_out["800"]["charts"]
    assert (acc["best"], loss["best"]) == (["v2.8-prod-ready"], ["v2.9-ft-run24"])  # loss: --minimize loss
    assert acc["protected"] == loss["protected"] == ["v2.8-prod-ready"]
    assert acc["x"][-2:] == ["v2.8-prod-ready", "v2.8-eval-nomet\u2026"]
    page = report.read_text()
    assert '<td class="num best" title="best acc">0.95</td>' in page
    assert '<td class="num best" title="best loss">0.8</td>' in page
    assert page.count('<span class="badge">protected</span>') == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_chromium_screenshot_shows_both_version_lines_and_the_best_mark(
        report: Path, tmp_path: Path, width: int) -> None:
    require(CHROMIUM, "chromium (apt-get install chromium)")
    shot = tmp_path / f"report-{width}.png"
    chromium(tmp_path, f"--window-size={width},1600", "--hide-scrollbars", f"--screenshot={shot}", report.as_uri())
    png_width, height, pixels = read_png(shot.read_bytes())
    assert (png_width, height) == (width, 1600)
    assert pixels.count(V28_BLUE) > 17 * 40  # 17 dots of about 78 pixels, and the lines
    assert pixels.count(V29_RED) > 7 * 40
    assert pixels.count(BEST_GOLD) > 2 * 60  # a ring in each chart


def test_dates_as_the_x_axis(repo: Path, tmp_path: Path) -> None:
    page = make_report(repo, tmp_path / "dates.html", "--x", "date").read_text()
    acc = page.split('data-metric="acc"', 1)[1].split("</svg>", 1)[0]
    labels = re.findall(r'<text class="tick x"[^>]*>([^<]*)</text>', acc)
    assert labels == sorted(labels) and len(labels) >= 3
    first, last = (datetime.fromisoformat(d).replace(tzinfo=timezone.utc) for d in (labels[0], labels[-1]))
    assert first <= datetime(2025, 1, 1, 9, tzinfo=timezone.utc) and last >= datetime(2025, 2, 1, tzinfo=timezone.utc)
    cx = {t: float(x) for t, x in re.findall(r'<circle class="point" data-tag="([^"]+)"[^>]* cx="([^"]+)"', acc)}
    day = cx["v2.8-ft-run1"] - cx["v2.8-ft-run0"]
    assert day > 0 and cx["v2.9-ft-run24"] - cx["v2.9-ft-run23"] == pytest.approx(day, abs=0.2)
    assert cx["v2.8-prod-ready"] - cx["v2.9-ft-run24"] == pytest.approx(day * (6 + 15 / 24), abs=1)  # cx has one decimal


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
    assert "v2.8-base</td>" in page


def test_which_way_is_better_comes_from_the_policy_and_is_never_guessed(tmp_path: Path, repo: Path) -> None:
    """The page's best ring follows the policy's [metrics] table, else the metric's name; a
    metric nothing tells of gets no ring, and its caption says how to declare it."""
    for n, (acc, widgets) in enumerate([(0.9, 3), (0.7, 9), (0.8, 5)]):
        commit(repo, f"step {n}", f"2025-01-0{n + 1}T08:00:00Z")
        tag(repo, f"v2.8-ft-r{n}", f"run {n}\n\nacc={acc}, widgets={widgets}", f"2025-01-0{n + 1}T09:00:00Z")
    page = tmp_path / "page.html"

    def captions(*options: str) -> list[str]:
        assert tagguard("log", "--html", str(page), *options, cwd=repo).returncode == 0
        text = page.read_text()
        return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r'<span class="how">(.*?)</span>', text)]

    assert captions() == ["higher is better; best: v2.8-ft-r0 (0.9)",
                          "no best marked: declare which way is better in the policy ([metrics] widgets = "
                          "&quot;max&quot; or &quot;min&quot;)"]
    assert page.read_text().count('class="mark-best"') == 1
    (repo / ".tagguard.toml").write_text('[metrics]\nacc = "min"\nwidgets = "max"\n')
    assert captions() == ["lower is better; best: v2.8-ft-r1 (0.7)", "higher is better; best: v2.8-ft-r1 (9)"]
    assert captions("--sort", "widgets", "--minimize") == ["lower is better; best: v2.8-ft-r1 (0.7)",
                                                          "lower is better; best: v2.8-ft-r0 (3)"]
