"""`write_report`: the run folder's `report.md`, written last.

Example:

>>> from recipes.run.report import write_report  # called by recipes.babysit
"""

from __future__ import annotations

import os
import time

from recipes.run._report_sections import (
    _baselines_section,
    _cell,
    _fmt,
    _metrics_section,
    _recipe_section,
)

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_STAGE_NAMES = {
    "data": "data",
    "search": "random search",
    "preflight": "pre-flight",
    "lr_range_test": "learning-rate range test",
    "training": "training",
    "baseline": "baselines",
}


def _findings_section(stages):
    lines = ["## Findings", ""]
    if not stages:
        return lines + ["No check found anything to report.", ""]
    counts = {s: sum(f.severity == s for _, f in stages) for s in _SEVERITY_ORDER}
    lines += [
        f"{counts['error']} error(s), {counts['warning']} warning(s), "
        f"{counts['info']} info. Errors first; each with the fix the check suggests.",
        "",
        "| severity | stage | check | epoch | layer | value | threshold | what | fix |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    ordered = sorted(
        stages,
        key=lambda sf: (
            _SEVERITY_ORDER[sf[1].severity],
            list(_STAGE_NAMES).index(sf[0]) if sf[0] in _STAGE_NAMES else 9,
        ),
    )
    for stage, f in ordered:
        epoch = "" if f.epoch is None else f.epoch + 1
        lines.append(
            f"| **{f.severity}** | {_STAGE_NAMES.get(stage, stage)} | `{f.check}` | "
            f"{epoch} | {_cell(f.layer or '')} | {_fmt(f.value)} | "
            f"{_fmt(f.threshold)} | {_cell(f.message)} | {_cell(f.suggestion)} |"
        )
    return lines + [
        "",
        "Epochs are counted from 1 everywhere (the terminal, the figures, "
        "`history.csv`, `findings.json`, TensorBoard), as on Keras' progress bar.",
        "",
    ]


_CAPTIONS = {
    "curves": "Data loss (the L2 penalty apart) and accuracy, train vs validation. "
    "The green line is the best validation epoch, whose weights the model keeps; "
    "dotted lines are learning-rate cuts (ReduceLROnPlateau); dashed lines mark "
    "the epochs of warnings (orange) and errors (red), named in the legend. A "
    "widening gap means overfitting; no gap, room for more capacity.",
    "lr_range_test": "Learning-rate range test: loss while the rate grows each "
    "step. The red line is the rate used, where the loss still falls fast, before "
    "it blows up; the dots are the other rules' rates.",
    "layer_health": "Size of each update relative to the weights (healthy around "
    "1e-3, green band); its steps down at the dotted lines are learning-rate cuts "
    "(ReduceLROnPlateau). A second panel, the share of units that never fire on a "
    "fixed probe, appears when some layer has dead units.",
    "activations": "Activations of each hidden layer at the start and end of "
    "training (the lecture's figure): no layer should collapse to 0 or saturate.",
    "confusion_matrix": "Test split: true class in rows, predicted in columns; "
    "left the counts, right each row as a share of its class (the diagonal is "
    "each class's recall, so rare classes count as much as common ones).",
    "roc_pr": "Test split, binary task: the ROC curve and the precision-recall "
    "curve of the predicted probability of the positive class, against chance.",
    "regression": "Test split: predicted against actual (on the dashed line is "
    "perfect) and the residuals against the prediction (a pattern in them is "
    "signal the model missed).",
    "search": "Random search: the validation score against each searched "
    "hyperparameter, one panel each, colored by stage; the red star is the best "
    "trial, crosses are trials stopped or failed.",
}


