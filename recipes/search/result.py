"""`TuneResult`: what `recipes.tune` found, as a table, a plot and findings."""

from __future__ import annotations

import math

from callbacks import Finding
from recipes.search import _trial_rows
from recipes.search import narrowing as _narrowing
from recipes.search import stages as _stages


class TuneResult:
    """The outcome of `recipes.tune`: best values, every trial, findings.

    Attributes:
        directory: Folder holding the search (`stage_0`, `stage_1`, ...).
        objective: The `keras_tuner.Objective` searched.
        stages: The stages, with every key filled.
        search_spaces: The search space of each stage (narrowed after 0),
            in the user-facing format.
        findings: `Finding`s: ranges whose best value sits at an edge
            (`search_range_edge`, warning) and trials the Babysitter
            stopped (`trial_stopped`, info).
        role: `"single"`, `"chief"` or `"worker"`.
    """

    def __init__(
        self,
        directory,
        *,
        objective,
        stages,
        specs,
        tuners,
        refit_data,
        role,
        folds=1,
        seed=None,
    ):
        self.directory = directory
        self.objective = objective
        self.stages = stages
        self._specs = specs
        self.search_spaces = [
            {n: s.to_user() for n, s in stage.items()} for stage in specs
        ]
        self._tuners = tuners
        self._refit_data = refit_data  # [(x, y), ...]: all the search saw
        self._folds = folds  # `cv`, or 1
        self._seed = seed
        self.role = role
        self._rows = self._collect()
        self.findings = self._findings()

    @staticmethod
    def best_values(tuner, top):
        """Hyperparameter values of the best `top` completed trials, best first."""
        completed = [t for t in tuner.oracle.trials.values() if t.status == "COMPLETED"]
        if not completed:
            raise RuntimeError(
                "No trial of the previous stage completed, so there is nothing to "
                "narrow around; see the trials' messages under "
                f"{tuner.project_dir}. Received: {len(tuner.oracle.trials)} trials"
            )
        best = tuner.oracle.get_best_trials(_stages.top_count(top, len(completed)))
        return [dict(t.hyperparameters.values) for t in best]

    def _collect(self):
        specs = {n: spec for stage in self._specs for n, spec in stage.items()}
        rows = _trial_rows.read_rows(
            self.directory, len(self.stages), list(specs), self.objective.name
        )
        for row in rows:
            for name, spec in specs.items():
                row[name] = spec.cast(row[name])
        return rows

    def _best_row(self):
        name, sign = self.objective.name, 1 if self.objective.direction == "max" else -1
        scored = [
            r
            for r in self._rows
            if r[name] is not None
            and math.isfinite(r[name])
            and r["status"] != "failed"
        ]
        if not scored:
            raise ValueError(
                "No trial finished with a finite objective, so there is no best "
                f"trial; see `table()` for the reasons. Received: {len(self._rows)} "
                "trials"
            )
        return max(scored, key=lambda r: (sign * r[name], -r["stage"]))

    @property
    def best_trial(self):
        """The table row of the best trial (highest stage wins a tie)."""
        return dict(self._best_row())

    @property
    def best_hyperparameters(self):
        """A dict of the best trial's hyperparameter values."""
        row = self._best_row()
        return {n: row[n] for n in self._specs[row["stage"]]}

    def _findings(self):
        out = []
        for row in self._rows:
            if row["status"] == "stopped_early":
                out.append(
                    Finding(
                        "trial_stopped",
                        "info",
                        epoch=row["epochs"],
                        message=f"Stage {row['stage']} trial {row['trial_id']} "
                        f"stopped after {row['epochs']} epoch(s): {row['reason']}",
                        suggestion="",
                    )
                )
        if self.role == "worker" or not self._rows:
            return out
        try:
            best = self.best_hyperparameters
        except ValueError:
            return out
        for name, side, spec, value in _narrowing.edge_positions(self._specs[0], best):
            bound = spec.low if side == "low" else spec.high
            way = (
                "downward (lower the minimum)"
                if side == "low"
                else ("upward (raise the maximum)")
            )
            out.append(
                Finding(
                    "search_range_edge",
                    "warning",
                    value=float(value),
                    threshold=float(bound),
                    message=f"The best {name}={value:.4g} sits in the "
                    f"{'lowest' if side == 'low' else 'highest'} tenth of its "
                    f"{spec.sampling} range [{spec.low:g}, {spec.high:g}]; the "
                    "optimum may lie outside it.",
                    suggestion=f"Widen {name} {way} and search again.",
                )
            )
        return out

    def table(self):
        """One row a trial: stage, trial id, every hyperparameter, objective,
        status, epochs run, best epoch (of the objective: the weights a trial
        keeps, the epochs a refit trains; with `cv`, the mean over folds;
        empty for searches from before it was recorded), seconds and
        reason. A pandas DataFrame when pandas is installed, else a list of
        dicts."""
        try:
            import pandas as pd
        except ImportError:
            return [dict(r) for r in self._rows]
        return pd.DataFrame(self._rows)

    def to_csv(self, path):
        """Writes the table to `path` as CSV and returns `path`."""
        import csv

        with open(path, "w", newline="") as f:
            fields = list(self._rows[0]) if self._rows else ["stage", "trial_id"]
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(self._rows)
        return path

    def best_model(self, *, refit=None, anneal=True, verbose=0):
        """The best trial's model, or its hyperparameters trained on all data.

        Args:
            refit: `False` loads the best trial's model with the weights of
                its best epoch (instant). `True` builds a fresh model with
                the best hyperparameters, preprocessing fitted on every
                example the search saw (`x` and the validation data, or all
                of `x` with `cv`), and trains it for the best trial's best
                epoch (with `cv`, the mean over folds, rounded half up), as
                scikit-learn's `refit=True` and KerasTuner's guide do. It
                trains without `tune`'s `callbacks` and, with
                `tune(seed=...)`, reseeds Python, NumPy and the backend so
                it is reproducible. Nothing is left to validate it on:
                measure it on a test set. `None` means `True` with `cv` (no
                single trial model exists), else `False`. Defaults to `None`.
            anneal: For a refit, decay the learning rate to 0 over its
                epochs on a cosine (`keras.optimizers.schedules.CosineDecay`).
                The trial kept the weights of its best epoch, picked on the
                validation set; a refit has none left, and at a constant rate
                it would end on a noisy step. Annealing lets the last epochs
                settle (CS231n's "anneal the learning rate");
                `benchmarks/tuning.py` measures both on MNIST-1D. An
                optimizer that already has a schedule is left alone.
                Defaults to `True`.
            verbose: `fit`'s verbosity for a refit. Defaults to `0`.

        Returns:
            A compiled Keras model.

        Raises:
            TypeError: If `refit` is not a bool or None, or `anneal` not a
                bool.
            ValueError: On a worker (the chief holds the results), for
                `refit=False` after a `cv` search, or when no trial finished
                with a finite objective.

        Example:

        >>> from recipes import datasets, tune
        >>> data = datasets.load("iris")
        >>> result = tune(data.x_train, data.y_train, seed=0,
        ...               validation_data=data.validation_data,
        ...               stages=[{"trials": 2, "epochs": 2}],
        ...               directory="/tmp/tune_iris_refit", overwrite=True)
        >>> model = result.best_model(refit=True)  # trained on train + validation
        >>> model.output_shape
        (None, 3)
        """
        if not isinstance(anneal, bool):
            raise TypeError(
                "`anneal` must be True (decay the refit's learning rate to 0) or "
                f"False (keep it constant). Received: anneal={anneal!r}"
            )
        if refit is not None and not isinstance(refit, bool):
            raise TypeError(
                "`refit` must be True (retrain on all the data), False (load the "
                "best trial's model) or None (True only with `cv`). "
                f"Received: refit={refit!r}"
            )
        if self._tuners is None:
            raise ValueError(
                "A worker holds no results: call best_model() on the chief. "
                f"Received: role={self.role!r}"
            )
        if refit is False and self._folds > 1:
            raise ValueError(
                "With `cv` every trial trained one model per fold and kept none, "
                "so there is no trial model to load: use best_model() or "
                f"best_model(refit=True). Received: refit=False, cv={self._folds}"
            )
        row = self._best_row()
        tuner = self._tuners[row["stage"]]
        trial = tuner.oracle.get_trial(row["trial_id"])
        if not (refit or self._folds > 1):
            return tuner.load_model(trial)
        import numpy as np

        x = np.concatenate([part[0] for part in self._refit_data])
        y = np.concatenate([part[1] for part in self._refit_data])
        return tuner.refit(
            trial,
            x,
            y,
            epochs=self._refit_epochs(row),
            seed=self._seed,
            anneal=anneal,
            verbose=verbose,
        )

    def _refit_epochs(self, row):
        """The best trial's best epoch, rounded half up (at least 1)."""
        if row["best_epoch"] is not None:
            return max(1, math.floor(row["best_epoch"] + 0.5))
        # A search from before trials recorded their best epoch: the epochs
        # run per fold, less the patience that ended a trial early.
        import warnings

        stage = self.stages[row["stage"]]
        epochs = (row["epochs"] or stage["epochs"]) / self._folds
        if stage["patience"] and row["status"] == "completed":
            if epochs < stage["epochs"]:
                epochs -= stage["patience"]
        warnings.warn(
            f"Stage {row['stage']} trial {row['trial_id']} did not record its best "
            f"epoch (a search from an older keras-recipes); the refit trains "
            f"{max(1, math.floor(epochs + 0.5))} epochs, from the epochs it ran. "
            "Run the search again with overwrite=True for the exact best epoch.",
            stacklevel=3,
        )
        return max(1, math.floor(epochs + 0.5))

    def plot(self, path=None, x="learning_rate", y="l2"):
        """Scatters `x` against `y` (log axes), colored by the objective;
        stopped and failed trials are crosses. Writes a PNG when `path` is
        given; returns the `matplotlib.figure.Figure` (inline in Jupyter)."""
        from matplotlib.figure import Figure

        name = self.objective.name
        ok = [
            r
            for r in self._rows
            if r.get(x) and r.get(y) and r["status"] == "completed"
        ]
        bad = [r for r in self._rows if r.get(x) and r.get(y) and r not in ok]
        fig = Figure(figsize=(6, 4.5), dpi=100, layout="constrained")
        ax = fig.subplots()
        if ok:
            pts = ax.scatter(
                [r[x] for r in ok],
                [r[y] for r in ok],
                c=[r[name] for r in ok],
                s=[30 + 15 * r["stage"] for r in ok],
                cmap="viridis",
            )
            fig.colorbar(pts, ax=ax, label=name)
        if bad:
            ax.scatter(
                [r[x] for r in bad],
                [r[y] for r in bad],
                marker="x",
                c="red",
                label="stopped / failed",
            )
            ax.legend(loc="best")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(f"Random search: {x} vs {y} (bigger = later stage)")
        if path is not None:
            fig.savefig(path)
        return fig
