"""recipes.preflight: every check fires on a constructed bad case, stays quiet
on the recipe model with the recipe data, and never changes the model."""

import keras
import numpy as np
import pytest

import recipes
from recipes.checks.preflight import CHECKS, PreflightReport, preflight

FAST = dict(overfit_steps=50, baseline_steps=20)


def _data(rng, n=120, d=8, classes=3):
    x = rng.normal(size=(n, d)).astype("float32")
    w = rng.normal(size=(d, classes))
    return x, (x @ w).argmax(1)


def _model(
    d=8,
    classes=3,
    *,
    hidden=32,
    head="softmax",
    loss="sparse_categorical_crossentropy",
    first=None,
    out_init="glorot_uniform",
    l2=None,
    cls=keras.Model,
):
    inputs = keras.Input((d,))
    h = first(inputs) if first is not None else inputs
    reg = keras.regularizers.L2(l2) if l2 else None
    if hidden:
        h = keras.layers.Dense(hidden, activation="relu", kernel_regularizer=reg)(h)
    out = keras.layers.Dense(classes, activation=head, kernel_initializer=out_init)(h)
    model = cls(inputs, out)
    model.compile(optimizer="adam", loss=loss)
    return model


def _checks(report, name):
    return [f for f in report.findings if f.check == name]


@pytest.fixture(scope="module")
def digits_report():
    keras.utils.set_random_seed(0)
    data = recipes.datasets.load("digits")
    model = recipes.build_mlp(
        data.input_shape, data.num_classes, x_train=data.x_train, y_train=data.y_train
    )
    report = preflight(
        model,
        data.x_train,
        data.y_train,
        validation_data=data.validation_data,
        test_data=(data.x_test, data.y_test),
    )
    keras.backend.clear_session()
    return report


def test_quiet_on_recipe_model_with_recipe_data(digits_report):
    report = digits_report
    assert isinstance(report, PreflightReport)
    assert report.passed
    assert set(report.checks) == set(CHECKS)
    assert all(s in ("ok", "found") for s in report.checks.values())
    loud = [f for f in report.findings if f.severity != "info"]
    assert loud == [], [str(f) for f in loud]
    # digits has blank border pixels: noted, not flagged
    assert [f.check for f in report.findings] == ["constant_features"]
    assert "Pre-flight: passed" in str(report)
    assert "| overfit_small_subset | ok |" in report.to_markdown()


def test_model_weights_and_optimizer_state_unchanged(rng):
    x, y = _data(rng)
    model = _model(l2=1e-3, first=keras.layers.Dropout(0.2))
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)  # optimizer has state
    weights = [w.copy() for w in model.get_weights()]
    slots = [np.array(v.numpy()) for v in model.optimizer.variables]
    report = preflight(model, x, y, validation_data=(x[:30], y[:30]), **FAST)
    assert report.checks["overfit_small_subset"] in ("ok", "found")
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, v in zip(slots, model.optimizer.variables):
        np.testing.assert_array_equal(a, v.numpy())
    assert model.layers[1].rate == 0.2  # dropout of the original still on
    assert all(v.regularizer is not None for v in model.layers[2].trainable_weights[:1])


def test_data_nan_is_an_error_and_blocks_training_checks(rng):
    x, y = _data(rng)
    x[3, 2] = np.nan
    report = preflight(_model(), x, y, **FAST)
    (found,) = _checks(report, "data_nan")
    assert found.severity == "error" and found.value == 1
    assert not report.passed
    assert report.checks["overfit_small_subset"].startswith("skipped")


def test_constant_features(rng):
    x, y = _data(rng)
    x[:, 0] = 1.0
    (found,) = _checks(
        preflight(_model(), x, y, checks=["constant_features"]), "constant_features"
    )
    assert found.severity == "info" and found.value == pytest.approx(1 / 8)
    x_val = x[:20].copy()
    x_val[:, 0] = 3.0  # constant in training, different in validation
    report = preflight(
        _model(), x, y, validation_data=(x_val, y[:20]), checks=["constant_features"]
    )
    assert _checks(report, "constant_features")[0].severity == "info"
    # ... which hurts when a Normalization layer divides that feature by ~0
    norm = keras.layers.Normalization()
    norm.adapt(x)
    report = preflight(
        _model(first=norm),
        x,
        y,
        validation_data=(x_val, y[:20]),
        checks=["constant_features"],
    )
    assert _checks(report, "constant_features")[0].severity == "warning"


def test_unnormalized_input_raw_pixels_and_preprocessing_layer():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.data[:300] * 16).astype("float32")  # raw 0..255 pixels
    y = bunch.target[:300]
    raw = preflight(_model(64, 10), x, y, checks=["unnormalized_input"])
    (found,) = _checks(raw, "unnormalized_input")
    assert found.severity == "warning" and found.value > 4
    norm = keras.layers.Normalization()
    norm.adapt(x)
    model = _model(64, 10, first=norm)
    quiet = preflight(model, x, y, checks=["unnormalized_input", "initial_loss"])
    assert quiet.checks == {"unnormalized_input": "ok", "initial_loss": "ok"}
    # the copy the checks train keeps the adapted statistics
    from recipes.checks.model import clone_with_weights

    clone = clone_with_weights(model, model.loss)
    np.testing.assert_allclose(clone(x[:5]), model(x[:5]), atol=1e-6)


