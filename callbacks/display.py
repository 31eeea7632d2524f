"""The HTML and table pieces of the results' displays.

One style and one escaping rule for the run's `report.html` and for every
result that shows itself in a notebook (`_repr_html_`, scikit-learn's
pattern): the verdict box, the findings table, figures as base64 PNG. It
lives on the lowest floor so that `Diagnosis` here and the results of
`recipes` above share it; besides `callbacks.finding` it imports the
standard library only (pandas lazily, in `findings_frame`).

Example:

>>> from callbacks.display import escape
>>> escape("loss < 0.1 in `fit`")
'loss &lt; 0.1 in <code>fit</code>'
"""

from __future__ import annotations

import base64
import html
import io
import re

from callbacks.finding import severity_rank

FINDING_COLUMNS = (
    "severity",
    "check",
    "epoch",
    "layer",
    "value",
    "threshold",
    "message",
    "suggestion",
)
_RULES = """
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
# The page of report.html: its own body and headings, then the shared rules.
PAGE_STYLE = (
    """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 1.6em; }"""
    + _RULES
)
_SCOPE = "keras-recipes"


def _scoped(rules, scope):
    """The rules with every selector under `.scope`, so a notebook's own
    tables and code keep their look."""
    out = []
    for chunk in rules.split("}"):
        if "{" not in chunk:
            continue
        selectors, body = chunk.split("{", 1)
        names = ", ".join(f".{scope} {s.strip()}" for s in selectors.split(","))
        out.append(f"{names} {{{body.strip()}}}")
    return "\n".join(out)


_NOTEBOOK_STYLE = f".{_SCOPE} {{ font: 14px/1.45 system-ui, sans-serif; }}\n" + _scoped(
    _RULES, _SCOPE
)


def escape(value):
    """Escaped text; `code` spans (the checks' messages use them) as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(str(value)))


def num(value, digits=4):
    """A number in `digits` significant digits; None as an empty cell."""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return "" if value is None else str(value)


def table(header, rows, numeric=()):
    """An HTML table; `rows` hold HTML already (escape text first), the
    columns at the indices `numeric` are right-aligned."""
    out = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            cells.append(f"<td{cls}>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(out) + "</table>"


def where(finding):
    """` (epoch 3, dense_1)`: where a finding points, epochs from 1."""
    parts = [f"epoch {finding.epoch + 1}"] if finding.epoch is not None else []
    parts += [escape(finding.layer)] if finding.layer else []
    return f" ({', '.join(parts)})" if parts else ""


def verdict(diagnosis):
    """The verdict box: the cause, what is wrong, the fix and the evidence,
    red for an error, orange for a warning, green when `diagnosis` is None."""
    if diagnosis is None:
        return (
            '<div class="verdict ok"><b>Diagnosis: no problem found.</b> No '
            "warning or error: nothing to fix.</div>"
        )
    severities = [f.severity for f in diagnosis.evidence] or ["warning"]
    worst = max(severities, key=severity_rank)
    kind = "bad" if worst == "error" else "warn"
    evidence = ", ".join(
        f"<code>{escape(f.check)}</code>{where(f)}" for f in diagnosis.evidence
    )
    return (
        f'<div class="verdict {kind}"><b>Diagnosis: {escape(diagnosis.cause)}.</b> '
        f"{escape(diagnosis.summary)}<br><b>Fix:</b> {escape(diagnosis.suggestion)}"
        f'<br><span class="muted">Evidence: {evidence}.</span></div>'
    )


def findings_table(findings, stages=None):
    """The findings as a table (severity, [stage,] check, epoch, layer,
    value, what, fix), in the given order; `stages` names each one's stage."""
    with_stage = stages is not None
    rows = []
    for i, f in enumerate(findings):
        row = [f'<span class="sev-{f.severity}">{f.severity}</span>']
        row += [escape(stages[i])] if with_stage else []
        row += [
            f"<code>{escape(f.check)}</code>",
            "" if f.epoch is None else f.epoch + 1,
            escape(f.layer or ""),
            escape(num(f.value)),
            escape(f.message),
            escape(f.suggestion),
        ]
        rows.append(row)
    header = ["severity", *(["stage"] if with_stage else [])]
    header += ["check", "epoch", "layer", "value", "what", "fix"]
    at = 2 + with_stage
    return table(header, rows, numeric=(at, at + 2))


def findings_frame(findings, stages=None):
    """One row a finding (`Finding.to_dict`: epochs from 1), a `stage` column
    first when `stages` is given: a pandas DataFrame, or a list of dicts
    without pandas (as `TuneResult.table()`)."""
    columns = (["stage"] if stages is not None else []) + list(FINDING_COLUMNS)
    rows = []
    for i, f in enumerate(findings):
        row = {"stage": stages[i]} if stages is not None else {}
        row.update(f.to_dict())
        rows.append({c: row.get(c) for c in columns})
    try:
        import pandas as pd
    except ImportError:
        return rows
    frame = pd.DataFrame(rows, columns=columns)
    frame["epoch"] = frame["epoch"].astype("Int64")  # whole epochs, or <NA>
    return frame


def png(figure):
    """The PNG bytes of a matplotlib `Figure` (nothing written to disk)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def figure(data, name, caption=""):
    """A `<figure>` holding PNG bytes `data` as a base64 `<img>`; `caption`
    is HTML."""
    text = base64.b64encode(data).decode("ascii")
    return (
        f'<figure id="{escape(name)}"><img alt="{escape(name)}" '
        f'src="data:image/png;base64,{text}"><figcaption>{caption}'
        "</figcaption></figure>"
    )


def block(*parts):
    """A notebook display: the parts under the shared style, scoped to
    this block."""
    body = "\n".join(p for p in parts if p)
    return f'<div class="{_SCOPE}"><style>{_NOTEBOOK_STYLE}</style>\n{body}\n</div>'