def search_table_section(search, top=10):
    """The search's trials, best first (the top `top`), as markdown lines."""
    if search is None:
        return []
    rows = search.sorted_rows()
    name = search.objective.name
    names = []
    for stage in search.search_spaces:
        names += [n for n, v in stage.items() if isinstance(v, (tuple, list))]
    names = list(dict.fromkeys(names))
    head = ["rank", "stage", "trial", *names, name, "status", "epochs", "seconds"]
    lines = [
        f"## Random search: the best {min(top, len(rows))} of {len(rows)} trials",
        "",
        "| " + " | ".join(head) + " |",
        "|---" * len(head) + "|",
    ]
    for i, r in enumerate(rows[:top], 1):
        cells = [i, r["stage"], r["trial_id"], *(r.get(n) for n in names)]
        cells += [r[name], r["status"], r["epochs"], r["seconds"]]
        lines.append("| " + " | ".join(_cell(_fmt(c)) for c in cells) + " |")
    return lines + [""]


def _lr_section(test):
    """The range test as a table: each rule's rate, the one used in bold."""
    lines = [
        "## Learning-rate range test",
        "",
        f"{len(test.losses)} steps, stopped by {test.stop_reason}; the rule "
        f"`{test.rule}` picked the rate used.",
        "",
        "| rule | learning rate |",
        "|---|---|",
    ]
    for name, rate in test.suggestions.items():
        used = name == test.rule
        cell = f"**{rate:.3g}** (used)" if used else f"{rate:.3g}"
        lines.append(f"| `{name}` | {cell} |")
    return lines + [""]


def _diagnosis_section(verdict):
    """The verdict first: one cause, one fix, the evidence."""
    lines = ["## Diagnosis", ""]
    if verdict is None:
        return lines + ["No warning or error: nothing to fix.", ""]
    lines += [
        f"**{verdict.cause}**: {verdict.summary}",
        "",
        f"**Fix:** {verdict.suggestion}",
        "",
    ]
    if len(verdict.evidence) > 1:
        lines.append(
            "Evidence: "
            + ", ".join(
                f"`{f.check}`"
                + (f" (epoch {f.epoch + 1})" if f.epoch is not None else "")
                for f in verdict.evidence
            )
            + "."
        )
        lines.append("")
    return lines


def write_report(run_dir, result, state, splits, title=None):
    """Writes `report.md` in `run_dir`: what ran, findings, metrics, figures.

    Args:
        run_dir: The (temporary) run folder, holding the figures already.
        result: The `BabysitResult`.
        state: The internal state of the run (stages, figures, sources).
        splits: The data splits.
        title: Title of the report. Defaults to `None` ("Training report").

    Returns:
        The path of `report.md`.
    """
    from recipes.advice import recommendations_markdown

    lines = [
        f"# {title or 'Training report'}",
        "",
        f"Written by keras-recipes on {time.strftime('%Y-%m-%d %H:%M')}; the run "
        f"took {result.seconds:.0f} s.",
        "",
    ]
    lines += _diagnosis_section(result.diagnosis)
    lines += _recipe_section(result, state, splits)
    lines += search_table_section(result.search)
    if result.preflight is not None:
        lines += [result.preflight.to_markdown(), ""]
    if result.lr_test is not None:
        lines += _lr_section(result.lr_test)
    lines += _findings_section(state.stages)
    lines += _metrics_section(result.metrics)
    lines += _baselines_section(result.metrics, result.baselines)
    lines += ["## Figures", ""]
    for key, path in state.figures.items():
        name = os.path.basename(path)
        lines += [f"![{key}]({name})", "", _CAPTIONS.get(key, ""), ""]
    lines += [
        "## Files",
        "",
        "`report.md` (this page), `report.html` (the same run in one "
        "self-contained page, figures embedded), `history.csv` (every "
        "per-epoch figure, one row per epoch), `findings.json`, `metrics.json`, "
        "`model.keras` (reload with `keras.saving.load_model`), and the PNG "
        "figures above.",
        "",
        "## The recipe",
        "",
        recommendations_markdown(),
        "",
    ]
    path = os.path.join(run_dir, "report.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return path
