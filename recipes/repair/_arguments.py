"""`repair`'s arguments, checked before any training (private)."""

from __future__ import annotations

import keras
import numpy as np

from recipes._validate import as_numeric, check_fraction
from recipes.repair._outcome import infer_task
from recipes.repair._plan import Plan, clone, head, is_subclassed

# fit arguments repair passes through to every run (the recipe's training
# step, `recipes.training.train_babysat`, takes no others); it sets the rest
PASSED = ("callbacks", "class_weight", "shuffle")
CONTROLLED = (
    "x",
    "y",
    "epochs",
    "batch_size",
    "validation_data",
    "validation_split",
    "verbose",
    "initial_epoch",
    "validation_freq",
)


def _positive_int(name, value, allow_none=False, allow_zero=False):
    if value is None and allow_none:
        return None
    low = 0 if allow_zero else 1
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < low
    ):
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(
            f"`{name}` must be {kind} integer{' or None' if allow_none else ''}. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def check_model(model):
    if not isinstance(model, keras.Model):
        raise TypeError(
            "`model` must be a compiled keras.Model (Sequential, Functional or "
            f"subclassed). Received: model of type {type(model).__name__}"
        )
    if not getattr(model, "compiled", False) or getattr(model, "loss", None) is None:
        raise ValueError(
            "`model` must be compiled with a loss: repair starts from the program "
            "as you train it. Call `model.compile(optimizer, loss, metrics)` first. "
            f"Received: model={model.name!r} (not compiled)"
        )
    if isinstance(model.loss, (list, tuple, dict)):
        raise ValueError(
            "repair takes single-output models. "
            f"Received: model with loss={model.loss!r}"
        )
    if not is_subclassed(model) and not getattr(model, "inputs", None):
        raise ValueError(
            "`model` must be built: start it with `keras.Input(shape)`. "
            f"Received: model={model.name!r} without inputs"
        )
    try:
        clone(model)
    except Exception as e:
        raise ValueError(
            "repair trains fresh copies of `model` and could not copy this one "
            f"({type(e).__name__}: {e}). A subclassed model needs `get_config` "
            f"(and `from_config`). Received: model of type {type(model).__name__}"
        ) from None


def check_fit_kwargs(fit_kwargs):
    controlled = sorted(set(fit_kwargs) & set(CONTROLLED))
    if controlled:
        raise TypeError(
            f"repair sets {controlled} itself (`epochs`, `batch_size` and the "
            "validation data are its own arguments; every run is silent and "
            "validated each epoch). Pass them as repair's arguments or drop "
            f"them. Received: {', '.join(f'{k}=...' for k in controlled)}"
        )
    unknown = sorted(set(fit_kwargs) - set(PASSED))
    if unknown:
        raise TypeError(
            f"repair passes only {list(PASSED)} on to `fit`. Remove the others. "
            f"Received: {', '.join(f'{k}=...' for k in unknown)}"
        )
    weights = fit_kwargs.get("class_weight")
    if weights is not None and not isinstance(weights, dict):
        raise TypeError(
            "`class_weight` must be a dict of class id -> weight, as `fit` takes "
            f"it. Received: class_weight of type {type(weights).__name__}"
        )
    if not isinstance(fit_kwargs.get("shuffle", True), bool):
        raise TypeError(
            "`shuffle` must be True or False (repair passes arrays to `fit`). "
            f"Received: shuffle={fit_kwargs['shuffle']!r}"
        )
    callbacks = fit_kwargs.get("callbacks")
    if callbacks is not None and not all(
        isinstance(c, keras.callbacks.Callback) for c in callbacks
    ):
        raise TypeError(
            "`callbacks` must be a list of keras.callbacks.Callback. "
            f"Received: callbacks={callbacks!r}"
        )


def _arrays(x, y, name_x="x", name_y="y"):
    x = as_numeric(x, name_x)
    y = as_numeric(y, name_y)
    if x.ndim < 2 or len(x) < 2:
        raise ValueError(
            f"`{name_x}` must be an array shaped (num_examples, ...) with at least "
            f"2 rows. Received: {name_x}.shape={x.shape}"
        )
    if len(y) != len(x):
        raise ValueError(
            f"`{name_x}` and `{name_y}` must have one row per example. "
            f"Received: {name_x}.shape={x.shape}, {name_y}.shape={y.shape}"
        )
    if not np.isfinite(y.astype("float64")).all():
        raise ValueError(
            f"`{name_y}` has NaN or infinite labels; drop those rows. "
            f"Received: {name_y} with non-finite values"
        )
    return x.astype("float32"), y


def split(x, y, validation_data, validation_split):
    """`(x, y, x_val, y_val)`: `validation_data`, or the last
    `validation_split` of the rows, as `fit(validation_split=...)` takes it."""
    if isinstance(x, (keras.utils.PyDataset,)) or hasattr(x, "element_spec"):
        raise TypeError(
            "repair needs arrays (it re-splits and re-encodes its own copy of "
            "the data). Pass numpy arrays `x, y`. "
            f"Received: x of type {type(x).__name__}"
        )
    x, y = _arrays(x, y)
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError(
                "`validation_data` must be a tuple `(x_val, y_val)` of arrays. "
                f"Received: validation_data of type {type(validation_data).__name__}"
            )
        x_val, y_val = _arrays(*validation_data, "x_val", "y_val")
        return x, y, x_val, y_val
    fraction = check_fraction(validation_split, "validation_split")
    n_val = int(len(x) * fraction)
    if n_val < 1 or n_val >= len(x):
        raise ValueError(
            "repair scores every run on validation data: pass `validation_data` "
            f"or a `validation_split` that leaves rows on both sides. "
            f"Received: validation_split={validation_split!r} of {len(x)} rows"
        )
    return x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]


def make_plan(model, x, y, validation_data, validation_split, **settings):
    """The user's program as the baseline `Plan` (everything checked)."""
    check_model(model)
    epochs = _positive_int("epochs", settings["epochs"])
    batch_size = _positive_int("batch_size", settings["batch_size"], allow_none=True)
    check_fit_kwargs(settings["fit_kwargs"])
    x, y, x_val, y_val = split(x, y, validation_data, validation_split)
    subclassed = is_subclassed(model)
    architecture = clone(model) if subclassed else model
    plan = Plan(
        model=architecture,
        compile_config=model.get_compile_config(),
        x=x,
        y=y,
        x_val=x_val,
        y_val=y_val,
        epochs=epochs,
        batch_size=batch_size,
        task="unknown",
        subclassed=subclassed,
        fit_kwargs=dict(settings["fit_kwargs"]),
        split=None if validation_data is not None else float(validation_split),
    )
    kind, _, _, units = head(plan)
    if units is None:  # a subclassed model: its width from one call of a copy
        units = int(np.prod(architecture(x[:2]).shape[1:]))
    return plan.replace(task=infer_task(y, kind, units))


def check_settings(*, max_retrains, seed, verbose):
    _positive_int("max_retrains", max_retrains, allow_zero=True)
    _positive_int("seed", seed, allow_none=True, allow_zero=True)
    if verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 0, 1 or 2. Received: verbose={verbose!r}")
