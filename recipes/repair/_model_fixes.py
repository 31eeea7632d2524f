"""The fixes that change the model itself (private; see `fixes`).

Each edits a clone of the architecture with `_edit.rebuild` (so it applies
to Sequential and Functional models, never to a subclassed one) and prints
itself as the layer code a user would write.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import keras
import numpy as np

from recipes.repair._edit import (
    activation_layers,
    activation_name,
    from_config,
    hidden_layers,
    rebuild,
)
from recipes.repair._plan import head, last_layer
from recipes.repair.fixes import Change, Fix, LayerFix

_SATURATING = ("sigmoid", "tanh", "hard_sigmoid", "softsign")
_RELU = ("relu", "leaky_relu", "elu", "selu", "gelu", "silu", "relu6")
_HE = ("HeNormal", "HeUniform")
_GLOROT = ("GlorotUniform", "GlorotNormal", "LecunNormal", "LecunUniform")


def _names(layers):
    """`dense, dense_1`, or `dense_2 ... dense_31, 30 layers` for many."""
    names = [layer.name for layer in layers]
    if len(names) > 4:
        return f"{names[0]} ... {names[-1]}, {len(names)} layers"
    return ", ".join(names)


def _initializer(layer, key):
    value = layer.get_config().get(key)
    if isinstance(value, dict):
        return value.get("class_name"), value.get("config") or {}
    return str(value), {}


@dataclasses.dataclass(frozen=True)
class OutputHead(Fix):
    """The output activation and the loss that fit the labels, together:
    softmax with a (sparse) categorical cross-entropy for one class per
    example, sigmoid with binary cross-entropy for two classes or multi-hot
    labels, a linear unit for regression."""

    name: ClassVar[str] = "output_head"
    level: ClassVar[str] = "model"

    def target(self, plan):
        """`(activation, loss_name)` the labels call for, or `None`."""
        y = np.asarray(plan.y)
        if plan.task in ("binary", "multilabel"):
            return "sigmoid", "binary_crossentropy"
        if plan.task == "classification":
            one_hot = y.ndim == 2 and y.shape[1] > 1
            loss = "categorical" if one_hot else "sparse_categorical"
            return "softmax", f"{loss}_crossentropy"
        if plan.task == "regression":
            return "linear", None
        return None

    def _applies(self, plan):
        want = self.target(plan)
        out = last_layer(plan.model)
        if want is None or out is None or not hasattr(out, "activation"):
            return False
        kind, logits, act, _ = head(plan)
        want_kind = {
            "binary_crossentropy": "binary",
            "categorical_crossentropy": "one_hot",
            "sparse_categorical_crossentropy": "sparse",
            None: "regression",
        }[want[1]]
        return act != want[0] or logits or kind != want_kind

    def apply(self, plan):
        act, loss = self.target(plan)
        out = last_layer(plan.model)
        model = rebuild(
            plan.model,
            replace=lambda layer: (
                from_config(layer, activation=act) if layer is out else None
            ),
        )
        new = plan.replace(model=model)
        kind = head(plan)[0]
        if loss is not None or kind != "regression":
            new.compile_config["loss"] = loss or "mse"
        return new

    def change(self, plan):
        act, loss = self.target(plan)
        out = last_layer(plan.model)
        units = out.get_config().get("units")
        layer = f"keras.layers.Dense({units}, activation={act!r})"
        code = f"{layer}  # the output layer, {out.name}"
        if loss is not None:
            code += f"\nmodel.compile(..., loss={loss!r})"
        _, _, old_act, _ = head(plan)
        return Change(
            self.name,
            self.level,
            f"Output head: {old_act} -> {act}"
            + (f" with loss {loss!r}." if loss else "."),
            code,
        )


@dataclasses.dataclass(frozen=True)
class InputScaling(Fix):
    """A `keras.layers.Normalization` with the training split's mean and
    variance per feature (channel), first in the model: the inputs are
    standardized inside it, the validation and test inputs the same way."""

    name: ClassVar[str] = "input_scaling"
    level: ClassVar[str] = "model"

    def _applies(self, plan):
        if len(plan.model.inputs) != 1 or any(
            isinstance(layer, keras.layers.Normalization) for layer in plan.model.layers
        ):
            return False
        mean, var = _statistics(plan.x)
        std = np.sqrt(var[var > 0])
        return bool(
            np.abs(mean).max() > 0.5
            or (std.size and (std.max() > 2 or std.min() < 0.2))
        )

    def apply(self, plan):
        mean, var = _statistics(plan.x)
        norm = keras.layers.Normalization(mean=mean, variance=var, name="input_scaling")
        return plan.replace(model=rebuild(plan.model, prepend=[norm]))

    def change(self, plan):
        return Change(
            self.name,
            self.level,
            "Inputs standardized inside the model: a Normalization layer adapted "
            "on the training split, first.",
            "norm = keras.layers.Normalization()\nnorm.adapt(x_train)\n"
            "# then call norm on the inputs, before the first layer",
        )


def _statistics(x):
    """Per-feature (last axis) mean and variance, NaNs ignored (variance 1
    for a feature constant in training)."""
    x = np.asarray(x, dtype="float64")
    axes = tuple(range(x.ndim - 1))
    mean = np.nan_to_num(np.nanmean(x, axis=axes))
    var = np.nan_to_num(np.nanvar(x, axis=axes))
    # a feature constant in training is only centered: dividing it by its ~0
    # std would blow up any other value it takes in validation or serving
    var = np.where(var > 1e-12, var, 1.0)
    return mean.astype("float32"), var.astype("float32")


@dataclasses.dataclass(frozen=True)
class ReluHe(LayerFix):
    """Saturating hidden activations (sigmoid, tanh) -> ReLU with He init."""

    name: ClassVar[str] = "relu_he"
    level: ClassVar[str] = "model"

    def _layers(self, plan):
        return [
            layer
            for layer in hidden_layers(plan.model) + activation_layers(plan.model)
            if activation_name(layer) in _SATURATING
        ]

    def _edited(self, layer):
        if isinstance(layer, keras.layers.Activation):
            return from_config(layer, activation="relu")
        return from_config(layer, activation="relu", kernel_initializer="he_normal")

    def change(self, plan):
        layers = self._layers(plan)
        old = sorted({activation_name(layer) for layer in layers})
        return Change(
            self.name,
            self.level,
            f"Hidden activation {'/'.join(old)} -> ReLU with He init "
            f"({_names(layers)}).",
            "keras.layers.Dense(units, activation='relu', "
            f"kernel_initializer='he_normal')  # {_names(layers)}",
        )


@dataclasses.dataclass(frozen=True)
class Initializers(LayerFix):
    """The initializer each activation calls for: He for the ReLU family,
    Glorot otherwise; zero biases where a constant bias was set."""

    name: ClassVar[str] = "initializers"
    level: ClassVar[str] = "model"

    def _wanted(self, layer):
        act = activation_name(layer)
        kernel, _ = _initializer(layer, "kernel_initializer")
        bias, config = _initializer(layer, "bias_initializer")
        new = {}
        good = _HE if act in _RELU else _GLOROT
        if kernel not in good:
            new["kernel_initializer"] = (
                "he_normal" if act in _RELU else "glorot_uniform"
            )
        if bias == "Constant" and config.get("value", 0) != 0:
            new["bias_initializer"] = "zeros"
        return new

    def _layers(self, plan):
        return [layer for layer in hidden_layers(plan.model) if self._wanted(layer)]

    def _edited(self, layer):
        return from_config(layer, **self._wanted(layer))

    def change(self, plan):
        lines = []
        for layer in self._layers(plan):
            args = ", ".join(f"{k}={v!r}" for k, v in self._wanted(layer).items())
            lines.append(
                f"keras.layers.{type(layer).__name__}(..., "
                f"activation={activation_name(layer)!r}, {args})  # {layer.name}"
            )
        return Change(
            self.name,
            self.level,
            "Initializers by activation (He for ReLU, Glorot for tanh/sigmoid), "
            f"zero biases ({_names(self._layers(plan))}).",
            "\n".join(lines),
        )


@dataclasses.dataclass(frozen=True)
class BatchNorm(Fix):
    """Dense/Conv -> BatchNormalization -> activation in every hidden layer."""

    name: ClassVar[str] = "batchnorm"
    level: ClassVar[str] = "model"

    def _applies(self, plan):
        has_bn = any(
            isinstance(layer, keras.layers.BatchNormalization)
            for layer in plan.model.layers
        )
        return not has_bn and bool(hidden_layers(plan.model))

    def apply(self, plan):
        hidden = {id(layer): layer for layer in hidden_layers(plan.model)}

        def replace(layer):
            if id(layer) in hidden:
                return from_config(layer, activation=None)
            return None

        def after(layer):
            if id(layer) not in hidden:
                return []
            return [
                keras.layers.BatchNormalization(name=f"{layer.name}_bn"),
                keras.layers.Activation(
                    activation_name(layer), name=f"{layer.name}_act"
                ),
            ]

        return plan.replace(model=rebuild(plan.model, replace=replace, after=after))

    def change(self, plan):
        return Change(
            self.name,
            self.level,
            "BatchNormalization between each hidden layer and its activation "
            f"({_names(hidden_layers(plan.model))}).",
            "keras.layers.Dense(units),\nkeras.layers.BatchNormalization(),\n"
            "keras.layers.Activation('relu'),  # for each hidden layer",
        )


@dataclasses.dataclass(frozen=True)
class Capacity(Fix):
    """Hidden `Dense(units, activation='relu')` layers (He init) before the
    output of a model that has no nonlinear hidden layer: a linear model
    cannot fit a nonlinear boundary, whatever its training."""

    layers: int = 2
    units: int = 64
    name: ClassVar[str] = "capacity"
    level: ClassVar[str] = "model"

    def _applies(self, plan):
        out = last_layer(plan.model)
        if (
            out is None
            or len(plan.model.inputs) != 1
            or not isinstance(out, keras.layers.Dense)
        ):
            return False
        nonlinear = [
            layer
            for layer in hidden_layers(plan.model) + activation_layers(plan.model)
            if activation_name(layer) != "linear"
        ]
        return not nonlinear

    def _new(self, plan):
        return [
            keras.layers.Dense(
                self.units,
                activation="relu",
                kernel_initializer="he_normal",
                name=f"capacity_{i}",
            )
            for i in range(self.layers)
        ]

    def apply(self, plan):
        out = last_layer(plan.model)
        added = self._new(plan)
        model = rebuild(plan.model, before=lambda layer: added if layer is out else [])
        return plan.replace(model=model)

    def change(self, plan):
        out = last_layer(plan.model)
        layer = (
            f"keras.layers.Dense({self.units}, activation='relu', "
            "kernel_initializer='he_normal'),"
        )
        return Change(
            self.name,
            self.level,
            f"{self.layers} hidden ReLU layers of {self.units} units before the "
            f"output layer ({out.name}): the model had no nonlinear hidden layer.",
            "\n".join([layer] * self.layers) + f"  # before {out.name}",
        )
