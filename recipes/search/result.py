"""`TuneResult`: what `recipes.tune` found, as a table, a plot and findings."""

from __future__ import annotations

import math
import os

from recipes.search import _findings as _search_findings
from recipes.search import _trial_rows
from recipes.search import refit as _refit
from recipes.search import stages as _stages


def _sign(direction):
    return 1 if direction == "max" else -1


class TuneResult:
    """The outcome of `recipes.tune`: best values, every trial, findings.

    Attributes:
        directory: Folder holding the search (`stage_0`, `stage_1`, ...).
        objective: The `keras_tuner.Objective` searched.
        stages: The stages, with every key filled.
        search_spaces: The search space of each stage (narrowed after 0),
            in the user-facing format.
        findings: `Finding`s: ranges whose best value sits at an edge
            and won there (`search_range_edge`, warning), trials the
            Babysitter stopped (`trial_stopped`, info) and cross-validation
            chosen for a small validation set (`search_cv_default`, info).
        role: `"single"`, `"chief"` or `"worker"`.
        hypermodel: The `RecipeHyperModel` searched (its builder, full space
            and fixed builder arguments), or `None`.
        task: `"classification"` or `"regression"`.
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
        notes=(),
        n_rows=None,
        hypermodel=None,
        task="classification",
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
        self._notes = list(notes)
        self._n_rows = n_rows  # training rows of a trial (of a fold)
        self.role = role
        self.hypermodel = hypermodel
        self.task = task
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
        direction = tuner.oracle.objective.direction

        def key(t):
            score = t.score if t.score is not None else -math.inf * _sign(direction)
            metrics = t.metrics
            tie = (
                metrics.get_last_value(_stages.TIE_BREAK)
                if metrics.exists(_stages.TIE_BREAK)
                else math.inf
            )
            return (-_sign(direction) * score, tie)

        best = sorted(completed, key=key)[: _stages.top_count(top, len(completed))]
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

    def _rank(self, row):
        """Sort key, best first: the objective, then `val_loss` at the best
        epoch (ties), then the later stage (trained longer)."""
        name = self.objective.name
        value = row[name]
        scored = value is not None and math.isfinite(value)
        scored = scored and row["status"] != "failed"
        tie = row.get(_stages.TIE_BREAK)
        return (
            not scored,
            -_sign(self.objective.direction) * value if scored else 0.0,
            tie if tie is not None and math.isfinite(tie) else math.inf,
            -row["stage"],
        )

    def sorted_rows(self):
        """The table's rows, best first (see `table(sort=True)`)."""
        return [dict(r) for r in sorted(self._rows, key=self._rank)]

    def _best_row(self):
        ranked = sorted(self._rows, key=self._rank)
        if not ranked or self._rank(ranked[0])[0]:
            raise ValueError(
                "No trial finished with a finite objective, so there is no best "
                f"trial; see `table()` for the reasons. Received: {len(self._rows)} "
                "trials"
            )
        return ranked[0]

    @property
    def best_trial(self):
        """The table row of the best trial (a tie goes to the lower
        `val_loss` at the best epoch, then to the later stage)."""
        return dict(self._best_row())

    @property
    def best_hyperparameters(self):
        """A dict of the best trial's hyperparameter values."""
        row = self._best_row()
        return {n: row[n] for n in self._specs[row["stage"]]}

    def _findings(self):
        return _search_findings.search_findings(self)

    def table(self, sort=False):
        """One row a trial: stage, trial id, every hyperparameter, objective,
        `val_loss_at_best` (the tie-break), status, epochs run, best epoch
        (of the objective: the weights a trial keeps, the epochs a refit
        trains; with `cv`, the mean over folds; empty for searches from
        before it was recorded), seconds and reason. In the order the trials
        ran, or best first with `sort=True`. A pandas DataFrame when pandas
        is installed, else a list of dicts."""
        rows = self.sorted_rows() if sort else [dict(r) for r in self._rows]
        try:
            import pandas as pd
        except ImportError:
            return rows
        return pd.DataFrame(rows)

    def to_csv(self, path):
        """Writes the table, best trial first, to `path` as CSV; returns it."""
        import csv

        rows = self.sorted_rows()
        with open(path, "w", newline="") as f:
            fields = list(rows[0]) if rows else ["stage", "trial_id"]
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        return path

    def folder_moved(self, old, new):
        """Follows the rename of a folder holding the search.

        `recipes.babysit` searches inside its run folder while the folder
        has a temporary name, and renames it at the end: the result's
        `directory`, and the trial models `best_model` loads, then follow it
        to the final folder. A search outside `old` is left as it is.

        Args:
            old: The folder's path before the rename.
            new: Its path after the rename.
        """
        old, new = os.path.abspath(old), os.path.abspath(new)
        here = os.path.abspath(self.directory)
        if os.path.commonpath([here, old]) != old:
            return
        self.directory = os.path.normpath(os.path.join(new, os.path.relpath(here, old)))
        for tuner in self._tuners or ():
            tuner.directory = self.directory
            # as KerasTuner's own BaseTuner points its oracle at the folder
            tuner.oracle._set_project_dir(self.directory, tuner.project_name)

    def best_model(self, *, refit=None, anneal=True, verbose=0):
        """The best trial's model, or its hyperparameters trained on all data.

        Args:
            refit: `False` loads the best trial's model with the weights of
                its best epoch (instant). `True` builds a fresh model with
                the best hyperparameters, preprocessing fitted on every
                example the search saw (`x` and the validation data, or all
                of `x` with `cv`), and trains it for the best trial's best
                epoch (with `cv`, the mean over folds, rounded half up; see
                `anneal` for the epochs added to anneal), as
                scikit-learn's `refit=True` and KerasTuner's guide do. It
                trains without `tune`'s `callbacks` and, with
                `tune(seed=...)`, reseeds Python, NumPy and the backend so
                it is reproducible. Nothing is left to validate it on:
                measure it on a test set. `None` means `True` with `cv` (no
                single trial model exists), else `False`. Defaults to `None`.
            anneal: For a refit, hold the trial's rate for its best epoch's
                count `E`, then decay it to 0 on a cosine over `ceil(E / 2)`
                more epochs (`keras.optimizers.schedules.CosineDecay` with a
                constant warmup; see `recipes.search.refit.refit_plan`).
                The trial kept the weights of its best epoch, picked on the
                validation set; a refit has none left, and at a constant
                rate it would end on a noisy step. Annealing lets the last
                epochs settle (CS231n's "anneal the learning rate"); the
                decay comes after the trial's `E` epochs, since a cosine
                over them alone averages half the rate and at a low rate
                ends short of the trial. `False` trains `E` epochs at the
                constant rate. An optimizer that already has a schedule is
                left alone. Defaults to `True`.
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
            best_epoch=_refit.trial_epochs(row, self.stages, self._folds),
            seed=self._seed,
            anneal=anneal,
            verbose=verbose,
        )

    def plot(self, path=None):
        """Small multiples: the objective against each searched
        hyperparameter (log axes for log ranges), one panel each, colored by
        stage, the best trial a red star, stopped and failed trials crosses.
        Writes a PNG when `path` is given; returns the
        `matplotlib.figure.Figure` (shown inline in Jupyter)."""
        from recipes.search import _plot

        return _plot.plot_trials(self, path)

    def _repr_html_(self):
        """The best trial, the findings, every trial best first and the plot
        (Jupyter's display)."""
        from recipes.search._display import tune_html

        return tune_html(self)
