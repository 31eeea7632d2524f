"""The search's trials as table rows, read from its stage folders.

Read from disk rather than from the tuners, so a resumed search, a chief and
a worker all see every trial that finished, whoever ran it.
"""

from __future__ import annotations

import glob
import json
import os

from recipes.search import stages as _stages

_STATUS = {"COMPLETED": "completed", "FAILED": "failed", "INVALID": "failed"}


def _load_trials(stage_dir):
    from keras_tuner.engine.trial import Trial

    trials = []
    for fname in sorted(glob.glob(os.path.join(stage_dir, "trial_*", "trial.json"))):
        try:
            trial = Trial.load(fname)
        except ValueError:
            # KerasTuner's chief rewrites trial.json in place; a worker that
            # finished early can read it mid-write. That trial is still
            # running, so it is not part of this worker's table.
            continue
        side_file = os.path.join(os.path.dirname(fname), _stages.SIDE_FILE)
        side = {}
        if os.path.exists(side_file):
            with open(side_file) as f:
                side = json.load(f)
        trials.append((trial, side))
    return trials


def _last(metrics, name, default=None, digits=None):
    """The last recorded value of a trial metric, or `default`."""
    if not metrics.exists(name):
        return default
    value = metrics.get_last_value(name)
    return value if digits is None else round(value, digits)


def read_rows(directory, n_stages, names, objective_name):
    """One dict a trial of `directory/stage_i`, for `TuneResult.table()`."""
    rows = []
    for i in range(n_stages):
        stage_dir = os.path.join(directory, f"stage_{i}")
        for trial, side in _load_trials(stage_dir):
            metrics = trial.metrics
            value = (
                metrics.get_best_value(objective_name)
                if metrics.exists(objective_name)
                else None
            )
            status = _STATUS.get(trial.status, trial.status.lower())
            reason = side.get("reason", "")
            if _last(metrics, "stopped_early"):
                status = "stopped_early"
                reason = reason or "stopped by the Babysitter"
            elif status == "failed" and trial.message:
                reason = trial.message.strip().splitlines()[-1]
            row = {"stage": i, "trial_id": trial.trial_id}
            hp = trial.hyperparameters.values
            row.update({n: hp.get(n) for n in names})
            row[objective_name] = value
            row[_stages.TIE_BREAK] = _last(metrics, _stages.TIE_BREAK, digits=5)
            row["status"] = status
            epochs = _last(metrics, "epochs_run", side.get("epochs_run"))
            row["epochs"] = int(epochs) if epochs is not None else None
            row["best_epoch"] = _last(metrics, "best_epoch", digits=1)
            row["seconds"] = _last(metrics, "seconds", digits=2)
            row["reason"] = reason
            row["tuner_id"] = side.get("tuner_id")
            rows.append(row)
    return rows
