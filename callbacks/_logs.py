"""Small readers of Keras `logs` and of the compiled loss (private).

Example:

>>> from callbacks._logs import accuracy_key
>>> accuracy_key({"loss": 1.0, "sparse_categorical_accuracy": 0.5})
'sparse_categorical_accuracy'
"""

from __future__ import annotations

import math

import keras

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


def number_of_classes(model):
    """Returns the width of the (first) model output, or None."""
    try:
        outputs = model.outputs
        return int(outputs[0].shape[-1]) if outputs else None
    except (AttributeError, ValueError, TypeError, IndexError):
        return None


def chance_loss(model):
    """Returns ln(C) for a C-class cross-entropy loss, ln 2 for binary, or None."""
    loss = getattr(model, "loss", None)
    if isinstance(loss, (list, tuple, dict)):
        return None
    name = (
        loss
        if isinstance(loss, str)
        else (getattr(loss, "name", None) or getattr(loss, "__name__", ""))
    )
    name = str(name).lower()
    classes = number_of_classes(model)
    if "binary" in name and "crossentropy" in name:
        return math.log(2.0)
    if "categorical_crossentropy" in name and classes and classes > 1:
        return math.log(classes)
    return None


def chance_accuracy(model):
    """Returns 1/C for a C-class output (1/2 for one sigmoid unit), or None."""
    classes = number_of_classes(model)
    if not classes:
        return None
    return 0.5 if classes == 1 else 1.0 / classes


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
    found = []

    def walk(layers):
        for layer in layers or []:
            rate = getattr(layer, "rate", None)
            if isinstance(layer, keras.layers.Dropout) and float(rate) >= 0.5:
                found.append((float(rate), layer.name))
            walk(getattr(layer, "layers", None))

    walk(getattr(model, "layers", None))
    if not found:
        return None
    rate, name = max(found)
    return (
        f"Lower the dropout rate: {name} drops {rate:.0%} of its inputs at "
        "every step; 0.2-0.5 is usual."
    )
