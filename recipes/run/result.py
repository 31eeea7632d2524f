"""`BabysitResult`: what `recipes.babysit` returns (the model, its history,
the findings and the verdict, the test metrics, the run folder's files).

Example:

>>> from recipes.run.result import BabysitResult
>>> result = BabysitResult(model=None, history={"loss": [1.0]}, findings=[],
...                        metrics={})
>>> result.diagnosis is None
True
"""

from __future__ import annotations

import dataclasses
import os


@dataclasses.dataclass
class BabysitResult:
    """What `babysit` did and found.

    Attributes:
        model: The trained `keras.Model` (best validation weights).
        history: Per-epoch figures, `History.history`-like (including the
            Babysitter's keys such as `dead_fraction/<layer>`).
        findings: Every `Finding` of the pre-flight checks, the range test,
            the search and the training run, in that order.
        metrics: `recipes.evaluate` on the test split (`{}` without one).
        run_dir: Path of the run folder.
        learning_rate: The learning rate training started with (ReduceLROnPlateau
            may lower it; `history["learning_rate"]` has each epoch's).
        preflight: The pre-flight report, or None if skipped.
        lr_test: The learning-rate range test result, or None.
        search: The `recipes.tune` result, or None.
        seconds: Wall time of the whole run.
        num_train: The number of training rows (examples) the model saw.
        baselines: The test scores of the trivial baseline (majority class
            or training mean) and a linear model on the same split
            (`recipes.run.baselines`), `{}` without a test split.
        ensemble: How many networks `model` averages (1: a single one).
        stages: `(stage, Finding)` pairs, the findings with the step that
            found them (`"data"`, `"search"`, `"preflight"`,
            `"lr_range_test"`, `"training"`, `"baseline"`), as in
            `findings.json`.
    """

    model: object
    history: dict = dataclasses.field(repr=False)
    findings: list = dataclasses.field(repr=False)
    metrics: dict = dataclasses.field(repr=False)
    run_dir: str = ""
    learning_rate: float | None = None
    preflight: object = dataclasses.field(default=None, repr=False)
    lr_test: object = dataclasses.field(default=None, repr=False)
    search: object = dataclasses.field(default=None, repr=False)
    seconds: float = 0.0
    baselines: dict = dataclasses.field(default_factory=dict, repr=False)
    num_train: int = 0
    ensemble: int = 1
    stages: list = dataclasses.field(default_factory=list, repr=False)

    @classmethod
    def from_state(cls, state, *, run_dir):
        """The result of a finished run: every field the run's state has
        under the same name, and the run folder."""
        names = {f.name for f in dataclasses.fields(cls)} - {"run_dir", "num_train"}
        given = {n: getattr(state, n) for n in names if hasattr(state, n)}
        return cls(**given, run_dir=run_dir, num_train=len(state.splits.x_train))

    @property
    def errors(self):
        """The findings of severity "error"."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def diagnosis(self):
        """The verdict on the whole run (`callbacks.Diagnosis`), or None."""
        from callbacks import diagnose

        return diagnose(self.findings)

    def _lr_cuts(self):
        """`", lowered to X by ReduceLROnPlateau"` when the rate fell."""
        rates = self.history.get("learning_rate") or []
        if rates and self.learning_rate and rates[-1] < 0.999 * self.learning_rate:
            return f", lowered to {rates[-1]:.3g} by ReduceLROnPlateau"
        return ""

    def _size_line(self):
        """The model's parameters against the training rows, and its file."""
        if self.model is None or not self.num_train:
            return ""
        params = int(self.model.count_params())
        if self.ensemble > 1:
            each = params // self.ensemble
            line = (
                f"Model: the average of {self.ensemble} networks of {each:,} "
                f"parameters for {self.num_train:,} training rows "
                f"({each / self.num_train:,.0f} per row each)"
            )
            alone = self.metrics.get("members") or []
            if alone:
                key = "accuracy" if "accuracy" in self.metrics else "R²"
                line += (
                    f"; alone they score {min(alone):.4f} to {max(alone):.4f} ({key})"
                )
        else:
            line = (
                f"Model: {params:,} parameters for {self.num_train:,} training rows "
                f"({params / self.num_train:,.0f} per row)"
            )
        path = os.path.join(self.run_dir, "model.keras")
        if os.path.isfile(path):
            line += (
                f"; model.keras {os.path.getsize(path) / 1e6:.1f} MB "
                "(weights and optimizer state)"
            )
        return line

    def summary(self):
        """A few lines for a terminal: metrics, findings, where the run is."""
        m = self.metrics
        epochs = len(self.history.get("loss", []))
        verdict = self.diagnosis
        lines = [str(verdict) if verdict else "Diagnosis: no problem found."]
        lines.append(f"Run folder: {self.run_dir}")
        if self.learning_rate is not None:
            lines.append(
                f"Learning rate: {self.learning_rate:.3g}{self._lr_cuts()}; "
                f"trained {epochs} epochs in {self.seconds:.0f}s"
            )
        if "accuracy" in m:
            lines.append(
                f"Test accuracy {m['accuracy']:.4f}, macro F1 "
                f"{m['macro_f1']:.4f}, data loss {m['loss']:.4f}"
                + (f" (+ penalty {m['penalty']:.3g})" if "penalty" in m else "")
                + f" ({m['num_examples']} examples)"
            )
        elif "rmse" in m:
            lines.append(
                f"Test RMSE {m['rmse']:.4g}, MAE {m['mae']:.4g}, "
                f"R² {m['r2']:.3f} ({m['num_examples']} examples)"
            )
        size = self._size_line()
        if size:
            lines.append(size)
        b = self.baselines
        if b:
            key = "accuracy" if "accuracy" in m else "r2"
            lines.append(
                f"Baselines ({key}): {b['trivial']['name']} "
                f"{b['trivial'][key]:.4f}, {b['linear']['name']} "
                f"{b['linear'][key]:.4f}"
            )
        counts = {
            s: sum(f.severity == s for f in self.findings)
            for s in ("error", "warning", "info")
        }
        lines.append("Findings: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
        for f in self.findings:
            if f.severity != "info":
                lines.append(f"  {f}")
        lines.append(f"Report: {os.path.join(self.run_dir, 'report.md')}")
        return "\n".join(lines)

    def plot(self, path=None):
        """The training curves with the run's events, as a `Figure`.

        `recipes.plots.plot_curves` on this run: data loss and accuracy, the
        best epoch kept, the learning-rate cuts, the training findings. In
        Jupyter the figure shows inline; nothing is written without `path`.

        Args:
            path: PNG file to write, or `None`. Defaults to `None`.

        Returns:
            The `matplotlib.figure.Figure`.
        """
        from recipes.run.plots import plot_curves

        return plot_curves(self.history, self.findings, path)

    def _stage_pairs(self):
        """`stages`, or the findings with no stage (a result made by hand)."""
        return list(self.stages) or [(None, f) for f in self.findings]

    def table(self):
        """One row a finding: stage, severity, check, epoch (from 1), layer,
        value, threshold, message, suggestion, in the order found (the rows
        of `findings.json`). A pandas DataFrame when pandas is installed,
        else a list of dicts.

        Returns:
            The findings' table.
        """
        from callbacks.display import findings_frame

        pairs = self._stage_pairs()
        return findings_frame([f for _, f in pairs], [s for s, _ in pairs])

    def _repr_html_(self):
        """The verdict, the findings, the test metrics and the training
        curves, in `report.html`'s look (Jupyter's display)."""
        from recipes.run.report_html import result_html

        return result_html(self)

    def __str__(self):
        return self.summary()
