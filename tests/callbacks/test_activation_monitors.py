import keras
import numpy as np
import pytest

from callbacks import ActivationStats, DeadUnitMonitor, GradientMonitor, LossWatch
from tests.callbacks._models import blobs, compile_, dense_net, problems, recipe_mlp


def fit(model, cb, epochs=1, data=None, **kw):
    x, y = data or blobs()
    return model.fit(
        x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=[cb], **kw
    )


def test_dead_units_fire_for_negative_bias_inside_dense():
    model = compile_(
        dense_net(8, [32, 32], bias_initializer=keras.initializers.Constant(-5.0))
    )
    monitor = DeadUnitMonitor(verbose=0)
    history = fit(model, monitor)
    dead = [f for f in monitor.findings if f.check == "dead_units"]
    assert dead and dead[0].epoch is None  # caught before the first epoch
    assert dead[0].severity == "error" and dead[0].layer == "dense"
    assert history.history["dead_fraction"][0] > 0.9
    assert "dead_fraction/dense_1" in history.history


def test_dead_units_with_separate_relu_and_batchnorm_layers():
    inp = keras.Input((8,))
    x = keras.layers.Dense(16, bias_initializer=keras.initializers.Constant(-50.0))(inp)
    x = keras.layers.Dropout(0.1)(x)
    x = keras.layers.Activation("relu", name="act")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dense(16, kernel_initializer="he_normal")(x)
    x = keras.layers.ReLU(name="relu_ok")(x)
    model = compile_(keras.Model(inp, keras.layers.Dense(2, activation="softmax")(x)))
    monitor = DeadUnitMonitor(verbose=0)
    history = fit(model, monitor)
    act = [f for f in monitor.findings if f.layer == "act"]
    assert act and act[0].value == 1.0 and act[0].severity == "error"
    assert "dead_fraction/relu_ok" in history.history


def test_healthy_recipe_model_has_no_dead_or_saturated_units():
    model = compile_(recipe_mlp(d=8, out=2))
    dead, stats = DeadUnitMonitor(verbose=0), ActivationStats(verbose=0)
    fit(model, dead, epochs=2)
    fit(model, stats, epochs=1)
    assert problems(dead) == [] and problems(stats) == []


def test_nan_weights_are_nan_loss_not_dead_units():
    model = compile_(dense_net(8, [16, 16]))
    model.layers[0].kernel.assign(np.full((8, 16), np.nan, "float32"))
    monitor = DeadUnitMonitor(verbose=0)
    fit(model, monitor)
    assert [f.check for f in monitor.findings] == ["nan_loss"]


def test_saturated_tanh_fires_and_glorot_tanh_is_quiet():
    big = keras.initializers.RandomNormal(stddev=3.0, seed=1)
    bad = compile_(dense_net(8, [64] * 4, activation="tanh", kernel_initializer=big))
    good = compile_(dense_net(8, [64] * 4, activation="tanh"))
    bad_stats, good_stats = ActivationStats(verbose=0), ActivationStats(verbose=0)
    history = fit(bad, bad_stats)
    fit(good, good_stats)
    assert "saturated_units" in problems(bad_stats)
    assert history.history["saturated_fraction"][0] > 0.4
    assert problems(good_stats) == []


def test_activation_std_collapse_fires_for_tiny_init():
    tiny = keras.initializers.RandomNormal(stddev=0.01, seed=1)
    model = compile_(dense_net(8, [64] * 5, activation="tanh", kernel_initializer=tiny))
    stats = ActivationStats(verbose=0)
    fit(model, stats)
    assert "activation_std" in problems(stats)