def test_label_range_labels_starting_at_one(rng):
    x, y = _data(rng)
    report = preflight(_model(), x, y + 1, **FAST)
    (found,) = _checks(report, "label_range")
    assert found.severity == "error" and "0..2" in found.message
    assert report.checks["initial_loss"].startswith("skipped")


def test_class_imbalance(rng):
    x, _ = _data(rng)
    y = (np.arange(len(x)) < 8).astype(int)  # 8 vs 112
    report = preflight(_model(classes=2), x, y, checks=["class_imbalance"])
    (found,) = _checks(report, "class_imbalance")
    assert found.value == pytest.approx(14.0)


def test_train_test_overlap_duplicated_row(rng):
    x, y = _data(rng)
    x_test, y_test = _data(np.random.default_rng(1), n=40)
    x_test[5] = x[17]
    report = preflight(
        _model(), x, y, test_data=(x_test, y_test), checks=["train_test_overlap"]
    )
    (found,) = _checks(report, "train_test_overlap")
    assert found.value == pytest.approx(1 / 40) and "test" in found.message


def test_initial_loss_output_layer_too_large(rng):
    x, y = _data(rng)
    big = keras.initializers.RandomNormal(stddev=5.0, seed=0)
    report = preflight(_model(out_init=big), x, y, checks=["initial_loss"])
    (found,) = _checks(report, "initial_loss")
    assert found.value > found.threshold
    assert "output layer is initialized too large" in found.suggestion
    assert found.threshold == pytest.approx(1.5 * np.log(3) + 0.05, rel=0.05)


def test_initial_loss_lifted_only_by_regularization_is_info(rng):
    x, y = _data(rng)
    model = _model(out_init="zeros", l2=0.06)  # data loss ln 3, penalty ~0.8
    report = preflight(model, x, y, checks=["initial_loss"])
    (found,) = _checks(report, "initial_loss")
    assert found.severity == "info" and "regularization adds" in found.message
    assert report.passed


def test_nan_initial_loss_is_an_error_finding_not_a_crash(rng):
    x, y = _data(rng)
    model = _model(out_init=keras.initializers.Constant(np.nan))
    report = preflight(model, x, y, **FAST)
    (found,) = _checks(report, "initial_loss")
    assert found.severity == "error" and not np.isfinite(found.value)
    assert report.checks["overfit_small_subset"].startswith("skipped")


def test_regularization_loss_too_strong_and_ignored(rng):
    x, y = _data(rng)
    strong = preflight(_model(l2=5.0), x, y, checks=["regularization_loss"])
    (found,) = _checks(strong, "regularization_loss")
    assert found.severity == "warning" and found.value > found.threshold

    class IgnoresPenalties(keras.Model):
        def compute_loss(
            self, x=None, y=None, y_pred=None, sample_weight=None, training=True
        ):
            return keras.ops.mean(
                keras.losses.sparse_categorical_crossentropy(y, y_pred)
            )

    model = _model(l2=1e-3, cls=IgnoresPenalties)
    report = preflight(model, x, y, checks=["regularization_loss"])
    (found,) = _checks(report, "regularization_loss")
    assert found.severity == "error" and "ignores" in found.message


def test_output_activation_mismatches(rng):
    x, y = _data(rng)
    linear = preflight(_model(head=None), x, y, checks=["output_activation"])
    assert _checks(linear, "output_activation")[0].severity == "error"
    yb = (x[:, 0] > 0).astype("float32")
    one = preflight(
        _model(classes=1, head="softmax", loss="binary_crossentropy"),
        x,
        yb,
        checks=["output_activation"],
    )
    (found,) = _checks(one, "output_activation")
    assert found.severity == "error" and "softmax over a single unit" in found.message


def test_overfit_small_subset_model_too_small(rng):
    x = rng.normal(size=(60, 2)).astype("float32")
    y = rng.integers(0, 10, size=60)  # random labels, 2 features, no hidden layer
    report = preflight(_model(2, 10, hidden=0), x, y, checks=["overfit_small_subset"])
    (found,) = _checks(report, "overfit_small_subset")
    assert found.severity == "error" and found.value < 0.95
    good = preflight(_model(), *_data(rng), checks=["overfit_small_subset"])
    assert good.checks == {"overfit_small_subset": "ok"}


