"""`RepairResult`: what `recipes.repair` did, measured, and as code.

Example:

>>> from recipes.repair.result import Attempt
>>> Attempt(0, "baseline", "", 0.1, "diverging_loss", 5, 1.0, True).verdict
'diverging_loss'
"""

from __future__ import annotations

import dataclasses
import html


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One training run of a repair (the baseline is run 0).

    Attributes:
        run: 0 for the baseline, then 1, 2, ... (the retrains).
        change: The change tried, in words (`"baseline"` for run 0).
        code: The change as code (`""` for the baseline).
        metric: The outcome metric on the validation data.
        verdict: The run's diagnosis cause, or `"healthy"`.
        epochs_run: Epochs trained (fewer when abandoned or stopped early).
        seconds: Wall time of the run.
        accepted: Whether it became the program the next fix stacks on
            (always for the baseline).
        threshold: The gain it needed over the program it was tried on
            (twice the measured noise), or `None` for the baseline.
        stopped_by: Why it ended before its last epoch (an abandoning
            finding's check), or `None`.
    """

    run: int
    change: str
    code: str
    metric: float
    verdict: str
    epochs_run: int
    seconds: float
    accepted: bool
    threshold: float | None = None
    stopped_by: str | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class RepairResult:
    """The outcome of `recipes.repair`.

    Attributes:
        fixed: `True` only when the outcome metric improved on the baseline
            by more than the measured run-to-run noise (never because a
            symptom went away).
        changes: The accepted changes, in order (`fixes.Change`, each with
            `description` and `code`).
        model: The repaired model, trained (the baseline's when nothing was
            accepted); never the user's model object.
        retrains: Training runs after the baseline.
        before, after: `{metric: value}` on the validation data for the
            baseline and the repaired run.
        metric: The outcome metric's name (`"val_accuracy"`, `"val_r2"`,
            `"val_loss"`).
        attempts: One `Attempt` per run, the baseline first.
        diagnosis_before, diagnosis_after: The verdicts
            (`callbacks.Diagnosis`, or `None` when healthy).
        notes: What the user must know besides the code (data changes to
            make in the pipeline, fixes a subclassed model cannot take).
        history_before, history_after: The two runs' per-epoch logs.
        seed: The seed every run was initialized from.
        seconds: Wall time of the whole repair.
        run_dir: The report folder, or `None`.
    """

    fixed: bool
    changes: tuple
    model: object
    retrains: int
    before: dict
    after: dict
    metric: str
    attempts: tuple
    diagnosis_before: object
    diagnosis_after: object
    notes: tuple = ()
    history_before: dict = dataclasses.field(default_factory=dict)
    history_after: dict = dataclasses.field(default_factory=dict)
    seed: int | None = None
    seconds: float = 0.0
    run_dir: str | None = None

    def table(self):
        """The attempts, one row a run: a pandas DataFrame (a list of dicts
        without pandas)."""
        rows = [dataclasses.asdict(a) for a in self.attempts]
        try:
            import pandas as pd
        except ImportError:
            return rows
        return pd.DataFrame(rows)

    def headline(self):
        """`val_accuracy 0.104 -> 0.953: fixed (2 retrains, 14 s).`"""
        m = self.metric
        if self.diagnosis_before is None:
            status = "nothing to fix (no warning or error in the baseline)"
        elif self.fixed:
            status = "fixed"
        else:
            status = "not fixed (no change beat the baseline beyond noise)"
        return (
            f"{m} {self.before[m]:.4g} -> {self.after[m]:.4g}: {status} "
            f"({self.retrains} retrain{'s' * (self.retrains != 1)}, "
            f"{self.seconds:.0f} s)."
        )

    def __str__(self):
        lines = [f"Repair: {self.headline()}"]
        lines.append(f"Before: {_verdict(self.diagnosis_before)}")
        if self.changes:
            lines.append("Changes (as code):")
            for i, change in enumerate(self.changes, start=1):
                lines.append(f"  {i}. {change.description}")
                lines += [f"       {line}" for line in change.code.splitlines()]
            lines.append(f"After: {_verdict(self.diagnosis_after)}")
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __repr__(self):
        return f"<RepairResult {self.headline()}>"

    def _repr_html_(self):
        e = html.escape
        parts = [f"<p><b>Repair:</b> {e(self.headline())}</p>"]
        parts.append(f"<p><b>Before:</b> {e(_verdict(self.diagnosis_before))}</p>")
        for change in self.changes:
            parts.append(
                f"<p>{e(change.description)}</p><pre><code>{e(change.code)}"
                "</code></pre>"
            )
        if self.changes:
            parts.append(f"<p><b>After:</b> {e(_verdict(self.diagnosis_after))}</p>")
        parts += [f"<p><i>Note:</i> {e(n)}</p>" for n in self.notes]
        header = ("run", "change", self.metric, "verdict", "epochs", "s", "accepted")
        rows = [
            (
                a.run,
                a.change,
                f"{a.metric:.4g}",
                a.verdict,
                a.epochs_run,
                f"{a.seconds:.1f}",
                "yes" if a.accepted else "no",
            )
            for a in self.attempts
        ]
        table = "<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>"
        for row in rows:
            table += "<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>"
        return "\n".join(parts) + f"<table>{table}</table>"


def _verdict(diagnosis):
    if diagnosis is None:
        return "healthy (no warning or error)."
    return f"{diagnosis.cause}: {diagnosis.summary}"
