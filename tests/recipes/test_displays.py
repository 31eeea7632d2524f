"""The results show themselves in a notebook (`_repr_html_`): the verdict
first, then the table, figures inline as PNG, text escaped; and `table()`
gives their findings as a DataFrame."""

import base64
import re

import numpy as np
import pytest

import recipes
from callbacks import Finding
from callbacks.display import FINDING_COLUMNS
from recipes.checks.lr_finder import LRFinderResult
from recipes.checks.preflight import PreflightReport
from recipes.run.result import BabysitResult

COLUMNS = list(FINDING_COLUMNS)  # pinned in tests/callbacks/test_display.py
NASTY = "Labels < 0 & > 9 in <b>y</b>."


def _images(page):
    """The decoded PNG of every <img>; each must be an inline PNG."""
    sources = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    return [base64.b64decode(s.split(",", 1)[1]) for s in sources]


def _order(page, *needles):
    at = [page.index(n) for n in needles]
    assert at == sorted(at), list(zip(needles, at))


def test_preflight_report_html_and_table():
    report = PreflightReport(
        findings=[
            Finding(
                "label_range", "error", value=-1.0, message=NASTY, suggestion="Fix y."
            ),
            Finding("class_imbalance", "info", value=0.1, message="Mild."),
        ],
        checks={"data_nan": "ok", "label_range": "found", "class_imbalance": "found"},
        seconds=0.5,
    )
    page = report._repr_html_()
    _order(page, "FAILED", "Diagnosis: label_range", "<table>", "data_nan")
    assert "&lt;b&gt;y&lt;/b&gt;" in page and "<b>y</b>" not in page
    assert "Labels &lt; 0 &amp; &gt; 9" in page
    assert page.count("<tr>") == 4  # a header, `data_nan` ok, two findings
    assert _images(page) == []  # the checks draw no figure
    frame = report.table()
    assert list(frame.columns) == COLUMNS
    assert frame["check"].tolist() == ["label_range", "class_imbalance"]
    assert frame["message"][0] == NASTY  # the data, not HTML


def test_lr_finder_result_html_shows_the_rate_then_the_rules_then_the_curve():
    lrs = np.geomspace(1e-5, 1.0, 40)
    losses = 2.0 - np.tanh(np.log10(lrs) + 3) + np.where(lrs > 0.3, 5.0, 0.0)
    result = LRFinderResult(
        learning_rates=lrs,
        losses=losses,
        smoothed_losses=losses,
        suggested_learning_rate=1e-3,
        suggestions={"steepest": 1e-3, "minimum": 0.02},
        rule="steepest",
        stop_reason="diverged",
        findings=[Finding("lr_range_test", "warning", message=NASTY)],
    )
    page = result._repr_html_()
    _order(page, "Learning rate: 0.001", "Diagnosis: lr_range_test", "<table>", "<img")
    assert "<b>y</b>" not in page
    (png,) = _images(page)
    assert png[:4] == b"\x89PNG"


def test_babysit_result_html_and_table():
    found = [
        Finding("unnormalized_input", "info", message="Scaled 1e3."),
        Finding("diverging_loss", "error", epoch=1, value=9.0, message=NASTY),
    ]
    result = BabysitResult(
        model=None,
        history={"loss": [1.0, 0.8, 3.0], "val_loss": [1.1, 0.9, 3.5]},
        findings=found,
        metrics={},
        learning_rate=0.5,
        stages=[("preflight", found[0]), ("training", found[1])],
    )
    page = result._repr_html_()
    _order(page, "Diagnosis: diverging_loss", "<h3>Findings", "<table>", "<img")
    assert "&lt;b&gt;y&lt;/b&gt;" in page and "<b>y</b>" not in page
    assert "pre-flight" in page  # each finding's stage, named as in the report
    (png,) = _images(page)
    assert png[:4] == b"\x89PNG"
    frame = result.table()
    assert list(frame.columns) == ["stage", *COLUMNS]
    assert frame["stage"].tolist() == ["preflight", "training"]
    assert frame["epoch"].tolist()[1] == 2  # from 1, as findings.json
    # a result made by hand without stages still has its table
    alone = BabysitResult(model=None, history={}, findings=found, metrics={})
    assert alone.table()["stage"].isna().all()
    assert "<img" not in alone._repr_html_()  # no epoch, no curves


@pytest.fixture(scope="module")
def search(tmp_path_factory):
    data = recipes.datasets.load("iris")
    return recipes.tune(
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        stages=[{"trials": 2, "epochs": 1}],
        directory=str(tmp_path_factory.mktemp("tune")),
        overwrite=True,
        seed=0,
        verbose=0,
    )


def test_tune_result_html_shows_the_best_trial_then_every_trial_then_the_plot(
    search,
):
    page = search._repr_html_()
    best = search.best_trial
    trials = '<div class="wide"><table>'
    _order(page, "Best trial", "Every trial, best first", trials, "<img")
    assert f"trial {best['trial_id']}" in page
    rows = page.split("Every trial, best first", 1)[1]
    assert rows.count("<tr>") == 1 + len(search.sorted_rows())
    (png,) = _images(page)
    assert png[:4] == b"\x89PNG"


def test_a_preflight_report_that_passed_shows_only_checks_and_statuses():
    report = PreflightReport(findings=[], checks={"data_nan": "ok"}, seconds=0.1)
    page = report._repr_html_()
    assert 'class="verdict ok"' in page
    assert "<th>check</th><th>status</th></tr>" in page  # no empty columns
    assert report.table().empty
