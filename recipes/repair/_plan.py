"""`Plan`: what one training run of the repair is made of (private).

A plan is the user's program as data: the architecture (a model that is
never trained itself), its compile configuration, the repair's own copy of
the data, and the fit settings. A fix takes a plan and returns a new one;
`fresh_model` turns a plan into a compiled model, freshly initialized from
the seed, for one run. The user's model object is only read.
"""

from __future__ import annotations

import copy
import dataclasses

import keras
import numpy as np

from callbacks.heads import loss_kind, output_activation, output_layer


@dataclasses.dataclass(frozen=True, eq=False)
class Plan:
    """One training run, as the fixes see it and change it.

    Attributes:
        model: The architecture: a Keras model whose weights are never used
            (each run trains `fresh_model(plan, seed)`).
        compile_config: `model.get_compile_config()` of the program, as
            changed by the fixes (a fresh optimizer is made from it each run).
        x, y: The training split (the repair's own copy).
        x_val, y_val: The validation split.
        epochs: Epochs per run.
        batch_size: Batch size (`None`: Keras' 32).
        task: `"classification"`, `"binary"`, `"multilabel"`, `"regression"`
            or `"unknown"` (from the labels and the loss; fixed for a repair,
            so every run is scored the same way).
        subclassed: Whether the model is a subclassed `keras.Model` (only
            compile-, fit- and data-level fixes apply).
        fit_kwargs: The user's other `fit` arguments, passed to every run.
        early_stopping: Patience of an `EarlyStopping(restore_best_weights=
            True)` on `val_loss` added by a fix, or `None`.
        split: The `validation_split` the validation rows were taken with
            (the last rows, as `fit` takes them), or `None` when they were
            given apart.
    """

    model: object
    compile_config: dict
    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    epochs: int
    batch_size: int | None
    task: str
    subclassed: bool
    fit_kwargs: dict = dataclasses.field(default_factory=dict)
    early_stopping: int | None = None
    split: float | None = None

    def replace(self, **changes):
        """A new plan with `changes`; the compile configuration is copied."""
        changes.setdefault("compile_config", copy.deepcopy(self.compile_config))
        return dataclasses.replace(self, **changes)


def fresh_model(plan, seed):
    """A compiled model of `plan`'s architecture, initialized from `seed`.

    A fresh optimizer is made from the compile configuration, so no state
    is shared with the user's model or with another run.
    """
    keras.utils.set_random_seed(seed)
    model = clone(plan.model)
    carry_state(plan.model, model)
    model.compile_from_config(copy.deepcopy(plan.compile_config))
    return model


def carry_state(source, target):
    """Copies the fitted state of `source`'s preprocessing layers into the
    layers of the same name in `target` (a clone or a rebuild of it).

    A clone is made from configs, so a `Normalization` adapted on the
    training data (its mean and variance are weights, not config) would
    start unadapted: the program would no longer be the user's. A layer
    with weights and none trainable (Normalization, a lookup table, a
    fitted PCA) is fitted state and keeps it; every trainable layer,
    BatchNormalization included, starts fresh from the seed.
    """
    fitted = {layer.name: layer for layer in _all_layers(source) if _is_fitted(layer)}
    for layer in _all_layers(target):
        old = fitted.get(layer.name)
        if old is not None and type(old) is type(layer) and layer is not old:
            try:
                layer.set_weights(old.get_weights())
            except ValueError:  # another shape: the fix changed it on purpose
                continue
            if hasattr(layer, "finalize_state"):  # Normalization's mean, from them
                layer.finalize_state()


def _is_fitted(layer):
    return bool(layer.weights) and not layer.trainable_weights


def _all_layers(model):
    for layer in getattr(model, "layers", ()):
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def clone(model):
    """`keras.models.clone_model`, or `from_config` for a subclassed model."""
    if is_subclassed(model):
        return model.__class__.from_config(model.get_config())
    return keras.models.clone_model(model)


def is_subclassed(model):
    """Whether `model` is a subclassed `keras.Model` (neither Sequential nor
    Functional: a Functional model is a `keras.Function`)."""
    return not isinstance(model, (keras.Sequential, keras.Function))


def optimizer(plan):
    """`(class_name, config)` of the plan's optimizer (a copy)."""
    opt = plan.compile_config.get("optimizer")
    if isinstance(opt, str):
        opt = keras.optimizers.serialize(keras.optimizers.get(opt))
    return opt["class_name"], dict(opt["config"])


def with_optimizer(plan, class_name, config):
    """`plan` with the optimizer `class_name(**config)` (serialized)."""
    new = plan.replace()
    new.compile_config["optimizer"] = keras.optimizers.serialize(
        getattr(keras.optimizers, class_name).from_config(config)
    )
    return new


def learning_rate(plan):
    """The optimizer's learning rate, or `None` for a schedule."""
    rate = optimizer(plan)[1].get("learning_rate")
    return float(rate) if isinstance(rate, (int, float)) else None


def optimizer_code(class_name, config):
    """`keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)`: the
    constructor call with the arguments that differ from the defaults."""
    default = getattr(keras.optimizers, class_name)().get_config()
    args = []
    for key, value in config.items():
        if key == "name" or value == default.get(key):
            continue
        if key != "learning_rate" and isinstance(value, float):
            if np.isclose(value, default.get(key) or np.nan):
                continue
        args.append(f"{key}={_number(value)}")
    if "learning_rate=" not in " ".join(args) and "learning_rate" in config:
        args.insert(0, f"learning_rate={_number(config['learning_rate'])}")
    return f"keras.optimizers.{class_name}({', '.join(args)})"


def _number(value):
    if isinstance(value, float):
        return f"{float(f'{value:.3g}')!r}"
    return repr(value)


def loss(plan):
    """The compiled loss object (a function or `keras.losses.Loss`)."""
    spec = plan.compile_config.get("loss")
    if isinstance(spec, dict):
        return keras.saving.deserialize_keras_object(spec)
    return keras.losses.get(spec) if isinstance(spec, str) else spec


def head(plan):
    """`(loss_kind, from_logits, output_activation, output_units)`."""
    kind, logits = loss_kind(loss(plan))
    units = output_units(plan.model)
    return kind, logits, output_activation(plan.model), units


def output_units(model):
    try:
        return int(model.outputs[0].shape[-1])
    except (AttributeError, IndexError, TypeError, ValueError):
        return None


def last_layer(model):
    return output_layer(model)
