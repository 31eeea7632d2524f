"""The refit rule: how long `TuneResult.best_model(refit=True)` trains, and
its learning-rate schedule (hold the trial's rate, then a short cosine).

Example:

>>> import keras
>>> from recipes.search.refit import refit_plan
>>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
>>> model.compile(keras.optimizers.Adam(1e-3), "mse")
>>> refit_plan(model, best_epoch=6, n_rows=100, batch_size=10)  # 6 held + 3 decaying
9
"""

from __future__ import annotations

import math

import keras


def anneal_learning_rate(model, steps, hold_steps=0):
    """Decays a compiled model's learning rate to 0 over `steps` on a cosine,
    after holding it for `hold_steps`.

    `keras.optimizers.schedules.CosineDecay` from the optimizer's rate (the
    hold is its warmup to the same rate); an optimizer that already has a
    schedule is left alone. Returns `model`.
    """
    optimizer = model.optimizer
    if isinstance(optimizer.get_config()["learning_rate"], dict):
        return model  # a serialized schedule: the user's choice
    rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    hold = (
        {"warmup_target": rate, "warmup_steps": int(hold_steps)} if hold_steps else {}
    )
    optimizer.learning_rate = keras.optimizers.schedules.CosineDecay(
        rate, decay_steps=max(1, int(steps)), **hold
    )
    return model


def trial_epochs(row, stages, folds=1):
    """The best epoch of a trial's table row, rounded half up (at least 1).

    A search from before trials recorded their best epoch: the epochs it ran
    per fold, less the patience that ended it early, with a warning.
    """
    if row["best_epoch"] is not None:
        return max(1, math.floor(row["best_epoch"] + 0.5))
    import warnings

    stage = stages[row["stage"]]
    epochs = (row["epochs"] or stage["epochs"]) / folds
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


def refit_plan(model, best_epoch, n_rows, batch_size, *, anneal=True):
    """How long a refit trains, for a trial whose best epoch was `best_epoch`.

    Sets the learning-rate schedule of the compiled `model` (when `anneal`)
    and returns the number of epochs to train on `n_rows` rows in batches of
    `batch_size`. `E`, the best epoch rounded half up (at least 1), is how
    far the trial got at its constant rate. Without `anneal` the refit
    trains `E` epochs at that rate. With it, it holds the rate for those
    `E` epochs, then decays it to 0 on a cosine over `ceil(E / 2)` more
    (`CosineDecay` with a constant warmup: warmup, stable, decay). A cosine
    over the `E` epochs alone averages half the rate, so at a low rate the
    refit stopped short of where the trial's best epoch was (MNIST-1D seed
    4: 0.711 against its trial model's 0.724); the decay added after the
    trial's path settles it instead.

    Reference:
        Hägele et al., "Scaling Laws and Compute-Optimal Training Beyond
        Fixed Training Durations" (2024), the constant rate and a short
        cooldown.
    """
    epochs = max(1, math.floor(float(best_epoch) + 0.5))
    if not anneal:
        return epochs
    steps = math.ceil(n_rows / batch_size)
    decay = math.ceil(epochs / 2)
    anneal_learning_rate(model, decay * steps, hold_steps=epochs * steps)
    return epochs + decay
