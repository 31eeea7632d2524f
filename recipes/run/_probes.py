"""Activation probes of `recipes.babysit` (private): samples per hidden layer."""

from __future__ import annotations

import keras
import numpy as np


def probe_sample(x, size=512):
    index = np.unique(np.linspace(0, len(x) - 1, min(len(x), size)).astype(int))
    return x[index]


def _hidden_activation_layers(model):
    outputs = {id(t) for t in keras.tree.flatten(model.outputs)}
    chosen = []
    for layer in model.layers:
        cls = type(layer).__name__
        act = getattr(layer, "activation", None)
        name = getattr(act, "__name__", "") if act is not None else ""
        if cls in ("ReLU", "LeakyReLU", "ELU", "PReLU") or (
            name and name not in ("linear", "softmax")
        ):
            try:
                out = layer.output
            except (AttributeError, ValueError):
                continue
            if id(out) not in outputs:
                chosen.append((layer.name, out))
    return chosen


def activation_snapshot(model, x, max_values=20000):
    """`{layer: sample of activations}` for each hidden activation layer."""
    try:
        chosen = _hidden_activation_layers(model)
        if not chosen:
            return {}
        probe = keras.Model(model.input, [out for _, out in chosen])
    except (AttributeError, ValueError, TypeError):
        return {}  # subclassed models have no reachable layer outputs
    outs = probe(x, training=False)
    if not isinstance(outs, (list, tuple)):
        outs = [outs]
    rng = np.random.default_rng(0)
    snap = {}
    for (name, _), out in zip(chosen, outs):
        values = np.ravel(keras.ops.convert_to_numpy(out))
        if values.size > max_values:
            values = rng.choice(values, max_values, replace=False)
        snap[name] = values
    return snap
