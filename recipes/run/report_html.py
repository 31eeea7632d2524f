"""`write_html`: the run folder's `report.html`, one self-contained page.

The same run as `report.md`, for a browser: the verdict first, then the
findings with their fixes, the test metrics and baselines, every figure
(embedded as base64 PNG, so the file can be mailed or moved alone) and the
random search's trial table. No script, no external file, no network.

Example:

>>> from recipes.run.report_html import write_html  # called by recipes.babysit
"""

from __future__ import annotations

import base64
import html
import os
import re
import time

from recipes.run.report import _CAPTIONS, _SEVERITY_ORDER, _STAGE_NAMES

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 1.6em; }
.muted { color: #666; } .verdict { padding: .8em 1.1em; border-radius: 6px; }
.ok { background: #e8f4ea; border-left: 6px solid #55a868; }
.bad { background: #fbeaea; border-left: 6px solid #c44e52; }
.warn { background: #fdf1e6; border-left: 6px solid #dd8452; }
table { border-collapse: collapse; margin: .6em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top;
         text-align: left; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.wide { overflow-x: auto; max-width: 100%; }
.sev-error { color: #c44e52; font-weight: 600; }
.sev-warning { color: #c0632a; font-weight: 600; }
.sev-info { color: #4c72b0; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 13px; max-width: 900px; }
code { background: #f4f4f4; padding: 0 3px; border-radius: 3px; }
"""


def _e(value):
    """Escaped text; `code` spans (the checks' messages use them) as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(str(value)))


def _num(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _table(header, rows, numeric=()):
    out = ["<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            cells.append(f"<td{cls}>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(out) + "</table>"


def _where(finding):
    """` (epoch 3, dense_1)`: where a finding points, epochs from 1."""
    parts = [f"epoch {finding.epoch + 1}"] if finding.epoch is not None else []
    parts += [_e(finding.layer)] if finding.layer else []
    return f" ({', '.join(parts)})" if parts else ""


def _verdict(result):
    verdict = result.diagnosis
    if verdict is None:
        return (
            '<div class="verdict ok"><b>Diagnosis: no problem found.</b> No '
            "warning or error: nothing to fix.</div>"
        )
    severities = [f.severity for f in verdict.evidence] or ["warning"]
    worst = min(severities, key=_SEVERITY_ORDER.get)
    kind = "bad" if worst == "error" else "warn"
    evidence = ", ".join(
        f"<code>{_e(f.check)}</code>{_where(f)}" for f in verdict.evidence
    )
    return (
        f'<div class="verdict {kind}"><b>Diagnosis: {_e(verdict.cause)}.</b> '
        f"{_e(verdict.summary)}<br><b>Fix:</b> {_e(verdict.suggestion)}"
        f'<br><span class="muted">Evidence: {evidence}.</span></div>'
    )


def _findings(stages):
    if not stages:
        return "<p>No check found anything to report.</p>"
    ordered = sorted(
        stages,
        key=lambda sf: (
            _SEVERITY_ORDER[sf[1].severity],
            list(_STAGE_NAMES).index(sf[0]) if sf[0] in _STAGE_NAMES else 9,
        ),
    )
    rows = [
        (
            f'<span class="sev-{f.severity}">{f.severity}</span>',
            _e(_STAGE_NAMES.get(stage, stage)),
            f"<code>{_e(f.check)}</code>",
            "" if f.epoch is None else f.epoch + 1,
            _e(f.layer or ""),
            _e(f.message),
            _e(f.suggestion),
        )
        for stage, f in ordered
    ]
    header = ("severity", "stage", "check", "epoch", "layer", "what", "fix")
    return _table(header, rows, numeric=(3,)) + (
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
            f"{metrics['macro_f1']:.4f}, data loss {_num(metrics['loss'])} on "
            f"{n} examples.</p>",
            _table(
                ("class", "precision", "recall", "F1", "support"),
                [
                    (
                        _e(r["class"]),
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
            rows.append((_e(row["name"]), *(f"{row[k]:.4g}" for k in keys)))
        parts += [
            "<h3>Baselines (the same split)</h3>",
            _table(("model", *keys), rows, numeric=tuple(range(1, len(keys) + 1))),
        ]
    return "\n".join(parts)


def _figures(figures):
    parts = []
    for key, path in figures.items():
        with open(path, "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        parts.append(
            f'<figure id="{_e(key)}"><img alt="{_e(key)}" '
            f'src="data:image/png;base64,{data}"><figcaption><b>'
            f"{_e(os.path.basename(path))}</b>: {_e(_CAPTIONS.get(key, ''))}"
            "</figcaption></figure>"
        )
    return "\n".join(parts) or "<p>No figures.</p>"


def _trials(search):
    table = search.table()
    rows = table.to_dict("records") if hasattr(table, "to_dict") else table
    if not rows:
        return "<p>No trial finished.</p>"
    skip = {"reason"}
    header = [k for k in rows[0] if k not in skip]

    def cell(value):
        if isinstance(value, float):
            return f"{value:.3g}"
        return "" if value is None else str(value)

    body = [tuple(_e(cell(r.get(k))) for k in header) for r in rows]
    table = _table(header, body, numeric=tuple(range(len(header))))
    return f'<div class="wide">{table}</div>'


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
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">Written by keras-recipes on '
        f"{time.strftime('%Y-%m-%d %H:%M')}; the run took {result.seconds:.0f} s. "
        f"{_e(result._size_line())}</p>",
        _verdict(result),
        "<h2>Findings</h2>",
        _findings(state.stages),
        "<h2>Test metrics (the held-out split, evaluated once)</h2>",
        _metrics(result.metrics, result.baselines),
        "<h2>Figures</h2>",
        _figures(state.figures),
    ]
    if result.search is not None:
        sections += ["<h2>Random search: every trial</h2>", _trials(result.search)]
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )
    path = os.path.join(run_dir, "report.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path
