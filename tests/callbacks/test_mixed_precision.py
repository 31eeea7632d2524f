"""The checks under mixed precision: the same verdicts as in float32.

Backend-agnostic (CI runs tests/callbacks on TensorFlow, JAX and PyTorch).
Each test sets the global dtype policy before building its model and resets
it to float32 afterwards (the `policy` fixture).
"""

import csv
import warnings

import keras
import numpy as np
import pytest
from _models import digits

from callbacks import ActivationStats, Babysitter, GradientMonitor, LossWatch
from callbacks._logs import stall_fix

POLICIES = ["mixed_float16", "mixed_bfloat16"]
X, Y = digits(400)


@pytest.fixture(params=POLICIES)
def policy(request):
    keras.mixed_precision.set_global_policy(request.param)
    try:
        yield request.param
    finally:
        keras.mixed_precision.set_global_policy("float32")
        keras.backend.clear_session()


def _net(widths, activation="relu", init="he_normal", bias="zeros"):
    layers = [keras.Input((64,))]
    layers += [
        keras.layers.Dense(
            w, activation=activation, kernel_initializer=init, bias_initializer=bias
        )
        for w in widths
    ]
    layers.append(keras.layers.Dense(10, activation="softmax"))
    keras.utils.set_random_seed(0)
    return keras.Sequential(layers)


def _compiled(model, optimizer, **kw):
    model.compile(
        optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"], **kw
    )
    return model


def _fit(model, callbacks, epochs=2, data=(X, Y), **kw):
    return model.fit(
        *data, epochs=epochs, batch_size=32, verbose=0, callbacks=callbacks, **kw
    )


def test_healthy_wide_net_has_finite_stats_no_warning_and_no_finding(policy):
    # 1,024 probe samples of 256 units: a float16 sum of their squared
    # deviations overflows (numpy warns and the std was inf).
    model = _compiled(_net([256, 256]), keras.optimizers.Adam(1e-3))
    sitter = Babysitter(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy's overflow
        _fit(model, [sitter], data=digits(1200), validation_split=0.125)
    stds = [
        v
        for k, vals in sitter.figures.items()
        if k.startswith("activation_std/")
        for v in vals
    ]
    assert stds and all(np.isfinite(v) and 0.1 < v < 100 for v in stds), stds
    assert sitter.diagnosis() is None, sitter.findings


def test_activation_std_matches_float32(policy):
    # float16 sums overflow and bfloat16 sums stall when numpy reduces in the
    # arrays' own dtype: the statistics come out within rounding of float32.
    stats = {}
    for name in ("float32", policy):
        keras.mixed_precision.set_global_policy(name)
        model = _compiled(_net([256, 256]), "adam")
        monitor = ActivationStats(probe_data=X, verbose=0)
        history = _fit(model, [monitor], epochs=1)
        stats[name] = [
            v[0] for k, v in history.history.items() if k.startswith("activation_std")
        ]
    np.testing.assert_allclose(stats[policy], stats["float32"], rtol=0.05)


def test_sigmoid_deep_net_gets_vanishing_gradients(policy):
    model = _compiled(_net([64] * 8, "sigmoid", "glorot_uniform"), "sgd")
    monitor = GradientMonitor(verbose=0)
    _fit(model, [monitor], epochs=1)
    assert "vanishing_gradients" in [f.check for f in monitor.findings]


def test_float16_underflow_is_not_a_dead_path():
    # Without loss scaling the first kernel's float16 gradient rounds to 0;
    # the check scales it up and finds a vanishing, not a dead, gradient.
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = _net([64] * 8, "sigmoid", "glorot_uniform")
        _compiled(model, "sgd", auto_scale_loss=False)
        monitor = GradientMonitor(verbose=0)
        history = _fit(model, [monitor], epochs=1)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    found = {f.check: f for f in monitor.findings}
    assert "vanishing_gradients" in found, monitor.findings
    if keras.backend.backend() != "torch":  # torch's CPU float16 grads keep ~1e-6
        assert "rounds to 0 at the loss scale 1" in found["vanishing_gradients"].message
    assert history.history["gradient_ratio"][0] < 1e-3


def test_exploding_activations_are_activation_std_not_a_nan_network(policy):
    init = keras.initializers.RandomNormal(stddev=0.5)
    model = _compiled(_net([256] * 6, init=init), keras.optimizers.SGD(1e-3))
    sitter = Babysitter(verbose=0)
    _fit(model, [sitter], epochs=1)
    assert sitter.diagnosis().cause == "activation_std"
    at_init = {f.check for f in sitter.findings if f.epoch is None}
    assert "nan_loss" not in at_init
    if policy == "mixed_float16":  # 65504 is float16's largest value
        assert "float16_overflow" in at_init


def test_advice_reads_the_optimizer_inside_the_loss_scale_optimizer():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        adam = _compiled(_net([8]), keras.optimizers.Adam(1e-7))
        sgd = _compiled(_net([8]), keras.optimizers.SGD(1e-7))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert type(adam.optimizer).__name__ == "LossScaleOptimizer"
    assert "use Adam" not in stall_fix(adam, [1e-7])
    assert "use Adam" in stall_fix(sgd, [1e-7])


def test_adam_user_with_a_tiny_rate_is_not_told_to_use_adam(policy):
    model = _compiled(_net([64]), keras.optimizers.Adam(1e-7))
    sitter = Babysitter(verbose=0)
    _fit(model, [sitter], epochs=3)
    verdict = sitter.diagnosis()
    assert verdict.cause == "stalled_loss"
    assert "Raise the learning rate" in verdict.suggestion
    assert "Adam" not in verdict.suggestion


def test_a_collapsed_loss_scale_is_float16_overflow():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = _compiled(_net([8]), "adam")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    model.optimizer.build(model.trainable_variables)
    watch = LossWatch(verbose=0)
    watch.set_model(model)
    watch.on_train_begin()
    watch.on_epoch_end(0, {"loss": 2.3})
    assert watch.findings == []
    model.optimizer.dynamic_scale.assign(2.0**-10)
    watch.on_epoch_end(1, {"loss": 2.3})
    assert [f.check for f in watch.findings] == ["float16_overflow"]


@pytest.mark.parametrize("name", ["float32"] + POLICIES)
def test_every_figure_every_epoch_with_a_dead_first_layer(name, tmp_path):
    # A dead first layer makes its gradient exactly 0: gradient_ratio cannot
    # be measured, and is NaN rather than missing, so CSVLogger keeps it; the
    # verdict is the dead units' under every policy.
    keras.mixed_precision.set_global_policy(name)
    try:
        dead = keras.initializers.Constant(-5.0)
        model = _compiled(_net([64, 64], bias=dead), "adam")
        log = tmp_path / "log.csv"
        sitter = Babysitter(verbose=0)
        history = _fit(
            model,
            [sitter, keras.callbacks.CSVLogger(str(log))],
            epochs=3,
            validation_split=0.25,
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert sitter.diagnosis().cause == "dead_units"
    keys = set(history.history)
    assert {"gradient_ratio", "dead_fraction", "update_ratio"} <= keys
    assert any(k.startswith("grad_rms/") for k in keys)
    assert all(len(v) == 3 for v in history.history.values()), history.history
    assert np.isnan(history.history["gradient_ratio"]).all()
    with open(log) as handle:
        columns = set(next(csv.reader(handle)))
    assert keys <= columns, sorted(keys - columns)
