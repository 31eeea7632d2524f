"""`save_model`: a `.keras` file that Keras alone loads, compiled as trained.

A model the recipe trains is compiled with two classes of its own: the
`data_loss` metric (`DataLoss`, so the logs show the loss without the L2
penalty) and, for a regression target, `StandardizedTargetLoss` (the mean
squared error over the training variance). Saved as they are, they make
`keras.saving.load_model` fail in a process that has not imported them
("Could not locate class 'DataLoss'"). `save_model` writes the compile
Keras's built-ins give for the same model: `data_loss` left out (it is the
run's diagnostic; the builders leave it out too), and the standardized loss
of one target written as `"mean_squared_error"` with the loss weight
`1 / std**2`, which is the same number. The weights, the optimizer and its
state are the model's own. Only the registered layers a model holds (the
table's encoder, the PCA layer) still need `import recipes` to load.

Example:

>>> import keras, numpy as np
>>> from recipes.models.mlp import build_mlp
>>> x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
>>> model = build_mlp((3,), None, task="regression", x_train=x,
...                   y_train=10 * x[:, 0], hidden_units=(4,))
>>> portable_compile(model)["loss"]
'mean_squared_error'
"""

from __future__ import annotations

import keras

from recipes.models.target import StandardizedTargetLoss


def _is_data_loss(metric):
    return isinstance(metric, dict) and metric.get("registered_name") == (
        "recipes>DataLoss"
    )


def _compile_config(model):
    """The model's compile config (serialized), without its optimizer."""
    config = dict(model.get_compile_config() or {})
    config.pop("optimizer", None)
    return config


def _portable_config(model):
    config = _compile_config(model)
    metrics = config.get("metrics")
    if isinstance(metrics, list):
        config["metrics"] = [m for m in metrics if not _is_data_loss(m)]
    loss = model.loss
    if (
        isinstance(loss, StandardizedTargetLoss)
        and len(loss.scale) == 1
        and loss.reduction == "sum_over_batch_size"
        and config.get("loss_weights") is None
    ):
        config["loss"] = "mean_squared_error"
        config["loss_weights"] = [1.0 / loss.scale[0] ** 2]
    return config


def portable_compile(model):
    """The `compile` arguments of `model` (its optimizer apart), in Keras's
    built-ins: `data_loss` left out, a one-target `StandardizedTargetLoss`
    as the mean squared error weighted by `1 / std**2`.

    Args:
        model: A compiled Keras model.

    Returns:
        A dict of `Model.compile` keyword arguments, without `optimizer`.
    """
    return keras.saving.deserialize_keras_object(_portable_config(model))


def _twin(model):
    """A model of the same layers (shared, not copied) to compile apart, or
    None for a subclassed model."""
    if type(model) is keras.Sequential and model.inputs:
        first = model.inputs[0]
        return keras.Sequential(
            [keras.Input(batch_shape=first.shape, dtype=first.dtype), *model.layers],
            name=model.name,
            trainable=model.trainable,
        )
    if type(model).__name__ == "Functional":  # what keras.Model(inputs, outputs) is
        return keras.Model(
            model.input, model.output, name=model.name, trainable=model.trainable
        )
    return None


def save_model(model, path):
    """Saves `model` to `path` so that `keras.saving.load_model` loads it
    with Keras alone (a model holding registered layers: after `import
    recipes`).

    The model itself is not changed: a model of the same layers, compiled
    with `portable_compile` and the model's own optimizer, is saved. A
    model compiled with Keras's built-ins only, an uncompiled one and a
    subclassed one are saved as they are.

    Args:
        model: A Keras model.
        path: The `.keras` file to write.

    Example:

    >>> import keras, numpy as np
    >>> from recipes.models.data_loss import with_data_loss
    >>> from recipes.models.mlp import build_mlp
    >>> model = build_mlp((3,), 2, hidden_units=(4,), preprocessing=None)
    >>> model = with_data_loss(model)  # as `babysit` trains it
    >>> save_model(model, "model.keras")
    >>> keras.saving.load_model("model.keras").get_compile_config()["metrics"]
    ['accuracy']
    """
    config = _compile_config(model) if getattr(model, "compiled", False) else {}
    portable = _portable_config(model) if config.get("loss") is not None else config
    twin = None if portable == config else _twin(model)
    if twin is None:
        model.save(path)
        return
    twin.compile(optimizer=model.optimizer, **portable_compile(model))
    twin.save(path)
