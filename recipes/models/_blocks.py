"""Pieces both builders share: activation and initializer rules, the input
block, the prior-matched output head and compilation."""

from __future__ import annotations

import warnings

import keras
import numpy as np

from recipes import _validate

RELU_FAMILY = ("relu", "leaky_relu", "elu", "gelu", "silu", "swish")
SATURATING = ("tanh", "sigmoid")
ACTIVATIONS = (*RELU_FAMILY, *SATURATING, "selu")
OPTIMIZERS = {
    "adam": lambda lr: keras.optimizers.Adam(learning_rate=lr),
    "adamw": lambda lr: keras.optimizers.AdamW(learning_rate=lr),
    "sgd": lambda lr: keras.optimizers.SGD(
        learning_rate=lr, momentum=0.9, nesterov=True
    ),
    "rmsprop": lambda lr: keras.optimizers.RMSprop(learning_rate=lr),
}
_warned = set()


def check_activation(activation):
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"Unknown activation {activation!r}. Expected one of {ACTIVATIONS} "
            f"(the recipe: 'relu'). Received: activation={activation!r}"
        )
    if activation in SATURATING and activation not in _warned:
        _warned.add(activation)
        warnings.warn(
            f"activation={activation!r} in hidden layers saturates: where its slope "
            "is ~0 the gradient flowing back vanishes"
            + (
                ", and its outputs are all positive, so updates zig-zag"
                if activation == "sigmoid"
                else ""
            )
            + ". The recipe uses 'relu' (or 'leaky_relu'/'elu').",
            UserWarning,
            stacklevel=3,
        )
    return activation


def initializer_for(activation, kernel_initializer, seed=None):
    """The recipe's rule: He for the ReLU family, Glorot for tanh/sigmoid,
    LeCun for selu; an explicit initializer always wins."""
    if kernel_initializer != "auto":
        try:
            return keras.initializers.get(kernel_initializer)
        except ValueError:
            raise ValueError(
                f"Unknown kernel_initializer {kernel_initializer!r}. Pass 'auto' (the "
                "recipe), a Keras initializer name such as 'he_normal', "
                "'glorot_uniform', 'lecun_normal', or an initializer instance. "
                f"Received: kernel_initializer={kernel_initializer!r}"
            ) from None
    if activation in RELU_FAMILY:
        return keras.initializers.HeNormal(seed=seed)
    if activation == "selu":
        return keras.initializers.LecunNormal(seed=seed)
    return keras.initializers.GlorotUniform(seed=seed)


def input_block(input_shape, preprocessing, x_train):
    """`Input` followed by the fitted preprocessing layer, if any."""
    inputs = keras.Input(shape=tuple(input_shape), name="inputs")
    if preprocessing is None:
        return inputs, inputs
    from recipes.models.preprocessing import preprocessing_layer

    if isinstance(preprocessing, keras.layers.Layer):
        return inputs, preprocessing(inputs)
    x = (
        _validate.check_x(x_train, "x_train", input_shape)
        if x_train is not None
        else None
    )
    if preprocessing in ("pca", "whiten") and len(input_shape) > 1:
        x = None if x is None else x.reshape(len(x), -1)
        flat = keras.layers.Flatten(name="flatten_input")(inputs)
        return inputs, preprocessing_layer(preprocessing, x, name="preprocessing")(flat)
    return inputs, preprocessing_layer(preprocessing, x, name="preprocessing")(inputs)


def head(x, *, task, num_classes, y_train, one_hot, l2, seed=None):
    """The output layer, started so the initial loss is the prior's loss.

    Its kernel is small (VarianceScaling 1e-2), so the initial logits are ~0
    plus the bias; the bias is the log of the class priors (softmax), their
    log-odds (sigmoid); for regression with `y_train` the output predicts the
    standardized target and a fitted `target_scale` layer maps it back to the
    target's units (initial prediction: the training mean).
    """
    priors = None
    if y_train is not None and task != "regression":
        y = np.asarray(y_train)
        ids = y.argmax(1) if one_hot else y.reshape(-1).astype(int)
        counts = np.bincount(ids, minlength=num_classes).astype("float64")
        priors = (counts + 1e-3) / (counts.sum() + 1e-3 * num_classes)
    if task == "classification":
        units, activation, loss = (
            num_classes,
            "softmax",
            (
                "categorical_crossentropy"
                if one_hot
                else "sparse_categorical_crossentropy"
            ),
        )
        bias = np.log(priors) - np.log(priors).mean() if priors is not None else None
    elif task == "binary":
        units, activation, loss = 1, "sigmoid", "binary_crossentropy"
        bias = np.log(priors[1:] / priors[:1]) if priors is not None else None
    else:  # standardized inside the model (recipes.models.target)
        units, activation, loss = num_classes, "linear", "mse"
        bias = None
    bias_init = (
        keras.initializers.Constant(np.asarray(bias, "float32"))
        if bias is not None
        else "zeros"
    )
    out = keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=keras.initializers.VarianceScaling(
            scale=1e-2, mode="fan_in", distribution="truncated_normal", seed=seed
        ),
        bias_initializer=bias_init,
        kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
        name="output",
    )(x)
    if task == "regression" and y_train is not None:
        from recipes.models import target

        mean, std = target.target_statistics(y_train, units)
        out = target.target_scale_layer(mean, std)(out)
        loss = target.StandardizedTargetLoss(scale=std)
    return out, loss


