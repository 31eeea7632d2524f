"""The average of several networks on a small table (private).

On a table of a few hundred rows one network's test score moves by a point
or more with its initialization (wine: 0.889 to 1.0 on one split), and a
linear model, which has no such variance, ends above it. `babysit` there
trains `MEMBERS` networks the same way (the first under the Babysitter,
the others with the same stopping and annealing, each from its own seed)
and keeps their average: a deep ensemble (Lakshminarayanan et al., 2017).

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

import keras

ROWS = 1000  # tables with fewer training rows are averaged by default
MEMBERS = 5


def default_size(splits, *, recipe_model, tune):
    """`MEMBERS` for the recipe's own model on a table of under `ROWS`
    training rows (not after a search), else 1."""
    if splits.table is None or not recipe_model or tune:
        return 1
    return MEMBERS if len(splits.x_train) < ROWS else 1


def stopping_callbacks(patience, learning_rate):
    """Early stopping on `val_loss` (best weights restored) and the rate cut
    by 0.3 after a third of the patience, down to a hundredth."""
    return [
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=patience, restore_best_weights=True
        ),
        # Anneal once validation stalls (before early stopping gives up).
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss",
            factor=0.3,
            patience=max(1, patience // 3),
            min_lr=learning_rate / 100,
        ),
    ]


def train_members(
    make, splits, *, count, learning_rate, epochs, batch_size, patience, seed
):
    """`count` more networks from `make(rate, seed)`, trained like the first."""
    members = []
    for k in range(1, count + 1):
        member_seed = None if seed is None else seed + k
        if member_seed is not None:
            keras.utils.set_random_seed(member_seed)
        member = make(learning_rate, member_seed)
        member.fit(
            splits.x_train,
            splits.y_train,
            epochs=epochs,
            batch_size=batch_size,
            validation_data=(splits.x_val, splits.y_val),
            callbacks=stopping_callbacks(patience, learning_rate),
            verbose=0,
        )
        members.append(member)
    return members


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
