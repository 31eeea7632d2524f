"""Small readers of Keras `logs`, the optimizer and the Dropout layers (private).

Example:

>>> from callbacks._logs import accuracy_key
>>> accuracy_key({"loss": 1.0, "sparse_categorical_accuracy": 0.5})
'sparse_categorical_accuracy'
"""

from __future__ import annotations

import keras

from callbacks.layers import walk_layers

_ACC = (
    "accuracy",
    "acc",
    "sparse_categorical_accuracy",
    "categorical_accuracy",
    "binary_accuracy",
)


def accuracy_key(logs):
    """Returns the training accuracy key present in `logs`, or None."""
    for key in _ACC:
        if key in (logs or {}):
            return key
    return None


def append_epoch(figures, new):
    """Appends an epoch's `new` figures to `figures` (a dict of lists): one
    value per epoch for every figure, NaN before it was measured or on the
    epochs it is not, so History and CSVLogger columns line up."""
    done = len(next(iter(figures.values()), []))  # epochs so far
    for key in new:
        figures.setdefault(key, [float("nan")] * done)
    for key, values in figures.items():
        values.append(float(new.get(key, float("nan"))))


# Optimizers that scale their steps per parameter: "use Adam" is no advice
# to a user of one of these.
ADAPTIVE = {
    "Adam",
    "AdamW",
    "Adamax",
    "Nadam",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adafactor",
    "Ftrl",
    "Lion",
    "Lamb",
    "Muon",
}


def optimizer_of(model):
    """The model's optimizer, taken out of a `LossScaleOptimizer` (which
    `compile` wraps around it under `mixed_float16`), or None."""
    opt = getattr(model, "optimizer", None)
    return getattr(opt, "inner_optimizer", None) or opt


def adaptive_optimizer(model):
    """Whether the model's optimizer (inside a `LossScaleOptimizer` too) scales
    its steps per parameter, so that "use Adam" is no advice."""
    return type(optimizer_of(model)).__name__ in ADAPTIVE


def loss_scale(model):
    """The loss scale of the model's `LossScaleOptimizer` as a float, or None
    when it has none (the loss is not scaled)."""
    opt = getattr(model, "optimizer", None)
    if not isinstance(opt, keras.optimizers.LossScaleOptimizer):
        return None
    scale = opt.dynamic_scale if opt.built else opt.initial_scale
    try:
        return float(keras.ops.convert_to_numpy(scale))
    except (TypeError, ValueError):
        return None


def computes_in_float16(model):
    """Whether a layer of `model` computes in float16 (`mixed_float16`),
    whose range ends at 65504 and whose small gradients round to 0."""
    return any(
        getattr(layer, "compute_dtype", None) == "float16"
        for layer in walk_layers(model)
    )


def learning_rate(model):
    """The optimizer's current learning rate as a float, or None."""
    opt = getattr(model, "optimizer", None)
    try:
        return float(keras.ops.convert_to_numpy(opt.learning_rate))
    except (AttributeError, TypeError, ValueError):
        return None


def heavy_dropout(model):
    """ "Lower the dropout rate: ..." when a Dropout layer drops half its
    inputs or more, else None."""
    found = [
        (float(layer.rate), layer.name)
        for layer in walk_layers(model)
        if isinstance(layer, keras.layers.Dropout) and float(layer.rate) >= 0.5
    ]
    if not found:
        return None
    rate, name = max(found)
    return (
        f"Lower the dropout rate: {name} drops {rate:.0%} of its inputs at "
        "every step; 0.2-0.5 is usual."
    )


def stall_fix(model, rates):
    """The fix for a stalled loss, given the optimizer's learning `rates`
    so far (one per epoch): lower the dropout, raise a rate that was not
    lowered on purpose, else check the labels, the head and the init."""
    heavy = heavy_dropout(model)
    if heavy:
        return heavy
    rate = rates[-1] if rates else None
    adaptive = adaptive_optimizer(model)
    lowered = len(rates) > 1 and rate is not None and min(rates[-3:]) < 0.5 * max(rates)
    checks = (
        "check that the labels line up with the inputs and that the output "
        "layer fits the loss, then the initialization (He for ReLU)"
    )
    if lowered:
        return (
            f"The learning rate was lowered to {rate:.2g} during the run (a "
            f"schedule or ReduceLROnPlateau), so do not raise it: {checks}."
        )
    if rate is not None and (rate < 1e-4 or not adaptive):
        also = "" if adaptive else ", or use Adam (1e-3)"
        return f"Raise the learning rate 10x (it is {rate:.2g}){also}."
    return checks[0].upper() + checks[1:] + "."
