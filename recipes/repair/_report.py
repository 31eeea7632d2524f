"""The repair's report folder (private): `report.md`, `report.html`, the
before/after curves and the repaired `model.keras`.

Composed from `recipes.run`'s report pieces (the diagnosis section, the
page style and tables, `plot_curves`), so a repair's report reads like a
babysat run's.
"""

from __future__ import annotations

import os
import time

from callbacks.display import escape as _e
from callbacks.display import table as _table
from recipes.models.saving import save_model
from recipes.run._report_sections import _cell, _fmt
from recipes.run.plots import plot_curves
from recipes.run.report import _diagnosis_section
from recipes.run.report_html import figures_html, write_page

_COLUMNS = ("run", "change", "metric", "verdict", "epochs_run", "seconds", "accepted")


def write_report(run_dir, result):
    """Writes the report files into `run_dir`; returns their paths."""
    figures = {
        "curves_before": os.path.join(run_dir, "curves_before.png"),
        "curves_after": os.path.join(run_dir, "curves_after.png"),
    }
    plot_curves(result.history_before, path=figures["curves_before"])
    plot_curves(result.history_after, path=figures["curves_after"])
    model_path = os.path.join(run_dir, "model.keras")
    save_model(result.model, model_path)
    return [
        _markdown(run_dir, result),
        _html(run_dir, result, figures),
        model_path,
        *figures.values(),
    ]


def _rows(result):
    for a in result.attempts:
        yield (
            a.run,
            a.change,
            _fmt(a.metric),
            a.verdict if a.stopped_by is None else f"abandoned ({a.stopped_by})",
            a.epochs_run,
            f"{a.seconds:.1f}",
            "yes" if a.accepted else "no",
        )


def _markdown(run_dir, result):
    lines = [
        "# Repair report",
        "",
        f"Written by keras-recipes on {time.strftime('%Y-%m-%d %H:%M')}; seed "
        f"{result.seed}.",
        "",
        f"**{result.headline()}**",
        "",
        "## Changes, as code",
        "",
    ]
    if not result.changes:
        lines += ["No change was made.", ""]
    for i, change in enumerate(result.changes, start=1):
        lines += [f"{i}. {change.description}", "", "```python", change.code, "```", ""]
    lines += [f"> {note}" for note in result.notes] + ([""] if result.notes else [])
    lines += ["## Before"] + _diagnosis_section(result.diagnosis_before)[1:]
    lines += ["## After"] + _diagnosis_section(result.diagnosis_after)[1:]
    lines += [
        "## Every run",
        "",
        f"Metric: `{result.metric}` on the validation data. A change is accepted "
        "when it beats the program it was tried on by more than twice the "
        "measured noise.",
        "",
        "| " + " | ".join(_COLUMNS) + " |",
        "|" + "---|" * len(_COLUMNS),
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in _rows(result)]
    lines += [
        "",
        "![before](curves_before.png)",
        "",
        "![after](curves_after.png)",
        "",
    ]
    path = os.path.join(run_dir, "report.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return path


def _html(run_dir, result, figures):
    changes = "".join(
        f"<li>{_e(c.description)}<pre><code>{_e(c.code)}</code></pre></li>"
        for c in result.changes
    )
    sections = [
        "<h1>Repair report</h1>",
        f"<p><b>{_e(result.headline())}</b></p>",
        f"<h2>Changes, as code</h2><ol>{changes}</ol>"
        if changes
        else "<p>No change was made.</p>",
        *(f'<p class="muted">{_e(n)}</p>' for n in result.notes),
        "<h2>Every run</h2>",
        _table(_COLUMNS, [tuple(_e(c) for c in row) for row in _rows(result)]),
        "<h2>Before</h2>",
        figures_html({"curves": figures["curves_before"]}),
        "<h2>After</h2>",
        figures_html({"curves": figures["curves_after"]}),
    ]
    return write_page(run_dir, "Repair report", sections)