def test_vanishing_gradients_fire_for_deep_sigmoid_and_not_for_recipe():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 2)).astype("float32")
    y = (np.hypot(x[:, 0], x[:, 1]) > 1.1).astype("int32")
    deep = compile_(dense_net(2, [32] * 8, activation="sigmoid"), "sgd")
    bad, good = GradientMonitor(verbose=0), GradientMonitor(verbose=0)
    history = fit(deep, bad, data=(x, y))
    fit(compile_(recipe_mlp(d=2, out=2)), good, data=(x, y))
    assert problems(bad)[0] == "vanishing_gradients"
    assert history.history["gradient_ratio"][0] < 1e-3
    assert problems(good) == []


def test_exploding_gradients_fire_when_first_layer_is_tiny():
    inp = keras.Input((8,))
    x = keras.layers.Dense(32, kernel_initializer=keras.initializers.Constant(1e-6))(
        inp
    )
    x = keras.layers.Dense(32)(x)
    model = compile_(keras.Model(inp, keras.layers.Dense(2, activation="softmax")(x)))
    monitor = GradientMonitor(verbose=0)
    fit(model, monitor)
    assert problems(monitor)[0] == "exploding_gradients"


class TinySubclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(16, activation="relu")
        self.out = keras.layers.Dense(2, activation="softmax")

    def call(self, x):
        return self.out(self.hidden(x))


def test_subclassed_model_skips_activation_checks_with_one_warning():
    from callbacks import Babysitter

    model = compile_(TinySubclassed())
    sitter = Babysitter(verbose=0)
    x, y = blobs()
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[sitter])
    skipped = [f for f in sitter.findings if f.check == "activation_checks_skipped"]
    assert len(skipped) == 1 and skipped[0].severity == "warning"
    assert "dead_fraction" not in history.history
    assert len(sitter.monitors) > 1 and isinstance(sitter.monitors[0], LossWatch)


@pytest.mark.parametrize(
    "make",
    [
        lambda: DeadUnitMonitor(threshold=2.0),
        lambda: DeadUnitMonitor(probe_size=0),
        lambda: ActivationStats(tolerance=0.7),
        lambda: GradientMonitor(ratio=0.5),
    ],
)
def test_bad_arguments_raise(make):
    with pytest.raises((ValueError, TypeError), match="Received"):
        make()


def test_dead_conv_channels_are_found():
    x = np.random.default_rng(0).normal(size=(64, 6, 6, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int32")
    inp = keras.Input((6, 6, 1))
    dead = keras.layers.Conv2D(
        8, 3, activation="relu", bias_initializer=keras.initializers.Constant(-50.0)
    )(inp)
    live = keras.layers.Conv2D(8, 3, activation="relu", name="live")(inp)
    merged = keras.layers.Concatenate()([dead, live])
    pooled = keras.layers.GlobalAveragePooling2D()(merged)
    model = compile_(
        keras.Model(inp, keras.layers.Dense(2, activation="softmax")(pooled))
    )
    monitor = DeadUnitMonitor(verbose=0)
    history = fit(model, monitor, data=(x, y))
    assert [f.layer for f in monitor.findings] == ["conv2d"]
    assert history.history["dead_fraction/conv2d"][0] == 1.0
    assert history.history["dead_fraction"][0] == pytest.approx(0.5, abs=0.2)


def test_probe_returns_a_small_model_output_for_batchnorm_but_not_an_image():
    # The probe's pass also gives BatchNormMonitor the model's inference-mode
    # output, but only for a head (at most 1,024 values a sample): an
    # image-to-image output on 1,024 probe samples would be far too large.
    from callbacks._probe import Probe

    head = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    image = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(8, 3, padding="same"),
        ]
    )
    rng = np.random.default_rng(0)
    small = Probe(head, rng.normal(size=(40, 8)).astype("float32"), None)
    assert small.build() is None
    small.activations(0)
    out = small.inference_output(0, 32)
    expected = keras.ops.convert_to_numpy(head(small.x[:32], training=False))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert small.inference_output(1, 32) is None  # another epoch's pass
    large = Probe(image, rng.normal(size=(8, 16, 16, 3)).astype("float32"), None)
    assert large.build() is None
    large.activations(0)
    assert large.inference_output(0, 4) is None  # 16 x 16 x 8 values a sample
    assert [name for name, _ in large.layers] == [image.layers[0].name]


