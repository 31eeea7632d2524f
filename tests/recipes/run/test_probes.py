"""The run's activation histograms show the layers the callbacks watch."""

import keras
import numpy as np

from callbacks._probe import make_probe
from recipes.run import _probes


def test_histogram_layers_are_the_tensorboard_probes_layers():
    block = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(6, "tanh", name="inner")],
        name="block",
    )
    inputs = keras.Input((4,))
    x = keras.layers.Dense(6, "relu", name="dense_0")(inputs)
    x = keras.layers.Dense(6, "gelu", name="dense_gelu")(x)  # not watched
    x = block(x)
    out = keras.layers.Dense(3, "softmax", name="head")(x)
    model = keras.Model(inputs, out)
    x = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
    snap = _probes.activation_snapshot(model, _probes.probe_sample(x), max_values=50)
    probe, reason = make_probe(model, x, 512)  # BabysitterTensorBoard's probe
    assert reason is None
    assert list(snap) == [name for name, _ in probe.layers] == ["dense_0", "inner"]
    assert snap["dense_0"].shape == (50,)  # 40 x 6 values, 50 kept
    assert (snap["dense_0"] >= 0).all()
