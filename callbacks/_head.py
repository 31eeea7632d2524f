"""Does the output layer fit the loss and the labels? (private)

One check, `output_activation`, shared by `Babysitter` (at the start of
`fit`) and `recipes.preflight`: a ReLU or linear head under a cross-entropy
that expects probabilities, softmax over one unit (always 1.0, so the gradient
is exactly zero), softmax with `from_logits=True`, multi-hot targets under
softmax, a bounded head for targets it cannot reach.

Example:

>>> import keras
>>> from callbacks._head import head_findings
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, "relu")])
>>> model.compile("adam", "sparse_categorical_crossentropy")
>>> [f.check for f in head_findings(model)]
['output_activation']
"""

from __future__ import annotations

import keras
import numpy as np

from callbacks.finding import Finding

# loss name fragment -> kind of target the loss expects, first match wins
_KINDS = {"sparse_categorical": "sparse", "categorical": "one_hot", "binary": "binary"}
_KINDS.update(
    dict.fromkeys(("squared", "absolute", "huber", "cosh", "mse", "mae"), "regression")
)
_SOFTMAX = "Dense(num_classes, activation='softmax')"


def loss_kind(loss):
    """Returns `(kind, from_logits)` for a compiled loss (name, function, Loss).

    `kind` is `"sparse"`, `"one_hot"`, `"binary"`, `"regression"` or
    `"unknown"`.
    """
    from_logits = False
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", "")
    if isinstance(loss, keras.losses.Loss):
        cfg = loss.get_config()
        name = "".join(
            "_" + c.lower() if c.isupper() else c for c in type(loss).__name__
        )
        from_logits = bool(cfg.get("from_logits", False))
    name = str(name).lower()
    kind = next(
        (k for f, k in _KINDS.items() if f in name and "hinge" not in name), None
    )
    return kind or "unknown", from_logits


def prior_loss(kind, y, units, loss_name=""):
    """Loss of predicting the label frequencies (the target mean), or None.

    Args:
        kind: What the loss expects, from `loss_kind`.
        y: Training labels.
        units: Width of the output.
        loss_name: The loss's name (tells MAE from MSE for regression).
    """
    y = np.asarray(y)
    if kind in ("sparse", "one_hot", "binary"):
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
    layers = getattr(model, "layers", None)
    if not layers:
        return None
    last = layers[-1]
    if isinstance(last, keras.Model):
        return output_layer(last) or last
    return last


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


def _units(model):
    try:
        return int(model.outputs[0].shape[-1])
    except (AttributeError, IndexError, TypeError, ValueError):
        return None


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
    act, units = output_activation(model), _units(model)
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


def _multi_hot(y):
    y = np.asarray(y, dtype="float64")
    if y.ndim != 2 or y.shape[1] < 2 or not np.isin(y, (0.0, 1.0)).all():
        return False
    return bool((y.sum(1) > 1).any())


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
    if kind in ("sparse", "one_hot"):
        if y is not None and kind == "one_hot" and _multi_hot(y):
            return (
                "some targets have several 1s (multi-hot labels), but softmax "
                "makes the classes compete for one probability",
                "error",
                "For multi-label targets use Dense(num_labels, activation="
                "'sigmoid') with binary_crossentropy.",
            )
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
            return (
                "sigmoid outputs into a categorical loss",
                "warning",
                f"Use {_SOFTMAX} for one class per example.",
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