def test_probe_checks_run_on_the_power_of_two_schedule_and_the_last_epoch():
    # After epochs 0, 1, 3 and the last (4); epoch 2 gets NaN, so History's
    # columns keep one value per epoch.
    keras.utils.set_random_seed(0)
    model = compile_(dense_net(8, [16, 16]))
    monitor = DeadUnitMonitor(verbose=0)
    calls = []
    probe_run = monitor._run
    monitor._run = lambda epoch, logs: (calls.append(epoch), probe_run(epoch, logs))
    history = fit(model, monitor, epochs=5)
    assert calls == [None, 0, 1, 3, 4]
    dead = history.history["dead_fraction"]
    assert len(dead) == 5 and np.isnan(dead[2])
    assert all(np.isfinite(dead[i]) for i in (0, 1, 3, 4))
    assert len(history.history["dead_fraction/dense_1"]) == 5


def test_an_early_stopped_fit_has_its_last_epoch_checked_at_the_end():
    keras.utils.set_random_seed(0)
    model = compile_(dense_net(8, [16]))
    monitor = ActivationStats(verbose=0)
    calls = []
    probe_run = monitor._run
    monitor._run = lambda epoch, logs: (calls.append(epoch), probe_run(epoch, logs))

    class StopAfterThree(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = epoch == 2

    x, y = blobs()
    model.fit(
        x, y, epochs=20, batch_size=32, verbose=0, callbacks=[monitor, StopAfterThree()]
    )
    assert calls == [None, 0, 1, 2]  # 2: at the end of training, without logs


def _linear_pair():
    """x -> Dense(3) -> Dense(1), no biases, MSE: gradients in closed form."""
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, use_bias=False, name="first"),
            keras.layers.Dense(1, use_bias=False, name="last"),
        ]
    )
    model.compile("sgd", "mse")
    return model


def _closed_form_rms(model, x, y):
    w1, w2 = (np.asarray(w, "float64") for w in model.get_weights())
    r = 2 * (x @ w1 @ w2 - y) / len(x)  # dL/dy_pred
    rms = lambda g: float(np.sqrt(np.mean(g**2)))  # noqa: E731
    return {"first": rms(x.T @ (r @ w2.T)), "last": rms((x @ w1).T @ r)}


def test_gradient_function_follows_the_weights_from_call_to_call():
    # On JAX the gradient is traced once and evaluated after: it must read
    # the current weights at every call, never those of the trace.
    from callbacks._gradient_fn import gradient_function

    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = _linear_pair()
    fn = gradient_function(model)
    for step in range(3):
        got = fn(x, y)
        want = _closed_form_rms(model, x.astype("float64"), y.astype("float64"))
        assert got == pytest.approx(want, rel=1e-4)
        model.set_weights([w * (2.0 + step) for w in model.get_weights()])


class ValueBranch(keras.Model):
    """Python control flow on a value: differentiable eagerly (JAX's
    `jax.grad` too), not traceable into a jaxpr."""

    def __init__(self):
        super().__init__()
        self.first = keras.layers.Dense(3, use_bias=False, name="first")
        self.last = keras.layers.Dense(1, use_bias=False, name="last")

    def call(self, x, training=None):
        h = self.first(x)
        if keras.ops.sum(h) > 1e9:  # a Python bool of a tensor
            h = h * 0.0
        return self.last(h)


def test_gradient_function_of_an_untraceable_model_runs_eagerly():
    from callbacks._gradient_fn import gradient_function

    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = ValueBranch()
    model.compile("sgd", "mse")
    model(x)
    fn = gradient_function(model)
    want = _closed_form_rms(model, x.astype("float64"), y.astype("float64"))
    assert fn(x, y) == pytest.approx(want, rel=1e-4)
    assert fn(x, y) == pytest.approx(want, rel=1e-4)  # the second call too
