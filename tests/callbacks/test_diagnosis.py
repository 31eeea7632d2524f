"""One verdict: `callbacks.diagnose`, `Babysitter.diagnosis()`, severity by
outcome, the head check, lagging BatchNormalization statistics, messages that
stay true."""

import keras
import numpy as np
import pytest

from callbacks import (
    Babysitter,
    BatchNormMonitor,
    Diagnosis,
    Finding,
    LossWatch,
    diagnose,
)
from tests.callbacks._models import blobs, compile_, dense_net, digits, problems


def F(check, severity="warning", epoch=None, **kw):
    return Finding(check, severity, epoch=epoch, **kw)


def test_diagnose_ranks_root_causes_over_their_symptoms():
    # a learning rate too high explains divergence, dead units, oscillation
    verdict = diagnose(
        [
            F("dead_units", "error", 2, layer="dense"),
            F("oscillating_loss", "warning", 1),
            F("diverging_loss", "error", 1, message="The loss rose."),
            F("underfitting", "warning", 5),
        ]
    )
    assert isinstance(verdict, Diagnosis)
    assert verdict.cause == "diverging_loss"
    assert "learning rate" in verdict.suggestion.lower()
    assert [f.check for f in verdict.evidence][0] == "diverging_loss"
    # a wrong output activation explains a stalled loss and a bad initial loss
    verdict = diagnose(
        [
            F("stalled_loss", "warning", 2),
            F("initial_loss", "error"),
            F("output_activation", "error", suggestion="Use softmax. Or else."),
        ]
    )
    assert verdict.cause == "output_activation"
    assert verdict.suggestion == "Use softmax."  # one fix, the first


def test_diagnose_is_none_on_info_only_and_names_a_latent_cause_of_failure():
    assert diagnose([]) is None
    assert diagnose([F("unnormalized_input", "info")]) is None
    verdict = diagnose(
        [F("unnormalized_input", "info"), F("stalled_loss", "warning", 3)]
    )
    assert verdict.cause == "unnormalized_input"
    # but not over a direct learning-rate error
    verdict = diagnose(
        [F("unnormalized_input", "info"), F("diverging_loss", "error", 0)]
    )
    assert verdict.cause == "diverging_loss"
    with pytest.raises(TypeError, match="Finding"):
        diagnose(["dead_units"])


def test_init_findings_explain_the_initial_loss_and_collapse_explains_partial_death():
    verdict = diagnose(
        [F("initial_loss", "error"), F("activation_std", "warning", layer="d9")]
    )
    assert verdict.cause == "activation_std"
    partly_dead = [F("dead_units", "warning", layer="d8"), F("activation_std")]
    assert diagnose(partly_dead).cause == "activation_std"
    dead = [F("dead_units", "error", layer="d1"), F("activation_std")]
    assert diagnose(dead).cause == "dead_units"


def test_babysitter_diagnosis_names_a_relu_head_under_cross_entropy(capsys):
    x, y = blobs()
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(8, "relu"),
            keras.layers.Dense(2, "relu"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    sitter = Babysitter(verbose=1)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[sitter])
    verdict = sitter.diagnosis()
    assert verdict.cause == "output_activation"
    assert "softmax" in verdict.suggestion
    out = capsys.readouterr().out
    assert out.count("Diagnosis: output_activation") == 1  # printed once, at the end


@pytest.mark.parametrize(
    "head, loss, y, words",
    [
        ("softmax", "binary_crossentropy", "binary", "single unit"),
        ("softmax", "categorical_crossentropy", "multi_hot", "multi-hot"),
        (None, "sparse_categorical_crossentropy", "ids", "linear"),
    ],
)
def test_the_head_check_catches_each_mismatch(head, loss, y, words):
    from callbacks.heads import head_findings

    units = 1 if y == "binary" else 3
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(units, activation=head)]
    )
    model.compile("adam", loss)
    labels = {
        "binary": np.array([0, 1, 1, 0]),
        "multi_hot": np.array([[1, 1, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1]]),
        "ids": np.array([0, 1, 2, 1]),
    }[y]
    (found,) = head_findings(model, labels)
    assert found.check == "output_activation" and found.severity == "error"
    assert words in found.message


def test_a_symptom_on_a_network_that_learns_well_is_info():
    # 12 of 32 ReLUs start dead (bias -20) and stay dead, but the rest of the
    # network learns the task well: worth knowing, not a warning
    x, y = blobs(1024)
    bias = np.zeros(32, "float32")
    bias[:12] = -20.0
    model = compile_(
        dense_net(8, [32], bias_initializer=keras.initializers.Constant(bias))
    )
    sitter = Babysitter(verbose=0)
    history = model.fit(
        x, y, epochs=10, validation_split=0.2, verbose=0, callbacks=[sitter]
    )
    assert history.history["val_accuracy"][-1] > 0.9
    dead = [f for f in sitter.findings if f.check == "dead_units"]
    assert dead and all(f.severity == "info" for f in dead)
    assert problems(sitter) == [] and sitter.diagnosis() is None


