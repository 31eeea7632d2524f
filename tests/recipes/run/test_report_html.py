"""report.html: one self-contained page, verdict first, checked in Chromium."""

import base64
import html.parser
import os
import shutil
import subprocess

import numpy as np
import pytest

import recipes


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.headings, self.tags = [], [], [], []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag in ("link", "script") or (tag == "a" and "href" in attrs):
            self.links.append(tag)
        self._in_h2 = tag == "h2"

    def handle_data(self, data):
        if self._in_h2:
            self.headings.append(data.strip())
            self._in_h2 = False


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(160, 5)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64")
    out = tmp_path_factory.mktemp("html") / "run"
    result = recipes.babysit(
        x,
        y,
        class_names=["no", "yes"],
        epochs=3,
        learning_rate=0.01,
        preflight=False,
        output_dir=str(out),
        seed=0,
        verbose=0,
    )
    return result, out


def test_report_html_is_self_contained_and_verdict_first(run):
    result, out = run
    text = (out / "report.html").read_text()
    page = _Page()
    page.feed(text)
    assert page.links == []  # no script, stylesheet or link to fetch
    pngs = sorted(n for n in os.listdir(out) if n.endswith(".png"))
    assert "roc_pr.png" in pngs  # a binary task
    assert len(page.images) == len(pngs)
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:4] == b"\x89PNG"
    order = [text.index(s) for s in ("Diagnosis", "<h2>Findings", "<h2>Test metrics")]
    assert order == sorted(order)
    assert page.headings[:3] == [
        "Findings",
        "Test metrics (the held-out split, evaluated once)",
        "Figures",
    ]
    assert "Fix:" in text or "nothing to fix" in text
    assert f"{result.metrics['accuracy']:.4f}" in text
    # the page still works moved away from its folder (nothing else it needs)
    alone = out.parent / "alone.html"
    shutil.copy(out / "report.html", alone)
    assert alone.read_text() == text


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed")
def test_report_html_renders_in_headless_chromium(run, tmp_path):
    from matplotlib.image import imread

    _, out = run
    shot = tmp_path / "report.png"
    proc = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,2400",
            f"--screenshot={shot}",
            (out / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    pixels = imread(str(shot))[..., :3]
    assert pixels.shape[:2] == (2400, 1200)
    # the embedded figures drew: saturated pixels (the curves' blue and orange,
    # the confusion matrix) cover a visible share of the page, not white only
    saturation = pixels.max(axis=2) - pixels.min(axis=2)
    assert (saturation > 0.3).mean() > 0.005, (saturation > 0.3).mean()


def test_a_real_run_shows_itself_like_its_report(run):
    result, out = run
    assert [f for _, f in result.stages] == result.findings  # from the run's state
    page = result._repr_html_()
    assert page.index("Diagnosis") < page.index("<table>") < page.index("<img")
    assert str(out / "report.html") in page
    frame = result.table()
    assert len(frame) == len(result.findings)
    assert set(frame["stage"]) <= {"data", "training", "baseline"}
