"""Activation probes of `recipes.babysit` (private): samples per hidden layer.

The layers are the ones the callbacks' probe watches
(`callbacks.layers.watched_activations`: the ReLU/tanh/sigmoid layers, nested
models' included), so `activation_histograms.png` and `BabysitterTensorBoard`
show the same layers of a model.
"""

from __future__ import annotations

import numpy as np

from callbacks.layers import watched_activations


def probe_sample(x, size=512):
    """Up to `size` evenly spaced rows of `x`."""
    index = np.unique(np.linspace(0, len(x) - 1, min(len(x), size)).astype(int))
    return x[index]


def activation_snapshot(model, x, max_values=20000):
    """`{layer: sample of activations}` for each watched hidden layer, `{}`
    when none can be read (a subclassed model).

    Example:

    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((3,)),
    ...                           keras.layers.Dense(4, "relu", name="dense_0"),
    ...                           keras.layers.Dense(2, "softmax")])
    >>> {k: v.shape for k, v in activation_snapshot(model, np.ones((5, 3))).items()}
    {'dense_0': (20,)}
    """
    rng = np.random.default_rng(0)
    snap = {}
    for name, acts in watched_activations(model, x).items():
        values = np.ravel(acts)
        if values.size > max_values:
            values = rng.choice(values, max_values, replace=False)
        snap[name] = values
    return snap