def test_input_independent_baseline_frozen_zero_layer(rng):
    x, y = _data(rng, n=200)
    blind = keras.layers.Dense(8, kernel_initializer="zeros", trainable=False)
    report = preflight(
        _model(first=blind), x, y, checks=["input_independent_baseline"], **FAST
    )
    (found,) = _checks(report, "input_independent_baseline")
    assert found.value >= found.threshold
    good = preflight(_model(), x, y, checks=["input_independent_baseline"])
    assert good.checks == {"input_independent_baseline": "ok"}


def test_bad_input_raises_before_training(rng):
    x, y = _data(rng)
    uncompiled = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="not compiled"):
        preflight(uncompiled, x, y)
    with pytest.raises(ValueError, match="shaped"):
        preflight(_model(), x[:, :5], y)
    with pytest.raises(ValueError, match="labels"):
        preflight(_model(), x, y[:-1])
    with pytest.raises(ValueError, match="non-empty"):
        preflight(_model(), x[:0], y[:0])
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        preflight(_model(), x, keras.utils.to_categorical(y, 3))
    with pytest.raises(ValueError, match="Unknown check"):
        preflight(_model(), x, y, checks=["initial_los"])
    with pytest.raises(TypeError, match="keras.Model"):
        preflight("model", x, y)


def test_the_training_checks_use_the_compiled_optimizer_and_rate(rng):
    x, y = _data(rng)
    # learning rate 0: the compiled optimizer never updates, so nothing is
    # memorized with it; with Adam(1e-3) instead (the old default) it would be
    frozen = _model()
    frozen.compile(optimizer=keras.optimizers.SGD(0.0), loss=frozen.loss)
    report = preflight(frozen, x, y, checks=["overfit_small_subset"])
    (found,) = _checks(report, "overfit_small_subset")
    assert found.severity == "error"
    assert "(loss" in found.message  # says how far the loss moved
    # the user's optimizer is copied, never used: its state is unchanged
    assert int(frozen.optimizer.iterations.numpy()) == 0


def test_a_slow_setup_is_info_not_an_error(rng):
    x, y = _data(rng)
    slow = _model()
    slow.compile(optimizer=keras.optimizers.SGD(0.01), loss=slow.loss)
    report = preflight(slow, x, y, checks=["overfit_small_subset"])
    (found,) = _checks(report, "overfit_small_subset")
    assert found.severity == "info" and "Adam(1e-2)" in found.message
    assert report.passed and report.diagnosis is None


def test_the_l2_check_is_silent_below_float32_resolution(rng):
    x, y = _data(rng)
    y_big = (x @ rng.normal(size=(8, 1))).astype("float32") * 3e4  # loss ~1e9
    model = _model(classes=1, head=None, loss="mse")
    report = preflight(model, x, y_big, checks=["regularization_loss"])
    assert not [f for f in report.findings if f.severity == "error"]


def test_facts_that_are_not_bugs_are_info(rng):
    x, y = _data(rng, n=200)
    x_val = x[:40].copy()  # every validation row is also a training row...
    counts = np.round(np.abs(x) * 10).astype("float32")  # count features
    report = preflight(
        _model(),
        counts,
        y,
        validation_data=(np.round(np.abs(x_val) * 10), y[:40]),
        checks=["train_test_overlap", "unnormalized_input", "class_imbalance"],
    )
    sev = {f.check: f.severity for f in report.findings}
    assert sev.get("unnormalized_input") == "info"
    # ...which at 100 % of the held-out rows is a leak worth a warning
    assert sev.get("train_test_overlap") == "warning"
    part = preflight(
        _model(),
        x,
        y,
        validation_data=(np.concatenate([x[:5], x_val * 2]), y[:45]),
        checks=["train_test_overlap"],
    )
    assert [f.severity for f in part.findings] == ["info"]


def test_the_report_puts_the_diagnosis_first(rng):
    x, y = _data(rng)
    report = preflight(_model(head="relu"), x, y, checks=["output_activation"])
    assert report.diagnosis.cause == "output_activation"
    assert (
        str(report).splitlines()[1].strip().startswith("Diagnosis: output_activation")
    )
    assert "**Diagnosis: output_activation.**" in report.to_markdown()
    assert report.to_dict()["diagnosis"]["cause"] == "output_activation"


def test_held_out_scale_warns_when_validation_skipped_the_scaler(rng):
    x = rng.normal(40.0, 9.0, size=(300, 5)).astype("float32")
    y = (x[:, 0] > 40).astype("int64")
    z = (x - x[:240].mean(0)) / x[:240].std(0)
    same = preflight(
        _model(d=5),
        z[:240],
        y[:240],
        validation_data=(z[240:], y[240:]),
        checks=["held_out_scale"],
    )
    assert same.checks["held_out_scale"] == "ok"
    raw = preflight(
        _model(d=5),
        z[:240],
        y[:240],
        validation_data=(x[240:], y[240:]),
        checks=["held_out_scale"],
    )
    (found,) = _checks(raw, "held_out_scale")
    assert found.severity == "warning" and "validation" in found.message
