"""Keras 3 callbacks that babysit a training run and say what is wrong.

Depends on keras and numpy only (TensorFlow only for `tf.GradientTape` on the
TensorFlow backend); never imports `recipes`.

Beside the callbacks, four public modules serve `recipes` and any project:
`callbacks.finding` (`Finding`, the order of `SEVERITIES`, `worst_first`),
`callbacks.heads` (what a compiled loss and the output layer expect, the
`output_activation` check), `callbacks.layers` (`walk_layers`,
`watched_activations`) and `callbacks.display` (the HTML of the results'
notebook displays and of `report.html`, findings as a DataFrame).

Example:

>>> import numpy as np, keras
>>> from callbacks import Babysitter
>>> x = np.random.default_rng(0).normal(size=(128, 4)).astype("float32")
>>> y = (x[:, 0] > 0).astype("int32")
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, "relu"),
...                           keras.layers.Dense(2, activation="softmax")])
>>> model.compile("adam", "sparse_categorical_crossentropy")
>>> sitter = Babysitter(verbose=0)
>>> _ = model.fit(x, y, epochs=1, verbose=0, callbacks=[sitter])
>>> isinstance(sitter.findings, list)
True
"""

from callbacks.activation_stats import ActivationStats
from callbacks.babysitter import Babysitter
from callbacks.batchnorm import BatchNormMonitor
from callbacks.dead_units import DeadUnitMonitor
from callbacks.diagnosis import Diagnosis, diagnose
from callbacks.finding import Finding
from callbacks.generalization import GeneralizationWatch
from callbacks.gradients import GradientMonitor
from callbacks.loss_watch import LossWatch
from callbacks.tensorboard import BabysitterTensorBoard
from callbacks.update_ratio import UpdateRatioMonitor

__all__ = [
    "ActivationStats",
    "Babysitter",
    "BabysitterTensorBoard",
    "BatchNormMonitor",
    "DeadUnitMonitor",
    "Diagnosis",
    "Finding",
    "GeneralizationWatch",
    "GradientMonitor",
    "LossWatch",
    "UpdateRatioMonitor",
    "diagnose",
]
