"""The pieces of `tune` that run inside KerasTuner: stages and their trials.

`StageTuner` is a KerasTuner random search (`StageOracle`, a
`RandomSearchOracle` whose first trials can be given) whose `run_trial` adds
what KerasTuner lacks: a per-trial seed, k-fold cross-validation, the
Babysitter (a trial it finds dead or diverging stops early and is recorded
with the reason), early stopping on the objective, and the epochs each trial
really ran.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import time

import keras
import keras_tuner
import numpy as np

from recipes.search._stage_spec import (  # noqa: F401 (part of this module's API)
    DEFAULT_STAGES,
    parse_stages,
    top_count,
)
from recipes.search.refit import refit_plan
from recipes.training import train_babysat

SIDE_FILE = "recipes_trial.json"
# The trial metric that ranks trials tied on the objective (lower wins).
TIE_BREAK = "val_loss_at_best"
# The Babysitter of a trial: only the checks whose errors stop a trial on
# the loss (NaN, diverging). Timed inside the hooks (benchmarks/
# trial_overhead.py, MNIST-1D, 2 epochs), every check cost about 0.9 s a trial
# on a loaded machine: the probe model's tracing for each new model (the dead-
# unit and activation checks) about half, the gradient check's tracing and
# per-epoch pass a third, BatchNormMonitor most of the rest; the dead-unit
# check alone still costs the probe's tracing (0.2-0.8 s). The loss checks
# cost about 0.1 s. The babysat run after the search watches with every check.
TRIAL_CHECKS = ("nan_loss", "diverging_loss")
TRIAL_BABYSITTER = {"verbose": 0, "probe_size": 256, "checks": list(TRIAL_CHECKS)}


def best_of(history, direction):
    """Best value of a per-epoch list; NaNs ignored, all-NaN gives the worst."""
    arr = np.asarray(history, dtype="float64")
    if not np.isfinite(arr).any():
        return -math.inf if direction == "max" else math.inf
    return float(np.nanmax(arr) if direction == "max" else np.nanmin(arr))


def best_epoch(history, direction):
    """1-based epoch of the first best value of a per-epoch list (0 if none)."""
    arr = np.asarray(history, dtype="float64")
    if not np.isfinite(arr).any():
        return 0
    arr = np.where(np.isfinite(arr), arr, -np.inf if direction == "max" else np.inf)
    return int(np.argmax(arr) if direction == "max" else np.argmin(arr)) + 1


class StageOracle(keras_tuner.oracles.RandomSearchOracle):
    """`RandomSearchOracle` whose first trials are given (`first_values`).

    `first_values` is a list of dicts of legal values (see
    `_search_space.place`): trial `k` of a new project takes
    `first_values[k]`; names it lacks are sampled as usual. `tune`
    starts stage 0 with the builder's defaults, so the search always
    measures the recipe's own model, and each later stage with the best
    trial of the stage before and the defaults again, both trained as long
    as this stage trains. A value that duplicates an earlier trial falls
    back to the random draw; the random sequence itself is unchanged, so a
    resumed search goes on exactly where it stopped.
    """

    def __init__(self, *args, first_values=(), deadline=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.first_values = [dict(v) for v in first_values or ()]
        self.deadline = deadline  # time.time(): no new trial after it

    def populate_space(self, trial_id):
        # Every stage that starts runs at least one trial.
        if self.deadline is not None and time.time() >= self.deadline and self.trials:
            return {"status": keras_tuner.engine.trial.TrialStatus.STOPPED}
        response = super().populate_space(trial_id)
        k = len(self.trials)
        if k >= len(self.first_values) or response.get("values") is None:
            return response
        given = self.first_values[k]
        values = {n: given.get(n, v) for n, v in response["values"].items()}
        if self._duplicate(values):
            return response  # e.g. the defaults were the previous stage's best
        return {**response, "values": values}


class StageTuner(keras_tuner.Tuner):
    """One stage of the search: random search with the recipe's trial loop."""

    def __init__(
        self,
        hypermodel,
        *,
        objective,
        max_trials,
        seed=None,
        first_values=(),
        trial_seed=None,
        deadline=None,
        **kwargs,
    ):
        oracle = StageOracle(
            objective=objective,
            max_trials=max_trials,
            # KerasTuner takes a seed of 0 for "no seed" (a random one).
            seed=None if seed is None else int(seed) + 1,
            first_values=first_values,
            deadline=deadline,
        )
        super().__init__(oracle, hypermodel, **kwargs)
        self.trial_seed = trial_seed

    def strategy_scope(self):
        if self.distribution_strategy is None:
            return contextlib.nullcontext()
        return self.distribution_strategy.scope()

    def checkpoint_path(self, trial_id):
        return os.path.join(self.get_trial_dir(trial_id), "checkpoint.weights.h5")

    def run_trial(
        self,
        trial,
        folds,
        *,
        epochs,
        patience=None,
        babysit=True,
        callbacks=(),
        verbose=0,
        progress=None,
    ):
        start = time.perf_counter()
        hp = trial.hyperparameters
        if self.trial_seed is not None:
            keras.utils.set_random_seed(int(self.trial_seed) + int(trial.trial_id))
        objective = self.oracle.objective
        scores, bests, epochs_run, found, stopped = [], [], 0, [], None
        tie_losses = []
        for x, y, validation_data in folds:
            with self.strategy_scope():
                model = self.hypermodel.build_for_data(hp, x, y)
            sitter = None
            if babysit:
                from callbacks import Babysitter

                sitter = Babysitter(**TRIAL_BABYSITTER)
            run = train_babysat(
                model,
                x,
                y,
                validation_data=validation_data,
                epochs=epochs,
                batch_size=self.hypermodel.batch_size(hp),
                babysitter=sitter,
                stop_on_error=babysit,
                patience=patience,
                monitor=objective.name,
                mode=objective.direction,
                restore_best=False,
                checkpoint=(
                    self.checkpoint_path(trial.trial_id) if len(folds) == 1 else None
                ),
                callbacks=copy.deepcopy(list(callbacks)),
                verbose=verbose,
            )
            values = run.history.get(objective.name)
            if values is None:
                raise keras_tuner.errors.FatalValueError(
                    f"The objective {objective.name!r} is not among the training "
                    f"logs {sorted(run.history)}. Use one of them as "
                    f"`objective`. Received: objective={objective.name!r}"
                )
            scores.append(best_of(values, objective.direction))
            bests.append(best_epoch(values, objective.direction))
            losses = run.history.get("val_loss")
            if losses and bests[-1]:
                tie_losses.append(float(losses[bests[-1] - 1]))
            epochs_run += len(values)
            found.extend(run.findings)
            if run.stopped_by is not None:
                stopped = run.stopped_by
                break  # a dead configuration: skip the remaining folds
        seconds = time.perf_counter() - start
        side = {
            "epochs_run": epochs_run,
            "stopped_by": stopped.check if stopped else None,
            "reason": str(stopped) if stopped else "",
            "findings": [f.to_dict() for f in found if f.severity != "info"],
            "seconds": seconds,
            "tuner_id": self.tuner_id,
        }
        # Written whole or not at all: another process (a worker finishing
        # its last trial, the chief) may read the trial folder at any time.
        final = os.path.join(self.get_trial_dir(trial.trial_id), SIDE_FILE)
        with open(final + ".partial", "w") as f:
            json.dump(side, f)
        os.replace(final + ".partial", final)
        metrics = {
            objective.name: float(np.mean(scores)),
            "epochs_run": float(epochs_run),
            # The epoch whose weights the trial keeps (mean over cv folds):
            # how long a refit on all the data trains.
            "best_epoch": float(np.mean(bests)),
            "stopped_early": float(stopped is not None),
            "seconds": float(seconds),
        }
        if tie_losses and np.isfinite(tie_losses).all():
            # Breaks ties on the objective (22 validation rows: many trials
            # at accuracy 1.0): the validation loss at the kept epoch.
            metrics[TIE_BREAK] = float(np.mean(tie_losses))
        if progress is not None:
            from recipes.search import _progress

            stage, specs = progress
            print(
                _progress.trial_line(
                    stage, trial, specs, objective.name, metrics, stopped
                ),
                flush=True,
            )
        return metrics

    def refit(self, trial, x, y, *, best_epoch, seed=None, anneal=True, verbose=0):
        """A fresh model of `trial`'s hyperparameters trained on `x, y`, for
        as long as `refit_plan` says for a trial whose best epoch was
        `best_epoch`."""
        if seed is not None:
            keras.utils.set_random_seed(int(seed))
        hp = trial.hyperparameters
        with self.strategy_scope():
            model = self.hypermodel.build_for_data(hp, x, y)
        batch_size = self.hypermodel.batch_size(hp)
        epochs = refit_plan(model, best_epoch, len(x), batch_size, anneal=anneal)
        self.hypermodel.fit(hp, model, x, y, epochs=epochs, verbose=verbose)
        return model

    def load_model(self, trial):
        import warnings

        with self.strategy_scope():
            model = self.hypermodel.build(trial.hyperparameters)
            with warnings.catch_warnings():  # the optimizer is rebuilt on fit
                warnings.filterwarnings("ignore", message="Skipping variable loading")
                model.load_weights(self.checkpoint_path(trial.trial_id))
        return model
