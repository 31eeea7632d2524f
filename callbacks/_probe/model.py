"""The probe model: which layers are watched, and a Keras model returning them.

Private, used by `callbacks._probe.probe`. The ReLU/tanh/sigmoid layers of a model
and of the models nested in it (a Sequential or Functional block, a
`keras.applications` base) are watched; `Stage` builds, per model, one
Keras model from the model's own input to those layers' outputs (and, for
the top model, its output), nested stages fed by what flows into the
nested models.

Example:

>>> import keras
>>> from callbacks._probe.model import activation_kind
>>> activation_kind(keras.layers.Dense(3, activation="relu"))
'relu'
"""

from __future__ import annotations

import keras
import numpy as np

_RELU = {"relu", "relu6"}
_SATURATING = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0)}


def activation_kind(layer):
    """Returns "relu", "tanh", "sigmoid", ..., "other" or None (no activation)."""
    cls = type(layer).__name__
    if cls == "ReLU":
        slope = float(getattr(layer, "negative_slope", 0.0) or 0.0)
        return "relu" if slope == 0.0 else "other"
    if cls in ("LeakyReLU", "PReLU", "ELU", "Softmax"):
        return "other"
    act = getattr(layer, "activation", None)
    if act is None or not callable(act):
        return None
    name = getattr(act, "__name__", None)
    if name is None:
        try:
            name = keras.activations.serialize(act)
        except (ValueError, TypeError):
            return "other"
    name = str(name).lower()
    if name == "linear":
        return None
    if name in _RELU:
        return "relu"
    if name in _SATURATING:
        return name
    return "other"


NOT_BUILT = "the model is not built yet"


def _structure(model):
    """The input structure of `model`'s own graph (a tensor, list or dict)."""
    if isinstance(model, keras.Sequential):
        inputs = model.inputs  # `model.input` would be the outer call's input
        return inputs[0] if len(inputs) == 1 else inputs
    inputs = model.inputs or None
    if inputs is None:
        raise ValueError("no inputs")
    try:
        return model.input
    except (AttributeError, ValueError):
        return inputs[0] if len(inputs) == 1 else inputs


def _nested_input(layer, inputs=None):
    """The (single) tensor a nested model was called on in the graph that
    starts at `inputs`, or None. A base model fine-tuned inside a new model
    was first called in its pretraining model: that call's tensor belongs to
    another graph, so each call (inbound node) is tried in turn."""
    try:  # `Model.input` is its own graph's input: ask the operation
        first = keras.Operation.input.fget(layer)
    except (AttributeError, ValueError, IndexError, TypeError):
        first = None
    candidates = [first] + [
        (getattr(node, "input_tensors", None) or [None])[0]
        for node in getattr(layer, "_inbound_nodes", [])
    ]
    for value in candidates:
        if value is None or not hasattr(value, "shape"):
            continue
        if inputs is None:
            return value
        try:
            keras.Model(inputs, value)  # raises unless it is in this graph
        except (ValueError, TypeError, AttributeError):
            continue
        return value
    return None


def _small(tensor, most=1024):
    """A per-sample output of at most `most` values (a classifier's or a
    regressor's head, not an image-to-image output)."""
    dims = tuple(tensor.shape)[1:]
    return all(d is not None for d in dims) and int(np.prod(dims)) <= most


class Stage:
    """One model's probe: its watched activations and its nested stages,
    fed by the tensors that flow into its nested models, in graph order (a
    nested model's layers where it sits among the model's own)."""

    def __init__(self, model, taken, top=True):
        inputs = _structure(model)
        # a nested model's outputs are hidden activations of the outer one
        final = {id(t) for t in keras.tree.flatten(model.outputs)} if top else ()
        tensors, self.layers, feeds, order = [], [], [], []
        for layer in model.layers:
            if isinstance(layer, keras.Model) and layer.layers:
                feed = _nested_input(layer, inputs)
                if feed is not None and layer.built:
                    order.append((layer, feed))
                continue
            kind = activation_kind(layer)
            if kind is None or kind == "other":
                continue
            try:
                out = layer.output
            except (AttributeError, ValueError):
                continue
            if id(out) in final or not hasattr(out, "shape") or len(out.shape) < 2:
                continue
            name = layer.name
            if name in taken:  # the same name in two nested models
                name = f"{model.name}/{name}"
            taken.add(name)
            order.append(len(tensors))
            tensors.append(out)
            self.layers.append((name, kind))
        # `order`: an own layer's index, or a (stage, its feed's index) pair
        self.order = []
        for item in order:
            if isinstance(item, int):
                self.order.append(item)
                continue
            try:
                child = Stage(item[0], taken, top=False)
            except (AttributeError, ValueError, TypeError):
                continue
            if child.all_layers():
                self.order.append((child, len(feeds)))
                feeds.append(item[1])
        self.count = len(tensors)
        outputs = tensors + feeds
        final_out = keras.tree.flatten(model.outputs)[0] if top and outputs else None
        self.top = final_out is not None and _small(final_out)
        if self.top:
            outputs.append(final_out)
        self.model = keras.Model(inputs, outputs) if outputs else None

    def all_layers(self):
        """`(name, kind)` of every watched layer, in graph order."""
        out = []
        for item in self.order:
            out.extend(
                [self.layers[item]] if isinstance(item, int) else item[0].all_layers()
            )
        return out

    def __call__(self, x):
        """The watched activations (in `all_layers` order), then (a top stage
        with a small output, see `_small`) the model's output, for
        BatchNormMonitor."""
        if self.model is None:
            return []
        outs = self.model(x, training=False)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        own, fed = outs[: self.count], outs[self.count : len(outs) - self.top]
        acts = []
        for item in self.order:
            if isinstance(item, int):
                acts.append(own[item])
            else:
                acts.extend(item[0](fed[item[1]]))
        return acts + outs[len(outs) - self.top :]
