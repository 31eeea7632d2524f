"""The loss and the output layer: what they expect, and whether they fit.

The one place that reads a compiled loss (`loss_kind`, `chance_loss`,
`prior_loss`) and the output layer (`output_layer`, `output_activation`,
`number_of_classes`), for the callbacks and for `recipes` (its pre-flight
checks and `evaluate`). `head_findings` is the `output_activation` check of
`Babysitter` and `recipes.preflight`: a ReLU or linear head under a
cross-entropy that expects probabilities, softmax over one unit (the loss
cannot change), softmax with `from_logits=True`, multi-hot targets under
softmax, a bounded head for targets it cannot reach.

Example:

>>> import keras
>>> from callbacks.heads import chance_loss, head_findings, loss_kind
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "relu")])
>>> model.compile("adam", "sparse_categorical_crossentropy")
>>> loss_kind(model.loss)
('sparse', False)
>>> round(chance_loss(model), 4)  # ln 3
1.0986
>>> [f.check for f in head_findings(model)]
['output_activation']
"""

from __future__ import annotations

import math

import keras
import numpy as np

from callbacks.finding import Finding
from callbacks.layers import walk_layers

# loss name fragment -> kind of target the loss expects, first match wins
_KINDS = {"sparse_categorical": "sparse", "categorical": "one_hot", "binary": "binary"}
_REGRESSION = ("squared", "absolute", "huber", "cosh", "mse", "mae")
_KINDS.update(dict.fromkeys(_REGRESSION, "regression"))
_SOFTMAX = "Dense(num_classes, activation='softmax')"


def _loss_name(loss):
    """The snake_case name of a loss: a name, a function, a `Loss`'s class."""
    if isinstance(loss, keras.losses.Loss):
        return "".join(
            "_" + c.lower() if c.isupper() else c for c in type(loss).__name__
        )
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", "")
    return str(name).lower()


def loss_kind(loss):
    """Returns `(kind, from_logits)` for a compiled loss (name, function, Loss).

    `kind` is what the loss expects as targets: `"sparse"` (class ids),
    `"one_hot"`, `"binary"`, `"hinge"` (a hinge loss's -1/1 or 0/1 labels),
    `"regression"` or `"unknown"` (KL divergence, Poisson, a custom loss).

    Example:

    >>> import keras
    >>> loss_kind(keras.losses.CategoricalCrossentropy(from_logits=True))
    ('one_hot', True)
    """
    from_logits = False
    if isinstance(loss, keras.losses.Loss):
        from_logits = bool(loss.get_config().get("from_logits", False))
    name = _loss_name(loss)
    if "hinge" in name:
        return "hinge", from_logits
    kind = next((k for f, k in _KINDS.items() if f in name), "unknown")
    return kind, from_logits


def _entropy_at_priors(name):
    """Whether the loss named `name`, predicting the label frequencies, is
    the labels' entropy: a plain cross-entropy (a focal loss down-weights
    the easy examples, so its value there is smaller)."""
    return "crossentropy" in name and "focal" not in name


def number_of_classes(model):
    """Returns the width of the (first) model output, or None."""
    try:
        outputs = model.outputs
        return int(outputs[0].shape[-1]) if outputs else None
    except (AttributeError, ValueError, TypeError, IndexError):
        return None


def chance_loss(model):
    """ln(C) for a C-class cross-entropy, ln 2 for a binary one, else None
    (the loss of uniform predictions; None for focal and other losses)."""
    loss = getattr(model, "loss", None)
    if loss is None or isinstance(loss, (list, tuple, dict)):
        return None
    kind, _ = loss_kind(loss)
    if not _entropy_at_priors(_loss_name(loss)):
        return None
    classes = number_of_classes(model)
    if kind == "binary":
        return math.log(2.0)
    if kind in ("sparse", "one_hot") and classes and classes > 1:
        return math.log(classes)
    return None


def chance_accuracy(model):
    """Returns 1/C for a C-class output (1/2 for one sigmoid unit), or None."""
    classes = number_of_classes(model)
    if not classes:
        return None
    return 0.5 if classes == 1 else 1.0 / classes


def prior_loss(kind, y, units, loss_name=""):
    """Loss of predicting the label frequencies (the target mean), or None.

    For a classification loss it is the labels' entropy, except for a focal
    loss (None: its value there is not the entropy).

    Args:
        kind: What the loss expects, from `loss_kind`.
        y: Training labels.
        units: Width of the output.
        loss_name: The loss's name (tells MAE from MSE for regression, and
            a focal loss). Defaults to `""`.
    """
    y = np.asarray(y)
    if kind in ("sparse", "one_hot", "binary"):
        if "focal" in str(loss_name).lower():
            return None
        if kind == "sparse":
            ids = y.reshape(-1).astype(int)
            if ids.min() < 0:
                return None
            p = np.bincount(ids, minlength=units or 0) / len(ids)
        elif kind == "one_hot":
            p = y.reshape(len(y), -1).mean(0)
        else:
            m = float(np.clip(y.mean(), 1e-7, 1 - 1e-7))
            p = np.array([m, 1 - m])
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())
    if kind == "regression":
        y = y.reshape(len(y), -1).astype("float64")
        name = str(loss_name).lower()
        if "absolute" in name or name == "mae":
            return float(np.abs(y - np.median(y, 0)).mean())
        return float(y.var(0).mean())
    return None


