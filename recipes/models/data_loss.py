"""`DataLoss`: the compiled loss without the regularization penalty, as a metric.

Keras's `loss` in `logs` is the data loss plus every layer's penalty (L2 on
the kernels): on a small table the penalty can be half of it. `babysit`
compiles its model with this metric too (`with_data_loss`), so it logs
`data_loss` / `val_data_loss` beside `loss`, and metrics and curves show what
the network gets wrong and the penalty apart. The builders leave it out, so
`loss, accuracy = model.evaluate(...)` keeps working, and so does a run's
`model.keras` (`recipes.models.saving`), which Keras alone then loads.

Example:

>>> import numpy as np
>>> metric = DataLoss("sparse_categorical_crossentropy")
>>> metric.update_state(np.array([0]), np.array([[0.5, 0.5]]))
>>> round(float(metric.result()), 4)
0.6931
"""

from __future__ import annotations

import keras

from recipes.models._registry import LOAD_WITH, LoadsWithRecipes


@keras.saving.register_keras_serializable(package="recipes")
class DataLoss(LoadsWithRecipes, keras.metrics.Mean):
    """The mean of a loss over the data, without the regularization losses.

    Args:
        loss: A Keras loss name or `keras.losses.Loss` (the compiled loss).
        name: Name in `logs`. Defaults to `"data_loss"`.
        dtype: Dtype of the result. Defaults to `None`.
    """

    def __init__(self, loss, name="data_loss", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if isinstance(loss, dict):
            loss = keras.saving.deserialize_keras_object(loss)
        self.loss = loss
        self._fn = (
            loss.call
            if isinstance(loss, keras.losses.Loss)
            else (keras.losses.get(loss))
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        sparse = isinstance(self.loss, str) and "sparse" in self.loss
        if not sparse and len(y_true.shape) == len(y_pred.shape) - 1:
            y_true = keras.ops.expand_dims(y_true, -1)  # (n,) labels, (n, 1) output
        return super().update_state(self._fn(y_true, y_pred), sample_weight)

    def get_config(self):
        loss = self.loss
        if not isinstance(loss, str):
            loss = keras.saving.serialize_keras_object(loss)
        return {
            "load_with": LOAD_WITH,
            "loss": loss,
            "name": self.name,
            "dtype": self.dtype,
        }


def with_data_loss(model):
    """Recompiles a compiled model with `DataLoss` added to its metrics.

    The optimizer, loss and other metrics are kept (the optimizer's state
    too: it is the same object). Returns the model; a model that is not
    compiled, or already has the metric, is returned as it is.
    """
    if not getattr(model, "compiled", False) or model.loss is None:
        return model
    config = model.get_compile_config() or {}
    metrics = config.get("metrics") or []
    metrics = [m for m in keras.tree.flatten(metrics) if m is not None]
    if any("data_loss" in str(m) for m in metrics):
        return model
    names = []
    for m in metrics:
        if isinstance(m, dict):
            m = keras.saving.deserialize_keras_object(m)
        names.append(m)
    model.compile(
        optimizer=model.optimizer,
        loss=model.loss,
        metrics=[*names, DataLoss(model.loss)],
    )
    return model
