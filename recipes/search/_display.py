"""`TuneResult` in a notebook, and the trial table of `report.html` (private).

Example:

>>> from recipes.search._display import trials_table  # report.html's table
"""

from __future__ import annotations

from callbacks import diagnose
from callbacks import display as show


def trials_table(search, sort=False):
    """Every trial of `search` (a `TuneResult`) as an HTML table, in the
    order they ran or best first (`sort=True`)."""
    rows = search.table(sort=sort)
    rows = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    if not rows:
        return "<p>No trial finished.</p>"
    header = [k for k in rows[0] if k != "reason"]

    def cell(value):
        return "" if value != value else show.num(value, 3)  # NaN: pandas' empty cell

    body = [tuple(show.escape(cell(r.get(k))) for k in header) for r in rows]
    trials = show.table(header, body, numeric=tuple(range(len(header))))
    return f'<div class="wide">{trials}</div>'


def _best(result):
    """The best trial as a line of HTML, or None when none finished."""
    try:
        row = result.best_trial
    except ValueError:
        return None
    name = result.objective.name
    values = ", ".join(
        f"<code>{show.escape(k)}={show.escape(show.num(v, 3))}</code>"
        for k, v in result.best_hyperparameters.items()
    )
    return (
        f"<b>Best trial: {show.escape(name)} {show.escape(show.num(row[name]))}</b> "
        f"(stage {row['stage']}, trial {show.escape(row['trial_id'])}); {values}."
    )


def tune_html(result):
    """`TuneResult._repr_html_`: the best trial and the search's verdict,
    its findings, every trial best first, then the plot."""
    best = _best(result)
    rows = len(result.sorted_rows())
    objective = f"{result.objective.name} ({result.objective.direction})"
    head = (
        f'<p class="muted">Random search ({show.escape(result.role)}): {rows} '
        f"trial(s) in {len(result.stages)} stage(s), objective "
        f"{show.escape(objective)}, in <code>{show.escape(result.directory)}</code>."
        "</p>"
    )
    if best is None:
        top = (
            '<div class="verdict bad"><b>No trial finished with a finite '
            "objective.</b> See each trial's reason in <code>show.table()</code>.</div>"
        )
    else:
        top = f'<div class="verdict ok">{best}</div>'
    warned = diagnose(result.findings)
    parts = [head, top, show.verdict(warned) if warned is not None else ""]
    if result.findings:
        parts += ["<h4>Findings</h4>", show.findings_table(result.findings)]
    parts += ["<h4>Every trial, best first</h4>", trials_table(result, sort=True)]
    if best is not None:
        fig = result.plot()
        caption = (
            "The objective against each searched hyperparameter, colored by "
            "stage; the red star is the best trial."
        )
        parts.append(show.figure(show.png(fig), "search", show.escape(caption)))
    return show.block(*parts)
