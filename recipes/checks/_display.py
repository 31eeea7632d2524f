"""`PreflightReport` and `LRFinderResult` in a notebook (private).

Example:

>>> from recipes.checks._display import preflight_html  # _repr_html_'s body
"""

from __future__ import annotations

from callbacks import diagnose
from callbacks import display as show


def _severity(f):
    return f'<span class="sev-{f.severity}">{f.severity}</span>'


def preflight_html(report):
    """The verdict, then one row a check (its status, or each finding with
    its fix), as `PreflightReport.to_markdown` has them."""
    head = (
        f'<p class="muted">Pre-flight checks: <b>'
        f"{'passed' if report.passed else 'FAILED'}</b>, {len(report.errors)} "
        f"error(s), {len(report.findings)} finding(s), {len(report.checks)} checks, "
        f"{report.seconds:.1f} s.</p>"
    )
    rows, shown = [], set()
    for name in [*report.checks, *(f.check for f in report.findings)]:
        if name in shown:
            continue
        shown.add(name)
        found = [f for f in report.findings if f.check == name]
        check = f"<code>{show.escape(name)}</code>"
        if not found:
            rows.append((check, show.escape(report.checks[name]), "", "", ""))
        for f in found:
            cells = (
                show.escape(show.num(f.value)),
                show.escape(f.message),
                show.escape(f.suggestion),
            )
            rows.append((check, _severity(f), *cells))
    header = ("check", "status", "value", "what", "fix")
    if not report.findings:  # every check passed: nothing in the other columns
        header, rows = header[:2], [row[:2] for row in rows]
    return show.block(
        head, show.verdict(report.diagnosis), show.table(header, rows, numeric=(2,))
    )


def lr_finder_html(result):
    """The rate to train with, the findings, every rule's rate, the curve."""
    lrs = result.learning_rates
    kind = "warn" if result.findings else "ok"
    top = (
        f'<div class="verdict {kind}"><b>Learning rate: '
        f"{result.suggested_learning_rate:.3g}</b> (rule "
        f"<code>{show.escape(result.rule)}</code>), from {len(lrs)} steps between "
        f"{lrs[0]:.3g} and {lrs[-1]:.3g}; stopped: {show.escape(result.stop_reason)}."
        "</div>"
    )
    found = diagnose(result.findings)
    parts = [top, show.verdict(found) if found is not None else ""]
    if result.findings:
        parts.append(show.findings_table(result.findings))
    rows = [
        (
            f"<code>{show.escape(rule)}</code>",
            f"{rate:.3g}",
            "used" if rule == result.rule else "",
        )
        for rule, rate in result.suggestions.items()
    ]
    parts.append(show.table(("rule", "learning rate", ""), rows, numeric=(1,)))
    caption = (
        "Smoothed loss while the rate grows each step; the red line is the rate "
        "used, the dots the other rules' rates."
    )
    parts.append(
        show.figure(show.png(result.plot()), "lr_range_test", show.escape(caption))
    )
    return show.block(*parts)