def output_layer(model):
    """The layer that makes the (first) output, looking inside nested models."""
    return next(reversed(list(walk_layers(model))), None)


def output_activation(model):
    """The output layer's activation name (`"linear"` for none), or None."""
    last = output_layer(model)
    if last is None:
        return None
    if isinstance(last, keras.layers.Softmax):
        return "softmax"
    if isinstance(last, keras.layers.ReLU):
        return "relu"
    act = getattr(last, "activation", None)
    return getattr(act, "__name__", None) if act is not None else None


def head_findings(model, y=None, loss_name=None):
    """`output_activation` findings for `model`'s head, its loss and labels `y`.

    Args:
        model: A compiled single-output Keras model.
        y: Some training labels, or `None` (the label-dependent parts are then
            skipped).
        loss_name: How to name the loss in messages. Defaults to the compiled
            loss's name.

    Returns:
        A list of `Finding`s (empty when the head fits).
    """
    loss = getattr(model, "loss", None)
    if loss is None or isinstance(loss, (list, tuple, dict)):
        return []
    kind, logits = loss_kind(loss)
    act, units = output_activation(model), number_of_classes(model)
    if act is None or units is None:
        return []
    if loss_name is None:
        loss_name = loss if isinstance(loss, str) else type(loss).__name__
    problem, sev, fix = _problem(kind, logits, act, units, y)
    if problem is None:
        return []
    layer = output_layer(model)
    return [
        Finding(
            "output_activation",
            sev,
            layer=getattr(layer, "name", None),
            message=f"The output layer does not fit the loss {loss_name!r}: {problem}.",
            suggestion=fix,
        )
    ]


def is_multi_hot(y):
    """Whether `y` is multi-label targets: rows in [0, 1] of at least two
    columns, some row with two or more values above 0.5 (0/1 multi-hot, or
    multi-hot with label smoothing; a row of probabilities never has two)."""
    y = np.asarray(y, dtype="float64")
    if y.ndim != 2 or y.shape[1] < 2 or y.min() < 0 or y.max() > 1:
        return False
    return bool(((y > 0.5).sum(1) > 1).any())


def _problem(kind, logits, act, units, y):
    """`(problem, severity, fix)`; `problem` is None when the head fits."""
    if act == "softmax" and units == 1:
        return (
            "softmax over a single unit always outputs 1.0, so the loss cannot "
            "change and every gradient is exactly zero",
            "error",
            "Use Dense(1, activation='sigmoid') with binary_crossentropy for two "
            "classes (or a linear Dense(1) for regression).",
        )
    if act == "softmax" and y is not None and is_multi_hot(y):
        # whatever the loss (cross-entropy, MSE, ...): softmax outputs sum to
        # 1, so no row can score two labels high
        return (
            "some targets have several 1s (multi-hot labels), but softmax "
            "makes the labels compete for one probability (its outputs sum to 1)",
            "error",
            "For multi-label targets use Dense(num_labels, activation='sigmoid') "
            "with binary_crossentropy (sigmoid + binary_crossentropy).",
        )
    if kind in ("sparse", "one_hot"):
        if units == 1:
            return (
                "a single output unit with a categorical loss (always one class)",
                "error",
                f"Use {_SOFTMAX} with one unit per class.",
            )
        if act in ("relu", "linear") and not logits:
            what = "ReLU" if act == "relu" else "linear (no activation)"
            return (
                f"a {what} head with a cross-entropy that expects probabilities "
                "(its outputs do not sum to 1 and can be 0 or negative)",
                "error",
                f"Use {_SOFTMAX} (or keep a linear head and pass "
                "from_logits=True to the loss).",
            )
        if act == "softmax" and logits:
            return (
                "softmax outputs into a loss with from_logits=True, which applies "
                "softmax a second time and flattens the gradient",
                "warning",
                "Pass from_logits=False to the loss (or remove the softmax).",
            )
        if act == "sigmoid":
            many = y is not None and is_multi_hot(y)
            return (
                "sigmoid outputs into a categorical loss",
                "warning",
                "Use binary_crossentropy for multi-label targets."
                if many
                else f"Use {_SOFTMAX} for one class per example.",
            )
        return None, None, None
    if kind == "binary":
        if act in ("relu", "linear") and not logits:
            what = "ReLU" if act == "relu" else "linear (no activation)"
            return (
                f"a {what} head with binary_crossentropy(from_logits=False), "
                "which expects probabilities in (0, 1)",
                "error",
                "Use Dense(1, activation='sigmoid') (or a linear head with "
                "from_logits=True).",
            )
        if act == "sigmoid" and logits:
            return (
                "sigmoid outputs into from_logits=True, which applies the sigmoid "
                "a second time",
                "warning",
                "Pass from_logits=False to the loss (or remove the sigmoid).",
            )
        return None, None, None
    if kind == "regression" and y is not None:
        y = np.asarray(y, dtype="float64")
        bounded = {"sigmoid": (0, 1), "softmax": (0, 1), "tanh": (-1, 1)}
        if act in bounded and (y.min() < bounded[act][0] or y.max() > bounded[act][1]):
            return (
                f"a {act} head cannot reach targets in [{y.min():.3g}, {y.max():.3g}]",
                "error",
                "Use a linear output layer (activation=None) for regression.",
            )
        if act == "relu" and y.min() < 0:
            return (
                "a relu head cannot output the negative targets",
                "error",
                "Use a linear output layer (activation=None) for regression.",
            )
    return None, None, None
