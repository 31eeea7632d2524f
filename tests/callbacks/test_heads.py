"""The loss and head facts (`callbacks.heads`) and the layer walk
(`callbacks.layers`): one answer for every reader."""

import math

import keras
import numpy as np
import pytest

from callbacks import Babysitter, LossWatch
from callbacks.heads import chance_loss, loss_kind, output_layer, prior_loss
from callbacks.layers import walk_layers, watched_activations
from tests.callbacks._models import blobs


def _model(units, loss, activation="softmax"):
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(units, activation=activation)]
    )
    model.compile("sgd", loss)
    return model


@pytest.mark.parametrize(
    "loss, kind, chance",
    [
        ("sparse_categorical_crossentropy", "sparse", math.log(4)),
        (keras.losses.CategoricalCrossentropy(name="xent"), "one_hot", math.log(4)),
        ("binary_crossentropy", "binary", math.log(2)),
        # a focal loss expects the same targets, but its value at the priors
        # is not the entropy: no chance level, no priors' loss
        ("categorical_focal_crossentropy", "one_hot", None),
        (keras.losses.CategoricalFocalCrossentropy(), "one_hot", None),
        (keras.losses.BinaryFocalCrossentropy(), "binary", None),
        ("categorical_hinge", "hinge", None),
        ("mse", "regression", None),
        ("kl_divergence", "unknown", None),
    ],
)
def test_one_reading_of_the_loss_for_kind_chance_and_priors(loss, kind, chance):
    model = _model(4, loss)
    assert loss_kind(loss)[0] == kind
    assert chance_loss(model) == (None if chance is None else pytest.approx(chance))
    y = np.array([0, 1, 2, 3, 0, 1])
    labels = y if kind == "sparse" else np.eye(4)[y]
    name = loss if isinstance(loss, str) else str(loss)
    prior = prior_loss(kind, labels, 4, name)
    if chance is None and kind != "regression":
        assert prior is None
    elif kind in ("sparse", "one_hot"):
        p = np.bincount(y) / len(y)
        assert prior == pytest.approx(-(p * np.log(p)).sum())


def test_a_babysitter_on_a_focal_loss_takes_no_entropy_as_its_start():
    x, y = blobs(128)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(2, activation="softmax")]
    )
    model.compile("sgd", "categorical_focal_crossentropy")
    sitter = Babysitter(verbose=0)
    model.fit(x, np.eye(2)[y], epochs=1, verbose=0, callbacks=[sitter])
    watch = next(m for m in sitter.monitors if isinstance(m, LossWatch))
    assert watch.prior() == (None, None)


def _nested():
    block = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(5, "tanh", name="inner_0"),
            keras.layers.Dense(5, "relu", name="inner_1"),
        ],
        name="block",
    )
    inputs = keras.Input((4,))
    x = keras.layers.Dense(4, "relu", name="first")(inputs)
    x = block(x)
    x = keras.layers.LeakyReLU(name="leaky")(x)
    out = keras.layers.Dense(3, "softmax", name="head")(x)
    return keras.Model(inputs, out)


def test_walk_layers_goes_into_nested_models_in_graph_order():
    model = _nested()
    names = [
        layer.name
        for layer in walk_layers(model)
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    assert names == ["first", "inner_0", "inner_1", "leaky", "head"]
    assert output_layer(model).name == "head"


def test_watched_activations_are_the_probes_layers():
    model = _nested()
    acts = watched_activations(model, np.ones((6, 4), "float32"))
    # ReLU/tanh/sigmoid layers, nested ones included; not LeakyReLU, not the head
    assert list(acts) == ["first", "inner_0", "inner_1"]
    assert acts["inner_0"].shape == (6, 5)