def compile_model(model, *, optimizer, learning_rate, loss, task):
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(
                f"Unknown optimizer {optimizer!r}. Expected one of {tuple(OPTIMIZERS)} "
                "or a keras.optimizers.Optimizer instance. "
                f"Received: optimizer={optimizer!r}"
            )
        if not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
            raise ValueError(
                "`learning_rate` must be a positive number. "
                f"Received: learning_rate={learning_rate!r}"
            )
        optimizer = OPTIMIZERS[optimizer](float(learning_rate))
    elif not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            "`optimizer` must be a name or a keras.optimizers.Optimizer. "
            f"Received: optimizer of type {type(optimizer).__name__}"
        )
    metrics = ["mae"] if task == "regression" else ["accuracy"]
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    return model


def common_checks(
    input_shape,
    num_classes,
    *,
    task,
    activation,
    dropout,
    l2,
    x_train,
    y_train,
    one_hot,
    preprocessing,
):
    """Validates the arguments both builders take; returns num_classes."""
    try:
        input_shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise TypeError(
            "`input_shape` must be a tuple of positive integers, without the batch "
            f"axis, e.g. (64,) or (28, 28, 1). Received: input_shape={input_shape!r}"
        ) from None
    if not input_shape or min(input_shape) < 1:
        raise ValueError(
            "`input_shape` must be a non-empty tuple of positive integers, without "
            f"the batch axis. Received: input_shape={input_shape!r}"
        )
    num_classes = _validate.check_num_classes(num_classes, task)
    check_activation(activation)
    _validate.check_fraction(dropout, "dropout")
    if isinstance(l2, bool) or not isinstance(l2, (int, float)) or l2 < 0:
        raise ValueError(f"`l2` must be a number >= 0. Received: l2={l2!r}")
    if preprocessing is not None and not isinstance(preprocessing, keras.layers.Layer):
        from recipes.models.preprocessing import KINDS

        if preprocessing not in KINDS:
            raise ValueError(
                f"Unknown preprocessing {preprocessing!r}. Expected one of {KINDS}, "
                "a fitted Keras layer, or None. "
                f"Received: preprocessing={preprocessing!r}"
            )
        if x_train is None:
            raise ValueError(
                f"preprocessing={preprocessing!r} is fitted on the training split, so "
                "pass `x_train=` (training inputs only), or preprocessing=None. "
                "Received: x_train=None"
            )
    if x_train is not None:
        x_train = _validate.check_x(x_train, "x_train", input_shape)
    if y_train is not None:
        _validate.check_labels(
            y_train,
            task=task,
            num_classes=num_classes,
            one_hot=one_hot,
            name="y_train",
            length=None if x_train is None else len(x_train),
        )
    return input_shape, num_classes


def block(x, layer, index, *, activation, batch_norm):
    """`layer` -> BatchNormalization -> activation, named `bn_i`, `<act>_i`."""
    x = layer(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(name=f"bn_{index}")(x)
    return keras.layers.Activation(activation, name=f"{activation}_{index}")(x)


def finish(inputs, x, *, name, compile, optimizer, learning_rate, **head_kwargs):
    """Adds the prior-matched head, makes the Functional model, compiles it."""
    outputs, loss = head(x, **head_kwargs)
    model = keras.Model(inputs, outputs, name=name)
    if compile:
        compile_model(
            model,
            optimizer=optimizer,
            learning_rate=learning_rate,
            loss=loss,
            task=head_kwargs["task"],
        )
    return model
