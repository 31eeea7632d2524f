"""Regression targets in their own units: standardized inside the model.

A target such as a disease score (mean 152, RMS 169) trained with plain MSE
gives losses of 1e4 and a penalty that no longer matters next to them. The
recipe standardizes the target instead: the output layer predicts the
standardized target and `keras.layers.Normalization(invert=True)` (named
`target_scale`, fitted on the training split) turns it back into the target's
units, so `model.predict` answers in those units. The loss,
`StandardizedTargetLoss`, is the mean squared error divided by the training
variance: 1.0 for predicting the training mean, 0 for a perfect fit. A
run's `model.keras` writes it as Keras's `"mean_squared_error"` weighted by
`1 / std**2` (`recipes.models.saving`), so Keras alone loads the file.

Example:

>>> import numpy as np
>>> loss = StandardizedTargetLoss(scale=[10.0])
>>> float(loss(np.array([[10.0]]), np.array([[0.0]])))
1.0
"""

from __future__ import annotations

import keras
import numpy as np

from recipes.models._registry import LOAD_WITH, LoadsWithRecipes


@keras.saving.register_keras_serializable(package="recipes")
class StandardizedTargetLoss(LoadsWithRecipes, keras.losses.Loss):
    """Mean squared error in units of the training target's standard deviation.

    Args:
        scale: The training target's standard deviation, one per target.
        name: Name of the loss. Defaults to `"standardized_target_loss"`.
        reduction: Keras reduction. Defaults to `"sum_over_batch_size"`.
    """

    def __init__(
        self, scale, name="standardized_target_loss", reduction="sum_over_batch_size"
    ):
        super().__init__(name=name, reduction=reduction)
        self.scale = [float(s) for s in np.ravel(scale)]

    @property
    def target_scale(self):
        return np.asarray(self.scale, "float64")

    def call(self, y_true, y_pred):
        y_pred = keras.ops.convert_to_tensor(y_pred)
        y_true = keras.ops.cast(y_true, y_pred.dtype)
        y_true = keras.ops.reshape(y_true, keras.ops.shape(y_pred))
        scale = keras.ops.convert_to_tensor(self.scale, dtype=y_pred.dtype)
        return keras.ops.mean(keras.ops.square((y_true - y_pred) / scale), axis=-1)

    def get_config(self):
        return {
            "load_with": LOAD_WITH,
            "scale": self.scale,
            "name": self.name,
            "reduction": self.reduction,
        }


def target_statistics(y_train, units):
    """`(mean, std)` of the training target per output, std 1 where constant."""
    y = np.asarray(y_train, "float64").reshape(len(y_train), -1)
    if y.shape[1] != units:
        y = y.reshape(len(y), units)
    mean, std = y.mean(0), y.std(0)
    std[~(std > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0
    return mean, std


def target_scale_layer(mean, std):
    """The registered-by-Keras layer that maps standardized outputs back."""
    return keras.layers.Normalization(
        axis=-1,
        mean=np.asarray(mean, "float32"),
        variance=np.asarray(std, "float32") ** 2,
        invert=True,
        name="target_scale",
    )
