"""Editing a clone of a Sequential or Functional model (private).

One function, `rebuild`, composes `keras.models.clone_model`: every layer is
re-made from its config (a changed one from a changed config), and new
layers are called after a layer or before the input. A Sequential model is
re-listed (Keras' `call_function` is for Functional models only).
"""

from __future__ import annotations

import keras

from recipes.repair._plan import carry_state, last_layer

WEIGHTED = (
    keras.layers.Dense,
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
)


def from_config(layer, **changes):
    """A new layer like `layer` (unbuilt), with `changes` to its config."""
    config = layer.get_config()
    config.update(changes)
    return layer.__class__.from_config(config)


def rebuild(model, *, replace=None, after=None, prepend=(), before=None):
    """A clone of `model` with some layers changed or added.

    Args:
        model: A built Sequential or Functional model (only read).
        replace: `fn(layer) -> layer or None`: the new layer for `layer`
            (`None`: an unchanged copy).
        after: `fn(layer) -> list of layers` called on the output of
            `layer`'s copy, in order.
        prepend: Layers called on the (single) input first.
        before: `fn(layer) -> list of layers` called, in order, on the
            input of `layer`'s copy.

    Returns:
        The new, uncompiled model; its preprocessing layers keep their
        fitted state (`_plan.carry_state`).
    """
    replace = replace or (lambda layer: None)
    after = after or (lambda layer: [])
    before = before or (lambda layer: [])

    def copy(layer):
        return replace(layer) or from_config(layer)

    if isinstance(model, keras.Sequential):
        layers = list(prepend)
        for layer in model.layers:
            layers += [*before(layer), copy(layer), *after(layer)]
        first = model.inputs[0]
        inp = keras.Input(shape=first.shape[1:], dtype=first.dtype)
        new = keras.Sequential([inp, *layers], name=model.name)
        carry_state(model, new)
        return new
    originals = {}

    def clone_function(layer):
        new = copy(layer)
        originals[id(new)] = layer
        return new

    inputs = [keras.Input(shape=t.shape[1:], dtype=t.dtype) for t in model.inputs]
    prepared = {}

    def call_function(layer, *args, **kwargs):
        if prepend and args and any(args[0] is t for t in inputs):
            if id(args[0]) not in prepared:
                out = args[0]
                for extra in prepend:
                    out = extra(out)
                prepared[id(args[0])] = out
            args = (prepared[id(args[0])], *args[1:])
        original = originals.get(id(layer), layer)
        if args and before(original):
            head = args[0]
            for extra in before(original):
                head = extra(head)
            args = (head, *args[1:])
        out = layer(*args, **kwargs)
        for extra in after(original):
            out = extra(out)
        return out

    new = keras.models.clone_model(
        model,
        input_tensors=inputs if len(inputs) > 1 else inputs[0],
        clone_function=clone_function,
        call_function=call_function,
    )
    carry_state(model, new)
    return new


def hidden_layers(model):
    """The weighted layers (Dense, Conv) before the output layer."""
    out = last_layer(model)
    return [
        layer
        for layer in model.layers
        if isinstance(layer, WEIGHTED) and layer is not out
    ]


def activation_name(layer):
    """A layer's activation as a name (`"linear"` for none)."""
    act = getattr(layer, "activation", None)
    return getattr(act, "__name__", None) or "linear"


def activation_layers(model):
    """The `Activation` layers before the output (a split Dense -> BN -> act)."""
    out = last_layer(model)
    return [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Activation) and layer is not out
    ]
