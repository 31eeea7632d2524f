"""`tune`'s argument checks and its data plan (private), all before a trial.

Example:

>>> from recipes.search._tune_args import objective_of
>>> objective_of(None, "classification").name
'val_accuracy'
"""

from __future__ import annotations

import time

import keras_tuner
import numpy as np

from recipes.search import _folds
from recipes.search import stages as _stages
from recipes.search.hypermodel import RecipeHyperModel

_OBJECTIVES = {
    "val_accuracy": "max",
    "val_loss": "min",
    "val_mae": "min",
    "val_mean_absolute_error": "min",
    "accuracy": "max",
    "loss": "min",
}


def objective_of(objective, task):
    """The `keras_tuner.Objective` of `tune(objective=...)` for `task`."""
    if objective is None:
        objective = "val_loss" if task == "regression" else "val_accuracy"
    if objective == "val_mean_absolute_error":  # Keras logs metrics=["mae"] so
        objective = "val_mae"
    if task == "regression" and objective in ("val_accuracy", "accuracy"):
        raise ValueError(
            f"{objective!r} is a classification score; a regression search "
            "minimizes 'val_loss' (the default) or 'val_mae'. "
            f"Received: objective={objective!r}"
        )
    if isinstance(objective, keras_tuner.Objective):
        return objective
    if objective not in _OBJECTIVES:
        raise ValueError(
            f"Unknown objective {objective!r}. Expected one of {sorted(_OBJECTIVES)} "
            "or a keras_tuner.Objective(name, direction). "
            f"Received: objective={objective!r}"
        )
    return keras_tuner.Objective(objective, _OBJECTIVES[objective])


def refuse_removed(kwargs):
    """A `TypeError` for the first keyword of `kwargs`: the new way for
    `builder_kwargs`, Python's own message for any other."""
    for name, value in kwargs.items():
        if name != "builder_kwargs":
            raise TypeError(f"tune() got an unexpected keyword argument {name!r}")
        raise TypeError(
            "`builder_kwargs` was removed from tune: pass a RecipeHyperModel, "
            "which carries the builder's fixed arguments, as `builder`. For "
            "example: builder=recipes.RecipeHyperModel('mlp', "
            f"builder_kwargs={{'l2': 0.1}}). Received: builder_kwargs={value!r}"
        )


def builder_of(builder, search_space, input_shape):
    """`(builder name, search space, fixed builder arguments)` of `tune`'s
    `builder` (a name or a `RecipeHyperModel`) and `search_space`."""
    if not isinstance(builder, RecipeHyperModel):
        if not isinstance(builder, str) or builder not in ("mlp", "cnn"):
            raise ValueError(
                "`builder` must be 'mlp' (build_mlp), 'cnn' (build_cnn) or a "
                f"RecipeHyperModel. Received: builder={builder!r}"
            )
        return builder, search_space, {}
    if search_space is not None:
        raise ValueError(
            "A RecipeHyperModel carries its own search space: pass the space "
            "to it, or a builder name with `search_space`, not both. "
            f"Received: search_space={search_space!r} and a RecipeHyperModel"
        )
    given = builder.input_shape
    if given is not None and tuple(given) != tuple(input_shape):
        raise ValueError(
            f"The RecipeHyperModel was made for inputs of shape {tuple(given)}, "
            f"but x has {tuple(input_shape)}. Leave its `input_shape` unset (the "
            f"data gives it). Received: x with input shape {tuple(input_shape)}"
        )
    return builder.builder, builder.search_space, dict(builder.builder_kwargs)


def stage_list(stages, max_trials):
    """The parsed stages, with `max_trials=N` as one stage of N trials."""
    if max_trials is not None:
        if isinstance(max_trials, bool) or not isinstance(max_trials, int):
            raise TypeError(
                "`max_trials` is the number of trials of a one-stage search, an "
                f"integer >= 1. Received: max_trials={max_trials!r}"
            )
        if max_trials < 1 or stages is not None:
            raise ValueError(
                "`max_trials=N` is a shortcut for one stage of N >= 1 trials "
                "(stages=[{'trials': N, 'epochs': 10}]); pass it or `stages`, "
                f"not both. Received: max_trials={max_trials!r}, stages={stages!r}"
            )
        stages = [{**_stages.DEFAULT_STAGES[0], "trials": max_trials}]
    return _stages.parse_stages(_stages.DEFAULT_STAGES if stages is None else stages)


def deadline_of(time_limit):
    """The `time.time()` after which no trial starts, or None."""
    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, (int, float))
        or not time_limit > 0
    ):
        raise ValueError(
            "`time_limit` is a number of seconds > 0, or None for no limit. "
            f"Received: time_limit={time_limit!r}"
        )
    return None if time_limit is None else time.time() + time_limit


def check_verbose(verbose):
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(
            "`verbose` is 0 (silent), 1 (a line per trial and the top 5) or 2 "
            f"(also KerasTuner's and fit's output). Received: verbose={verbose!r}"
        )


def check_strategy(strategy):
    """KerasTuner builds and trains each trial under a `tf.distribute.Strategy`,
    on TensorFlow only (it reads the strategy's `extended`)."""
    if strategy is None:
        return
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if isinstance(strategy, tf.distribute.Strategy):
            return
    raise TypeError(
        "`distribution_strategy` must be a tf.distribute.Strategy (e.g. "
        "tf.distribute.MirroredStrategy()) on the TensorFlow backend: KerasTuner "
        "builds and trains each trial under it. On JAX and PyTorch the trials "
        "run on one device: pass None. Received: distribution_strategy of type "
        f"{type(strategy).__name__} on the {backend} backend"
    )


def data_plan(x, y, validation_data, cv, validation_split, seed, task, verbose):
    """What each trial trains and validates on.

    Returns `(validation_data, cv, notes, folds, x_all, y_all)`: the checked
    validation data, the folds per trial (None: one validation set), the
    notes of an automatic `cv`, the `(x, y, (x_val, y_val))` of each fold,
    and every example the search sees (what a refit trains on).
    """
    if validation_data is None and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be in (0, 1). "
            f"Received: validation_split={validation_split!r}"
        )
    if validation_data is not None:
        validation_data = _folds.check_validation(x, y, validation_data, task)
    notes = []
    if isinstance(cv, str) and cv == "auto":
        cv, note = _folds.auto_cv(x, y, validation_data, validation_split, task)
        notes += [note] if note else []
        if note and verbose:
            print(f"[tune] {note}", flush=True)
    elif cv is not None and (isinstance(cv, bool) or not isinstance(cv, int) or cv < 2):
        raise ValueError(
            "`cv` is the number of folds (an integer >= 2), 'auto' (5 folds when "
            f"the validation set would have under {_folds.SMALL_VALIDATION} rows) "
            f"or None (never). Received: cv={cv!r}"
        )
    # Everything the search sees; with `cv` the folds are cut from all of it.
    x_all, y_all = x, y
    if validation_data is not None:
        x_all = np.concatenate([x, validation_data[0]])
        y_all = np.concatenate([y, validation_data[1]])
    if cv is not None:
        folds = _folds.folds(x_all, y_all, cv, validation_split, seed, task)
    elif validation_data is not None:
        folds = [(x, y, validation_data)]
    else:
        folds = _folds.folds(x, y, None, validation_split, seed, task)
    return validation_data, cv, notes, folds, x_all, y_all