def test_the_same_dead_units_on_a_failing_run_stay_a_warning():
    x, y = blobs(1024)
    rng = np.random.default_rng(1)
    y = rng.permutation(y)  # labels apart from their inputs: nothing learns
    bias = np.zeros(32, "float32")
    bias[:12] = -20.0
    model = compile_(
        dense_net(8, [32], bias_initializer=keras.initializers.Constant(bias))
    )
    sitter = Babysitter(verbose=0)
    model.fit(x, y, epochs=4, validation_split=0.2, verbose=0, callbacks=[sitter])
    assert "dead_units" in problems(sitter)


def _bn_net(momentum):
    inp = keras.Input((64,))
    h = keras.layers.Dense(64, use_bias=False)(inp)
    h = keras.layers.BatchNormalization(momentum=momentum)(h)
    h = keras.layers.ReLU()(h)
    out = keras.layers.Dense(10, activation="softmax")(h)
    return compile_(keras.Model(inp, out))


def _bn_cnn():
    inp = keras.Input((8, 8, 1))
    h = inp
    for filters in (16, 32):
        h = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(h)
        h = keras.layers.BatchNormalization()(h)  # momentum 0.99, the default
        h = keras.layers.Activation("relu")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    out = keras.layers.Dense(10, activation="softmax")(h)
    return compile_(keras.Model(inp, out), keras.optimizers.Adam(3e-3))


def test_batchnorm_lag_is_found_and_is_not_called_overfitting():
    # 300 images in batches of 64: 5 steps an epoch, so the moving statistics
    # (1 % per step) lag far behind for the first epochs
    x, y = digits(600)
    x = x.reshape(-1, 8, 8, 1)
    sitter = Babysitter(verbose=0)
    _bn_cnn().fit(
        x[:300],
        y[:300],
        validation_data=(x[300:], y[300:]),
        epochs=4,
        batch_size=64,
        verbose=0,
        callbacks=[sitter],
    )
    checks = {f.check: f.severity for f in sitter.findings}
    assert checks.get("batchnorm_statistics") == "warning"
    assert checks.get("overfitting", "info") == "info"
    assert sitter.diagnosis().cause == "batchnorm_statistics"
    assert "momentum" in sitter.diagnosis().suggestion


def test_the_batchnorm_check_does_not_change_the_run():
    x, y = digits(300)
    runs = []
    for callbacks in ([], [BatchNormMonitor(verbose=0, probe_data=(x, y))]):
        keras.utils.set_random_seed(0)
        model = _bn_net(0.99)
        h = model.fit(x, y, epochs=3, batch_size=64, verbose=0, callbacks=callbacks)
        runs.append((h.history["loss"], [w.copy() for w in model.get_weights()]))
    assert runs[0][0] == runs[1][0]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))


def _drive_loss(watch, losses, rates=None, model=None):
    watch.set_model(model) if model is not None else None
    watch.on_train_begin()
    for epoch, loss in enumerate(losses):
        watch.on_epoch_begin(epoch)
        if rates is not None:
            watch.rates[-1] = rates[epoch]
        watch.on_epoch_end(epoch, {"loss": loss})
    return watch.findings


def test_one_epoch_at_chance_is_not_a_stall_but_three_are():
    model = compile_(dense_net(8, [4], out=10))
    early = _drive_loss(LossWatch(verbose=0), [2.31, 2.30], model=model)
    late = _drive_loss(LossWatch(verbose=0), [2.31, 2.30, 2.30], model=model)
    plateau = _drive_loss(LossWatch(verbose=0), [0.30, 0.29, 0.29, 0.29], model=model)
    assert early == [] and plateau == []  # a plateau after progress is no stall
    assert [f.check for f in late] == ["stalled_loss"]


def test_stall_advice_fits_the_optimizer_and_the_schedule():
    adam = compile_(dense_net(8, [4], out=10), keras.optimizers.Adam(1e-3))
    (f,) = _drive_loss(LossWatch(verbose=0), [2.31, 2.30, 2.30], model=adam)
    assert "Adam" not in f.suggestion and "Raise" not in f.suggestion
    sgd = compile_(dense_net(8, [4], out=10), keras.optimizers.SGD(1e-5))
    (f,) = _drive_loss(LossWatch(verbose=0), [2.31, 2.30, 2.30], model=sgd)
    assert f.suggestion.startswith("Raise the learning rate") and "Adam" in f.suggestion
    cut = _drive_loss(
        LossWatch(verbose=0), [2.31, 2.30, 2.30], rates=[1e-2, 1e-4, 1e-4], model=sgd
    )
    assert "do not raise it" in cut[0].suggestion


def test_the_data_loss_is_never_negative_under_a_large_penalty():
    reg = keras.regularizers.L2(10.0)
    model = compile_(dense_net(8, [16], kernel_regularizer=reg))
    watch = LossWatch(verbose=0)
    x, y = blobs()
    model.fit(x, y, epochs=3, verbose=0, callbacks=[watch])
    assert min(watch.losses) >= 0.0
    assert all("-" not in f.message.split("loss")[-1][:3] for f in watch.findings)
