"""Tiny seeded models and data shared by the callbacks tests."""

import keras
import numpy as np
from sklearn.datasets import load_digits


def blobs(n=256, d=8, classes=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int32")
    return x, y


def digits(n=600):
    x, y = load_digits(return_X_y=True)
    x, y = x[:n].astype("float32"), y[:n]
    std = x.std(0)
    std[std < 1e-6] = 1.0
    return (x - x.mean(0)) / std, y


def dense_net(d, widths, out=2, activation="relu", **kw):
    layers = [keras.Input((d,))]
    layers += [keras.layers.Dense(w, activation=activation, **kw) for w in widths]
    layers.append(keras.layers.Dense(out, activation="softmax"))
    return keras.Sequential(layers)


def recipe_mlp(d=64, out=10, width=64):
    """Dense -> BatchNormalization -> ReLU, He init (the recipe's MLP)."""
    inp = keras.Input((d,))
    x = inp
    for i in range(2):
        x = keras.layers.Dense(
            width, kernel_initializer="he_normal", name=f"dense_{i}"
        )(x)
        x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        x = keras.layers.ReLU(name=f"relu_{i}")(x)
    out = keras.layers.Dense(out, activation="softmax", name="logits")(x)
    return keras.Model(inp, out)


def compile_(model, opt="adam"):
    model.compile(opt, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def problems(callback):
    return [f.check for f in callback.findings if f.severity != "info"]


# The start of a program for a subprocess: a tiny compiled model `m` and its
# data `x`, `y` (for tests that must run Keras in a fresh interpreter).
TINY_FIT_PROGRAM = (
    "import sys, numpy as np, keras, callbacks\n"
    "x = np.random.default_rng(0).normal(size=(64, 4)).astype('float32')\n"
    "y = (x[:, 0] > 0).astype('int32')\n"
    "m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, 'relu'),"
    " keras.layers.Dense(2, activation='softmax')])\n"
    "m.compile('adam', 'sparse_categorical_crossentropy')\n"
)
