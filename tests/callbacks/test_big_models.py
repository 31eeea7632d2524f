"""Big models: a nested base with many layers gets one finding per check and
epoch, naming its worst layers; layers come in graph order through nested
models; the activation-std trend never takes a ratio to a zero std.

A small residual base stands in for a `keras.applications` one (MobileNetV2
takes a minute to trace on 2 CPU cores; the diagnosis benchmark runs it).
"""

import re
import types

import keras
import numpy as np

from callbacks import ActivationStats, Babysitter, DeadUnitMonitor, UpdateRatioMonitor
from callbacks.layers import watched_activations
from tests.callbacks._models import compile_, dense_net

BLOCKS = 6


def residual_base(bias=0.0, blocks=BLOCKS):
    """A Functional base of `blocks` residual conv blocks (`x + relu(conv(x))`):
    a `bias` of -20 kills every block's ReLU while the sum carries the
    signal on, as in a deep network whose layers died one by one."""
    inp = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="stem")(inp)
    for i in range(blocks):
        h = keras.layers.Conv2D(
            8,
            3,
            padding="same",
            bias_initializer=keras.initializers.Constant(bias),
            name=f"block_{i}_conv",
        )(x)
        h = keras.layers.ReLU(name=f"block_{i}_relu")(h)
        x = keras.layers.Add(name=f"block_{i}_add")([x, h])
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inp, x, name="base")


def fine_tuned(base, head_bias=0.0):
    """The base nested in a Sequential with a Dense head, as a user
    fine-tunes an application model."""
    head = keras.layers.Dense(
        16,
        activation="relu",
        bias_initializer=keras.initializers.Constant(head_bias),
        name="head",
    )
    return compile_(
        keras.Sequential(
            [keras.Input((12, 12, 3)), base, head, keras.layers.Dense(3, "softmax")]
        )
    )


def images(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 12, 12, 3)).astype("float32")
    return x, (x[:, :6].mean((1, 2, 3)) > 0).astype("int32") + (x[:, 0, 0, 0] > 1)


def test_layers_come_in_graph_order_through_a_nested_base():
    keras.utils.set_random_seed(0)
    model = fine_tuned(residual_base())
    names = list(watched_activations(model, images()[0]))
    blocks = [f"block_{i}_relu" for i in range(BLOCKS)]
    assert names == ["stem", *blocks, "head"]  # the base before the head


def test_a_dead_base_gets_one_dead_units_finding_per_epoch_naming_its_layers():
    keras.utils.set_random_seed(0)
    model = fine_tuned(residual_base(bias=-20.0))
    sitter = Babysitter(verbose=0)
    x, y = images()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[sitter])
    dead = [f for f in sitter.findings if f.check == "dead_units"]
    epochs = [f.epoch for f in dead]
    assert dead and len(epochs) == len(set(epochs))  # at most one per epoch
    first = dead[0]
    assert first.epoch is None and first.severity == "error"
    assert first.layer == "block_0_relu" and first.value == 1.0  # the worst
    # every block, and maybe the stem or the head (ReLUs of a random Dense
    # on pooled, positive features): "7 of 8 ReLU layers"
    count = re.match(r"(\d+) of (\d+) ReLU layers have dead units", first.message)
    assert count and int(count[1]) >= BLOCKS and int(count[2]) == BLOCKS + 2
    assert "worst: block_0_relu (100%), block_1_relu (100%), block_2_relu" in str(first)


def test_one_dead_layer_reads_as_before():
    keras.utils.set_random_seed(0)
    model = fine_tuned(residual_base(), head_bias=-50.0)
    monitor = DeadUnitMonitor(verbose=0)
    x, y = images()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[monitor])
    (dead,) = [f for f in monitor.findings if f.epoch is None]
    assert dead.layer == "head" and dead.message == (
        "100% of the units of head output exactly 0 for every probe sample "
        "(dead ReLUs pass no gradient)."
    )


def _by_hand(monitor, layers):
    """`monitor` ready for `check(epoch, logs, acts)` on `layers`
    (`[(name, kind)]`), without a model."""
    monitor.reset()
    monitor.probe = types.SimpleNamespace(layers=layers)
    return monitor


def test_a_grouped_finding_is_made_again_only_when_a_layer_is_new():
    layers = [(f"d{i}", "relu") for i in range(5)]
    monitor = _by_hand(DeadUnitMonitor(verbose=0), layers)
    alive = np.ones((8, 4), "float32")
    half = np.concatenate([np.zeros((8, 2)), np.ones((8, 2))], 1)
    monitor.check(None, {}, [half, half, alive, alive, alive])
    monitor.check(0, {}, [half, half, alive, alive, alive])  # nothing new
    monitor.check(1, {}, [half, half, np.zeros((8, 4)), alive, alive])
    found = monitor.findings
    assert [(f.epoch, f.layer, f.severity) for f in found] == [
        (None, "d0", "error"),
        (1, "d2", "error"),
    ]
    assert found[1].message.startswith("3 of 5 ReLU layers have dead units")
    assert "worst: d2 (100%), d0 (50%), d1 (50%)." in found[1].message


def test_activation_std_never_starts_from_or_ends_at_a_zero_std():
    rng = np.random.default_rng(0)
    layers = [("dead_first", "relu"), ("a", "relu"), ("b", "relu")]
    layers += [("c", "relu"), ("dead_last", "relu")]
    acts = [np.zeros((64, 4))] + [rng.normal(scale=s, size=(64, 4)) for s in (1, 1e-2)]
    acts += [rng.normal(scale=1e-4, size=(64, 4)), np.zeros((64, 4))]
    stats = _by_hand(ActivationStats(verbose=0), layers)
    stats.check(None, {}, acts)
    (found,) = stats.findings
    assert found.layer == "c" and 0 < found.value < 1e-3
    assert found.message.startswith("The activation std goes from 1.01 in a to ")
    assert "9.77e-05 in c: activations collapse" in found.message
    # every layer dead but one: no trend at all, and no division by zero
    stats = _by_hand(ActivationStats(verbose=0), layers)
    stats.check(None, {}, [np.zeros((64, 4))] * 4 + [acts[1]])
    assert stats.findings == []


def test_a_dead_head_is_no_start_for_the_trend_of_a_nested_model():
    keras.utils.set_random_seed(0)
    model = fine_tuned(residual_base(), head_bias=-50.0)
    stats = ActivationStats(verbose=0, std_ratio=1.01)  # any trend is found
    x, y = images()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[stats])
    trend = [f for f in stats.findings if f.check == "activation_std"]
    assert trend and all(np.isfinite(f.value) and f.value > 0 for f in trend)
    assert all(" in stem to " in f.message for f in trend)
    assert not any("from 0 " in f.message or f.layer == "head" for f in trend)


def test_update_ratios_too_low_in_many_kernels_make_one_finding():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = compile_(dense_net(8, [16, 16, 16]), keras.optimizers.SGD(1e-7))
    monitor = UpdateRatioMonitor(verbose=0)
    model.fit(x, y, epochs=4, batch_size=4, verbose=0, callbacks=[monitor])
    (found,) = [f for f in monitor.findings if f.check == "update_ratio"]
    assert found.message.startswith("Updates of 4 of 4 kernels are below 1e-05")
    assert "smallest: " in found.message and found.value < 1e-5
    assert found.layer == found.message.split("smallest: ")[1].split(" (")[0]
