"""A model's layers, nested models included, and the activations the checks watch.

`walk_layers` is the one walk over a model's layers that the callbacks and
`recipes` use (the kernels the update check measures, the
BatchNormalization layers, the Dropout rates, the output layer, the layers
the pre-flight checks reset). `watched_activations` reads, on some inputs,
the hidden activations the probe checks (and `BabysitterTensorBoard`) watch,
so a figure drawn from them shows the same layers.

Example:

>>> import numpy as np, keras
>>> from callbacks.layers import walk_layers, watched_activations
>>> block = keras.Sequential([keras.Input((4,)),
...                           keras.layers.Dense(3, "relu", name="inner")])
>>> model = keras.Sequential([keras.Input((4,)), block,
...                           keras.layers.Dense(2, "softmax", name="head")])
>>> [layer.name for layer in walk_layers(model)]
['inner', 'head']
>>> {k: v.shape for k, v in watched_activations(model, np.ones((5, 4))).items()}
{'inner': (5, 3)}
"""

from __future__ import annotations

from callbacks._probe import Probe


def walk_layers(model):
    """Yields every layer of `model` in graph order, nested models' included.

    A nested model (a Sequential or Functional block, a `keras.applications`
    base, any layer with a non-empty `layers` list) is not yielded itself:
    its layers are, where it sits in the outer graph.

    Args:
        model: A Keras model (or any object with a `layers` list).

    Yields:
        The layers that are not models, outermost graph order first.
    """
    for layer in getattr(model, "layers", None) or []:
        if getattr(layer, "layers", None):
            yield from walk_layers(layer)
        else:
            yield layer


def watched_activations(model, x):
    """The hidden activations the babysitting checks watch, on inputs `x`.

    The ReLU/tanh/sigmoid layers of `model` and of the models nested in it,
    the layers `DeadUnitMonitor`, `ActivationStats` and
    `BabysitterTensorBoard` watch, in inference mode; the model is only read.

    Args:
        model: A built Keras model (Functional or Sequential).
        x: Inputs for `model`.

    Returns:
        `{layer name: activations}`, each a 2-D numpy array (samples, or
        samples times positions, by units), in graph order; `{}` when the
        model has no such layer or its layers' outputs cannot be reached (a
        subclassed model).
    """
    probe = Probe(model, x, None)
    if probe.build() is not None:
        return {}
    acts = probe.activations(None)
    return {name: a for (name, _), a in zip(probe.layers, acts)}
