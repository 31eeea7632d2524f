"""The average of several networks on a small table (private).

On a table of a few hundred rows one network's test score moves by a point
or more with its initialization (wine: 0.9167 to 1.0 on one split), and a
linear model, which has no such variance, ends above it. `babysit` there
trains `MEMBERS` networks the same way (the first under the Babysitter,
the others with the same stopping and annealing, each from its own seed
and stopping on its own fold of the training and validation rows) and
keeps their average: a deep ensemble (Lakshminarayanan et al., 2017) whose
members, between them, learn from every row, as cross-validation bagging
does.

Example:

>>> import keras, numpy as np
>>> from recipes.run._ensemble import average
>>> members = [keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
...            for _ in range(2)]
>>> model = average(members)
>>> model.output_shape
(None, 1)
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

from recipes.run import _devices
from recipes.training import train_babysat

ROWS = 1000  # tables with fewer training rows are averaged by default
MEMBERS = 5


def default_size(splits, *, recipe_model, tune):
    """`MEMBERS` for the recipe's own model on a table of under `ROWS`
    training rows (not after a search), else 1."""
    if splits.table is None or not recipe_model or tune:
        return 1
    return MEMBERS if len(splits.x_train) < ROWS else 1


def member_splits(splits, count, seed):
    """Each further member's splits: a fold of the training and validation
    rows pooled (stratified for classes) for its early stopping, the rest
    to train on, so that together the members learn from every row."""
    from recipes.search._folds import folds

    x = np.concatenate([splits.x_train, splits.x_val])
    y = np.concatenate([splits.y_train, splits.y_val])
    k = count + 1  # each fold about the first member's validation share
    if splits.task == "classification":
        counts = np.bincount(y.astype("int64"))
        k = min(k, int(counts[counts > 0].min()))
    else:
        k = min(k, len(y) // 2)  # KFold needs two rows a fold
    if k < 2:  # a class too rare to fold: every member on the first's split
        return [splits] * count
    parts = folds(x, y, k, None, seed, splits.task)
    return [
        dataclasses.replace(splits, x_train=xt, y_train=yt, x_val=xv, y_val=yv)
        for xt, yt, (xv, yv) in (parts[i % k] for i in range(count))
    ]


def train_members(
    make,
    splits,
    *,
    count,
    learning_rate,
    epochs,
    batch_size,
    patience,
    seed,
    distribution=None,
):
    """`count` more networks from `make(rate, seed, splits)`, each trained
    like the first on its own fold (`member_splits`), on the first's
    devices (`distribution`)."""
    training = dict(
        learning_rate=learning_rate,
        epochs=epochs,
        batch_size=batch_size,
        patience=patience,
        seed=seed,
        distribution=distribution,
    )
    return [
        _train_one(make, data, k, **training)
        for k, data in enumerate(member_splits(splits, count, seed), start=1)
    ]


def _train_one(
    make, data, k, *, learning_rate, epochs, batch_size, patience, seed, distribution
):
    member_seed = None if seed is None else seed + k
    if member_seed is not None:
        keras.utils.set_random_seed(member_seed)
    with _devices.scope(distribution):
        member = make(learning_rate, member_seed, data)
        train_babysat(
            member,
            *_devices.even_rows(data.x_train, data.y_train, distribution),
            validation_data=_devices.even_rows(data.x_val, data.y_val, distribution),
            epochs=epochs,
            batch_size=batch_size,
            patience=patience,
            anneal_from=learning_rate,
        )
    return member


def member_scores(model, splits):
    """Each member's own test score (accuracy, or R²), in order: how far one
    network would have landed from the average.

    The members are called directly, not through `predict`: on TensorFlow a
    `predict` per new model traces a function each time, and five in a row
    print TensorFlow's "retracing" warning.
    """
    from sklearn.metrics import accuracy_score, r2_score

    members = [m for m in model.layers if m.name.startswith("member_")]
    scores = []
    x = splits.x_test
    for member in members:
        out = np.concatenate(
            [
                keras.ops.convert_to_numpy(member(x[i : i + 1024], training=False))
                for i in range(0, len(x), 1024)  # a large test split in slices
            ]
        ).astype("float64")
        if splits.task == "regression":
            scores.append(float(r2_score(splits.y_test, out.reshape(len(out), -1))))
            continue
        out = out.reshape(len(out), -1)
        pred = (out[:, 0] > 0.5).astype(int) if out.shape[1] == 1 else out.argmax(1)
        scores.append(float(accuracy_score(splits.y_test, pred)))
    return scores


def average(members, *, name="ensemble"):
    """One model whose output is the mean of the members' outputs (class
    probabilities, or the target in its units), compiled like the first.

    The members are nested models, so the average reloads in safe mode.
    """
    first = members[0]
    inputs = keras.Input(first.input_shape[1:], dtype=first.inputs[0].dtype)
    for i, member in enumerate(members):
        member.name = f"member_{i}"  # unique names inside the average
    outputs = keras.layers.Average(name="average")([m(inputs) for m in members])
    model = keras.Model(inputs, outputs, name=name)
    if getattr(first, "compiled", False) and first.loss is not None:
        from recipes.models.data_loss import with_data_loss

        given = (first.get_compile_config() or {}).get("metrics") or []
        given = given if isinstance(given, list) else [given]
        metrics = [m for m in given if m is not None and "DataLoss" not in str(m)]
        metrics = [
            keras.saving.deserialize_keras_object(m) if isinstance(m, dict) else m
            for m in metrics
        ]
        # A fresh optimizer: the average is evaluated, never trained.
        model.compile(optimizer="adam", loss=first.loss, metrics=metrics)
        # Built, so that its (zero) slots save and reload as they are.
        model.optimizer.build(model.trainable_variables)
        if len(metrics) < len(given):  # the first logged its data loss
            model = with_data_loss(model)
    return model
