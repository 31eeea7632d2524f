"""`write_html`: the run folder's `report.html`, one self-contained page.

The same run as `report.md`, for a browser: the verdict first, then the
findings with their fixes, the test metrics and baselines, every figure
(embedded as base64 PNG, so the file can be mailed or moved alone) and the
random search's trial table. No script, no external file, no network.

Example:

>>> from recipes.run.report_html import write_html  # called by recipes.babysit
"""

from __future__ import annotations

import os
import time

from callbacks.display import (
    PAGE_STYLE,
    block,
    escape,
    figure,
    findings_table,
    num,
    png,
    table,
    verdict,
)
from recipes.run.report import CAPTIONS, STAGE_NAMES, ordered_findings
from recipes.search._display import trials_table


def _findings(stages):
    if not stages:
        return "<p>No check found anything to report.</p>"
    ordered = ordered_findings(stages)
    names = [STAGE_NAMES.get(stage, stage or "") for stage, _ in ordered]
    return findings_table([f for _, f in ordered], names) + (
        '<p class="muted">Epochs are counted from 1, as on Keras\' progress bar '
        "and in the figures.</p>"
    )


def _metrics(metrics, baselines):
    if not metrics:
        return "<p>No test split was held out.</p>"
    n = metrics["num_examples"]
    if "accuracy" in metrics:
        keys = ["accuracy", "macro_f1"]
        parts = [
            f"<p>Accuracy <b>{metrics['accuracy']:.4f}</b>, macro F1 "
            f"{metrics['macro_f1']:.4f}, data loss {num(metrics['loss'])} on "
            f"{n} examples.</p>",
            table(
                ("class", "precision", "recall", "F1", "support"),
                [
                    (
                        escape(r["class"]),
                        f"{r['precision']:.3f}",
                        f"{r['recall']:.3f}",
                        f"{r['f1']:.3f}",
                        r["support"],
                    )
                    for r in metrics["per_class"]
                ],
                numeric=(1, 2, 3, 4),
            ),
        ]
    else:
        keys = ["r2", "rmse", "mae"]
        parts = [
            f"<p>RMSE <b>{metrics['rmse']:.4g}</b>, MAE {metrics['mae']:.4g}, "
            f"R² {metrics['r2']:.3f} on {n} examples.</p>"
        ]
    if baselines:
        rows = [("<b>the network</b>", *(f"{metrics[k]:.4g}" for k in keys))]
        for which in ("trivial", "linear"):
            row = baselines[which]
            rows.append((escape(row["name"]), *(f"{row[k]:.4g}" for k in keys)))
        parts += [
            "<h3>Baselines (the same split)</h3>",
            table(("model", *keys), rows, numeric=tuple(range(1, len(keys) + 1))),
        ]
    return "\n".join(parts)


def figures_html(figures):
    """`{key: PNG path}` as embedded figures with their captions."""
    parts = []
    for key, path in figures.items():
        with open(path, "rb") as f:
            data = f.read()
        caption = f"<b>{escape(os.path.basename(path))}</b>: "
        parts.append(figure(data, key, caption + escape(CAPTIONS.get(key, ""))))
    return "\n".join(parts) or "<p>No figures.</p>"


def write_html(run_dir, result, state, title=None):
    """Writes `report.html` in `run_dir`, figures embedded; returns its path.

    Args:
        run_dir: The (temporary) run folder, holding the figures already.
        result: The `BabysitResult`.
        state: The internal state of the run (stages, figures).
        title: Title of the page. Defaults to `None` ("Training report").

    Returns:
        The path of `report.html`.
    """
    title = title or "Training report"
    sections = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">Written by keras-recipes on '
        f"{time.strftime('%Y-%m-%d %H:%M')}; the run took {result.seconds:.0f} s. "
        f"{escape(result._size_line())}</p>",
        verdict(result.diagnosis),
        "<h2>Findings</h2>",
        _findings(state.stages),
        "<h2>Test metrics (the held-out split, evaluated once)</h2>",
        _metrics(result.metrics, result.baselines),
        "<h2>Figures</h2>",
        figures_html(state.figures),
    ]
    if result.search is not None:
        sections += ["<h2>Random search: every trial</h2>", trials_table(result.search)]
    return write_page(run_dir, title, sections)


def write_page(run_dir, title, sections):
    """Writes `sections` (HTML strings) as `report.html`, a self-contained
    page, in `run_dir`; returns its path."""
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{PAGE_STYLE}</style></head><body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )
    path = os.path.join(run_dir, "report.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def result_html(result):
    """`BabysitResult._repr_html_`: the report's verdict, findings and test
    metrics, the training curves inline, and where `report.html` is."""
    epochs = len(result.history.get("loss", []))
    rate = ""
    if result.learning_rate is not None:
        rate = f" at learning rate {result.learning_rate:.3g}{result._lr_cuts()}"
    parts = [
        f'<p class="muted">babysit: {epochs} epoch(s){escape(rate)} in '
        f"{result.seconds:.0f} s. {escape(result._size_line())}</p>",
        verdict(result.diagnosis),
        "<h3>Findings</h3>",
        _findings(result._stage_pairs()),
        "<h3>Test metrics (the held-out split, evaluated once)</h3>",
        _metrics(result.metrics, result.baselines),
    ]
    if epochs:
        curves = png(result.plot())
        parts.append(figure(curves, "curves", escape(CAPTIONS["curves"])))
    page = os.path.join(result.run_dir, "report.html")
    if result.run_dir and os.path.isfile(page):
        parts.append(
            f'<p class="muted">Every figure, in the run folder\'s report: '
            f"<code>{escape(page)}</code>.</p>"
        )
    return block(*parts)
